"""An analysis's parameters checked against its declaration, the defaults filled in.

:func:`resolve_params` is what :func:`mapping.pipeline.step_runner.run_step` calls
first, whatever the front (project file, command line, dialog): unknown,
missing and out-of-range parameters and unknown layers raise a
:class:`~layers.common.errors.ProjectError` naming the parameter in the front's words.
"""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.core.filters import parse_filter

__all__ = ["resolve_params"]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_value(p, v, ws, where: str):
    """Check one parameter value against its declaration; return it (converted)."""
    bad = lambda what, fix=None: ProjectError(  # noqa: E731
        f"{where}: {term(p.name)} {what}", path=ws.project.path, fix=fix)
    if p.type in ("float", "int"):
        if isinstance(v, str):
            try:
                v = float(v.replace(",", ""))
            except ValueError:
                raise bad(f"must be a number, not {v!r}") from None
        if not _is_number(v):
            raise bad(f"must be a number, not {v!r}")
        if p.type == "int":
            if float(v) != int(v):
                raise bad(f"must be a whole number, not {v:g}")
            v = int(v)
        if (p.minimum is not None and v < p.minimum) or (p.maximum is not None
                                                         and v > p.maximum):
            raise bad(f"is {v:g}{' ' + p.unit if p.unit and p.unit != '%' else p.unit}, "
                      f"outside the allowed {p.describe_range()}",
                      fix=f"give a value from {p.describe_range()}")
        return v
    if p.type == "bool":
        if not isinstance(v, bool):
            raise bad(f"must be true or false, not {v!r}")
        return v
    if p.type == "choice":
        if v not in p.choices and not _open_choice(p, v):
            raise bad(f"is {v!r}, not one of {', '.join(map(str, p.choices))}",
                      fix=f"use one of: {', '.join(map(str, p.choices))}")
        return v
    if p.type == "expr":
        if not isinstance(v, str):
            raise bad("must be a filter expression in quotes")
        parse_filter(v)  # raises a clear InputError
        return v
    if p.type in ("text", "date", "period") and not isinstance(v, (str, int)):
        raise bad(f"must be text, not {v!r}")
    if p.type == "file":
        paths = v if isinstance(v, list) else [v]
        if not all(isinstance(x, str) for x in paths):
            raise bad("must be a file path (or a list of paths)")
        return v
    if p.type == "list":
        items = [s.strip() for s in v.split(",") if s.strip()] if isinstance(v, str) else v
        cast = {"int": int, "float": float}.get(p.item)
        if cast is not None and isinstance(items, (list, tuple)):
            try:  # "0, 100, 200" typed in a dialog means the same as [0, 100, 200]
                items = [float(x) for x in items]
                if cast is int and any(x != int(x) for x in items):
                    raise ValueError
                items = [cast(x) for x in items]
            except (TypeError, ValueError):
                raise bad(f"must be a list of numbers, not {v!r}",
                          fix="e.g. 0, 100, 200") from None
        return list(items) if isinstance(items, tuple) else items
    return v


def _open_choice(p, v) -> bool:
    """Weights accept any ``knn:K`` / ``distance:M``, not only the listed examples."""
    return p.name in ("weights",) and isinstance(v, str) and \
        v.split(":")[0] in ("knn", "distance", "queen", "rook")


def _check_layer(inp, v, ws, where: str):
    if inp.many and isinstance(v, dict):  # {layer = weight}: the layers are its keys
        _check_layer(inp, list(v), ws, where)
        return v
    names = v if isinstance(v, list) else [v]
    if not inp.many and isinstance(v, list) and len(v) != 1:
        raise ProjectError(f"{where}: {term(inp.name)} takes one layer, not {len(v)}",
                           path=ws.project.path)
    for n in names:
        if not isinstance(n, str):
            raise ProjectError(f"{where}: {term(inp.name)} must name a layer, not {n!r}",
                               path=ws.project.path)
        if n not in ws.layers:
            producer = next((s for s in ws.project.analyses if s.name == n), None)
            if producer is not None:  # the result of another analysis that has not run yet
                raise ProjectError(f"{where}: {term(inp.name)} '{n}' is the result of analysis "
                                   f"'{n}' ({producer.kind}), which has not run yet",
                                   path=ws.project.path,
                                   fix=f"run '{n}' first, or run the whole project")
            known = ", ".join(ws.layers.names()) or "none"
            raise ProjectError(f"{where}: {term(inp.name)} names '{n}', which is not a layer "
                               f"(known: {known})", path=ws.project.path,
                               fix="check the layer names")
        lyr = ws.layers[n]
        kinds = inp.layer_kinds
        if kinds and lyr.kind not in kinds:
            raise ProjectError(f"{where}: {term(inp.name)} '{n}' is a {lyr.kind} layer; "
                               f"this needs {' or '.join(kinds)}", path=ws.project.path)
    if inp.many:  # one spelling whatever the front gave: a list of layer names
        return list(names)
    return v if not isinstance(v, list) else v[0]


