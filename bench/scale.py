"""Whole-market benchmark: the engine + test battery on N random firm-events against a per-event OLS loop.

    python -m bench.scale --events 100000 [--seed 0] [--engine fast|full] [--write-docs]

1. Loads the SZSE universe (timed and memory-accounted separately: not part of ``wall_s``).
2. Draws N random firm-events (250-session estimation window [-260,-11], event window [-10,+10]) and runs
   :func:`eventstudy.placebo.run_placebo`: draw, engine, CAR and all tests of the battery for all N, in chunks.
   ``wall_s`` is that call's wall time; ``peak_rss_mb`` the process's peak resident memory plus the forked
   worker's (``resource.getrusage(RUSAGE_SELF / RUSAGE_CHILDREN).ru_maxrss``, data loading included; an upper
   bound, since the worker's RSS also counts the pages it shares with the parent).
3. Yardstick: a plain per-event loop — pandas slices of the panel and a statsmodels OLS per firm-event —
   computing the same ARs and CAR on a sample of at least 1,000 of the same events. Its time per event is
   scaled to N for ``speedup_vs_loop``. The loop and the engine must agree to 1e-9 (ARs and CARs) on the sample.

The last line is ``firm_events=N wall_s=... peak_rss_mb=... speedup_vs_loop=... cpu_s=...``: ``cpu_s`` the CPU time
of that call in this process and the forked worker (user + system). The work is fixed by N and the seed, so
``cpu_s`` tells the machine's speed during the run: on a machine whose speed drifts, ``wall_s`` follows it (about
``cpu_s / 2`` plus the ~0.7 s run in one process, with two cores). ``--write-docs`` saves the
run to ``bench/results/scale-N.json`` and regenerates ``docs/performance.md`` from every saved run.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

from bench import SZSE_UNIVERSE, cpu_seconds, finished_children
from eventstudy.data.universe import load_universe
from eventstudy.model.engine import abnormal_returns, fast_abnormal_returns, halt_reaches
from eventstudy.model.estimation import moments
from eventstudy.placebo import PlaceboSpec, draw_events, firm_events, run_placebo

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "performance.md"
ESTIMATION, WINDOW = (-260, -11), (-10, 10)
TOLERANCE = 1e-9


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def children_peak_rss_mb() -> float:
    """Largest peak RSS among the terminated child processes (the forked placebo worker); 0 without one."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


LOOKAHEAD_DAYS = 366  # calendar days a halt over the window's last day is followed to the next trade


def window_end(traded: np.ndarray, sessions: pd.DatetimeIndex, last: int) -> int:
    """The position of the last return a window ending on session ``last`` counts: ``last`` if the firm trades
    then, else its next trade (whose trade-to-trade return covers ``last``) within ``LOOKAHEAD_DAYS``."""
    if last >= len(traded) or traded[last]:
        return min(last, len(traded) - 1)
    after = np.flatnonzero(traded[last:])
    if len(after) == 0 or (sessions[last + after[0]] - sessions[last]).days > LOOKAHEAD_DAYS:
        return last
    return last + int(after[0])


def yardstick(panel, benchmark: str, events, estimation_window=ESTIMATION, window=WINDOW) -> list[pd.Series]:
    """The plain way: for each firm-event, slice its returns, fit OLS with statsmodels, predict, sum.

    Same rules as the engine: trade-to-trade returns with their span ``k``, the benchmark compounded over the
    same span, the market model ``R = α k + β M`` fitted on the estimation window's single-session returns.
    A firm suspended on the window's last day counts the return of its next trade, which covers that day (a
    study's rule). Returns each firm-event's ARs indexed by relative day (sessions with a return only); CAR is
    their sum.
    """
    level = panel.level[benchmark].to_numpy()
    out = []
    for fe in events:
        day0 = panel.sessions.get_loc(fe.day0)
        first, end = max(day0 + estimation_window[0], 0), day0 + window[1]
        last = window_end(panel.traded[fe.ticker].to_numpy(dtype=bool), panel.sessions, end)
        frame = pd.DataFrame(
            {
                "r": panel.returns[fe.ticker].iloc[first : last + 1],
                "k": panel.span[fe.ticker].iloc[first : last + 1],
            }
        )
        pos = np.arange(first, last + 1)
        frame["rel"] = pos - day0
        start = pos - frame["k"].to_numpy()
        with np.errstate(invalid="ignore"):
            spanned = level[pos] / level[np.maximum(start, 0)] - 1.0
            frame["m"] = np.where((frame["k"] > 0) & (start >= 0), spanned, np.nan)
        frame = frame.dropna(subset=["r", "m"])
        est = frame[(frame["rel"] >= estimation_window[0]) & (frame["rel"] <= estimation_window[1]) & (frame["k"] == 1)]
        fit = sm.OLS(est["r"], est[["k", "m"]]).fit()
        covers_end = frame["rel"] - frame["k"] < window[1]  # a return after the window covering its last day
        event = frame[(frame["rel"] >= window[0]) & ((frame["rel"] <= window[1]) | covers_end)]
        ar = event["r"] - fit.predict(event[["k", "m"]])
        ar.index = event["rel"].to_numpy()
        out.append(ar)
    return out


