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

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tomli_w

from layers.common.atomic import atomic_write_text
from layers.common.errors import ProjectError
from layers.project_entries import (ATLAS_KEYS, STRAND_KEYS, AnalysisStep, BasemapSource,
                                    BoundarySource, ProjectWarning, RecordSource, TableSource,
                                    atlas_entry, check_keys, group_entry)

__all__ = ["Project", "BoundarySource", "RecordSource", "TableSource", "BasemapSource",
           "AnalysisStep", "SCHEMA_VERSION", "open_project", "ProjectWarning", "STRAND_KEYS",
           "ATLAS_KEYS"]

SCHEMA_VERSION = 1


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
            doc["boundaries"] = [b.to_dict(base) for b in self.boundaries]
        if self.records:
            doc["records"] = [r.to_dict(base) for r in self.records]
        if self.tables:
            doc["tables"] = [t.to_dict(base) for t in self.tables]
        if self.analyses:
            doc["analyses"] = [{k: v for k, v in asdict(a).items() if v not in ({}, None)}
                               for a in self.analyses]
        if self.maps:
            doc["maps"] = [dict(m) for m in self.maps]
        if self.basemaps:
            doc["basemaps"] = [b.to_dict(base) for b in self.basemaps]
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
        doc = _checked_document(doc, path)
        head = doc.get("project", {})
        disclosure = _disclosure(doc, head, path)
        compute = _compute(doc, path)
        attribution = _attribution(head, path)
        _check_entry_arrays(doc, path)
        proj = cls(
            name=str(head.get("name", "Untitled project")),
            description=str(head.get("description", "")),
            fictional=bool(head.get("fictional", False)),
            disclosure=disclosure,
            compute=compute,
            attribution=attribution,
            boundaries=[BoundarySource.from_dict(d, path, base) for d in doc.get("boundaries", [])],
            records=[RecordSource.from_dict(d, path, base) for d in doc.get("records", [])],
            tables=[TableSource.from_dict(d, path, base) for d in doc.get("tables", [])],
            analyses=[AnalysisStep.from_dict(d, path) for d in doc.get("analyses", [])],
            maps=[dict(m) for m in doc.get("maps", [])],
            basemaps=[BasemapSource.from_dict(d, path, base) for d in doc.get("basemaps", [])],
            groups=[group_entry(d, path) for d in doc.get("groups", [])],
            atlases=[atlas_entry(d, path) for d in doc.get("atlases", [])],
            path=path,
        )
        _check_names(proj, path)
        _check_atlases(proj, path)
        return proj


#: The arrays of tables of a project file.
_ENTRY_KEYS = ("boundaries", "records", "tables", "analyses", "maps", "basemaps", "groups",
               "atlases")


def _checked_document(doc: dict, path) -> dict:
    """The document brought up to :data:`SCHEMA_VERSION`, its top-level shape checked."""
    version = doc.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ProjectError(f"schema_version {version!r} is not valid", path=path)
    if version > SCHEMA_VERSION:
        raise ProjectError(f"the file was written by a newer hotmap (schema {version})",
                           path=path, fix="upgrade hotmap")
    doc = _migrate(dict(doc), version)
    check_keys(doc, {"schema_version", "project", "boundaries", "records", "tables",
                     "analyses", "maps", "basemaps", "disclosure", "groups", "atlases",
                     "compute"},
               "top level", path)
    head = doc.get("project", {})
    if not isinstance(head, dict):
        raise ProjectError("[project] must be a table", path=path)
    check_keys(head, {"name", "description", "fictional", "suppression_threshold",
                      "attribution"}, "[project]", path)
    return doc


def _disclosure(doc: dict, head: dict, path) -> dict:
    """The ``[disclosure]`` table, with the threshold older files kept in ``[project]``."""
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
    return disclosure


def _compute(doc: dict, path) -> dict:
    """The ``[compute]`` table (engine, scheduler, workers), checked."""
    compute = doc.get("compute", {})
    if not isinstance(compute, dict):
        raise ProjectError("[compute] must be a table", path=path)
    check_keys(compute, {"engine", "scheduler", "workers"}, "[compute]", path)
    if compute.get("engine", "default") not in ("default", "dask"):
        raise ProjectError(f"[compute] engine must be \"default\" or \"dask\", not "
                           f"{compute['engine']!r}", path=path, fix='e.g. engine = "dask"')
    w = compute.get("workers")
    if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
        raise ProjectError(f"[compute] workers must be a whole number of 1 or more, not "
                           f"{w!r}", path=path, fix="e.g. workers = 4")
    return dict(compute)


def _attribution(head: dict, path) -> list:
    """The ``[project] attribution`` lines."""
    attribution = head.get("attribution", [])
    attribution = [attribution] if isinstance(attribution, str) else attribution
    if not isinstance(attribution, list) or not all(isinstance(a, str)
                                                    for a in attribution):
        raise ProjectError("[project] attribution must be a line or a list of lines",
                           path=path)
    return list(attribution)


def _check_entry_arrays(doc: dict, path) -> None:
    """Refuse a ``boundaries``, ``records`` ... key that is not an array of tables."""
    for key in _ENTRY_KEYS:
        if not isinstance(doc.get(key, []), list):
            raise ProjectError(f"'{key}' must be an array of tables ([[{key}]])", path=path)


def _check_names(proj, path) -> None:
    """Refuse two layers or analyses with the same name."""
    names = [s.name for s in [*proj.boundaries, *proj.records, *proj.tables,
                              *proj.basemaps]] + \
        [a.name for a in proj.analyses]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ProjectError(f"duplicate layer or analysis name(s): {', '.join(dupes)}",
                           path=path, fix="give every layer and analysis its own name")


def _check_atlases(proj, path) -> None:
    """Refuse an atlas whose analysis or boundary layer is not in the project."""
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
