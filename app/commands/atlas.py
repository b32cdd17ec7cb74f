"""``hotmap atlas PROJECT --analysis NAME --by LAYER --out FILE.pdf``."""

from pathlib import Path

from layers.common.errors import InputError
from mapping.pipeline.atlas import atlas_from_project

NAME = "atlas"
ORDER = 12
HELP = "one page per area (ward, district) of an analysis: map, locator, figures, trend (PDF)"
DESCRIPTION = """Write an atlas of one analysis of a project: one A4 page per area of a
boundary layer, with the analysis's map zoomed to the area (the other areas
faded, the same classes on every page), a locator of the whole study area, the
area's name and code, its figures with their limits (count, rate per 10,000
with its 95% interval, share of the base n; Gi* or LISA class ...), and its
monthly counts where the records are dated. A result on finer areas (LSOAs)
is rolled up into each area, and its finer areas are listed. Everything is
disclosure-controlled as in 'hotmap run'. A DOCX with one section per area is
written beside the PDF (FILE.docx) unless --no-docx.

Only the analysis (and the analyses it reads, such as a roll-up's source) is
run. The same atlas can be a project entry ([[atlases]], written by
'hotmap run') or drawn from the desktop app (File > Export atlas…).

example:
  hotmap atlas resources/demo/hotmap_vale.hotmap.toml --analysis arrest_rates --by wards --out atlas.pdf"""


def add_arguments(parser):
    parser.add_argument("project", help="the project file (.toml)")
    parser.add_argument("--analysis", required=True, metavar="NAME",
                        help="the [[analyses]] entry to map (its name)")
    parser.add_argument("--by", required=True, metavar="LAYER",
                        help="the boundary layer with one page per area, e.g. wards")
    parser.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write")
    parser.add_argument("--layer", default="", metavar="RESULT",
                        help="which output of the analysis to map (default: its main result)")
    parser.add_argument("--no-docx", action="store_true",
                        help="do not write the DOCX beside the PDF")


def run(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise InputError(f"--out must be a .pdf file, not '{out.name}'", path=out,
                         fix="e.g. --out atlas.pdf")
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    files = atlas_from_project(args.project, args.analysis, args.by, out, layer=args.layer,
                               docx=not args.no_docx)
    print("wrote " + ", ".join(str(f) for f in files))
    return 0