def lean_yardstick(panel, benchmark: str, events, estimation_window=ESTIMATION, window=WINDOW) -> list[pd.Series]:
    """The same loop written for speed: numpy slices of the panel's matrices, statsmodels OLS on arrays.

    Not the yardstick of the last line (that is the plain loop above); reported alongside it so the speedup can
    be read against a loop that has already been tuned.
    """
    level = panel.level[benchmark].to_numpy()
    returns, span = panel.returns.to_numpy(), panel.span.to_numpy()
    traded = panel.traded.to_numpy(dtype=bool)
    cols = panel.returns.columns.get_indexer([fe.ticker for fe in events])
    day0s = panel.sessions.get_indexer(pd.DatetimeIndex([fe.day0 for fe in events]))
    out = []
    for col, day0 in zip(cols, day0s, strict=True):
        first = max(day0 + estimation_window[0], 0)
        last = window_end(traded[:, col], panel.sessions, day0 + window[1])
        r, k = returns[first : last + 1, col], span[first : last + 1, col]
        pos = np.arange(first, last + 1)
        rel, start = pos - day0, pos - k
        with np.errstate(invalid="ignore"):
            m = np.where((k > 0) & (start >= 0), level[pos] / level[np.maximum(start, 0)] - 1.0, np.nan)
        ok = np.isfinite(r) & np.isfinite(m)
        x = np.column_stack([k, m])
        est = ok & (rel >= estimation_window[0]) & (rel <= estimation_window[1]) & (k == 1)
        fit = sm.OLS(r[est], x[est]).fit()
        ev = ok & (rel >= window[0]) & ((rel <= window[1]) | (rel - k < window[1]))
        out.append(pd.Series(r[ev] - x[ev] @ fit.params, index=rel[ev]))
    return out


def agreement(ab, loop: list[pd.Series], window=WINDOW) -> tuple[float, float]:
    """Largest absolute AR and CAR differences between the engine and the loop on the same firm-events. The
    engine's ARs are those a window counts: from its first day, every return covering a session up to its last
    (``ab`` must reach past the window far enough for the returns that end a halt: :func:`engine_window`)."""
    rel = ab.rel_days
    counted = np.isfinite(ab.ar) & (rel >= window[0])[None, :] & (rel[None, :] - ab.span < window[1])
    worst_ar = worst_car = 0.0
    for i, series in enumerate(loop):
        mine = pd.Series(ab.ar[i, counted[i]], index=rel[counted[i]])
        if not mine.index.equals(pd.Index(series.index)):
            return float("inf"), float("inf")  # different sessions with a return
        worst_ar = max(worst_ar, float(np.max(np.abs(mine.to_numpy() - series.to_numpy()), initial=0.0)))
        worst_car = max(worst_car, abs(float(mine.sum()) - float(series.sum())))
    return worst_ar, worst_car


def engine_window(panel, events, window=WINDOW) -> tuple[int, int]:
    """``window`` reaching as far past its end as the latest next trade of a firm-event halted on its last day."""
    located = (panel.sessions.get_indexer(pd.DatetimeIndex([fe.day0 for fe in events])),
               panel.returns.columns.get_indexer([fe.ticker for fe in events]))  # fmt: skip
    return window[0], window[1] + int(halt_reaches(panel, located, window[1]).max(initial=0))


