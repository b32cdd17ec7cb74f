"""The entries of a project file: its sources, analysis steps, groups and atlases.

Each ``[[boundaries]]``, ``[[records]]``, ``[[tables]]``, ``[[basemaps]]`` and
``[[analyses]]`` table becomes a dataclass here (validated, paths resolved
against the project folder); ``[[groups]]`` and ``[[atlases]]`` tables stay
dicts, checked by :func:`group_entry` and :func:`atlas_entry`.
:class:`layers.project.Project` holds them; the file layout is described there.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from layers.common.errors import ProjectError
from layers.model import SENSITIVE_KINDS

__all__ = ["BoundarySource", "RecordSource", "TableSource", "BasemapSource", "AnalysisStep",
           "ProjectWarning", "PATH_OPTIONS", "STRAND_KEYS", "ATLAS_KEYS", "normalise_strand",
           "check_keys", "group_entry", "atlas_entry"]

#: Option keys whose values are paths, resolved relative to the project file.
PATH_OPTIONS = ("postcode_table", "lookup", "network", "population_points", "column_list")


#: The four strands of the drug strategy an audit pack is ordered by (``[[analyses]] strand``);
#: their titles and descriptions are in :mod:`mapping.export.strands`.
STRAND_KEYS = ("supply", "communities", "young_people", "treatment")
#: Keys of an ``[[atlases]]`` entry.
ATLAS_KEYS = ("name", "analysis", "by", "layer", "docx", "enabled", "title")


def normalise_strand(value, where: str, path=None) -> str | None:
    """``"Young people"`` -> ``"young_people"``; raise a ProjectError for an unknown strand."""
    if value is None:
        return None
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if key not in STRAND_KEYS:
        raise ProjectError(f"{where}: strand {value!r} is not one of the strategy's strands",
                           path=path, fix="use one of: " + ", ".join(STRAND_KEYS))
    return key


class ProjectWarning(UserWarning):
    """Something odd in a project file that does not stop it loading."""


def check_keys(table: dict, allowed: set, where: str, path) -> None:
    """Warn (:class:`ProjectWarning`) about keys of a table that hotmap does not know."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        warnings.warn(f"{path}: {where}: unknown key(s) {', '.join(unknown)} ignored "
                      f"(known: {', '.join(sorted(allowed))})", ProjectWarning, stacklevel=3)


def _as_list(value, where, path) -> list:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [value]
    if isinstance(value, list):
        return value
    raise ProjectError(f"{where} must be a path or a list of paths", path=path)


@dataclass
class _Source:
    name: str
    paths: list = field(default_factory=list)
    options: dict = field(default_factory=dict)
    style: dict = field(default_factory=dict)
    visible: bool = True
    attribution: str | list | None = None

    @classmethod
    def _from_dict(cls, d: dict, where: str, path, base: Path):
        allowed = {f.name for f in fields(cls)} | {"path"}
        check_keys(d, allowed, where, path)
        if not isinstance(d.get("name"), str) or not d["name"].strip():
            raise ProjectError(f"{where} needs a 'name'", path=path,
                               fix='add name = "..." to the table')
        kw = {k: v for k, v in d.items() if k in allowed and k != "path"}
        paths = _as_list(d.get("paths", d.get("path")), f"{where}.paths", path)
        if not paths:
            raise ProjectError(f"{where} ('{d['name']}') has no 'paths'", path=path,
                               fix='add paths = ["file.csv"]')
        kw["paths"] = [_resolve(p, base) for p in paths]
        opts = dict(kw.get("options", {}))
        for key in PATH_OPTIONS:
            if isinstance(opts.get(key), str):
                opts[key] = _resolve(opts[key], base)
        kw["options"] = opts
        for key, ftype in (("options", dict), ("style", dict)):
            if key in kw and not isinstance(kw[key], ftype):
                raise ProjectError(f"{where}.{key} must be a table", path=path)
        return cls(**kw)

    def to_dict(self, base: Path) -> dict:
        """The project-file table of this entry, paths relative to ``base``."""
        d = asdict(self)
        d["paths"] = [_relative(p, base) for p in self.paths]
        opts = dict(d.get("options", {}))
        for key in PATH_OPTIONS:
            if isinstance(opts.get(key), (str, Path)):
                opts[key] = _relative(opts[key], base)
        d["options"] = opts
        if isinstance(d.get("tables"), list):
            d["tables"] = [{**t, "path": _relative(t["path"], base)} for t in d["tables"]]
        return {k: v for k, v in d.items() if v not in ({}, None)}


