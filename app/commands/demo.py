"""``hotmap demo --out DIR``."""

from pathlib import Path

from mapping.pipeline.runner import run_project

NAME = "demo"
ORDER = 5
HELP = "build the FICTIONAL demo project and run it headless, writing all outputs to DIR"
DESCRIPTION = """Generate the bundled fictional "Hotmap Vale" partnership (seeded, so the
files are identical every time) into DIR/project, then run it like
'hotmap run', writing maps, data and the audit pack into DIR.
All demo data is invented and labelled FICTIONAL on every map."""


def add_arguments(parser):
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed for the demo data (default: the bundled seed)")


def run(args) -> int:
    # the demo builder imports geopandas: only when the demo is made, not at start-up
    from resources.demo import write_demo_project
    from resources.demo_build import DEMO_SEED

    out = Path(args.out)
    project = write_demo_project(out / "project", seed=args.seed or DEMO_SEED)
    print(f"demo project (FICTIONAL data): {project}")
    report = run_project(project, out)
    for line in report.summary_lines():
        print(line)
    return 0