def measure(n: int, seed: int, engine: str, sample: int, universe_path: str, chunk_size: int | None) -> dict:
    t0 = time.perf_counter()
    universe = load_universe(universe_path)
    load_s = time.perf_counter() - t0
    load_rss = peak_rss_mb()
    spec = PlaceboSpec(n_events=n, seed=seed, window=WINDOW, estimation_window=ESTIMATION, engine=engine,
                       chunk_size=chunk_size)  # fmt: skip

    c1, t1 = cpu_seconds(), time.perf_counter()
    result = run_placebo(universe, spec)
    wall = time.perf_counter() - t1
    finished_children()  # (the worker's peak RSS and CPU are counted once it is reaped)
    cpu = cpu_seconds() - c1
    own, child = peak_rss_mb(), children_peak_rss_mb()
    # Upper bound on the memory in use at once: this process's peak plus each forked worker's peak (a forked
    # worker's RSS also counts the pages it shares copy-on-write with this one, so the sum over-counts).
    rss = own + child * (spec.processes - 1 if child else 0)

    # The yardstick on a sample (the first `sample` draws: they are iid) of the same firm-events.
    draw = draw_events(universe, spec)
    m = min(max(sample, 1000), n) if n >= 1000 else n
    events = firm_events(universe.panel, draw.slice(0, m))
    t2 = time.perf_counter()
    loop = yardstick(universe.panel, spec.benchmark, events)
    loop_per_event = (time.perf_counter() - t2) / m
    t3 = time.perf_counter()
    lean = lean_yardstick(universe.panel, spec.benchmark, events)
    lean_per_event = (time.perf_counter() - t3) / m

    reach = engine_window(universe.panel, events)
    if spec.fast:
        ab = fast_abnormal_returns(universe.panel, moments(universe.panel, spec.benchmark), spec.benchmark, events,
                                   spec.model, ESTIMATION, reach)  # fmt: skip
    else:
        ab = abnormal_returns(universe.panel, spec.benchmark, events, spec.model, ESTIMATION, reach)
    worst_ar, worst_car = agreement(ab, loop)
    lean_ar, lean_car = agreement(ab, lean)
    worst_ar, worst_car = max(worst_ar, lean_ar), max(worst_car, lean_car)
    timed_car = result.firms["car"].to_numpy()[:m]
    worst_timed = float(np.nanmax(np.abs(timed_car - np.array([s.sum() for s in loop]))))
    worst_car = max(worst_car, worst_timed)
    rejection = result.rejection_rates().set_index("test")["rejection_rate"].round(4).to_dict()
    return {
        "firm_events": n, "seed": seed, "engine": f"{engine} ({'fast' if spec.fast else 'full'})",
        "wall_s": wall, "cpu_s": cpu, "cpu_ms_per_chunk": cpu / result.chunks * 1e3,
        "peak_rss_mb": rss, "peak_rss_self_mb": own, "peak_rss_child_mb": child,
        "processes": spec.processes,
        "load_s": load_s, "load_peak_rss_mb": load_rss, "panel_mb": universe.nbytes / 2**20,
        "universe_rows": universe.rows, "tickers": len(universe.tickers), "sessions": len(universe.sessions),
        "chunks": result.chunks, "chunk_events": spec.chunk_events(), "stages_s": result.seconds,
        "loop_sample": m, "loop_ms_per_event": loop_per_event * 1e3, "loop_scaled_s": loop_per_event * n,
        "speedup_vs_loop": loop_per_event * n / wall, "lean_loop_ms_per_event": lean_per_event * 1e3,
        "speedup_vs_lean_loop": lean_per_event * n / wall, "max_abs_diff_ar": worst_ar, "max_abs_diff_car": worst_car,
        "agree": bool(worst_ar <= TOLERANCE and worst_car <= TOLERANCE), "rejection_rates": rejection,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}",
    }  # fmt: skip


def last_line(r: dict) -> str:
    return (
        f"firm_events={r['firm_events']} wall_s={r['wall_s']:.2f} peak_rss_mb={r['peak_rss_mb']:.0f} "
        f"speedup_vs_loop={r['speedup_vs_loop']:.0f}" + (f" cpu_s={r['cpu_s']:.1f}" if "cpu_s" in r else "")
    )


