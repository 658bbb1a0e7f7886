"""Bit-for-bit check of the placebo's output: SHA-256 of every result array of one seeded run.

    python -m bench.fingerprint --events 100000 --seed 0 --save     # record bench/results/fingerprint-100000.json
    python -m bench.fingerprint --events 100000 --seed 0            # compare a run with the record (exit 1 if not)

A speed change must leave these hashes unchanged: the per-firm-event columns (CAR, its se, t, p, BHAR, n_obs,
n_est, dof, and the draw itself) and, per test, the statistic, p-value and n_firms columns of every
pseudo-study, hashed as their raw float64 / int64 bytes (so NaN placement and the last bit both count). A change
to a formula (issue 12.1–12.6) changes the record by design: re-``--save`` it on the commit that lands the
formula, then run the check on each speed change after it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench import SZSE_UNIVERSE
from eventstudy.data.universe import load_universe
from eventstudy.placebo import FIRM_COLUMNS, PlaceboSpec, run_placebo

RESULTS = Path(__file__).resolve().parent / "results"


def digest(values: np.ndarray) -> str:
    a = np.ascontiguousarray(values)
    if a.dtype.kind == "f":
        a = a.astype(np.float64)
    elif a.dtype.kind in "iub":
        a = a.astype(np.int64)
    elif a.dtype.kind == "M":
        a = a.astype("datetime64[ns]").view(np.int64)
    else:
        a = np.asarray([str(v) for v in a.tolist()], dtype=object)
        return hashlib.sha256("\x00".join(a.tolist()).encode()).hexdigest()
    return hashlib.sha256(a.tobytes()).hexdigest()


def fingerprint(result) -> dict[str, str]:
    """Column name → SHA-256 of its bytes, for the firm table and each test's rows."""
    out = {f"firms.{c}": digest(result.firms[c].to_numpy()) for c in ("study", "ticker", "day0", *FIRM_COLUMNS)}
    tests = result.tests
    out["tests.event_id"] = digest(tests["event_id"].to_numpy())
    for name, rows in tests.groupby("test", sort=False):
        for col in ("statistic", "p_value", "n_firms", "window_start", "window_end"):
            out[f"tests.{name}.{col}"] = digest(rows[col].to_numpy())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fingerprint", description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--universe", default=str(SZSE_UNIVERSE))
    ap.add_argument("--save", action="store_true", help="record the hashes instead of comparing with the record")
    args = ap.parse_args(argv)
    universe = load_universe(args.universe)
    t0 = time.perf_counter()
    result = run_placebo(universe, PlaceboSpec(n_events=args.events, seed=args.seed, workers=args.workers))
    print(f"run: {time.perf_counter() - t0:.2f} s wall")
    rates = result.rejection_rates().set_index("test")
    print("rejection rates (%):", ", ".join(f"{k} {100 * v:.2f}" for k, v in rates["rejection_rate"].items()))
    got = fingerprint(result)
    path = RESULTS / f"fingerprint-{args.events}-seed{args.seed}.json"
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        print(f"saved {len(got)} hashes to {path}")
        return 0
    want = json.loads(path.read_text())
    differ = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
    for key in differ:
        print(f"DIFFERS: {key}")
    print(f"{len(want) - len(differ)}/{len(want)} hashes identical" + ("" if differ else " (bit for bit)"))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
