"""hotmap's log file, with sensitive values scrubbed from every line.

Records about people (arrests, needle finds, crack houses, client
residences) must never reach a log file or an error report.  Log messages
are written by many modules, and exception texts quote rows of input files,
so instead of trusting every caller, :class:`RedactionFilter` scrubs every
record on its way to the file:

- coordinate pairs (British National Grid eastings/northings, latitude/longitude)
  and any lone number that could be one (5+ integer digits, or 4+ decimals);
- UK postcodes (full unit postcodes such as ``BS10 5AA``);
- record identifiers (``ARR-000123``, ``NF_0042``, police.uk's 64-character
  hexadecimal crime IDs, UUIDs), but not ONS area codes such as ``E01014485``
  or EPSG codes, which are public;
- every other person-level field a row of an input file can carry: a whole row
  quoted by a library's error (three or more delimiter-separated fields, as
  pyarrow's "Expected 6 columns, got 7: ..."), values quoted after "string",
  "value", "cell" or "got", dates (``2019-03-04``, ``04/03/2019``, with or
  without a time), ages and age bands (``25-34``, ``under 10``, ``aged 23``),
  gender and ethnicity words (``Female``, ``White - British``), and address
  text (``On or near Mill Lane``, ``12 High Street``).

Names and free text cannot be recognised by their shape; they reach a message
only inside a quoted row or value, which is removed whole.

Public functions: :func:`configure_logging`, :func:`redact`, :func:`log_path`;
class :class:`RedactionFilter`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

__all__ = ["configure_logging", "redact", "log_path", "RedactionFilter", "LOGGER_NAMES"]

#: Loggers whose records go to the log file (hotmap's own packages).
LOGGER_NAMES = ("hotmap", "app", "layers", "mapping", "boundaries", "resources")
LOG_NAME = "hotmap.log"
_HANDLER_FLAG = "_hotmap_file_handler"

_NUM = r"[-+]?\d+(?:\.\d+)?"
# two numbers separated by a comma, semicolon, slash or spaces, optionally in brackets:
# "454289, 287632", "(454289.5 287632.1)", "51.4545/-2.5879", "POINT (454289 287632)"
_PAIR = re.compile(rf"(?<![\w.]){_NUM}\s*[,;/ ]\s*{_NUM}(?![\w.])")
# a lone number that could be one half of a coordinate: 5+ integer digits, or 4+ decimals
_BIGNUM = re.compile(r"(?<![\w.:])[-+]?\d{5,}(?:\.\d+)?(?![\w.])")
_DECIMAL = re.compile(r"(?<![\w.])[-+]?\d{1,3}\.\d{4,}(?![\w.])")
# full UK unit postcodes, any case, with or without the space (BS105AA, bs10 5aa)
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR\s?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])", re.IGNORECASE)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
                   re.IGNORECASE)
_HEXID = re.compile(r"\b[0-9a-f]{16,}\b", re.IGNORECASE)
# letters then digits, with or without a separator: ARR-000123, NF_0042, CH-001, ID12345
_RECORD_ID = re.compile(r"(?<![\w-])[A-Za-z]{1,8}[-_/#]?\d{2,}(?:[-_/]\d+)*(?![\w-])")
# public codes that look like identifiers: ONS GSS codes (E01014485), EPSG codes
_PUBLIC_CODE = re.compile(r"^(?:[EWSNK]\d{8}|EPSG\d+)$", re.IGNORECASE)
_PROTECT_EPSG = re.compile(r"EPSG:(\d+)", re.IGNORECASE)
# a row of a delimited file: 3+ fields joined by a bare delimiter (our own lists of column
# names are joined by ", ", so they survive)
_ROW = re.compile(r"[^\s,;|\t'\"][^,;|\t\n]*(?:(?:,(?! )|;(?! )|\||\t)[^,;|\t\n]*){3,}")
# a value a library quotes from a cell: string 'x', value "x", got: x
_QUOTED = re.compile(r"(?i)\b(string|value|values|cell|got|parse|literal|item)(\s*:?\s*)"
                     r"('[^'\n]*'|\"[^\"\n]*\")")
_DATE = re.compile(r"(?<![\w.])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})"
                   r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w.])")
_AGE = re.compile(r"(?i)(?<![\w-])(?:(?:under|over)\s+\d{1,2}|aged?\s+\d{1,3}|"
                  r"[1-9]\d\s?-\s?[1-9]\d(?:\s*years?)?)(?![\w-])")
_PERSON_WORDS = re.compile(
    r"(?i)\b(?:male|female|non-binary|transgender|white|black|asian|mixed|british|irish|"
    r"caribbean|african|indian|pakistani|bangladeshi|chinese|gypsy|traveller|arab|"
    r"roma|other ethnic group|not stated)\b")
_ADDRESS = re.compile(
    r"(?i)\b(?:on or near\s+[^,;.\n]+|\d+[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:street|st|road|rd|"
    r"lane|avenue|ave|close|way|drive|court|place|crescent|terrace|gardens|hill|park|square|"
    r"walk|row|grove|mews|view)\b)")


def _record_id(m: re.Match) -> str:
    token = m.group(0)
    if _PUBLIC_CODE.match(token):
        return token
    # a bare letters+digits token needs a separator or 3+ digits to count as an id,
    # so "row 12", "A4", "P95" and "v1" survive
    if not re.search(r"[-_/#]", token) and len(re.sub(r"\D", "", token)) < 3:
        return token
    return "[id]"


def redact(text) -> str:
    """Return ``text`` with coordinates, postcodes and record identifiers replaced.

    Parameters
    ----------
    text : str
        Any message or traceback.

    Returns
    -------
    str
        The same text with ``[coords]``, ``[number]``, ``[postcode]``, ``[id]``,
        ``[row]``, ``[value]``, ``[date]``, ``[age]``, ``[person]`` and
        ``[address]`` in place of the sensitive values.

    Examples
    --------
    >>> redact("ARR-000123 at 454289, 287632 near BS10 5AA")
    '[id] at [coords] near [postcode]'
    >>> redact("E01014485 in EPSG:27700: row 12")
    'E01014485 in EPSG:27700: row 12'
    >>> redact("Expected 6 columns, got 7: Ann Lee,25-34,Female,2019-03-04")
    'Expected 6 columns, [row]'
    """
    if not text:
        return "" if text is None else str(text)
    s = str(text)
    epsg = {}

    def _keep(m):
        key = f"\x00{len(epsg)}\x00"
        epsg[key] = m.group(0)
        return key

    s = _PROTECT_EPSG.sub(_keep, s)
    s = _QUOTED.sub(lambda m: m.group(1) + m.group(2) + "[value]", s)
    s = _ROW.sub("[row]", s)
    s = _ADDRESS.sub("[address]", s)
    s = _DATE.sub("[date]", s)
    s = _AGE.sub("[age]", s)
    s = _PERSON_WORDS.sub("[person]", s)
    s = _UUID.sub("[id]", s)
    s = _HEXID.sub("[id]", s)
    s = _POSTCODE.sub("[postcode]", s)
    s = _RECORD_ID.sub(_record_id, s)
    s = _PAIR.sub(_pair, s)
    s = _BIGNUM.sub("[number]", s)
    s = _DECIMAL.sub("[number]", s)
    for key, value in epsg.items():
        s = s.replace(key, value)
    return s


def _pair(m: re.Match) -> str:
    nums = re.findall(_NUM, m.group(0))
    if len(nums) != 2:
        return m.group(0)
    a, b = (float(n) for n in nums)
    ints = [n.split(".")[0].lstrip("+-") for n in nums]
    decimals = [len(n.split(".")[1]) if "." in n else 0 for n in nums]
    # BNG metres: 3-7 digit eastings/northings (small "12, 34" pairs stay readable)
    bng = all(len(i) >= 3 for i in ints) and 0 <= abs(a) <= 1_300_000 and abs(b) <= 1_300_000
    lonlat = all(d >= 2 for d in decimals) and abs(a) <= 180 and abs(b) <= 180
    return "[coords]" if bng or lonlat else m.group(0)


class RedactionFilter(logging.Filter):
    """A logging filter that scrubs every record's message, exception and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102 - see class
        try:
            msg = record.getMessage()
        except Exception:  # a bad format string must not break logging
            msg = f"{record.msg!r} {record.args!r}"
        record.msg = redact(msg)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _state_dir(state_dir=None) -> Path:
    if state_dir:
        return Path(state_dir)
    env = os.environ.get("HOTMAP_STATE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_state_dir

    return Path(user_state_dir("hotmap"))


def log_path(state_dir=None) -> Path:
    """Where the log file is (``$HOTMAP_STATE_DIR/hotmap.log``, else the user state folder)."""
    return _state_dir(state_dir) / LOG_NAME


def configure_logging(state_dir=None, *, level: int = logging.INFO) -> Path | None:
    """Send hotmap's log records, redacted, to the log file in the user's state folder.

    Safe to call more than once: the previous hotmap file handler is replaced.
    Never raises: if the folder cannot be written, logging stays off and
    ``None`` is returned (a log file is not worth failing a run for).

    Parameters
    ----------
    state_dir : str or Path, optional
        Folder for ``hotmap.log``; default ``$HOTMAP_STATE_DIR``, else
        ``platformdirs.user_state_dir('hotmap')``.
    level : int
        Lowest level written (default INFO).

    Returns
    -------
    Path or None
        The log file, or None when it could not be opened.
    """
    path = log_path(state_dir)
    for name in LOGGER_NAMES:
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            if getattr(h, _HANDLER_FLAG, False):
                lg.removeHandler(h)
                h.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3,
                                                       encoding="utf-8")
    except OSError:
        return None
    setattr(handler, _HANDLER_FLAG, True)
    handler.setLevel(level)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in LOGGER_NAMES:
        lg = logging.getLogger(name)
        lg.addHandler(handler)
        if lg.level == logging.NOTSET or lg.level > level:
            lg.setLevel(level)
    return path