@dataclass
class BoundarySource(_Source):
    """A boundary layer entry: files, code/name fields and joined attribute tables."""

    code_field: str | None = None
    name_field: str | None = None
    role: str = ""
    tables: list = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict, path=None, base: Path = Path(".")) -> "BoundarySource":
        """Validate and build from a ``[[boundaries]]`` table."""
        src = cls._from_dict(d, "[[boundaries]]", path, base)
        for t in src.tables:
            if not isinstance(t, dict) or "path" not in t:
                raise ProjectError(f"[[boundaries]] '{src.name}': each table needs a 'path'",
                                   path=path)
            t["path"] = _resolve(t["path"], base)
        return src


@dataclass
class BasemapSource(_Source):
    """An offline basemap entry: a raster file (GeoTIFF, .vrt mosaic) drawn under the map,
    with its copyright line (a licence key such as ``os``, or the text itself)."""

    attribution: str = "os"
    opacity: float = 1.0

    @classmethod
    def from_dict(cls, d: dict, path=None, base: Path = Path(".")) -> "BasemapSource":
        """Validate and build from a ``[[basemaps]]`` table."""
        src = cls._from_dict(d, "[[basemaps]]", path, base)
        if len(src.paths) != 1:
            raise ProjectError(f"[[basemaps]] '{src.name}' needs exactly one raster path",
                               path=path, fix="mosaic tiles first: gdalbuildvrt basemap.vrt "
                                              "tiles/*.tif")
        try:
            src.opacity = float(src.opacity)
        except (TypeError, ValueError):
            raise ProjectError(f"[[basemaps]] '{src.name}': opacity must be a number from 0 "
                               "to 1", path=path) from None
        if not 0 <= src.opacity <= 1:
            raise ProjectError(f"[[basemaps]] '{src.name}': opacity must be from 0 to 1",
                               path=path)
        return src


@dataclass
class RecordSource(_Source):
    """A record layer entry: files, kind, column mapping, loader options, sensitivity."""

    kind: str = "generic"
    columns: dict = field(default_factory=dict)
    sensitive: bool | None = None
    allow_raw_export: bool = False

    @classmethod
    def from_dict(cls, d: dict, path=None, base: Path = Path(".")) -> "RecordSource":
        """Validate and build from a ``[[records]]`` table."""
        return cls._from_dict(d, "[[records]]", path, base)

    @property
    def is_sensitive(self) -> bool:
        """Explicit setting, else the kind's default (arrests, needles ... are sensitive)."""
        return self.kind in SENSITIVE_KINDS if self.sensitive is None else bool(self.sensitive)


@dataclass
class TableSource(_Source):
    """A table entry: a CSV/XLSX without coordinates (treatment episodes, clients per area,
    population by age band), loaded as a ``table`` layer.

    Attributes
    ----------
    key : str, optional
        The table's area code column.  When given, the table is read as an
        attribute table keyed by area (:func:`boundaries.tables.read_attribute_table`:
        one row per code, summary rows such as "Grand Total" left out and
        reported); otherwise every row is kept as read.
    kind : str
        What a row is, in the layer's subject (``clients``, ``episodes``,
        ``population`` ...).
    sensitive : bool, optional
        Tables count or list people, so they are sensitive unless this says
        ``false`` or the kind is ``population``.
    sheet : str or int, optional
        XLSX worksheet (default the first).
    """

    key: str | None = None
    kind: str = "generic"
    sensitive: bool | None = None
    sheet: str | int | None = None

    @classmethod
    def from_dict(cls, d: dict, path=None, base: Path = Path(".")) -> "TableSource":
        """Validate and build from a ``[[tables]]`` table."""
        src = cls._from_dict(d, "[[tables]]", path, base)
        if len(src.paths) != 1 and (src.key or not src.paths):
            raise ProjectError(f"[[tables]] '{src.name}' needs exactly one file in 'paths'"
                               + (" when it has a 'key'" if src.paths else ""),
                               path=path, fix="give one CSV or XLSX file per table keyed by "
                                              "area; files of rows (one per person or "
                                              "episode) may be several, read one after another")
        for key, types in (("key", (str,)), ("kind", (str,)), ("sheet", (str, int))):
            v = getattr(src, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, types)):
                raise ProjectError(f"[[tables]] '{src.name}': {key} must be "
                                   + ("text" if types == (str,) else "a sheet name or number"),
                                   path=path)
        if src.sensitive is not None and not isinstance(src.sensitive, bool):
            raise ProjectError(f"[[tables]] '{src.name}': sensitive must be true or false",
                               path=path)
        return src

    @property
    def is_sensitive(self) -> bool:
        """Explicit setting, else True unless the table is a population table."""
        if self.sensitive is not None:
            return bool(self.sensitive)
        return self.kind != "population"


