"""The project file: a Qt-free :class:`Project` saved as TOML.

A project lists boundary layers, record layers, analyses with their
parameters and map compositions.  It is data only: reading it never runs
code (no pickle, no eval, no imports named by the file).  Paths are stored
relative to the project file and held absolute in memory.  Saving is atomic.

File layout (schema version 1)::

    schema_version = 1

    [project]
    name = "Hotmap Vale partnership (FICTIONAL)"
    fictional = true
    attribution = ["..."]       # extra licence lines on every output (optional)

    [disclosure]                # disclosure control (mapping.pipeline.policy); all optional
    threshold = 5               # counts 1-4 suppressed ("<5")
    secondary = true
    suppress_zero = false
    min_kde_bandwidth_m = 200   # KDE of sensitive records never smoother than this
    enabled = true

    [compute]                   # where count, kde and grid Gi* run (mapping.stats.engine); optional
    engine = "dask"             # default | dask (pip install 'hotmap[dask]')
    scheduler = "tcp://host:8786"  # a running dask scheduler; blank: a cluster on this machine
    workers = 4                 # workers of that local cluster (default: one per core)

    [[boundaries]]
    name = "lsoa"
    paths = ["data/lsoa.geojson"]
    code_field = "code"
    attribution = "ons"         # licence key or literal line (detected when omitted)
    [boundaries.options]        # passed to boundaries.load_boundaries
    [[boundaries.tables]]       # attribute tables joined by code
    path = "data/population.csv"
    key = "LSOA11CD"

    [[records]]
    name = "arrests"
    kind = "arrests"
    paths = ["data/arrests.csv"]
    [records.columns]           # canonical name -> column in the file
    [records.options]           # passed to layers.load_records

    [[tables]]                  # a table without coordinates (CSV/XLSX)
    name = "clients"
    paths = ["data/treatment_clients.csv"]
    key = "lsoa_code"           # optional: its area code column (then checked: one row
                                # per code, "Grand Total" rows dropped)
    kind = "clients"            # optional: what a row is; "population" tables are not
    sensitive = true            # sensitive, every other table is unless this says false
    sheet = "Table 1"           # optional: XLSX worksheet

    [[analyses]]
    name = "arrest_rates"
    kind = "count"
    [analyses.params]

    strand = "supply"           # audit-pack strand (optional; the analysis's default)

    [[maps]]                    # mapping.render.compose.MapComposition.to_dict()

    [[atlases]]                 # one page per area (mapping.pipeline.atlas), written by hotmap run
    name = "ward_atlas"
    analysis = "arrest_rates"   # an [[analyses]] entry
    by = "wards"                # a boundary layer

    [[groups]]                  # layer-list groups (one per analysis): shown, unfolded
    name = "arrest_rates"
    visible = true
    expanded = false
"""

from __future__ import annotations

import os
import tomllib
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import tomli_w

from layers.common.atomic import atomic_write_text
from layers.common.errors import ProjectError

__all__ = ["Project", "BoundarySource", "RecordSource", "TableSource", "BasemapSource",
           "AnalysisStep", "SCHEMA_VERSION", "open_project", "ProjectWarning", "STRAND_KEYS",
           "ATLAS_KEYS"]

SCHEMA_VERSION = 1
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


def _check_keys(table: dict, allowed: set, where: str, path) -> None:
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
        _check_keys(d, allowed, where, path)
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

    def _to_dict(self, base: Path) -> dict:
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
        from layers.model import SENSITIVE_KINDS

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
        _check_keys(d, {"name", "kind", "params", "enabled", "strand"}, "[[analyses]]", path)
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


