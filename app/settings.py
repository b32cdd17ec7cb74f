"""The user's settings: one typed, validated, versioned model stored as TOML.

Stored in the platformdirs config directory (``$HOTMAP_CONFIG_DIR`` overrides
it, which the tests use).  Qt-free; only ``app/`` reads it and passes values
down as arguments.  Window geometry alone lives in ``QSettings``.
"""

from __future__ import annotations

import os
import tomllib
import warnings
from pathlib import Path

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["Settings", "config_dir", "settings_path", "load_settings", "save_settings",
           "SETTINGS_SCHEMA_VERSION", "MAX_RECENT"]

SETTINGS_SCHEMA_VERSION = 1
MAX_RECENT = 10


class Settings(BaseModel):
    """hotmap's user settings.

    Attributes
    ----------
    schema_version : int
        Version of this file's layout.
    default_crs : str
        Projected CRS (metres) that imports default to when a file does not say;
        British National Grid ``EPSG:27700`` unless you work elsewhere.
    suppression_threshold : int
        Counts below this are suppressed in exported maps and tables (0-100).
    default_palette : str
        ColorBrewer palette new choropleth layers start with.
    recent_files : list of str
        Project files opened recently, newest first (at most 10).
    basemap : bool
        Draw a web basemap under the map (off by default: offline and no
        third-party tiles in exported maps).
    last_folder : str
        The folder a file was last opened from or saved to; file dialogs
        start there ("" until the first file is chosen).
    """

    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    schema_version: int = SETTINGS_SCHEMA_VERSION
    default_crs: str = "EPSG:27700"
    suppression_threshold: int = Field(5, ge=0, le=100)
    default_palette: str = "YlOrRd"
    recent_files: list[str] = Field(default_factory=list)
    basemap: bool = False
    last_folder: str = ""

    @field_validator("default_crs")
    @classmethod
    def _projected(cls, value: str) -> str:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(value)
        except CRSError as exc:
            raise ValueError(f"'{value}' is not a CRS pyproj knows (try EPSG:27700)") from exc
        if not crs.is_projected:
            raise ValueError(f"'{value}' is geographic (degrees); distances need a projected "
                             "CRS in metres such as EPSG:27700")
        return value

    @field_validator("default_palette")
    @classmethod
    def _palette(cls, value: str) -> str:
        from mapping.render.palettes import palette_names

        names = palette_names()
        if value not in names:
            raise ValueError(f"unknown palette '{value}'; use one of {', '.join(names[:12])} ...")
        return value

    @field_validator("recent_files")
    @classmethod
    def _recent(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for v in value:
            if v not in out:
                out.append(v)
        return out[:MAX_RECENT]

    def add_recent(self, path) -> None:
        """Put ``path`` at the top of the recent files."""
        p = str(Path(path).resolve())
        self.recent_files = [p, *[r for r in self.recent_files if r != p]]


def config_dir() -> Path:
    """The folder holding ``settings.toml`` (``$HOTMAP_CONFIG_DIR`` if set)."""
    env = os.environ.get("HOTMAP_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("hotmap", appauthor=False))


def settings_path() -> Path:
    """Where the settings file lives."""
    return config_dir() / "settings.toml"


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings; a missing file gives defaults, a broken one warns and gives defaults."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        return Settings.model_validate(doc)
    except (tomllib.TOMLDecodeError, ValidationError, OSError, UnicodeDecodeError) as exc:
        warnings.warn(f"{path}: settings could not be read ({exc}); using defaults",
                      UserWarning, stacklevel=2)
        return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically as TOML and return the path."""
    from layers.common.atomic import atomic_write_text

    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "# hotmap settings\n" + tomli_w.dumps(settings.model_dump()))
    return path
