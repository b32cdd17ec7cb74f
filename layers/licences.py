"""Which licence a loaded layer's data comes under, detected from the data itself.

The keys are those of :data:`mapping.core.attribution.LICENCES` (``ons``,
``police_uk``, ``codepoint``, ``imd``, ``population``, ``nhs_ods``,
``mysociety``).  A project source's own ``attribution`` (a key or a line)
always wins; detection fills in what the user did not say:

* boundaries whose code field is an ONS GSS code (``LSOA11CD``, ``WD13CD``
  ..., or values like ``E01014485``) are ONS boundaries;
* record files recognised as police.uk street or stop-and-search files are
  police.uk data;
* records placed by postcode through a Code-Point Open table bring its line;
* NHS Organisation Data Service extracts (``epraccur``, ``edispensary`` ...)
  bring the NHS ODS line;
* joined tables named like IMD or population files bring theirs.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["detect_boundary_licences", "detect_record_licences", "detect_table_licences",
           "declared_licences"]

_GSS_FIELD = re.compile(r"^(lsoa|msoa|oa|wd|ward|lad|la|cty|ctyua|rgn|ctry|pcon|cmlad|lsoa_)"
                        r"\d{0,2}(cd|code)$", re.IGNORECASE)
_GSS_VALUE = re.compile(r"^[EWSN]\d{8}$")
_ODS = re.compile(r"(epraccur|edispensary|epharmacy|ets|egpcur|ods)", re.IGNORECASE)
_IMD = re.compile(r"(imd|iod|deprivation)", re.IGNORECASE)
_POP = re.compile(r"(population|census|ts001|mid.?20\d\d|usual.?resid)", re.IGNORECASE)


def declared_licences(value) -> list[str]:
    """A source's own ``attribution`` as a list (a key, a line, or a list of either)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if str(v).strip()]


def detect_boundary_licences(frame, code_field: str | None) -> list[str]:
    """``["ons"]`` for boundaries keyed by ONS GSS codes, else ``[]``."""
    if code_field and _GSS_FIELD.match(str(code_field)):
        return ["ons"]
    if code_field and code_field in getattr(frame, "columns", ()):
        vals = frame[code_field].dropna().astype(str).head(200)
        if len(vals) and vals.str.match(_GSS_VALUE).mean() > 0.9:
            return ["ons"]
    return []


def detect_record_licences(info: dict, paths, options: dict | None = None) -> list[str]:
    """Licences of a record layer from its loader's ``info`` and its file names."""
    keys = []
    if info.get("police_uk") or info.get("stop_search"):
        keys.append("police_uk")
    names = " ".join(Path(p).name for p in paths)
    if _ODS.search(names):
        keys.append("nhs_ods")
    if (options or {}).get("postcode_table") is not None:
        # Code-Point Open and the ONS Postcode Directory both carry the OS, Royal Mail
        # and National Statistics lines
        keys.append("codepoint")
    return list(dict.fromkeys(keys))


def detect_table_licences(path) -> list[str]:
    """Licences of an attribute table joined to boundaries (IMD, population), by its name."""
    name = Path(str(path)).name
    keys = []
    if _IMD.search(name):
        keys.append("imd")
    if _POP.search(name):
        keys.append("population")
    if "mysociety" in name.lower():
        keys.append("mysociety")
    return keys
