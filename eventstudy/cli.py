"""Command line: ``eventstudy run | fetch | validate``. Only wiring; the work happens in the stage modules.

Exit codes: 0 ok · 1 unexpected error · 2 bad study file or arguments · 3 data unavailable or insufficient.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import Study, load_study
from .data import DEFAULT_CACHE, AutoProvider, open_provider
from .data.base import PriceProvider
from .errors import EventStudyError
from .publish import publish, write_tables
from .report import render_report
from .study import run_study

SOURCE_HELP = "price source: auto (cache/Yahoo, else the vendored snapshot), snapshot, yahoo, or csv:DIR"


def _describe_source(provider: PriceProvider, results_source: str) -> tuple[str, str | None]:
    """A sentence naming the data source, and a banner text if a live source fell back."""
    if isinstance(provider, AutoProvider) and provider.fallback_reason:
        return (
            f"{results_source} (auto: live source unreachable, used the vendored snapshot)",
            f"Live prices could not be fetched ({provider.fallback_reason}); this report uses the vendored snapshot.",
        )
    if results_source == "snapshot":
        return "snapshot — real daily bars vendored in the package (see eventstudy/data/default_study/PROVENANCE.md)", None
    return results_source, None


def cmd_run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    study = load_study(args.config)
    provider = open_provider(args.source, args.cache)
    results = run_study(study, provider)
    source, banner = _describe_source(provider, results.source)
    html = render_report(results, source, {"fallback_banner": banner} if banner else None)

    def write(directory: Path) -> None:
        write_tables(results, directory, source)
        (directory / "index.html").write_text(html, encoding="utf-8")

    target = publish(Path(args.out), study.id, write)
    print(f"{study.id}: {len(results.abnormal.firm_events)} firm-events, source {results.source}, as of {results.as_of}")
    for ev in study.events:
        rows = results.car[(results.car.event_id == ev.id) & (results.car.window_start == 0)]
        for _, r in rows[rows.window_end == rows.window_end.max()].iterrows():
            value = "not traded" if r.n_obs == 0 else f"{r.car:+.2%} (t {r.car_t:+.2f})"
            print(f"  {ev.id} {r.ticker} CAR[0,{int(r.window_end)}] {value}")
    print(f"wrote {target / 'index.html'} in {time.perf_counter() - started:.1f}s")
    return 0


def _study_range(study: Study) -> tuple[object, object]:
    from .calendar import day_zero, sessions

    mic = study.events[0].firms[0].exchange
    axis = sessions(mic)
    days = [day_zero(ev.announced, f.exchange).session for ev in study.events for f in ev.firms]
    pos = axis.get_indexer(days)
    lo, hi = study.relative_span
    return axis[max(int(pos.min()) + lo - 10, 0)].date(), axis[min(int(pos.max()) + hi + 10, len(axis) - 1)].date()


def cmd_fetch(args: argparse.Namespace) -> int:
    study = load_study(args.config)
    provider = open_provider(args.source, args.cache)
    start, end = _study_range(study)
    failed = 0
    for ticker in study.tickers:
        try:
            frame = provider.history(ticker, start, end)
            p = provider.provenance(ticker)
            print(f"{ticker}: {len(frame)} sessions {start}..{end}, as of {p.as_of} ({p.source}; {p.detail})")
        except EventStudyError as exc:
            failed += 1
            print(f"{ticker}: {exc}", file=sys.stderr)
    return 3 if failed else 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .calendar import day_zero

    study = load_study(args.config)
    print(f"{args.config}: ok — study {study.id}, {len(study.events)} event(s), model {study.model}")
    for ev in study.events:
        mics = sorted({f.exchange for f in ev.firms})
        days = ", ".join(f"{mic} {day_zero(ev.announced, mic).session.date()}" for mic in mics)
        print(f"  {ev.id}: {len(ev.firms)} firm(s), day 0 {days}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventstudy", description="Market-reaction event studies from a study file.")
    parser.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a study and write its report", description="Run a study: CSVs, study.json and index.html into OUT/<study-id>/.")
    run.add_argument("config", nargs="?", default="events.yaml", help="study file (default: events.yaml)")
    run.add_argument("--source", default="auto", help=SOURCE_HELP)
    run.add_argument("--out", default="reports", help="reports directory (default: reports)")
    run.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"price cache directory (default: {DEFAULT_CACHE})")
    run.set_defaults(func=cmd_run)

    fetch = sub.add_parser("fetch", help="fetch and cache the prices a study needs", description="Fetch every ticker of a study into the cache and report what was stored.")
    fetch.add_argument("config", nargs="?", default="events.yaml", help="study file (default: events.yaml)")
    fetch.add_argument("--source", default="yahoo", help=SOURCE_HELP + " (default: yahoo)")
    fetch.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"price cache directory (default: {DEFAULT_CACHE})")
    fetch.set_defaults(func=cmd_fetch)

    validate = sub.add_parser("validate", help="check a study file", description="Validate a study file and show each event's day 0.")
    validate.add_argument("config", help="study file")
    validate.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except EventStudyError as exc:
        print(f"eventstudy: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