@dataclass
class AnalysisStep:
    """An analysis entry: a registered kind (see ``mapping.pipeline``) and its parameters."""

    name: str
    kind: str
    params: dict = field(default_factory=dict)
    enabled: bool = True
    strand: str | None = None  # audit-pack strand; None: the analysis's declared default

    @classmethod
    def from_dict(cls, d: dict, path=None) -> "AnalysisStep":
        """Validate and build from an ``[[analyses]]`` table."""
        check_keys(d, {"name", "kind", "params", "enabled", "strand"}, "[[analyses]]", path)
        for key in ("name", "kind"):
            if not isinstance(d.get(key), str) or not d[key]:
                raise ProjectError(f"[[analyses]] entry needs '{key}'", path=path,
                                   fix=f'add {key} = "..."')
        if not isinstance(d.get("params", {}), dict):
            raise ProjectError(f"[[analyses]] '{d['name']}': params must be a table", path=path)
        strand = normalise_strand(d.get("strand"), f"[[analyses]] '{d['name']}'", path)
        return cls(name=d["name"], kind=d["kind"], params=dict(d.get("params", {})),
                   enabled=bool(d.get("enabled", True)), strand=strand)


def _resolve(p, base: Path) -> Path:
    p = Path(os.path.expanduser(str(p)))
    return p if p.is_absolute() else (base / p).resolve()


def _relative(p, base: Path) -> str:
    p = Path(p)
    try:
        return Path(os.path.relpath(p, base)).as_posix()
    except ValueError:  # another drive on Windows
        return p.as_posix()



def group_entry(d, path) -> dict:
    """Validate a ``[[groups]]`` table: name (text), title, visible, expanded."""
    if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not d["name"].strip():
        raise ProjectError("each [[groups]] entry needs a 'name'", path=path,
                           fix='add name = "<analysis name>" to the table')
    check_keys(d, {"name", "title", "visible", "expanded"}, "[[groups]]", path)
    out = {"name": d["name"], "visible": bool(d.get("visible", True)),
           "expanded": bool(d.get("expanded", True))}
    if d.get("title"):
        out["title"] = str(d["title"])
    return out


def atlas_entry(d, path) -> dict:
    """Validate an ``[[atlases]]`` table: name, analysis, by (text); layer, title; docx,
    enabled (true or false)."""
    if not isinstance(d, dict):
        raise ProjectError("each [[atlases]] entry must be a table", path=path)
    check_keys(d, set(ATLAS_KEYS), "[[atlases]]", path)
    for key in ("analysis", "by"):
        if not isinstance(d.get(key), str) or not d[key].strip():
            raise ProjectError(f"[[atlases]] entry needs '{key}'", path=path,
                               fix='e.g. analysis = "drug_rates", by = "wards"')
    out = {"name": str(d.get("name") or f"atlas_{d['analysis']}_{d['by']}"),
           "analysis": d["analysis"], "by": d["by"]}
    for key in ("docx", "enabled"):
        if key in d and not isinstance(d[key], bool):
            raise ProjectError(f"[[atlases]] '{out['name']}': {key} must be true or false",
                               path=path)
        out[key] = bool(d.get(key, True))
    for key in ("layer", "title"):
        if d.get(key):
            out[key] = str(d[key])
    return out