def write_docs() -> Path:
    """Regenerate docs/performance.md from bench/results/scale-*.json."""
    runs = sorted(
        (json.loads(p.read_text()) for p in RESULTS.glob("scale-*.json")),
        key=lambda r: (not r["engine"].startswith("auto"), r["firm_events"]),
    )
    header = DOCS.read_text().split("<!-- results -->")[0] if DOCS.exists() else "# Performance\n\n"
    rows = [
        "| firm-events | engine | processes | wall s | peak RSS MB (self + child) | loop ms/event (sample) | "
        "loop scaled s | speedup | lean loop ms/event | speedup vs lean loop | max abs diff AR / CAR | chunks | "
        "load s | load peak RSS MB |",
        "|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in runs:
        rows.append(
            f"| {r['firm_events']:,} | {r['engine']} | {r.get('processes', 1)} | {r['wall_s']:.2f} | "
            f"{r['peak_rss_mb']:.0f} ({r.get('peak_rss_self_mb', r['peak_rss_mb']):.0f} + "
            f"{r.get('peak_rss_child_mb', 0.0):.0f}) | "
            f"{r['loop_ms_per_event']:.3f} ({r['loop_sample']:,}) | {r['loop_scaled_s']:.0f} | "
            f"{r['speedup_vs_loop']:.0f}× | {r['lean_loop_ms_per_event']:.3f} | {r['speedup_vs_lean_loop']:.0f}× | "
            f"{r['max_abs_diff_ar']:.1e} / {r['max_abs_diff_car']:.1e} | "
            f"{r['chunks']} | {r['load_s']:.2f} | {r['load_peak_rss_mb']:.0f} |"
        )
    lines = ["<!-- results -->", "", *rows, "", "Harness last lines (default engine):", "", "```"]
    lines += [last_line(r) for r in runs if r["engine"].startswith("auto")]
    lines += ["```", ""]
    if runs:
        lines.append(f"Machine: {runs[-1]['machine']}.")
        lines += ["", "Stage times (s) of `run_placebo`:", ""]
        for r in runs:
            stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages_s"].items())
            rates = r["rejection_rates"]
            lines.append(f"* {r['firm_events']:,}, engine {r['engine']}: {stages}; rejection rates {rates}")
        lines.append("")
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(header + "\n".join(lines))
    return DOCS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=["auto", "fast", "full"], default="auto")
    parser.add_argument("--sample", type=int, default=1000, help="loop sample size (at least 1,000)")
    parser.add_argument("--universe", default=str(SZSE_UNIVERSE))
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--write-docs", action="store_true", help="save the run and regenerate docs/performance.md")
    args = parser.parse_args(argv)
    r = measure(args.events, args.seed, args.engine, args.sample, args.universe, args.chunk_size)
    print(
        f"universe: {r['universe_rows']:,} rows, {r['tickers']:,} tickers × {r['sessions']:,} sessions; "
        f"load {r['load_s']:.2f} s, panel {r['panel_mb']:.0f} MB, peak RSS after load {r['load_peak_rss_mb']:.0f} MB"
    )
    print(
        f"engine={r['engine']}: {r['chunks']} chunk(s) of ≤ {r['chunk_events']} firm-events; stages "
        + ", ".join(f"{k} {v:.2f} s" for k, v in r["stages_s"].items())
    )
    print(
        f"loop: {r['loop_ms_per_event']:.3f} ms/event on {r['loop_sample']:,} events → {r['loop_scaled_s']:.1f} s "
        f"for {r['firm_events']:,}; lean numpy loop {r['lean_loop_ms_per_event']:.3f} ms/event "
        f"(speedup vs it {r['speedup_vs_lean_loop']:.0f})"
    )
    print(
        f"agreement on the sample: max |ΔAR| = {r['max_abs_diff_ar']:.2e}, "
        f"max |ΔCAR| = {r['max_abs_diff_car']:.2e} "
        f"({'OK' if r['agree'] else 'FAILED'}, tolerance {TOLERANCE:g})"
    )
    print(f"rejection rates: {r['rejection_rates']}")
    if args.write_docs:
        RESULTS.mkdir(parents=True, exist_ok=True)
        suffix = "" if args.engine == "auto" else f"-{args.engine}"
        (RESULTS / f"scale-{args.events}{suffix}.json").write_text(json.dumps(r, indent=1) + "\n")
        print(f"wrote {write_docs().relative_to(ROOT)}")
    print(last_line(r))
    return 0 if r["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
