"""What each study command does (``run``, ``rebuild``, ``claims``, ``fetch``, ``validate``, ``table``, ``init``):
read the arguments :mod:`eventstudy.cli.commands` parsed, call the stages, print, and return the exit code. The
stage modules are imported inside the commands that use them (see :mod:`eventstudy.cli.commands`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DISK_FULL, ConfigError, DataError, EventStudyError, OutputError
from ..publish.destination import writable_directory
from .placebo import UNIVERSE_ENV

if TYPE_CHECKING:
    import pandas as pd

    from ..publish.rebuild import Outcome
    from ..study.results import StudyResults

# eventstudy/spec/examples/: the repository's events.yaml, shipped in the package
EXAMPLE_STUDY = "entity-list-2019.yaml"


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