@dataclass
class Project:
    """A hotmap project: sources, analyses and maps (data only, no loaded layers).

    Use :func:`open_project` to read one and :meth:`save` to write it.
    Loaded layers live in :class:`layers.workspace.Workspace`.
    """

    name: str = "Untitled project"
    description: str = ""
    fictional: bool = False
    disclosure: dict = field(default_factory=dict)
    compute: dict = field(default_factory=dict)
    attribution: list = field(default_factory=list)
    boundaries: list[BoundarySource] = field(default_factory=list)
    records: list[RecordSource] = field(default_factory=list)
    tables: list[TableSource] = field(default_factory=list)
    analyses: list[AnalysisStep] = field(default_factory=list)
    maps: list[dict] = field(default_factory=list)
    basemaps: list[BasemapSource] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    atlases: list[dict] = field(default_factory=list)
    path: Path | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ access
    @property
    def suppression_threshold(self) -> int:
        """The ``[disclosure]`` threshold (5 unless the project says otherwise)."""
        return int(self.disclosure.get("threshold", 5))

    @suppression_threshold.setter
    def suppression_threshold(self, value: int) -> None:
        self.disclosure = {**self.disclosure, "threshold": int(value)}

    def source(self, name: str):
        """Return the boundary or record source called ``name``."""
        for s in [*self.boundaries, *self.records, *self.tables, *self.basemaps]:
            if s.name == name:
                return s
        raise ProjectError(f"no boundary, record or table layer called '{name}'",
                           path=self.path)

    @property
    def folder(self) -> Path:
        """The folder paths are relative to."""
        return self.path.parent if self.path else Path.cwd()

    # --------------------------------------------------------------- serialise
    def to_dict(self, base: Path | None = None) -> dict:
        """Return the TOML document as a dict, paths relative to ``base``."""
        base = Path(base) if base else self.folder
        head = {"name": self.name, "fictional": self.fictional}
        if self.description:
            head["description"] = self.description
        if self.attribution:
            head["attribution"] = list(self.attribution)
        doc = {"schema_version": SCHEMA_VERSION, "project": head}
        doc["disclosure"] = {"threshold": self.suppression_threshold,
                             **{k: v for k, v in self.disclosure.items() if k != "threshold"}}
        if self.compute:
            doc["compute"] = dict(self.compute)
        if self.boundaries:
            doc["boundaries"] = [b._to_dict(base) for b in self.boundaries]
        if self.records:
            doc["records"] = [r._to_dict(base) for r in self.records]
        if self.tables:
            doc["tables"] = [t._to_dict(base) for t in self.tables]
        if self.analyses:
            doc["analyses"] = [{k: v for k, v in asdict(a).items() if v not in ({}, None)}
                               for a in self.analyses]
        if self.maps:
            doc["maps"] = [dict(m) for m in self.maps]
        if self.basemaps:
            doc["basemaps"] = [b._to_dict(base) for b in self.basemaps]
        if self.groups:
            doc["groups"] = [dict(g) for g in self.groups]
        if self.atlases:
            doc["atlases"] = [dict(a) for a in self.atlases]
        return doc

    def to_toml(self, base: Path | None = None) -> str:
        """Return the project file text."""
        return ("# hotmap project file (TOML). Paths are relative to this file.\n"
                + tomli_w.dumps(_drop_none(self.to_dict(base))))

    def save(self, path: str | Path | None = None) -> Path:
        """Write the project atomically to ``path`` (default: where it was read from)."""
        path = Path(path) if path else self.path
        if path is None:
            raise ProjectError("the project has no file name yet", fix="use Save As")
        path = path.resolve()
        atomic_write_text(path, self.to_toml(path.parent))
        self.path = path
        return path

    @classmethod
    def from_dict(cls, doc: dict, path: Path | None = None) -> "Project":
        """Validate a parsed TOML document and build the project."""
        base = path.parent if path else Path.cwd()
        version = doc.get("schema_version", 1)
        if not isinstance(version, int) or version < 1:
            raise ProjectError(f"schema_version {version!r} is not valid", path=path)
        if version > SCHEMA_VERSION:
            raise ProjectError(f"the file was written by a newer hotmap (schema {version})",
                               path=path, fix="upgrade hotmap")
        doc = _migrate(dict(doc), version)
        _check_keys(doc, {"schema_version", "project", "boundaries", "records", "tables",
                          "analyses", "maps", "basemaps", "disclosure", "groups", "atlases",
                          "compute"},
                    "top level", path)
        head = doc.get("project", {})
        if not isinstance(head, dict):
            raise ProjectError("[project] must be a table", path=path)
        _check_keys(head, {"name", "description", "fictional", "suppression_threshold",
                           "attribution"}, "[project]", path)
        disclosure = doc.get("disclosure", {})
        if not isinstance(disclosure, dict):
            raise ProjectError("[disclosure] must be a table", path=path)
        disclosure = dict(disclosure)
        if "suppression_threshold" in head:  # older files kept the threshold in [project]
            disclosure.setdefault("threshold", head["suppression_threshold"])
        thr = disclosure.get("threshold", 5)
        if isinstance(thr, bool) or not isinstance(thr, int) or thr < 0:
            raise ProjectError(f"[disclosure] threshold must be a whole number of 0 or more, "
                               f"not {thr!r}", path=path, fix="e.g. threshold = 5")
        compute = doc.get("compute", {})
        if not isinstance(compute, dict):
            raise ProjectError("[compute] must be a table", path=path)
        _check_keys(compute, {"engine", "scheduler", "workers"}, "[compute]", path)
        if compute.get("engine", "default") not in ("default", "dask"):
            raise ProjectError(f"[compute] engine must be \"default\" or \"dask\", not "
                               f"{compute['engine']!r}", path=path, fix='e.g. engine = "dask"')
        w = compute.get("workers")
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
            raise ProjectError(f"[compute] workers must be a whole number of 1 or more, not "
                               f"{w!r}", path=path, fix="e.g. workers = 4")
        attribution = head.get("attribution", [])
        attribution = [attribution] if isinstance(attribution, str) else attribution
        if not isinstance(attribution, list) or not all(isinstance(a, str)
                                                        for a in attribution):
            raise ProjectError("[project] attribution must be a line or a list of lines",
                               path=path)
        for key in ("boundaries", "records", "tables", "analyses", "maps", "basemaps",
                    "groups", "atlases"):
            if not isinstance(doc.get(key, []), list):
                raise ProjectError(f"'{key}' must be an array of tables ([[{key}]])", path=path)
        proj = cls(
            name=str(head.get("name", "Untitled project")),
            description=str(head.get("description", "")),
            fictional=bool(head.get("fictional", False)),
            disclosure=disclosure,
            compute=dict(compute),
            attribution=list(attribution),
            boundaries=[BoundarySource.from_dict(d, path, base) for d in doc.get("boundaries", [])],
            records=[RecordSource.from_dict(d, path, base) for d in doc.get("records", [])],
            tables=[TableSource.from_dict(d, path, base) for d in doc.get("tables", [])],
            analyses=[AnalysisStep.from_dict(d, path) for d in doc.get("analyses", [])],
            maps=[dict(m) for m in doc.get("maps", [])],
            basemaps=[BasemapSource.from_dict(d, path, base) for d in doc.get("basemaps", [])],
            groups=[_group_entry(d, path) for d in doc.get("groups", [])],
            atlases=[_atlas_entry(d, path) for d in doc.get("atlases", [])],
            path=path,
        )
        names = [s.name for s in [*proj.boundaries, *proj.records, *proj.tables,
                                  *proj.basemaps]] + \
            [a.name for a in proj.analyses]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ProjectError(f"duplicate layer or analysis name(s): {', '.join(dupes)}",
                               path=path, fix="give every layer and analysis its own name")
        steps = {a.name for a in proj.analyses}
        areas = {b.name for b in proj.boundaries}
        for a in proj.atlases:
            if a["analysis"] not in steps:
                raise ProjectError(f"[[atlases]] '{a['name']}': analysis '{a['analysis']}' is "
                                   "not an [[analyses]] entry", path=path,
                                   fix="use one of: " + (", ".join(sorted(steps)) or "none"))
            if a["by"] not in areas:
                raise ProjectError(f"[[atlases]] '{a['name']}': by '{a['by']}' is not a "
                                   "[[boundaries]] layer", path=path,
                                   fix="use one of: " + (", ".join(sorted(areas)) or "none"))
        return proj