def resolve_params(decl, given: dict, ws, *, where: str = "") -> dict:
    """Check an analysis's parameters against its declaration and fill the defaults.

    Parameters
    ----------
    decl : Analysis
        The declaration.
    given : dict
        The parameters as the front gave them (project file, CLI, dialog).
    ws : Workspace
        For the layers inputs name.
    where : str
        How to name the analysis in messages.

    Returns
    -------
    dict
        Every declared keyword (plus ``name`` when given), values checked.

    Raises
    ------
    ProjectError
        Unknown, missing or out-of-range parameters, unknown layers; the
        message names parameters with :func:`layers.common.errors.term`, so each
        front shows them in its own words.
    """
    where = where or f"analysis '{decl.kind}'"
    given = {decl.aliases.get(k, k): v for k, v in given.items()}
    known = set(decl.names()) | {"name"}
    unknown = [k for k in given if k not in known]
    if unknown:
        raise ProjectError(f"{where}: unknown parameter(s) "
                           + ", ".join(term(k) for k in unknown), path=ws.project.path,
                           fix="known: " + ", ".join(term(n) for n in decl.names()))
    out = {}
    _resolve_inputs(decl, given, ws, where, out)
    _resolve_params(decl, given, ws, where, out)
    _check_one_of(decl, ws, where, out)
    if "name" in given:
        out["name"] = given["name"]
    return out


def _resolve_inputs(decl, given: dict, ws, where: str, out: dict) -> None:
    """Check the layers each input names (required ones given, kinds, how many) into ``out``."""
    for inp in decl.inputs:
        v = given.get(inp.name)
        if v in (None, "", []):
            if inp.required:
                raise ProjectError(f"{where}: {term(inp.name)} is required ({inp.label})",
                                   path=ws.project.path,
                                   fix=f"name a {inp.kind} layer for {term(inp.name)}")
            out[inp.name] = [] if inp.many else None
            continue
        out[inp.name] = _check_layer(inp, v, ws, where)
        if inp.many and len(out[inp.name]) < inp.fewest:
            raise ProjectError(f"{where}: {term(inp.name)} needs at least {inp.fewest} "
                               f"layers ({inp.label}); {len(out[inp.name])} given",
                               path=ws.project.path, fix=f"name {inp.fewest} or more layers")


def _resolve_params(decl, given: dict, ws, where: str, out: dict) -> None:
    """Check each parameter's value (or fill its default; a required one must be given)."""
    for p in decl.params:
        v = given.get(p.name, None)
        if v is None or (isinstance(v, str) and not v.strip() and p.type != "text"):
            if p.required:
                raise ProjectError(f"{where}: {term(p.name)} is required ({p.label})",
                                   path=ws.project.path, fix=f"give {term(p.name)}")
            out[p.name] = p.default
            continue
        out[p.name] = _check_value(p, v, ws, where)


def _check_one_of(decl, ws, where: str, out: dict) -> None:
    """Each ``one_of`` group of the declaration has exactly one of its names given."""
    for group in decl.one_of:
        set_ = [n for n in group if out.get(n) not in (None, "", [], {})]
        if len(set_) != 1:
            words = " or ".join(term(n) for n in group)
            raise ProjectError(f"{where}: give {words}, "
                               + ("not both" if set_ else "one of them"),
                               path=ws.project.path,
                               fix=("blank " + " or ".join(term(n) for n in set_) if set_ else
                                    f"e.g. an area layer in {term(group[0])}"))
