"""Running a placebo study: chunks of whole pseudo-studies through the engine and the test battery
(:func:`run_chunk`), on the local executor (this process and forked ones) or a dask cluster, collected in chunk
order so that every executor gives the same numbers (:func:`run_placebo`)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..data.returns import ReturnsPanel
from ..data.universe import Universe
from ..errors import ConfigError
from ..inference.blas_threads import single_threaded
from ..inference.sample import window_arrays
from ..inference.significance import COLUMNS, window_battery
from ..model.engine import AbnormalReturns, abnormal_returns, halt_reaches, next_trades
from ..model.estimation import Moments, moments
from ..model.page_faults import small_pages
from ..study.tables import string_column
from .draw import Draw, DrawnEvents, draw_events, study_groups, study_id
from .executors import run_local
from .result import FIRM_COLUMNS, PlaceboResult
from .spec import PlaceboSpec


@dataclass(frozen=True)
class Context:
    """What every chunk needs (shipped once to each dask worker): the panel and, for the fast path, its sums."""

    panel: ReturnsPanel
    moments: Moments | None
    next_trade: np.ndarray  # engine.next_trades(panel): where a halt running past the windows ends


def prepare(panel: ReturnsPanel, spec: PlaceboSpec) -> Context:
    return Context(panel, moments(panel, spec.benchmark) if spec.fast else None, next_trades(panel))


def run_chunk(context: Context, spec: PlaceboSpec, draw: Draw) -> dict[str, object]:
    """Engine + test battery for one chunk; returns only per-firm-event summaries and the test rows. One BLAS
    thread (no slower here, and the same bits whatever the number of processes); the chunk's arrays in small
    pages (:mod:`eventstudy.model.page_faults`)."""
    with single_threaded(), small_pages():
        return _run_chunk(context, spec, draw)


def inject_day0(ab: AbnormalReturns, abnormal: float) -> AbnormalReturns:
    """``ab`` with ``abnormal`` added to each firm-event's first return on or after day 0 — the trade-to-trade
    return that covers day 0 (on day 0 itself, or on the first trade after a halt) — and to its AR: an event
    that moves every firm's price by ``abnormal`` on day 0 (Brown & Warner 1985's power design). The fit, the
    estimation-period ARs and the variances are unchanged (day 0 lies outside the estimation window)."""
    if abnormal == 0.0:
        return ab
    has = np.isfinite(ab.ar) & (ab.rel_days >= 0)[None, :]
    rows = np.flatnonzero(has.any(axis=1))
    cols = has[rows].argmax(axis=1)
    ar, returns = ab.ar.copy(), ab.returns.copy()
    ar[rows, cols] += abnormal
    returns[rows, cols] += abnormal
    return replace(ab, ar=ar, returns=returns)


# Filled where a firm-event has no return: what the engine leaves on such a day (tests/placebo/test_placebo.py).
NO_RETURN = {"returns": np.nan, "market": np.nan, "span": 0, "design": 0.0, "estimation": False, "ar": np.nan,
             "ar_var": np.nan, "masked": False}  # fmt: skip


def chunk_abnormal_returns(context: Context, spec: PlaceboSpec, draw: Draw) -> AbnormalReturns:
    """The engine on a chunk, on the estimation and event-window days only (what the battery reads: ``gap_days``).

    As in a study, a firm suspended on the windows' last day is followed to its next trade (:func:`halt_reaches`),
    whose return overlaps the windows and counts in them. A chunk of 1,500 random firm-events nearly always holds
    one halted for months, and following every firm-event that far (the largest reach) made the arrays ~50 %
    wider; the engine is told each firm-event's own reach instead (``reach``), so the days past the windows are
    only those where a followed return ends, and the firm-events that trade on the last day hold no return on
    them (:data:`NO_RETURN`: none of their returns there overlaps the windows)."""
    panel = context.panel
    located = (draw.day0, draw.ticker)
    reach = halt_reaches(panel, located, spec.span[1], next_trade=context.next_trade)
    return abnormal_returns(
        panel, spec.benchmark, DrawnEvents(panel, draw), spec.model, spec.estimation_window, spec.span,
        moments=context.moments, located=located, reach=reach, gap_days=False,
    )  # fmt: skip


def _run_chunk(context: Context, spec: PlaceboSpec, draw: Draw) -> dict[str, object]:
    ab = chunk_abnormal_returns(context, spec, draw)
    arrays = window_arrays(ab, spec.window)  # the CARs and the daily arrays the battery reads
    res = arrays[0]
    groups, keys = study_groups(draw)  # placebo_p seeds keyed by the pseudo-study, whatever the chunking
    out: dict[str, object] = {k: np.asarray(res[k]) for k in ("car", "car_se", "car_t", "car_p", "bhar", "n_obs")}
    ar, span, in_window = arrays[1], arrays[3], arrays[4]
    out["sessions"] = np.where(np.isfinite(ar[:, in_window]), span[:, in_window], 0).sum(axis=1).astype(np.int64)
    out["n_est"], out["dof"] = ab.n_est, ab.dof
    # (windows × levels, studies, tests) arrays: the rows of tests.csv are built once for all chunks (run_placebo)
    out["studies"] = np.asarray(keys, dtype=np.int64)
    shifted = [inject_day0(ab, level) for level in spec.levels]
    got = {}
    caches: dict = {}  # an injected return changes window days only: estimation-day results are reused
    for w in spec.windows:
        for level, data in zip(spec.levels, shifted, strict=True):
            reuse = level == 0.0 and w == spec.window
            got[level, w] = window_battery(data, w, groups, keys, spec.test_names, arrays=arrays if reuse else None,
                                           caches=caches)  # fmt: skip
    del shifted
    combos = [got[level, w] for level in spec.levels for w in spec.windows]
    for j, col in enumerate(("statistic", "p_value", "n_firms")):
        out[col] = np.stack([np.stack([g[name][j] for name in spec.test_names], axis=1) for g in combos])
    return out


def tests_table(results: Sequence[dict[str, object]], spec: PlaceboSpec) -> pd.DataFrame:
    """The ``tests.csv`` rows of every chunk's pseudo-studies plus ``injected`` (the day-0 abnormal return
    added, 0 for the null): levels, then windows, then studies, then tests in ``spec.test_names`` order
    (:data:`~eventstudy.inference.TESTS` order); for one window and no injection, the layout of a study's
    ``tests.csv`` (:func:`eventstudy.inference.significance_table`)."""
    names = string_column(spec.test_names)
    studies = np.concatenate([np.asarray(r["studies"]) for r in results]) if results else np.zeros(0, np.int64)
    ids = string_column([study_id(s) for s in studies.tolist()])
    per = len(studies) * len(names)
    # each text column taken from its distinct values (pandas converts a column of texts value by value)
    event_ids = ids.take(np.repeat(np.arange(len(ids)), len(names)))
    tests = names.take(np.tile(np.arange(len(names)), len(studies)))
    frames = []
    for c, (level, w) in enumerate((lv, w) for lv in spec.levels for w in spec.windows):

        def column(key: str, dtype) -> np.ndarray:
            parts = [np.asarray(r[key])[c].ravel() for r in results]  # noqa: B023 (used at once)
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        frames.append(pd.DataFrame({
            "event_id": event_ids, "window_start": np.full(per, w[0]),
            "window_end": np.full(per, w[1]), "test": tests,
            "statistic": column("statistic", float), "p_value": column("p_value", float),
            "n_firms": column("n_firms", np.int64), "injected": np.full(per, level),
        }))  # fmt: skip
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return frame[[*COLUMNS, "injected"]]


def chunks(draw: Draw, size: int) -> Iterator[Draw]:
    for lo in range(0, len(draw), size):
        yield draw.slice(lo, lo + size)


def parse_executor(executor: str) -> tuple[str, str | None]:
    kind, _, address = executor.partition(":")
    if kind not in ("local", "dask") or (kind == "local" and address):
        raise ConfigError(f"--executor {executor!r}: expected 'local', 'dask' or 'dask:SCHEDULER_ADDRESS'")
    return kind, address or None


DASK_CONNECT_SECONDS = 10  # how long ``--executor dask:ADDRESS`` waits for the scheduler before giving up


def _dask(context: Context, spec: PlaceboSpec, parts: Sequence[Draw], address: str | None, client=None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigError("--executor dask needs dask.distributed: pip install 'eventstudy-kit[dask]'") from None
    own = []
    if client is None:
        if address:
            try:
                client = Client(address, timeout=DASK_CONNECT_SECONDS)
            except (OSError, ValueError, TimeoutError) as exc:  # nothing listening, refused, or not an address
                reason = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConfigError(f"--executor dask:{address}: no dask scheduler answered ({reason})") from None
        else:
            cluster = LocalCluster(n_workers=min(2, os.cpu_count() or 1), threads_per_worker=1, dashboard_address=None)
            own.append(cluster)
            client = Client(cluster)
        own.insert(0, client)
    try:
        shared = client.scatter(context, broadcast=True)
        futures = [client.submit(run_chunk, shared, spec, part, pure=False) for part in parts]
        return client.gather(futures)  # in submission (chunk) order
    finally:
        for obj in own:
            obj.close()


def run_placebo(
    universe: Universe, spec: PlaceboSpec, executor: str = "local", client=None, draw: Draw | None = None
) -> PlaceboResult:
    """Draw (unless ``draw`` is given), run every chunk on ``executor`` and collect the results in chunk order.

    ``client``: an existing ``distributed.Client`` to use (implies the dask executor).
    """
    kind, address = parse_executor(executor)
    t0 = time.perf_counter()
    draw = draw if draw is not None else draw_events(universe, spec)
    t1 = time.perf_counter()
    context = prepare(universe.panel, spec)
    parts = list(chunks(draw, spec.chunk_events()))
    if kind == "local" and client is None:
        results = run_local(run_chunk, context, spec, parts, spec.processes)
    else:
        results = _dask(context, spec, parts, address, client)
    del context
    t2 = time.perf_counter()
    names = universe.panel.returns.columns
    firms = pd.DataFrame(
        {
            "study": draw.study,
            "ticker": string_column(list(names)).take(draw.ticker),
            "day0": universe.sessions[draw.day0],
        }
    )
    for key in FIRM_COLUMNS:
        firms[key] = np.concatenate([r[key] for r in results])
    tests = tests_table(results, spec)
    seconds = {"draw": t1 - t0, "engine_and_tests": t2 - t1, "collect": time.perf_counter() - t2}
    return PlaceboResult(spec, firms, tests, seconds, len(parts))
