"""Where a placebo chunk's time goes: the engine, the window arrays and each test of the battery, in one process.

    python -m bench.battery_costs [--chunk 1500] [--repeat 5] [--seed 0]

One chunk of the seeded 1,000,000-event placebo draw (window [-10,+10], pseudo-studies of 30 random Shenzhen
firm-events), timed stage by stage with one BLAS thread, as :func:`eventstudy.placebo.run_chunk` runs it; each
figure is the fastest of ``--repeat`` runs. A test timed alone includes what it shares with others (the
pseudo-windows of ``placebo_p`` and ``gen_sign_z``, the sorted SARs of ``corrado_rank`` and ``sign_cz``); the
last two lines are the whole battery in one call, sharing them, and the battery a placebo of this size runs
(without the per-firm-fit tests: ``expensive_tests`` auto). Multiply by chunks (667 at 1,000,000 firm-events) and
divide by the processes for the wall time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from bench import SZSE_UNIVERSE
from eventstudy.data.universe import load_universe
from eventstudy.inference import TESTS, significance
from eventstudy.inference.blas_threads import single_threaded
from eventstudy.inference.sample import window_arrays
from eventstudy.inference.vectorised import battery
from eventstudy.model.engine import abnormal_returns
from eventstudy.placebo import DrawnEvents, PlaceboSpec, draw_events, prepare, study_groups


def fastest(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.battery_costs", description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunk", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--universe", default=str(SZSE_UNIVERSE))
    args = ap.parse_args(argv)
    universe = load_universe(args.universe)
    spec = PlaceboSpec(n_events=1_000_000, seed=args.seed)
    context = prepare(universe.panel, spec)
    draw = draw_events(universe, spec).slice(0, args.chunk)
    groups, keys = study_groups(draw)
    with single_threaded():

        def engine():
            return abnormal_returns(context.panel, spec.benchmark, DrawnEvents(context.panel, draw), spec.model,
                                    spec.estimation_window, spec.span, moments=context.moments,
                                    located=(draw.day0, draw.ticker), gap_days=False)  # fmt: skip

        ms, ab = fastest(engine, args.repeat)
        print(f"{'engine':14s} {ms:7.1f} ms")
        ms, arrays = fastest(lambda: window_arrays(ab, spec.window), args.repeat)
        print(f"{'window arrays':14s} {ms:7.1f} ms")
        captured: dict = {}

        def capture(*a, **k):
            captured.update(args=a, kwargs=k)
            return {}

        significance.battery = capture  # the arrays window_battery hands the battery, captured once
        try:
            significance.window_battery(ab, spec.window, groups, keys, list(TESTS), arrays=arrays)
        finally:
            significance.battery = battery
        call_args, kwargs = captured["args"], captured["kwargs"]
        for name in TESTS:
            ms, _ = fastest(lambda n=name: battery(*call_args, **{**kwargs, "names": [n]}), args.repeat)
            print(f"{name:14s} {ms:7.1f} ms")
        ms, _ = fastest(lambda: battery(*call_args, **kwargs), args.repeat)
        print(f"{'battery (all)':14s} {ms:7.1f} ms   ({args.chunk:,} firm-events, {len(groups)} pseudo-studies)")
        ms, _ = fastest(lambda: battery(*call_args, **{**kwargs, "names": spec.test_names}), args.repeat)
        print(f"{'battery (run)':14s} {ms:7.1f} ms   (the placebo's default: {', '.join(spec.not_computed) or 'all'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
