"""Command-line verbs generated from the analyses' declarations.

``hotmap <kind>`` exists for every analysis declared in
:mod:`mapping.pipeline`.  Its options, help and examples come from the
declaration; running it builds a project from the flags (the files become
boundary and record layers, exactly as ``[[boundaries]]`` and ``[[records]]``
entries would), runs the analysis through :func:`mapping.pipeline.runner.run_step` and
writes the results with :func:`mapping.pipeline.runner.write_layer_files`, so a verb
gives the same table, disclosure control and metadata as the same analysis in
``hotmap run`` or the GUI.

How a declared type becomes options (implemented once, here):

=============  ==============================================================
type           command line
=============  ==============================================================
records input  ``--points FILE [FILE ...]`` (repeatable), ``--kind``,
               ``--columns K=COL,...``, ``--postcodes FILE``, ``--no-header``
               (a second records input: ``--<prefix>-kind`` ...)
areas input    ``--areas FILE [FILE ...]`` with its code field ``--area-id``
table input    ``--episodes FILE`` (CSV/XLSX, a ``[[tables]]`` source of the input's
               record kind; keyed by the code column its ``id_param`` names)
surface input  ``--surface FILE.tif``
area_table     ``--population FILE --population-id CODE --population-field COL``
               (a table joined by area code), or ``--population-field COL`` alone
               for a field the areas already have
bool           ``--name`` when off by default, ``--no-name`` when on
list           ``--by a,b,c``
pairs          ``--add X,Y`` (repeatable)
mapping        ``--layer-weight NAME=VALUE`` (repeatable)
file           ``--imd FILE [FILE ...]``
=============  ==============================================================

Running a verb (the project from the flags, the run, the files written) is
:mod:`app.cli_verb_run`.

Every verb also takes the policy options ``--suppress-below N``,
``--min-bandwidth M``, ``--attribution TEXT`` and ``--project FILE`` (take the
policy from a project file), and ``--name`` (the result's name).
"""

from __future__ import annotations

import argparse

from mapping.pipeline import analyses, get_analysis

from app.cli_verb_run import run_verb

__all__ = ["verb_names", "add_verb_parser", "cli_words"]

_LOADER_WORDS = {"code_field": "--area-id", "postcode_table": "--postcodes",
                 "columns": "--columns", "kind": "--kind", "header": "--no-header",
                 "column_list": "--column-names", "crs": "--crs"}


def verb_names() -> list[str]:
    """The kinds of every declared analysis with a command-line verb."""
    return [a.kind for a in analyses() if not getattr(a, "auto", False) and a.cli]


def _declaration(kind: str):
    return get_analysis(kind)


# ------------------------------------------------------------------- help
def _help(p) -> str:
    text = p.help.replace("%", "%%")
    bits = []
    if p.unit and p.type in ("float", "int"):
        bits.append(f"in {p.unit.replace('%', '%%')}")
    rng = p.describe_range().replace("%", "%%")
    if rng:
        bits.append(rng)
    if p.default not in (None, False) and not p.required and p.type != "bool":
        bits.append(f"default {p.default}")
    return text + (f" ({'; '.join(bits)})" if bits else "")


def _metavar(p) -> str:
    return {"float": "M" if p.unit == "m" else "N", "int": "N", "column": "FIELD",
            "expr": "EXPR", "date": "YYYY-MM-DD", "period": "LABEL", "file": "FILE",
            "list": "A,B,...", "pairs": "X,Y", "mapping": "NAME=VALUE", "text": "TEXT",
            "choice": None, "literal": "VALUE"}.get(p.type) or p.name.upper()


def _primary_records(decl):
    return next((i for i in decl.inputs if i.kind == "records" and not i.cli_prefix
                 and not i.named), None)


def cli_words(decl) -> dict:
    """Parameter and loader-option names -> the flags of this verb (for error messages)."""
    words = {i.name: i.flag for i in decl.inputs}
    words.update({p.name: p.flag for p in decl.params})
    words.update(_LOADER_WORDS)
    areas = next((i for i in decl.inputs if i.kind == "areas" and i.id_param), None)
    if areas is not None and decl.param(areas.id_param):
        words["code_field"] = decl.param(areas.id_param).flag
    for p in decl.params:
        if p.type == "area_table":
            words[p.name] = f"{p.flag} (with {p.flag}-id and {p.flag}-field)"
    return words


def _examples_text(decl) -> str:
    if not decl.examples:
        return ""
    lines = ["", "examples:"]
    for ex in decl.examples:
        lines.append("  hotmap " + ex)
    return "\n".join(lines)


def _description(decl) -> str:
    return (decl.description or decl.summary) + "\n" + _examples_text(decl)