def _group_entry(d, path) -> dict:
    """Validate a ``[[groups]]`` table: name (text), title, visible, expanded."""
    if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not d["name"].strip():
        raise ProjectError("each [[groups]] entry needs a 'name'", path=path,
                           fix='add name = "<analysis name>" to the table')
    _check_keys(d, {"name", "title", "visible", "expanded"}, "[[groups]]", path)
    out = {"name": d["name"], "visible": bool(d.get("visible", True)),
           "expanded": bool(d.get("expanded", True))}
    if d.get("title"):
        out["title"] = str(d["title"])
    return out


def _atlas_entry(d, path) -> dict:
    """Validate an ``[[atlases]]`` table: name, analysis, by (text); layer, title; docx,
    enabled (true or false)."""
    if not isinstance(d, dict):
        raise ProjectError("each [[atlases]] entry must be a table", path=path)
    _check_keys(d, set(ATLAS_KEYS), "[[atlases]]", path)
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


def _drop_none(obj):
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj if v is not None]
    if isinstance(obj, Path):
        return obj.as_posix()
    return obj


def _migrate(doc: dict, version: int) -> dict:
    """Bring an older document up to :data:`SCHEMA_VERSION` (no older schema exists yet)."""
    return doc


def open_project(path: str | Path) -> Project:
    """Read and validate a project file.

    Raises
    ------
    ProjectError
        If the file is missing, is not valid TOML, or does not follow the schema;
        the message names the file, the line where TOML parsing failed, and the fix.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ProjectError("project file not found", path=path,
                           fix="check the path, or create one with 'hotmap demo --out DIR'")
    if path.is_dir():
        raise ProjectError("this is a folder, not a project file", path=path,
                           fix="give the .toml project file inside it")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError("the project file is not UTF-8 text", path=path,
                           fix="save it as UTF-8 TOML") from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"TOML syntax error: {exc}", path=path,
                           fix="correct the line named above") from exc
    return Project.from_dict(doc, path.resolve())
