"""Every example in every verb's --help runs as printed, in a shell, on the real data.

The examples name the shared data files (and the demo's) by their own names; the
test links them into one folder and runs each example there with ``bash -c``, so
shell globs such as ``2018-1*-avon-and-somerset-street.csv`` expand as they
would for a user.  Examples run in the verbs' help order, so a later example may
use an earlier one's output (``pai`` evaluates ``kde``'s surface).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


def _examples():
    from mapping.pipeline import analyses

    out = []
    for decl in analyses():
        if getattr(decl, "auto", False) or not decl.cli:
            continue
        for i, ex in enumerate(decl.examples):
            out.append(pytest.param(decl.kind, ex, id=f"{decl.kind}-{i}"))
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    if not SHARED.exists():
        pytest.skip(f"real data not found at {SHARED}: set HOTMAP_SHARED_DATA")
    d = tmp_path_factory.mktemp("examples")
    for sub in ("boundaries", "police_uk", "population", "imd", "postcodes", "services"):
        for f in (SHARED / sub).glob("*"):
            (d / f.name).symlink_to(f)
    for f in (ROOT / "resources" / "demo" / "data").glob("*"):
        if not (d / f.name).exists():
            (d / f.name).symlink_to(f)
    return d


def test_every_analysis_verb_has_a_runnable_example():
    from mapping.pipeline import analyses

    missing = [a.kind for a in analyses() if not getattr(a, "auto", False) and a.cli
               and not a.examples]
    assert not missing, f"verbs without an example in --help: {missing}"


@pytest.mark.parametrize("kind,example", _examples())
def test_help_example_runs_as_printed(workdir, kind, example):
    exe = Path(sys.executable).with_name("hotmap")
    words = shlex.split(example)
    assert words[0] == kind
    env = {**os.environ, "MPLBACKEND": "Agg"}
    r = subprocess.run(["bash", "-c", f"{shlex.quote(str(exe))} {example}"], cwd=workdir,
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, f"{example}\n{r.stdout}\n{r.stderr}"
    out = words[words.index("--out") + 1]
    assert (workdir / out).exists(), f"{example} wrote no {out}"
    # the help text shows the example exactly as it was run
    helptext = subprocess.run([str(exe), kind, "--help"], capture_output=True, text=True,
                              env=env).stdout
    assert " ".join(("hotmap " + example).split()) in " ".join(helptext.split())
