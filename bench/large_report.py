"""Write the report of a study of many firm-events (the table study of :mod:`bench.study_table`) and time its parts.

    python -m bench.large_report OUT_DIR [--firm-events 5000] [--events 50] [--seed 0]

Analyses the study once, then times, separately, rendering the HTML report (``render_s``) and writing every output
(``outputs_s``: the CSVs, study.json and index.html, as ``eventstudy run`` publishes them). Prints the report's
path and size; ``python -m bench.browser_check OUT_DIR/szse-table/index.html`` then opens it in Chromium.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from bench.study_table import UNIVERSE, events_table, write_study
    from eventstudy.data.parquet import ParquetUniverseProvider
    from eventstudy.data.snapshot import SnapshotProvider
    from eventstudy.publish.rebuild import write_report
    from eventstudy.report.render import render_report
    from eventstudy.spec.config import load_study
    from eventstudy.study.run import analyse_study

    parser = argparse.ArgumentParser(prog="python -m bench.large_report", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--firm-events", type=int, default=5000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--universe", type=Path, default=UNIVERSE)
    args = parser.parse_args(argv)
    if not args.universe.is_file():
        print(f"{args.universe}: universe file not found", file=sys.stderr)
        return 3
    args.out.mkdir(parents=True, exist_ok=True)
    table = events_table(args.universe, args.firm_events, args.events, args.seed)
    path = write_study(args.out, table)
    provider = ParquetUniverseProvider(args.universe, fallback=SnapshotProvider())
    t0 = time.perf_counter()
    analysis = analyse_study(load_study(path), provider, None, progress=False)
    t1 = time.perf_counter()
    render_report(analysis.results, analysis.source)
    t2 = time.perf_counter()
    target = write_report(analysis, args.out)
    t3 = time.perf_counter()
    html = target / "index.html"
    n = len(analysis.results.abnormal.firm_events)
    print(f"firm_events={n} analyse_s={t1 - t0:.1f} render_s={t2 - t1:.2f} outputs_s={t3 - t2:.2f} "
          f"report_mb={html.stat().st_size / 1e6:.2f}")  # fmt: skip
    print(html)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
