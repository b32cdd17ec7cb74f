"""The ``hotmap`` command line.

Every analysis verb (``count``, ``kde``, ``gistar`` ...) is generated from the
analysis's declaration (:mod:`app.cli_verbs`), so its options, help and
behaviour match the project step and the GUI dialog.  The few verbs that are
not analyses (``run``, ``demo``, ``gui``, ``inspect``) live in their own
modules in :mod:`app.commands` and define::

    NAME = "kde"                  # the verb
    HELP = "one-line summary"     # shown by ``hotmap --help``
    DESCRIPTION = "longer text"   # optional, shown by ``hotmap kde --help``
    def add_arguments(parser): ...
    def run(args) -> int: ...     # 0 on success

Modules are discovered automatically, so a new verb needs no edit here.
Verbs import the core lazily, so ``hotmap --help`` is fast and the command
line never loads Qt unless the GUI is asked for.

Every failure the user can fix is a :class:`layers.common.errors.HotmapError`; it is
printed as one line (``hotmap: error: ...``) with exit status 2.  Anything
else is a bug: one line and exit status 1, with the traceback only under
``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

__all__ = ["main", "entry", "build_parser"]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hotmap")
    except Exception:  # pragma: no cover - not installed
        return "0+unknown"


def _command_modules(only: str | None = None):
    import app.commands as pkg

    mods = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_") or (only is not None and info.name != only):
            continue
        mod = importlib.import_module(f"app.commands.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.NAME))


def _verb_in(argv: list[str]) -> str | None:
    """The verb the command line names (its first word that is not an option)."""
    import app.commands as pkg

    word = next((a for a in argv if not a.startswith("-")), None)
    if word is None or word.startswith("_"):
        return None
    names = {info.name for info in pkgutil.iter_modules(pkg.__path__)}
    if word in names:
        return word
    from app.cli_verbs import verb_names

    return word if word in verb_names() else None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser with every discovered verb (or just the verb ``only``,
    which is all a command needs and spares it importing the other verbs)."""
    parser = argparse.ArgumentParser(
        prog="hotmap",
        description=(
            "hotmap: hotspot mapping for community-safety and drug-strategy analysts. "
            "Run a verb with --help for its options. With no verb and a display, "
            "the desktop app opens."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hotmap {_version()}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback when something fails")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    from app.cli_verbs import add_verb_parser, verb_names

    analysis_verbs = [only] if only in verb_names() else [] if only else verb_names()
    hand = [] if only in analysis_verbs and only else _command_modules(only)
    for mod in [m for m in hand if getattr(m, "ORDER", 50) < 20]:
        _add_module(sub, mod)
    for kind in analysis_verbs:
        add_verb_parser(sub, kind)
    for mod in [m for m in hand if getattr(m, "ORDER", 50) >= 20]:
        _add_module(sub, mod)
    return parser


def _add_module(sub, mod) -> None:
    """Add a hand-written verb (``run``, ``demo``, ``gui``, ``inspect``)."""
    # argparse %-formats help strings: accept both "95%" and "95%%" in HELP.
    summary = mod.HELP.replace("%%", "%").replace("%", "%%")
    p = sub.add_parser(mod.NAME, help=summary,
                       description=getattr(mod, "DESCRIPTION", mod.HELP),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback when something fails")
    mod.add_arguments(p)
    p.set_defaults(_run=mod.run)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hotmap`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_verb_in(argv))
    if not argv or argv == ["--debug"]:
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or \
                os.environ.get("QT_QPA_PLATFORM"):
            argv = argv + ["gui"]
        else:
            parser.print_help()
            return 0
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    from layers.common.errors import HotmapError
    from layers.common.logs import configure_logging

    configure_logging()  # redacted log file in the user's state folder; never raises
    log = logging.getLogger("hotmap")
    log.info("hotmap %s: start", args.verb)
    try:
        code = args._run(args)
    except HotmapError as exc:
        log.warning("hotmap %s: user error: %s", args.verb, exc)
        if debug:
            raise
        words = getattr(args, "_words", None)
        text = exc.render(words) if hasattr(exc, "render") else str(exc)
        print(f"hotmap: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.warning("hotmap %s: interrupted", args.verb)
        print("hotmap: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user error
        log.exception("hotmap %s: internal error", args.verb)
        if debug:
            raise
        print(f"hotmap: internal error: {type(exc).__name__}: {exc}. "
              "Rerun with --debug for the traceback and report it.", file=sys.stderr)
        return 1
    log.info("hotmap %s: end (exit %s)", args.verb, int(code or 0))
    return int(code or 0)


def entry() -> int:
    """The ``hotmap`` console script and ``python -m app.cli``: :func:`main`, then exit fast.

    Everything the command made is alive until the process ends, so the garbage
    collector's passes over every object of pandas, GDAL and the rest while the
    interpreter shuts down find nothing to free; they cost a command about 0.2 s.
    ``gc.freeze()`` (the standard library's own way to exempt long-lived objects
    from collection) skips them.  Exit handlers, logging's flush and atomic file
    writes are unaffected.  :func:`main` itself stays side-effect free for callers
    in the same process (the tests, the GUI).
    """
    import gc

    from app.process import mark_one_shot

    mark_one_shot()  # verbs may do what only a process about to end may (app.process)
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(entry())
