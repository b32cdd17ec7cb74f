"""The package boundaries hold: the core never loads Qt."""

import json
import subprocess
import sys

import pytest

CORE = ["mapping", "layers", "boundaries", "resources", "app.cli"]


@pytest.mark.parametrize("package", CORE)
def test_core_package_does_not_load_qt(package):
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"m = importlib.import_module({package!r})\n"
        "if hasattr(m, '__path__'):\n"
        "    for info in pkgutil.walk_packages(m.__path__, m.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in\n"
        "      ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'qtpy', 'superqt'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": "", "MPLBACKEND": "Agg"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_cli_verbs_do_not_load_qt():
    code = ("import sys, app.cli\napp.cli.build_parser()\n"
            "print(any(k.startswith('PySide6') for k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
