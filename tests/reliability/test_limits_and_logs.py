"""Memory limits before big jobs (issue 8 §7) and the redacting log (§6), unit level."""

from __future__ import annotations

import logging
import tracemalloc

import numpy as np
import pytest

from layers.common.errors import ResourceLimitError
from layers.common.logs import RedactionFilter, configure_logging, log_path, redact
from mapping.core.limits import (
    KDE_BYTES_PER_CELL, MEMORY_FRACTION, available_memory, check_grid_size, check_memory,
    suggest_cell_size)


# ------------------------------------------------------------------------------ limits
def test_available_memory_is_plausible():
    """Available memory agrees with /proc/meminfo (Linux) within a factor of two."""
    avail = available_memory()
    assert 64 * 1024 ** 2 < avail < 64 * 1024 ** 4
    try:
        with open("/proc/meminfo") as fh:
            kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        pytest.skip("no /proc/meminfo on this platform")
    assert 0.5 < avail / (kb * 1024) < 2.0


def test_env_cap_lowers_available_memory(monkeypatch):
    monkeypatch.setenv("HOTMAP_MEMORY_LIMIT_BYTES", str(100 * 1024 ** 2))
    assert available_memory() == 100 * 1024 ** 2


def test_billion_cell_grid_refused_before_any_allocation():
    """A 10^9-cell KDE grid is refused with the count and a cell size, allocating nothing."""
    nx = ny = 31_623  # 1,000,014,129 cells at 1 m
    tracemalloc.start()
    try:
        with pytest.raises(ResourceLimitError) as err:
            check_grid_size(nx, ny, cell_size=1.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    msg = str(err.value)
    assert "1,000,014,129 cells" in msg and "31,623×31,623" in msg
    m = __import__("re").search(r"cell size of at least ([\d.]+) m", msg)
    assert m, msg
    better = float(m.group(1))
    # the suggested size really fits the same budget
    cells = int(np.ceil(nx / better)) * int(np.ceil(ny / better))
    assert cells * KDE_BYTES_PER_CELL <= available_memory() * MEMORY_FRACTION
    assert peak < 1_000_000, f"{peak} bytes traced while refusing"


def test_small_grid_passes_and_limit_is_consistent(monkeypatch):
    """A grid just inside the budget passes; one just outside is refused."""
    monkeypatch.setenv("HOTMAP_MEMORY_LIMIT_BYTES", str(200 * 1024 ** 2))
    budget_cells = int(200 * 1024 ** 2 * MEMORY_FRACTION / KDE_BYTES_PER_CELL)
    assert check_grid_size(1000, budget_cells // 1000) == 1000 * (budget_cells // 1000)
    with pytest.raises(ResourceLimitError, match="cells"):
        check_grid_size(1000, budget_cells // 1000 + 2)
    with pytest.raises(ResourceLimitError, match="times larger"):
        check_grid_size(100_000, 100_000)  # no cell size given: a factor instead


def test_hotspot_kde_refuses_huge_grid_early():
    """hotmap's KDE refuses a 10^9-cell request with a ResourceLimitError, not MemoryError."""
    from mapping.stats.kde import hotspot_kde

    xy = np.array([[450000.0, 280000.0], [481000.0, 311000.0]])
    with pytest.raises(ResourceLimitError, match="cells"):
        hotspot_kde(xy, cell_size=1.0, bandwidth=50.0)


def test_check_memory_and_suggestion():
    with pytest.raises(ResourceLimitError, match="import.*would need"):
        check_memory(10 ** 15, what="this import")
    check_memory(1024)
    assert suggest_cell_size(100_000, 100_000, 1.0, 1e8) == 10.0
    assert suggest_cell_size(10, 10, 50.0, 1e8) == 50.0


def test_empty_grid_is_an_error():
    with pytest.raises(ResourceLimitError, match="empty"):
        check_grid_size(0, 10)


# -------------------------------------------------------------------------------- logs
@pytest.mark.parametrize("text, gone, kept", [
    ("ARR-000123 at 454289, 287632 near BS10 5AA", ["ARR-000123", "454289", "287632", "BS10 5AA"],
     []),
    ("needle NF-00042 (51.454513, -2.587910)", ["NF-00042", "51.454513", "-2.587910"], []),
    ("POINT (454289.5 287632.25)", ["454289", "287632"], ["POINT"]),
    ("postcodes bs105aa and SW1A 1AA", ["bs105aa", "SW1A 1AA"], []),
    ("crime 3f9c1a0b2e4d5c6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f", ["3f9c1a0b"], []),
    ("easting '454289' in row 3", ["454289"], ["row 3"]),
    # a full date is a person-level field (the day of an arrest): redacted since issue 16;
    # months and public codes stay readable
    ("E01014485 joined, EPSG:27700, 263 areas, row 12, A4 at 300 dpi, 2022-04-01, 2019-01",
     ["2022-04-01"], ["E01014485", "EPSG:27700", "263 areas", "row 12", "300 dpi", "2019-01"]),
])
def test_redact(text, gone, kept):
    out = redact(text)
    for g in gone:
        assert g not in out, out
    for k in kept:
        assert k in out, out


def test_configure_logging_writes_redacted_file(tmp_path):
    """Messages, %-args and tracebacks reach the file scrubbed; the file is private."""
    path = configure_logging(tmp_path / "state")
    assert path == log_path(tmp_path / "state") == tmp_path / "state" / "hotmap.log"
    log = logging.getLogger("layers.records")
    log.info("loaded %s at %s,%s", "NF-00042", 454289, 287632)
    try:
        raise ValueError("bad coordinate 51.4545134,-2.5879102 for CH-001 at BS10 5AA")
    except ValueError:
        logging.getLogger("hotmap").exception("load failed")
    for h in logging.getLogger("hotmap").handlers:
        h.flush()
    text = path.read_text()
    assert "loaded [id] at [coords]" in text
    assert "load failed" in text and "ValueError" in text and "Traceback" in text
    for secret in ("NF-00042", "454289", "51.4545134", "CH-001", "BS10 5AA"):
        assert secret not in text
    assert (path.stat().st_mode & 0o077) == 0, "the log file is readable by others"


def test_configure_logging_is_idempotent_and_never_raises(tmp_path):
    configure_logging(tmp_path / "a")
    configure_logging(tmp_path / "b")
    flagged = [h for h in logging.getLogger("hotmap").handlers
               if getattr(h, "_hotmap_file_handler", False)]
    assert len(flagged) == 1
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert configure_logging(blocker / "sub") is None  # unwritable: off, no exception


def test_filter_survives_bad_format_args():
    rec = logging.LogRecord("hotmap", logging.INFO, __file__, 1, "%d items at %s", ("x",), None)
    assert RedactionFilter().filter(rec)
    assert "items" in rec.getMessage()


def test_hotspot_kde_refuses_caller_grid_and_huge_bandwidth():
    """A caller-supplied 10^9-cell GridSpec, or a kernel wider than memory, is refused
    with a suggested cell size, before any allocation."""
    from mapping.stats.kde import GridSpec, hotspot_kde

    xy = np.array([[450000.0, 280000.0], [451000.0, 281000.0]])
    tracemalloc.start()
    try:
        with pytest.raises(ResourceLimitError, match=r"cells.*Fix: use a cell size of at least"):
            hotspot_kde(xy, grid=GridSpec(400000, 200000, 31623, 31623, 1.0), bandwidth=50.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    from shapely.geometry import box

    with pytest.raises(ResourceLimitError, match="kernel padding"):
        hotspot_kde(xy, cell_size=1.0, bandwidth=200_000.0,
                    boundary=box(449000, 279000, 452000, 282000))
    small = hotspot_kde(xy, cell_size=10.0, bandwidth=100.0)  # ordinary jobs still run
    assert small.values.ndim == 2 and np.nansum(small.values) > 0
