"""``hotmap gui [PROJECT]``."""

NAME = "gui"
ORDER = 1
HELP = "open the desktop app (optionally on a project file)"
DESCRIPTION = """Open the hotmap desktop app. Needs a display (X11/Wayland); on a machine
without one, use 'hotmap demo --out DIR' or 'hotmap run' instead."""


def add_arguments(parser):
    parser.add_argument("project", nargs="?", help="a project file (.toml) to open")


def run(args) -> int:
    from app.launch import launch_gui

    return launch_gui(args.project)
