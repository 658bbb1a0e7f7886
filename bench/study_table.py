"""A study of many firm-events given as an events table (CSV), run end to end like any study file.

    python -m bench.study_table [--firm-events 5000] [--events 50] [--seed 0] [--outputs] [--report]

Builds ``events:`` as a CSV of ``--firm-events`` Shenzhen firm-events (``--events`` announcement days, firms drawn
among those that traded on at least 200 of the 250 estimation sessions and have data through day +70), announced
at 08:00 Shanghai time (before the open, so day 0 is that session), against the SZSE Composite (399106.SZ, from
the vendored snapshot); prices from the universe parquet (``../shared/data/szse-universe-2015-2022.parquet``).
Then times, separately: reading the study file and its table (``load_s``), day 0 and the prices (``prepare_s``),
returns, engine and every test (``analyse_s``); with ``--outputs``, writing the results of that run as ``eventstudy
run`` does, the CSVs and study.json beside the rendered report (``outputs_s``), then each apart: the CSVs and
study.json (``tables_s``, ``tables_cpu_s``) and rendering and writing the HTML report (``report_s``);
with ``--report`` the whole ``eventstudy run`` again (``run_with_report_s``). The last line is ``firm_events=N
wall_s=... cpu_s=... peak_pss_mb=... peak_rss_mb=...`` (load + prepare + analyse; CPU of the process plus its
forked one, if the study's windows were shared with it; ``peak_pss_mb`` the largest memory the two held at once,
sampled (:class:`PssSampler`); ``peak_rss_mb`` the sum of their peak resident sets, an upper bound that counts
the pages they share twice).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bench import cpu_seconds, finished_children

if TYPE_CHECKING:
    from eventstudy.study.results import StudyResults

ROOT = Path(__file__).resolve().parents[1]
UNIVERSE = ROOT.parent / "shared" / "data" / "szse-universe-2015-2022.parquet"
FIRST_DAY0, LAST_DAY0 = pd.Timestamp("2016-03-01"), pd.Timestamp("2021-06-30")  # the benchmark ends 2021-09-30


def events_table(universe: Path, firm_events: int, events: int, seed: int) -> pd.DataFrame:
    """``firm_events`` rows (event_id, ticker, announced, timezone) over ``events`` random session days.

    Tickers with a row that contradicts itself (``traded`` 0 with volume or a price change: two in the Shenzhen
    universe, on 2020-06-17) are not drawn: a study of them is refused, naming the row."""
    frame = pd.read_parquet(universe, columns=["date", "ticker", "close", "prev_close", "volume", "traded"])
    halted = frame["traded"].to_numpy() == 0
    contradictory = halted & ((frame["volume"].to_numpy() > 0) | (frame["close"] != frame["prev_close"]).to_numpy())
    refused = set(frame.loc[contradictory, "ticker"].astype(str))
    traded = frame.pivot_table(index="date", columns="ticker", values="traded", observed=True, aggfunc="first")
    traded = traded.loc[:, [str(t) not in refused for t in traded.columns]]
    covered = traded.notna().to_numpy()
    is_traded = (traded.fillna(0).to_numpy() > 0).astype(np.int64)
    sessions, tickers = traded.index, traded.columns.astype(str)
    cum = np.vstack([np.zeros((1, is_traded.shape[1]), dtype=np.int64), is_traded.cumsum(axis=0)])
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero((sessions >= FIRST_DAY0) & (sessions <= LAST_DAY0))
    days = np.sort(
        rng.choice(candidates, size=events, replace=events > len(candidates))
    )  # more events than days: some share one
    per_event = np.full(events, firm_events // events)
    per_event[: firm_events % events] += 1
    rows = []
    for k, (d0, n) in enumerate(zip(days, per_event, strict=True)):
        est = cum[d0 - 10] - cum[d0 - 260]  # traded sessions in [-260, -11]
        ok = np.flatnonzero((est >= 200) & covered[d0] & covered[d0 + 70])
        chosen = np.sort(rng.choice(ok, size=n, replace=False))
        day = sessions[d0].date().isoformat()
        rows += [(f"szse-{k:03d}-{day}", tickers[j], f"{day}T08:00:00", "Asia/Shanghai") for j in chosen]
    return pd.DataFrame(rows, columns=["event_id", "ticker", "announced", "timezone"])


def write_study(folder: Path, table: pd.DataFrame, estimation_exclude: str = "study_events") -> Path:
    """A study file whose ``events:`` names the CSV table beside it (``estimation_exclude``: the study's option;
    with 10,000 firm-events or more on 50 days a firm's other events can leave fewer than the 120 estimation
    returns required, and the study is refused: ``none`` keeps them in the estimation samples)."""
    table.to_csv(folder / "firm-events.csv", index=False)
    study = folder / "study.yaml"
    study.write_text(
        "study:\n  id: szse-table\n  title: Shenzhen firm-events from a table\n  benchmark: 399106.SZ\n"
        "  event_windows: [[-1, 1], [0, 1], [0, 5]]\n  price_chart: [-20, 20]\n"
        f"  estimation_exclude: {estimation_exclude}\nevents: firm-events.csv\n",
        encoding="utf-8",
    )
    return study


def main(argv: list[str] | None = None) -> int:
    from eventstudy.data.parquet import ParquetUniverseProvider
    from eventstudy.data.snapshot import SnapshotProvider
    from eventstudy.spec.config import load_study
    from eventstudy.study.analysis import analyse
    from eventstudy.study.plan import prepare_inputs

    parser = argparse.ArgumentParser(prog="python -m bench.study_table", description=__doc__.splitlines()[0])
    parser.add_argument("--firm-events", type=int, default=5000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--universe", type=Path, default=UNIVERSE)
    parser.add_argument("--outputs", action="store_true", help="time writing the CSVs + study.json, and the report")
    parser.add_argument("--report", action="store_true", help="also run the whole study again as `eventstudy run`")
    parser.add_argument("--estimation-exclude", default="study_events", choices=["study_events", "none"],
                        help="the study's estimation_exclude (none for 10,000 firm-events and more)")  # fmt: skip
    parser.add_argument("--loop", type=int, default=0, metavar="M",
                        help="also time bench.scale's per-event loops (statsmodels; lean numpy) on M of the "
                        "study's firm-events, per firm-event against the study")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.universe.is_file():
        print(f"{args.universe}: universe file not found", file=sys.stderr)
        return 3
    table = events_table(args.universe, args.firm_events, args.events, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_study(folder, table, args.estimation_exclude)
        provider = ParquetUniverseProvider(args.universe, fallback=SnapshotProvider())
        provider.history("000001.SZ")  # read the parquet before timing (data loading is not the study)
        with PssSampler() as pss:
            c0, t0 = cpu_seconds(), time.perf_counter()
            study = load_study(path)
            t1 = time.perf_counter()
            inputs = prepare_inputs(study, provider)
            t2 = time.perf_counter()
            results = analyse(inputs)
            t3 = time.perf_counter()
            finished_children()  # (the worker's CPU is counted once it is reaped)
            cpu = cpu_seconds() - c0
        publish = _outputs(results, folder / "outputs") if args.outputs else ""
        if args.report:  # what `eventstudy run` does: everything again, plus the CSVs, study.json and index.html
            from eventstudy.publish.rebuild import build

            outcome, _ = build(path, provider, folder / "reports", force=True)
            publish = f" run_with_report_s={outcome.seconds:.1f}"
    n = len(results.abnormal.firm_events)
    print(f"events={len(study.events)} tickers={len(inputs.histories)} load_s={t1 - t0:.2f} "
          f"prepare_s={t2 - t1:.2f} analyse_s={t3 - t2:.2f}{publish}")  # fmt: skip
    if args.loop:
        print(loop_costs(args.universe, results, args.loop, (t3 - t0) / n))
    print(f"firm_events={n} wall_s={t3 - t0:.2f} cpu_s={cpu:.2f} peak_pss_mb={pss.peak_mb:.0f} "
          f"peak_rss_mb={peak_rss_mb():.0f}")  # fmt: skip
    return 0


def loop_costs(universe: Path, results: StudyResults, m: int, study_s_per_event: float) -> str:
    """Milliseconds per firm-event of the study (load + prepare + analyse: every test) and of bench.scale's two
    per-event loops (ARs and CAR only, market model against the universe's equal-weighted index) timed on the
    study's first ``m`` firm-events, estimation [-260, -11] and window [-1, 1] as the study's first window."""
    from bench.scale import lean_yardstick, yardstick
    from eventstudy.data.universe import EW_BENCHMARK, load_universe

    panel = load_universe(str(universe)).panel
    events = list(results.abnormal.firm_events)[:m]
    timed = {}
    for name, loop in (("loop", yardstick), ("lean_loop", lean_yardstick)):
        t0 = time.perf_counter()
        loop(panel, EW_BENCHMARK, events, (-260, -11), (-1, 1))
        timed[name] = (time.perf_counter() - t0) / len(events) * 1e3
    return (f"study_ms_per_event={study_s_per_event * 1e3:.3f} loop_ms_per_event={timed['loop']:.3f} "
            f"lean_loop_ms_per_event={timed['lean_loop']:.3f} (loops on {len(events)} firm-events)")  # fmt: skip


class PssSampler:
    """The largest summed proportional set size (PSS: shared pages split between the processes sharing them) of
    this process and its children, sampled from ``/proc`` (Linux; 0 elsewhere): the memory a study holds at once,
    where adding each process's peak RSS counts the copy-on-write pages twice.

    Reading ``smaps_rollup`` walks the process's page tables: ~6 ms for a 1.4 GB process, in the kernel, on one of
    the two cores the study runs on. Sampled every 50 ms, the two processes' reads took a quarter of a core from
    the run being measured; the sampler waits ``overhead⁻¹`` times as long as its last sample took (at least
    ``every`` seconds), so that it takes at most ~``overhead`` of one core."""

    def __init__(self, every: float = 0.05, overhead: float = 0.05) -> None:
        import threading

        self.every, self.overhead, self.peak_kb, self._stop = every, overhead, 0, threading.Event()
        self.samples, self.sampling_s, self.elapsed_s = 0, 0.0, 0.0  # how often it sampled, and at what cost
        self.last_s = 0.0  # the last sample's cost (the one sample not followed by its wait)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _pss_kb(pid: int) -> int:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            return 0
        return sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:"))

    def _run(self) -> None:
        import os

        me, begun = os.getpid(), time.perf_counter()
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                kids = [int(p) for p in Path(f"/proc/{me}/task/{me}/children").read_text().split()]
            except OSError:
                kids = []
            self.peak_kb = max(self.peak_kb, sum(self._pss_kb(p) for p in (me, *kids)))
            took = time.perf_counter() - started
            self.samples, self.sampling_s, self.last_s = self.samples + 1, self.sampling_s + took, took
            self._stop.wait(max(self.every, took / self.overhead))
        self.elapsed_s = time.perf_counter() - begun

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far plus that of its largest finished child, in MB
    (``ru_maxrss``: kilobytes on Linux, bytes on macOS): an upper bound on the memory in use at once, since a
    forked child's RSS also counts the pages it shares copy-on-write with this process."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _outputs(results: StudyResults, folder: Path) -> str:
    """Time writing every output of ``results`` as ``eventstudy run`` does (``outputs_s``: the CSVs and study.json
    beside the rendered report, :func:`~eventstudy.publish.outputs.write_outputs`), then, apart and one after the
    other, the CSVs + study.json (:func:`~eventstudy.publish.outputs.write_tables`) and the report; the fields for
    the first printed line."""
    from eventstudy.publish.outputs import write_outputs, write_tables
    from eventstudy.report.render import render_report

    folder.mkdir()
    t0 = time.perf_counter()
    write_outputs(results, folder, "bench", lambda: render_report(results, "bench", {}))
    t1 = time.perf_counter()
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    apart = folder.with_name(folder.name + "-apart")
    apart.mkdir()
    c2, t2 = time.process_time(), time.perf_counter()
    write_tables(results, apart, "bench")
    c3, t3 = time.process_time(), time.perf_counter()
    (apart / "index.html").write_text(render_report(results, "bench", {}), encoding="utf-8")
    t4 = time.perf_counter()
    return (
        f" outputs_s={t1 - t0:.2f} tables_s={t3 - t2:.2f} tables_cpu_s={c3 - c2:.2f} report_s={t4 - t3:.2f}"
        f" outputs_mb={size:.0f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
