"""Why the BHAR tests over-reject at N = 30: the same BHARs under a plain t and under the skewness-adjusted t.

    python -m bench.bhar_skewness [--events 60000] [--seed 11] [--windows 0,0 0,10]

For each window, one seeded placebo run (pseudo-studies of 30 random Shenzhen firm-events, market model against
``EW_SZSE``, :func:`eventstudy.placebo.run_placebo`); per pseudo-study, the one-sample Student t of the mean BHAR
(``scipy.stats.ttest_1samp``) is set beside ``bhar_skew_t`` and ``bhar_boot_t`` on exactly the same BHARs, with the
rejections at 5 % split by the sign of the statistic. The cited numbers in ``bench/validation.py`` (REASONS) and
``docs/statistics.md`` come from this script.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy import stats

from bench import SZSE_UNIVERSE
from eventstudy.data.universe import load_universe
from eventstudy.placebo import PlaceboSpec, run_placebo


def compare(universe, window: tuple[int, int], events: int, seed: int) -> dict[str, tuple[float, float, float]]:
    """Per test: (rejection rate, share rejected with a positive statistic, with a negative one)."""
    result = run_placebo(universe, PlaceboSpec(n_events=events, seed=seed, window=window))
    firms = result.firms
    out = {}
    plain = firms.groupby("study", sort=True)["bhar"].apply(
        lambda b: stats.ttest_1samp(b.to_numpy()[np.isfinite(b.to_numpy())], 0.0)
    )
    t = np.array([r.statistic for r in plain])
    p = np.array([r.pvalue for r in plain])
    out["plain t (BHAR)"] = _rates(t, p)
    for name in ("bhar_skew_t", "bhar_boot_t", "csect_t"):
        rows = result.tests[result.tests.test == name]
        out[name] = _rates(rows.statistic.to_numpy(), rows.p_value.to_numpy())
    return out


def _rates(t: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    ok = np.isfinite(p)
    rejected = ok & (p < 0.05)
    n = ok.sum()
    return rejected.sum() / n, (rejected & (t > 0)).sum() / n, (rejected & (t < 0)).sum() / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bhar_skewness", description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--windows", nargs="+", default=["0,0", "0,10"])
    ap.add_argument("--universe", default=str(SZSE_UNIVERSE))
    args = ap.parse_args(argv)
    universe = load_universe(args.universe)
    for text in args.windows:
        a, b = (int(x) for x in text.split(","))
        print(f"window [{a},{b}], {args.events // 30:,} pseudo-studies of 30, seed {args.seed}: rejected at 5 % (%)")
        for name, (rate, pos, neg) in compare(universe, (a, b), args.events, args.seed).items():
            print(f"  {name:16s} {100 * rate:5.2f}   t > 0: {100 * pos:5.2f}   t < 0: {100 * neg:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
