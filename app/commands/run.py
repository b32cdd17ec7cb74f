"""``hotmap run PROJECT --out DIR``."""

from mapping.pipeline import runner

NAME = "run"
ORDER = 10
HELP = "run every analysis a project file defines and write its maps, data and audit pack"
DESCRIPTION = """Run a project: load its boundary and record layers (reporting accepted and
rejected rows), run each [[analyses]] entry in order, then write to DIR:
map images (PNG at 300 dpi, SVG, PDF), a GeoPackage of all layers (EPSG:27700),
tables (CSV, XLSX), an offline HTML map and the DOCX audit pack.
Disclosure control is on: sensitive raw points and counts below the
project's suppression threshold never leave hotmap.

example:
  hotmap run resources/demo/hotmap_vale.hotmap.toml --out out/"""


def add_arguments(parser):
    parser.add_argument("project", help="the project file (.toml)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")


def run(args) -> int:
    from app.process import one_shot

    # the collector may skip what lives to the end only where the process ends with the run
    report = runner.run_project(args.project, args.out, freeze_gc=one_shot())
    for line in report.summary_lines():
        print(line)
    return 0
