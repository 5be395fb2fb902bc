"""Entry point: ``pmo-desktop`` / ``python -m pmo_desktop``.

Without a subcommand the GUI starts (on ``--database URL`` or the user's own database, created
when missing). Any subcommand (demo, import, export-pack, template, check, ...) goes to the
headless CLI in ``pmo_desktop.cli``, which names the commands it knows. Nothing heavy is imported here: Qt and SQLAlchemy load only once the
chosen path needs them, so ``--help`` and the CLI start fast.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("demo", "import", "datamap", "undo-import", "history", "template", "export-pack", "check",
               "escalate", "reminders")  # for --help; the test keeps it equal to the CLI's commands
_OPTIONS_WITH_VALUE = ("--database",)


def find_subcommand(argv: Sequence[str]) -> int | None:
    """The position of the first word in ``argv`` that is neither an option nor an option's value."""
    skip = False
    for position, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--":
            return None
        if arg in _OPTIONS_WITH_VALUE:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return position
    return None


def cli_argv(argv: Sequence[str], command_at: int) -> list[str]:
    """``argv`` with the options given before the command moved after it.

    ``pmo-desktop --database x.db check`` then reaches the CLI as ``check --database x.db``,
    the form its per-command parsers expect.
    """
    before, rest = list(argv[:command_at]), list(argv[command_at:])
    return [rest[0], *before, *rest[1:]]


def gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmo-desktop",
        description="PMO Desktop: the project management office's portfolio database. Without a command, "
                    "the window opens.",
        epilog=f"Commands (headless, for scripts): {', '.join(SUBCOMMANDS)}. "
               "Run 'pmo-desktop COMMAND --help' for each.",
    )
    parser.add_argument("--database", metavar="URL",
                        help="database file or SQLAlchemy URL (default: PMO_DATABASE_URL, else your own "
                             "portfolio.db, created when missing)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end offscreen on a temporary database, then exit")
    parser.add_argument("--no-crash-dialog", action="store_true",
                        help="log unexpected errors to stderr instead of showing a dialog (CI, smoke tests)")
    return parser


def _use_fixed_matplotlib_cache() -> None:
    """Frozen bundle: keep matplotlib's font cache between launches.

    PyInstaller's matplotlib runtime hook points MPLCONFIGDIR at a new temporary folder at every
    launch, so matplotlib would rebuild its font cache (about a second) the first time a chart is
    drawn in each run. Point it at a fixed folder under the user cache dir instead; this runs before
    matplotlib is first imported (the charts import it lazily). Not for --self-test, which keeps
    everything in its temporary folder.
    """
    if getattr(sys, "frozen", False):
        import os

        from .paths import user_cache_dir

        os.environ["MPLCONFIGDIR"] = str(user_cache_dir() / "matplotlib")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the GUI or delegate a subcommand to the CLI; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    command_at = find_subcommand(args)
    if command_at is not None:
        _use_fixed_matplotlib_cache()
        from . import cli

        return cli.main(cli_argv(args, command_at))
    # Options Qt understands (-style, -platform ...) pass through to QApplication.
    options, qt_args = gui_parser().parse_known_args(args)
    if options.self_test:
        from .selftest import run_self_test

        return run_self_test()

    _use_fixed_matplotlib_cache()
    # No cyclic garbage collection while the program loads: run_gui turns it back on once the
    # window is shown (see there).
    gc.disable()
    from .ui.app import run_gui

    return run_gui(options.database, crash_dialog=not options.no_crash_dialog, qt_args=qt_args)


if __name__ == "__main__":
    sys.exit(main())
