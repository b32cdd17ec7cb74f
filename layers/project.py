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
    suppression_threshold = 5

    [[boundaries]]
    name = "lsoa"
    paths = ["data/lsoa.geojson"]
    code_field = "code"
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

    [[analyses]]
    name = "arrest_rates"
    kind = "count"
    [analyses.params]

    [[maps]]                    # mapping.compose.MapComposition.to_dict()
"""

from __future__ import annotations

import os
import tomllib
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import tomli_w

from layers.atomic import atomic_write_text
from layers.errors import ProjectError

__all__ = ["Project", "BoundarySource", "RecordSource", "BasemapSource", "AnalysisStep",
           "SCHEMA_VERSION", "open_project", "ProjectWarning"]

SCHEMA_VERSION = 1
#: Option keys whose values are paths, resolved relative to the project file.
PATH_OPTIONS = ("postcode_table", "lookup", "network", "population_points", "column_list")


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
class AnalysisStep:
    """An analysis entry: a registered kind (see ``mapping.pipeline``) and its parameters."""

    name: str
    kind: str
    params: dict = field(default_factory=dict)
    enabled: bool = True

    @classmethod
    def from_dict(cls, d: dict, path=None) -> "AnalysisStep":
        """Validate and build from an ``[[analyses]]`` table."""
        _check_keys(d, {"name", "kind", "params", "enabled"}, "[[analyses]]", path)
        for key in ("name", "kind"):
            if not isinstance(d.get(key), str) or not d[key]:
                raise ProjectError(f"[[analyses]] entry needs '{key}'", path=path,
                                   fix=f'add {key} = "..."')
        if not isinstance(d.get("params", {}), dict):
            raise ProjectError(f"[[analyses]] '{d['name']}': params must be a table", path=path)
        return cls(name=d["name"], kind=d["kind"], params=dict(d.get("params", {})),
                   enabled=bool(d.get("enabled", True)))


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
    suppression_threshold: int = 5
    boundaries: list[BoundarySource] = field(default_factory=list)
    records: list[RecordSource] = field(default_factory=list)
    analyses: list[AnalysisStep] = field(default_factory=list)
    maps: list[dict] = field(default_factory=list)
    basemaps: list[BasemapSource] = field(default_factory=list)
    path: Path | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ access
    def source(self, name: str):
        """Return the boundary or record source called ``name``."""
        for s in [*self.boundaries, *self.records, *self.basemaps]:
            if s.name == name:
                return s
        raise ProjectError(f"no boundary or record layer called '{name}'", path=self.path)

    @property
    def folder(self) -> Path:
        """The folder paths are relative to."""
        return self.path.parent if self.path else Path.cwd()

    # --------------------------------------------------------------- serialise
    def to_dict(self, base: Path | None = None) -> dict:
        """Return the TOML document as a dict, paths relative to ``base``."""
        base = Path(base) if base else self.folder
        head = {"name": self.name, "fictional": self.fictional,
                "suppression_threshold": self.suppression_threshold}
        if self.description:
            head["description"] = self.description
        doc = {"schema_version": SCHEMA_VERSION, "project": head}
        if self.boundaries:
            doc["boundaries"] = [b._to_dict(base) for b in self.boundaries]
        if self.records:
            doc["records"] = [r._to_dict(base) for r in self.records]
        if self.analyses:
            doc["analyses"] = [{k: v for k, v in asdict(a).items() if v != {}}
                               for a in self.analyses]
        if self.maps:
            doc["maps"] = [dict(m) for m in self.maps]
        if self.basemaps:
            doc["basemaps"] = [b._to_dict(base) for b in self.basemaps]
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
        _check_keys(doc, {"schema_version", "project", "boundaries", "records", "analyses",
                          "maps", "basemaps"}, "top level", path)
        head = doc.get("project", {})
        if not isinstance(head, dict):
            raise ProjectError("[project] must be a table", path=path)
        _check_keys(head, {"name", "description", "fictional", "suppression_threshold"},
                    "[project]", path)
        for key in ("boundaries", "records", "analyses", "maps", "basemaps"):
            if not isinstance(doc.get(key, []), list):
                raise ProjectError(f"'{key}' must be an array of tables ([[{key}]])", path=path)
        proj = cls(
            name=str(head.get("name", "Untitled project")),
            description=str(head.get("description", "")),
            fictional=bool(head.get("fictional", False)),
            suppression_threshold=int(head.get("suppression_threshold", 5)),
            boundaries=[BoundarySource.from_dict(d, path, base) for d in doc.get("boundaries", [])],
            records=[RecordSource.from_dict(d, path, base) for d in doc.get("records", [])],
            analyses=[AnalysisStep.from_dict(d, path) for d in doc.get("analyses", [])],
            maps=[dict(m) for m in doc.get("maps", [])],
            basemaps=[BasemapSource.from_dict(d, path, base) for d in doc.get("basemaps", [])],
            path=path,
        )
        names = [s.name for s in [*proj.boundaries, *proj.records, *proj.basemaps]] + \
            [a.name for a in proj.analyses]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ProjectError(f"duplicate layer or analysis name(s): {', '.join(dupes)}",
                               path=path, fix="give every layer and analysis its own name")
        return proj


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
