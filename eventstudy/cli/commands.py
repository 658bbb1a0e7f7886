"""Command line: ``eventstudy run | rebuild | claims | placebo | fetch | validate | table | init``. Only wiring; the work is in the stage modules.

Exit codes: 0 ok · 1 unexpected error · 2 bad study file or arguments · 3 data unavailable or insufficient, or
the disk full while writing (the last good report is kept) · 4 partial rebuild · 75 reports directory locked by
another rebuild · 141 standard output closed early (e.g. piped into ``head``; nothing more is printed) · 130
interrupted. Every failure is one line on standard error, never a traceback.

The commands are in :mod:`eventstudy.cli.study_commands` and :mod:`eventstudy.cli.placebo`; this module parses the
arguments and turns every failure into its line and exit code. The stage modules are imported inside the
commands that use them, so ``eventstudy --help`` and ``validate``
load neither plotly nor scipy.stats nor pyarrow's parquet reader (tests/cli/test_imports.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import DISK_FULL, EventStudyError, OutputError, bounded_message
from . import placebo as placebo_command
from .options import data_options, quiet_option, strict_option, universe_option
from .placebo import UNIVERSE_ENV
from .study_commands import cmd_claims, cmd_fetch, cmd_init, cmd_rebuild, cmd_run, cmd_table, cmd_validate

BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE, what a shell reports for a program stopped by a closed pipe


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventstudy", description="Market-reaction event studies from a study file.")
    parser.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_help = "study file (default: events.yaml)"

    run = sub.add_parser(
        "run",
        help="run a study and write its report",
        description="Run a study: CSVs, study.json and index.html into OUT/<study-id>/.",
    )
    run.add_argument("config", nargs="?", default=None, help=config_help)
    run.add_argument(
        "--example",
        action="store_true",
        help="run the study shipped in the package (the repository's events.yaml), offline unless --source is given",
    )
    data_options(run, source=None, source_default="auto; snapshot with --example")
    quiet_option(run, "print nothing on success")
    strict_option(run)
    universe_option(run)
    run.add_argument(
        "--json", action="store_true", help="print the headline (summary.csv rows) as JSON on stdout, nothing else"
    )
    run.set_defaults(func=cmd_run)

    rb = sub.add_parser(
        "rebuild", help="rebuild changed studies for a schedule",
        description="Refresh prices incrementally, rebuild each study whose inputs changed (atomically, keeping the "
        "last good build), and update OUT/index.html. Exit codes: 0 ok, 2 bad study file, 3 data unavailable "
        "(last good kept), 4 partial, 75 locked by another rebuild.",
    )  # fmt: skip
    rb.add_argument("configs", nargs="*", metavar="CONFIG", help="study files (default: events.yaml)")
    data_options(rb)
    rb.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    rb.add_argument("--prune", action="store_true", help="drop index entries whose study file is gone")
    quiet_option(rb, "print only the studies that failed (on stderr), no progress or log lines")
    universe_option(rb)
    strict_option(rb)
    rb.set_defaults(func=cmd_rebuild)

    cl = sub.add_parser(
        "claims", help="check what the documents claim about prices",
        description="Evaluate the study file's claims: measured value, verdict and primary definition per claim.",
    )  # fmt: skip
    cl.add_argument("config", nargs="?", default="events.yaml", help=config_help)
    data_options(cl, out=False)
    quiet_option(cl, "print only the tally line (n supported, contradicted, undetermined)")
    cl.add_argument(
        "--universe", default=None, help=f"market universe parquet of the matched controls (default: ${UNIVERSE_ENV})"
    )
    cl.set_defaults(func=cmd_claims)

    pl = sub.add_parser(
        "placebo", help="placebo study on a market universe",
        description="Draw random firm-events from a universe, run the engine and every test, and report the null "
        "distribution of CAR and each test's rejection rate.",
    )  # fmt: skip
    placebo_command.add_arguments(pl)
    pl.set_defaults(func=placebo_command.run)

    fetch = sub.add_parser(
        "fetch",
        help="fetch and cache the prices a study needs",
        description="Fetch every ticker of a study into the cache and report what was stored.",
    )
    fetch.add_argument("config", nargs="?", default="events.yaml", help=config_help)
    data_options(fetch, source="yahoo", out=False, as_of=False)
    fetch.set_defaults(func=cmd_fetch)

    validate = sub.add_parser(
        "validate", help="check a study file", description="Validate a study file and show each event's day 0."
    )
    validate.add_argument("config", help="study file")
    validate.set_defaults(func=cmd_validate)

    table = sub.add_parser(
        "table", help="a publication table (LaTeX, Markdown or Excel) from a report",
        description="Render a report's summary, firm CARs, tests or benchmark sensitivity as a LaTeX (booktabs) or "
        "Markdown table on stdout, optionally with significance stars from Holm-adjusted p-values; --format xlsx "
        "writes all of them into one workbook, a sheet per table (needs openpyxl: the xlsx extra).",
    )  # fmt: skip
    table.add_argument("report_dir", metavar="REPORT_DIR", help="a report directory, e.g. reports/entity-list-2019")
    table.add_argument("--format", choices=("latex", "markdown", "xlsx"), default="markdown", help="default: markdown")
    table.add_argument("--out", default=None, help="xlsx: the workbook to write (default: <report>-tables.xlsx here)")
    table.add_argument(
        "--what", choices=("summary", "car", "tests", "sensitivity"), default="summary", help="default: summary"
    )
    table.add_argument("--stars", action="store_true", help="*, **, *** at Holm-adjusted p < 0.10, 0.05, 0.01")
    table.set_defaults(func=cmd_table)

    init = sub.add_parser(
        "init", help="write a commented study file to start from",
        description="Write NAME.yaml, a commented study file that validates and runs (on the vendored prices) as "
        "written; an existing file is never overwritten.",
    )  # fmt: skip
    init.add_argument("name", metavar="NAME", help="study id and file name (NAME.yaml)")
    init.set_defaults(func=cmd_init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit:  # --help, --version or a usage error: what argparse printed must reach the reader
            sys.stdout.flush()
            raise
        if getattr(args, "quiet", False) or getattr(args, "json", False):
            logging.getLogger().setLevel(logging.WARNING)
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except EventStudyError as exc:
        print(f"eventstudy: error: {bounded_message(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as other Unix tools do
        _discard_stdout()
        return BROKEN_PIPE_EXIT
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # the environment (a file, a directory, the disk), not the study: one line, no traceback
        print(f"eventstudy: error: {_describe(exc)}", file=sys.stderr)
        return OutputError.exit_code if exc.errno in DISK_FULL else 1
    except Exception as exc:  # noqa: BLE001 - a bug of ours: still one line (exit 1), never a traceback
        message = bounded_message(f"{type(exc).__name__}: {exc}")
        print(f"eventstudy: internal error: {message} (please report it with the command line)", file=sys.stderr)
        return 1


def _describe(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return where + " ".join(str(exc.strerror or exc).split())


def _discard_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (e.g. replaced by a test's capture)
        pass


if __name__ == "__main__":
    raise SystemExit(main())
