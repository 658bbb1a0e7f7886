"""Vendor the default study's matched control firms, so that its claims table has the matched-control BHARs offline.

    python -m bench.vendor_controls [--universe PATH] [--study events.yaml]

Runs the long-horizon figures of the study's return claims with controls matched in the market universe
(:mod:`eventstudy.model.matching`), then writes into ``eventstudy/data/default_study_controls/``:

``selection.csv``    per event firm and long window: the k controls, their rank, distance and characteristics
``prices.parquet``   the universe's rows (date, ticker, close, prev_close, volume, traded) of those controls, from
                     a few sessions before the earliest base to the latest end: enough for their buy-and-hold returns

``PROVENANCE.md`` in that folder says where the rows come from. tests/claims/test_long_horizon.py checks that a run
on the universe selects the same controls.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from bench import SZSE_UNIVERSE
from eventstudy.claims import evaluate_claims
from eventstudy.claims.long_horizon import VENDORED
from eventstudy.data.snapshot import SnapshotProvider
from eventstudy.inference.long_horizon import SELECTION_COLUMNS
from eventstudy.study.run import load_checked

MARGIN_DAYS = 14  # calendar days of control prices kept before the earliest base


def selection(study_file: str, universe: Path) -> pd.DataFrame:
    """The controls the study's return claims select in ``universe`` (:data:`SELECTION_COLUMNS`)."""
    study = load_checked(study_file)
    firms = evaluate_claims(study, SnapshotProvider(), universe=universe).long_horizon_firms
    rows = []
    assert firms is not None
    for r in firms.drop_duplicates(["event_id", "ticker", "base", "end"]).itertuples():
        for d in r.selection if isinstance(r.selection, tuple) else ():
            rows.append({"study_id": study.id, "event_id": r.event_id, "ticker": r.ticker, "base": r.base,
                         "end": r.end, **d})  # fmt: skip
    return pd.DataFrame(rows, columns=SELECTION_COLUMNS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.vendor_controls", description=__doc__.split("\n\n")[0])
    ap.add_argument("--universe", default=str(SZSE_UNIVERSE))
    ap.add_argument("--study", default="events.yaml")
    ap.add_argument("--out", default=str(VENDORED))
    args = ap.parse_args(argv)
    chosen = selection(args.study, Path(args.universe))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chosen.to_csv(out / "selection.csv", index=False, lineterminator="\n", float_format="%.17g")
    lo = pd.Timestamp(chosen.base.min()) - pd.Timedelta(days=MARGIN_DAYS)
    hi = pd.Timestamp(chosen.end.max())
    tickers = sorted(set(chosen.control))
    rows = pd.read_parquet(args.universe, filters=[("ticker", "in", tickers), ("date", ">=", lo), ("date", "<=", hi)])
    rows["ticker"] = rows["ticker"].astype(str).astype("category")
    rows = rows.sort_values(["ticker", "date"]).reset_index(drop=True)
    rows.to_parquet(out / "prices.parquet", index=False)
    print(f"{len(chosen)} control rows for {chosen.groupby(['event_id', 'ticker']).ngroups} firm-events; "
          f"{len(rows)} price rows of {len(tickers)} controls, {lo.date()} .. {hi.date()} → {out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