def add_verb_parser(sub, kind: str):
    """Add the sub-parser of ``hotmap <kind>`` to ``sub`` (an argparse sub-parsers object)."""
    decl = _declaration(kind)
    summary = decl.summary.replace("%%", "%").replace("%", "%%")
    p = sub.add_parser(kind, help=summary, description=_description(decl),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback when something fails")
    _add_inputs(p, decl)
    _add_params(p, decl)
    _add_common(p, decl)
    p.set_defaults(_run=lambda args: run_verb(args, kind), _words=cli_words(decl))
    return p


def _add_inputs(p, decl):
    primary = _primary_records(decl)
    taken = {prm.flag for prm in decl.params}
    g = p.add_argument_group("inputs")
    for inp in decl.inputs:
        dest = f"in_{inp.name}"
        if inp.named:  # several named layers (the composite's)
            g.add_argument("--layer", action="append", dest=dest, metavar="NAME=FILE[,FILE]",
                           required=inp.required,
                           help="a named record layer (repeat for each layer)")
            continue
        if inp.kind in ("records", "areas", "table", "any"):
            g.add_argument(inp.flag, dest=dest, nargs="+", action="extend", metavar="FILE",
                           required=inp.required and decl.kind not in ("gistar", "lisa"),
                           help=inp.help.replace("%", "%%"))
        elif inp.kind == "surface":
            g.add_argument(inp.flag, dest=dest, metavar="FILE.tif", required=inp.required,
                           help=inp.help.replace("%", "%%"))
        if inp.kind == "table" and inp.flag == "--records" and "--kind" not in taken:
            g.add_argument("--kind", dest=f"kind_{inp.name}", default=inp.record_kind,
                           help="what a row is: arrests, clients, stop_search, episodes ... "
                                "(tables of people are sensitive: small counts suppressed)")
        if inp.kind == "records":
            pre = "" if inp is primary else (inp.cli_prefix or inp.name) + "-"
            if f"--{pre}kind" not in taken:
                g.add_argument(f"--{pre}kind", dest=f"kind_{inp.name}",
                               default=inp.record_kind,
                               help="record kind: generic, arrests, needles, crack_houses, "
                                    "services, seizures, clients (police.uk files are "
                                    f"recognised whatever it says; default {inp.record_kind})")
            g.add_argument(f"--{pre}columns", dest=f"columns_{inp.name}", metavar="K=COL,...",
                           help="column mapping, e.g. x=EAST,y=NORTH,date=Occurred "
                                "(a number is a 1-based column position)")
            g.add_argument(f"--{pre}no-header", dest=f"noheader_{inp.name}",
                           action="store_true", help="the files have no header row")
    if any(i.kind == "records" for i in decl.inputs):
        g.add_argument("--date-format", metavar="FORMAT",
                       help="how to read numeric dates when a column reads both ways: "
                            "DD/MM/YYYY, MM/DD/YYYY, YY-MM-DD or a strftime pattern")
        g.add_argument("--postcodes", metavar="FILE",
                       help="postcode table (Code-Point Open or the ONS Postcode Directory) "
                            "to place records that have a postcode but no coordinates")


def _add_params(p, decl):
    g = p.add_argument_group("parameters")
    for prm in decl.params:
        if prm.cli_hidden:
            continue
        dest = f"p_{prm.name}"
        if prm.type == "bool":
            if prm.default is True:
                g.add_argument("--no-" + prm.flag[2:], dest=dest, action="store_false",
                               default=None, help="turn off: " + _help(prm))
            else:
                g.add_argument(prm.flag, dest=dest, action="store_true", default=None,
                               help=_help(prm))
            continue
        if prm.type == "area_table":
            g.add_argument(prm.flag, dest=f"{dest}_file", metavar="FILE",
                           help=f"{prm.help} A table (CSV/XLSX) keyed by area code.")
            g.add_argument(prm.flag + "-id", dest=f"{dest}_id", metavar="FIELD",
                           help=f"area code column of {prm.flag}")
            g.add_argument(prm.flag + "-field", dest=f"{dest}_field", metavar="FIELD",
                           help=f"value column of {prm.flag} (without {prm.flag}: a field "
                                "of the areas themselves)")
            g.add_argument(prm.flag + "-lookup", dest=f"{dest}_lookup", metavar="FILE",
                           help=f"ONS LSOA 2011 to 2021 lookup (LSOA11CD, LSOA21CD, CHGIND): "
                                f"convert a {prm.flag} table of the other LSOA vintage")
            continue
        kw = dict(dest=dest, default=None, help=_help(prm))
        if prm.type == "choice":
            if prm.name == "weights":
                kw["metavar"] = "SPEC"
            else:
                kw["choices"] = list(prm.choices)
        else:
            kw["metavar"] = _metavar(prm)
        if prm.type in ("pairs", "mapping"):
            kw["action"] = "append"
        elif prm.type == "list":
            kw["action"] = "append"
        elif prm.type == "file" and prm.many or "records" in prm.also_layers:
            kw.update(nargs="+", action="extend")
            if "records" in prm.also_layers:
                kw["metavar"] = "FILE_OR_FIELD"
                kw["help"] += " Record files are counted per area."
        g.add_argument(prm.flag, required=prm.required, **kw)


def _add_common(p, decl):
    g = p.add_argument_group("output and policy")
    if decl.out == "folder":
        g.add_argument("--out", required=True, metavar="FOLDER", help="output folder")
        g.add_argument("--formats", default="png,svg", metavar="LIST",
                       help="chart formats: png, svg, pdf (default png,svg)")
    else:
        fm = "|".join(f"OUT{s}" for s in decl.out_formats)
        g.add_argument("--out", required=True, metavar=fm,
                       help=f"output file: {', '.join(decl.out_formats)}; other outputs of "
                            "the analysis are written beside it")
    g.add_argument("--name", default=None, metavar="NAME",
                   help=f"name of the result (file names, titles; default {decl.kind})")
    g.add_argument("--suppress-below", type=int, default=None, metavar="N",
                   help="disclosure control: suppress counts from 1 to N-1 of sensitive "
                        "records (police.uk, arrests, needle finds ...); default 5; 0 turns "
                        "disclosure control off (do not publish the result)")
    g.add_argument("--min-bandwidth", type=float, default=None, metavar="M",
                   help="disclosure control: smallest KDE bandwidth in metres for sensitive "
                        "records (default 200)")
    g.add_argument("--attribution", action="append", default=None, metavar="TEXT",
                   help="a copyright or licence line added to every output (repeatable; the "
                        "lines of police.uk, ONS, IMD, population and NHS files are added "
                        "automatically)")
    g.add_argument("--source", default=None, metavar="TEXT", help=argparse.SUPPRESS)
    g.add_argument("--project", default=None, metavar="FILE.toml",
                   help="take the disclosure rules and attribution from this project file")
