"""Command line: ``eventstudy run | rebuild | claims | placebo | fetch | validate | table | init``. Only wiring; the work is in the stage modules.

Exit codes: 0 ok · 1 unexpected error · 2 bad study file or arguments · 3 data unavailable or insufficient, or
the disk full while writing (the last good report is kept) · 4 partial rebuild · 75 reports directory locked by
another rebuild · 141 standard output closed early (e.g. piped into ``head``; nothing more is printed) · 130
interrupted. Every failure is one line on standard error, never a traceback.

The stage modules are imported inside the commands that use them, so ``eventstudy --help`` and ``validate``
load neither plotly nor scipy.stats nor pyarrow's parquet reader (tests/cli/test_imports.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import DISK_FULL, ConfigError, DataError, EventStudyError, OutputError, bounded_message
from ..publish.destination import writable_directory
from . import placebo as placebo_command
from .options import data_options, quiet_option, strict_option, universe_option
from .placebo import UNIVERSE_ENV

if TYPE_CHECKING:
    import pandas as pd

    from ..publish.rebuild import Outcome
    from ..study.results import StudyResults

# eventstudy/spec/examples/: the repository's events.yaml, shipped in the package
EXAMPLE_STUDY = "entity-list-2019.yaml"
BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE, what a shell reports for a program stopped by a closed pipe


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None


def example_study() -> Path:
    """The study file shipped in the package (``eventstudy run --example``)."""
    return Path(str(resources.files("eventstudy.spec") / "examples" / EXAMPLE_STUDY))


def _universe_file(args: argparse.Namespace) -> Path | None:
    """``--universe``, else ``$EVENTSTUDY_UNIVERSE``, else None (no matched placebo); a file that is not there is a
    one-line error, exit 3 as in ``placebo``."""
    path = args.universe or os.environ.get(UNIVERSE_ENV)
    if path and not Path(path).is_file():
        raise DataError(f"--universe {path}: universe file not found")
    return Path(path) if path else None


def cmd_run(args: argparse.Namespace) -> int:
    from ..data import fallback_notes, open_provider
    from ..publish.rebuild import build, reports_lock, update_index
    from ..study.confounders import screen_words
    from ..study.coverage import car_words
    from ..study.run import data_warnings
    from ..study.summary import format_summary, study_summary

    if args.example and args.config is not None:
        raise ConfigError(f"--example: runs the packaged study; drop the study file {args.config!r} or --example")
    config = example_study() if args.example else Path(args.config or "events.yaml")
    source = args.source or ("snapshot" if args.example else "auto")
    out = writable_directory(Path(args.out), "--out")
    provider = open_provider(source, args.cache)
    quiet = args.quiet or args.json
    with reports_lock(out):
        try:
            outcome, results = build(
                config, provider, out, _as_of(args.as_of), force=True, progress=not quiet, strict=args.strict,
                universe=_universe_file(args),
            )  # fmt: skip
        except OSError as exc:
            if exc.errno in DISK_FULL:  # publish removed its partial build: the last good report is untouched
                raise OutputError(f"{out}: report not written ({exc.strerror}); the last good report is kept") from None
            raise
        update_index(out, [outcome])
    study = results.study
    notes = [] if quiet else fallback_notes(results.provenance, results.as_of)  # said in the first line below
    for warning in data_warnings(results, fallback=quiet):
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(_run_document(results, outcome, out), indent=2, allow_nan=False))
        return 0
    if args.quiet:
        return 0
    where = f"source {results.source}, " + ("; ".join(notes) if notes else f"as of {results.as_of}")
    print(f"{study.id}: {len(results.abnormal.firm_events)} firm-events, {where}")  # one line, one as-of date
    print(format_summary(study_summary(results), title=f"Headline ({out / study.id / 'summary.csv'}):"))
    print(f"confounders.csv: {screen_words(results)}")  # eventstudy/study/confounders.py
    print("Per firm, CAR over the longest window from day 0:")
    for ev in study.events:
        rows = results.car[(results.car.event_id == ev.id) & (results.car.window_start == 0)]
        for _, r in rows[rows.window_end == rows.window_end.max()].iterrows():
            print(f"  {ev.id} {r.ticker} CAR[0,{int(r.window_end)}] {car_words(r)}")
    cross_section = results.extra.get("cross_section")
    note = getattr(cross_section, "note", None)
    if note is not None and len(note) and note.iloc[0]:
        print(f"cross_section.csv: {note.iloc[0]}")  # a property of the design, not a data problem
    print(f"wrote {out / study.id / 'index.html'} in {outcome.seconds:.1f}s")
    return 0


def _run_document(results: StudyResults, outcome: Outcome, out: Path) -> dict[str, Any]:
    """What ``run --json`` prints: the study, where its report is, and the summary.csv rows (NaN as null)."""
    from ..publish.outputs import _records
    from ..study.run import data_warnings
    from ..study.summary import study_summary

    return {
        "study": results.study.id, "title": results.study.title, "report": str(out / results.study.id),
        "source": outcome.source, "as_of": outcome.as_of, "input_hash": outcome.input_hash,
        "warnings": data_warnings(results),
        "summary": _records(study_summary(results)),
    }  # fmt: skip


def cmd_rebuild(args: argparse.Namespace) -> int:
    from ..data import open_provider
    from ..publish.rebuild import rebuild

    writable_directory(Path(args.out), "--out")  # a read-only or impossible --out: exit 2 before any work
    market = _universe_file(args)  # a missing one: exit 3 before any work
    provider = open_provider(args.source, args.cache)
    configs = args.configs or ["events.yaml"]
    code, outcomes = rebuild(
        configs, provider, Path(args.out), _as_of(args.as_of), args.force, progress=not args.quiet, prune=args.prune,
        strict=args.strict, universe=market,
    )  # fmt: skip
    for o in outcomes:
        if not (args.quiet and o.ok):  # --quiet: only the studies that failed, on stderr
            line = f"{o.study_id or o.config}: {o.status}" + (f" — {o.message}" if o.message else "")
            print(line, file=sys.stderr if args.quiet else sys.stdout)
    return code


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..claims import claims_window, parse_claims
    from ..data import open_provider
    from ..data.base import without_ticker
    from ..data.progress import Progress
    from ..spec.config import load_study
    from ..study.plan import plan_study

    study = load_study(args.config)
    provider = open_provider(args.source, args.cache)
    plan = plan_study(study)
    ranges = {t: (lo.date(), hi.date()) for t, (lo, hi) in plan.ranges(study).items()}
    claims = parse_claims(study)
    claims_range = claims_window(study, claims) if claims else None  # claims read prices outside the windows
    failed = 0
    progress = Progress(len(ranges), "fetch")
    for ticker in ranges:
        progress.step(ticker)
        start, end = ranges[ticker]
        if claims_range is not None:
            start, end = min(start, claims_range[0]), max(end, claims_range[1])
        try:
            frame = provider.history(ticker, start, end)
            p = provider.provenance(ticker)
            fell_back = f"; live refresh failed: {p.fell_back}" if p.fell_back else ""
            print(
                f"{ticker}: {len(frame)} sessions {start}..{end}, as of {p.as_of} ({p.source}; {p.detail}{fell_back})"
            )
        except EventStudyError as exc:
            failed += 1
            print(f"{ticker}: {without_ticker(str(exc), ticker)}", file=sys.stderr)
    progress.close()
    from ..data import default_cache_dir
    from ..data.factors import library_files
    from ..data.french import FactorLibrary, refresh_all

    for line, ok in refresh_all(library_files(study), FactorLibrary(args.cache or default_cache_dir())):
        print(line, file=sys.stdout if ok else sys.stderr)
        failed += not ok
    return 3 if failed else 0


def cmd_claims(args: argparse.Namespace) -> int:
    from ..claims import evaluate_claims, format_verdicts, parse_claims
    from ..data import AsOfProvider, open_provider
    from ..spec.config import load_study

    study = load_study(args.config)
    claims = parse_claims(study)
    if not claims:
        print(f"{args.config}: no claims section")
        return 0
    provider = open_provider(args.source, args.cache)
    as_of = _as_of(args.as_of)
    if as_of is not None:
        provider = AsOfProvider(provider, as_of)
    text = format_verdicts(evaluate_claims(study, provider, claims, _universe_file(args)))
    print(text.splitlines()[-1] if args.quiet else text)  # --quiet: only the tally line
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from ..claims.spec import parse_claims
    from ..data.calendar import day_zero
    from ..data.factors import model_options
    from ..spec.config import load_study
    from ..study.cross_section import parse_cross_section

    study = load_study(args.config)
    claims = parse_claims(study)
    parse_cross_section(study)  # the cross_section: block and its characteristics file
    model_options(study)  # a factor model's factor file, read and checked
    today = _today()
    lines = []
    for i, ev in enumerate(study.events):
        mics = list(dict.fromkeys(f.exchange for f in ev.firms))
        if ev.announced > _now():
            raise ConfigError(
                f"{args.config}: events[{i}].announced: {ev.announced.isoformat()} is in the future (today is {today})"
            )
        try:
            zeros = {mic: day_zero(ev.announced, mic, ev.day0_rule).session.date() for mic in mics}
        except ConfigError as exc:
            raise ConfigError(f"{args.config}: events[{i}].announced: {exc}") from None
        late = {mic: d for mic, d in zeros.items() if d > today}
        if late:
            mic, d = next(iter(late.items()))
            raise ConfigError(
                f"{args.config}: events[{i}].announced: day 0 on {mic} is {d}, after today ({today}); "
                "no prices can exist for it yet"
            )
        days = ", ".join(f"{mic} {d}" for mic, d in zeros.items())
        lines.append(f"  {ev.id}: {len(ev.firms)} firm(s), day 0 ({ev.day0_rule} rule) {days}")
    print(
        f"{args.config}: ok — study {study.id}, {len(study.events)} event(s), {len(claims)} claim(s), model {study.model}"
    )
    print("\n".join(lines))
    return 0


def _now() -> pd.Timestamp:
    """The current instant (a function, so that tests can fix it)."""
    import pandas as pd  # here, not at the top: --help loads no pandas

    return pd.Timestamp.now(tz="UTC")


def _today() -> date:
    """Today's date in UTC."""
    return _now().date()


def cmd_table(args: argparse.Namespace) -> int:
    from ..report.tables import render

    if args.format == "xlsx":  # every table, a sheet each, into a file
        from ..report.workbook import write_workbook

        out = args.out or f"{Path(args.report_dir).resolve().name}-tables.xlsx"
        print(write_workbook(args.report_dir, out, args.stars))
        return 0
    sys.stdout.write(render(args.report_dir, args.format, args.what, args.stars))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from ..spec.template import write_study_template

    path = write_study_template(args.name)
    print(f"wrote {path}; check it with: eventstudy validate {path}")
    return 0


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
