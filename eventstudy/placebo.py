"""Placebo studies on a whole exchange: random firm-events, the full engine and test battery, the null.

``eventstudy placebo --universe PATH --events N --seed S [--window a,b]`` (options:
:mod:`eventstudy.placebo_command`) draws ``N`` firm-events at random
(a uniformly random (firm, session) pair among those with enough estimation history and data around day 0),
groups them into pseudo-studies of ``--firms-per-study`` firm-events (each its own ``event_id``), runs
:func:`eventstudy.engine.abnormal_returns` and :func:`eventstudy.inference.significance_table` on them in chunks,
and reports

* the null distribution of the firm-level CAR over the window (mean, sd, quantiles) and of the pseudo-studies'
  CAAR, and
* each test's rejection rate: the fraction of pseudo-studies whose p-value is below ``--alpha`` (with no event
  there should be about ``alpha``; more means the test over-rejects). ``firm_t`` is the per-firm-event t test
  of the CAR (share of firm-events rejected).

With ``--clustered`` all firms of a pseudo-study share one random day 0 (event-date clustering), the setting in
which tests that assume independent firms over-reject.

Eligibility of a (firm, day 0) pair: the firm's data cover every session from the start of the estimation
window to the end of the event window, the estimation window holds at least ``--min-estimation-returns``
single-session returns, and the firm trades at least once in the event window.

Execution: the firm-events are split into chunks (a multiple of the pseudo-study size, so no study straddles
two chunks; the size bounds memory). ``--executor local`` runs them in this process or, with ``--workers 2``
(the default from 20,000 firm-events on), round-robin between this process and a forked one;
``--executor dask[:ADDRESS]`` submits them to a ``dask.distributed`` cluster (a local one when no address is
given) after broadcasting the panel once. Results are concatenated in chunk order, so every executor gives
identical numbers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

import numpy as np
import pandas as pd

from .blas_threads import single_threaded
from .engine import MODEL_PARAMETERS, AbnormalReturns, FirmEvent, abnormal_returns, window_only
from .errors import ConfigError, DataError
from .estimation import MOMENT_MODELS, Moments, moments
from .executors import FAST_FROM, PARALLEL_FROM, run_local
from .inference import TESTS
from .inference.battery import COLUMNS, window_battery
from .inference.sample import window_arrays
from .returns import ReturnsPanel
from .universe import EW_BENCHMARK, Universe

# Peak bytes the engine holds per firm-event and relative day (measured: about 26 float64 (N, W) arrays live
# at once inside abnormal_returns, cumulate and the battery); used to size chunks from a memory budget.
BYTES_PER_CELL = 26 * 8
DEFAULT_CHUNK_MB = 256
MAX_CHUNK = 1500  # small chunks balance the two processes and keep the (N, W) arrays near the caches (measured)
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
FIRM_COLUMNS = ("car", "car_se", "car_t", "car_p", "bhar", "n_obs", "n_est", "dof")


@dataclass(frozen=True)
class Draw:
    """Drawn firm-events as positions: firm column, day-0 session and pseudo-study of each."""

    ticker: np.ndarray  # (N,) column in the panel
    day0: np.ndarray  # (N,) session position
    study: np.ndarray  # (N,) pseudo-study number

    def __len__(self) -> int:
        return len(self.ticker)

    def slice(self, lo: int, hi: int) -> Draw:
        return Draw(self.ticker[lo:hi], self.day0[lo:hi], self.study[lo:hi])


@dataclass(frozen=True)
class PlaceboSpec:
    n_events: int
    seed: int = 0
    window: tuple[int, int] = (-10, 10)
    estimation_window: tuple[int, int] = (-260, -11)
    model: str = "market_model"
    firms_per_study: int = 30
    min_estimation_returns: int = 120
    alpha: float = 0.05
    clustered: bool = False
    benchmark: str = EW_BENCHMARK
    chunk_size: int | None = None  # firm-events per chunk (rounded down to a multiple of firms_per_study)
    engine: str = "auto"  # "fast": estimation sums from running sums; "full": eventstudy.engine.abnormal_returns;
    # "auto": fast from FAST_FROM firm-events on (building the running sums costs about as much as 5,000 events)
    workers: int | None = None  # local executor: processes (this one and forked ones); None: 2 from PARALLEL_FROM
    extra_windows: tuple[tuple[int, int], ...] = ()  # more event windows tested on the same draw (tests only)
    injected: tuple[float, ...] = ()  # day-0 abnormal returns added to every firm-event (power; tests only)

    def __post_init__(self) -> None:
        if self.n_events < 1:
            raise ConfigError("--events must be at least 1")
        if self.firms_per_study < 1:
            raise ConfigError("--firms-per-study must be at least 1")
        for w in self.windows:
            if w[0] > w[1]:
                raise ConfigError(f"window {list(w)} is empty")
            if self.estimation_window[1] >= min(w[0], 0):
                raise ConfigError(f"estimation window {list(self.estimation_window)} must end before the event window")
        if not all(np.isfinite(self.injected)) or 0.0 in self.injected:
            raise ConfigError(f"injected abnormal returns {list(self.injected)}: finite and non-zero (0 is the null)")
        width = self.estimation_window[1] - self.estimation_window[0] + 1
        if self.engine not in ("auto", "fast", "full"):
            raise ConfigError(f"engine {self.engine!r}: expected 'auto', 'fast' or 'full'")
        if self.model not in MODEL_PARAMETERS:
            raise ConfigError(f"unknown model {self.model!r}")
        if not 3 <= self.min_estimation_returns <= width:
            raise ConfigError(f"min_estimation_returns must be between 3 and {width}")

    @property
    def fast(self) -> bool:
        wanted = self.engine == "fast" or (self.engine == "auto" and self.n_events >= FAST_FROM)
        return wanted and self.model in FAST_MODELS

    @property
    def processes(self) -> int:
        if self.workers is not None:
            return max(1, self.workers)
        return min(2, os.cpu_count() or 1) if self.n_events >= PARALLEL_FROM else 1

    @property
    def windows(self) -> tuple[tuple[int, int], ...]:
        """The event windows tested: ``window`` (the firm table's) first, then ``extra_windows``."""
        return (self.window, *(w for w in self.extra_windows if w != self.window))

    @property
    def span(self) -> tuple[int, int]:
        """The relative days every window lies in (what eligibility and the engine cover)."""
        return min(w[0] for w in self.windows), max(w[1] for w in self.windows)

    @property
    def levels(self) -> tuple[float, ...]:
        """The null (0) and each injected day-0 abnormal return."""
        return (0.0, *self.injected)

    @property
    def width(self) -> int:
        """Relative days the engine holds per firm-event."""
        return self.span[1] - min(self.span[0], self.estimation_window[0]) + 1

    def chunk_events(self) -> int:
        size = self.chunk_size or min(MAX_CHUNK, (DEFAULT_CHUNK_MB * 2**20) // (self.width * BYTES_PER_CELL))
        return max(self.firms_per_study, size // self.firms_per_study * self.firms_per_study)


@dataclass
class PlaceboResult:
    spec: PlaceboSpec
    firms: pd.DataFrame  # one row per firm-event: study, ticker, day0 and FIRM_COLUMNS
    tests: pd.DataFrame  # significance_table rows of every pseudo-study
    seconds: dict[str, float] = field(default_factory=dict)
    chunks: int = 0

    def rejection_table(self) -> pd.DataFrame:
        """Every window and injected level: per test, pseudo-studies with a p-value and the share with
        p < alpha (the size at ``injected == 0``, the power otherwise)."""
        t = self.tests
        ok = t["p_value"].notna()
        rejected = (t["p_value"] < self.spec.alpha) & ok
        keys = ["window_start", "window_end", "injected", "test"]
        g = t.assign(ok=ok, rejected=rejected).groupby(keys, sort=False)
        out = g[["ok", "rejected"]].sum().reset_index().rename(columns={"ok": "studies"})
        out["rejection_rate"] = out["rejected"] / out["studies"]
        return out.drop(columns="rejected")

    def rejection_rates(self) -> pd.DataFrame:
        """Per test, in ``window`` with no injected return: pseudo-studies with a p-value, share with p < alpha
        (also split by the statistic's sign)."""
        alpha = self.spec.alpha
        rows = []
        w = self.spec.window
        tests = self.tests
        null = (tests["window_start"] == w[0]) & (tests["window_end"] == w[1]) & (tests["injected"] == 0.0)
        for name, group in tests[null].groupby("test", sort=False):
            p = group["p_value"].to_numpy(float)
            s = group["statistic"].to_numpy(float)
            ok = np.isfinite(p)
            rows.append({"test": name, "studies": int(ok.sum()), "rejection_rate": float((p[ok] < alpha).mean()),
                         "reject_negative": float(((p < alpha) & (s < 0))[ok].mean()),
                         "reject_positive": float(((p < alpha) & (s > 0))[ok].mean())})  # fmt: skip
        p = self.firms["car_p"].to_numpy(float)
        t = self.firms["car_t"].to_numpy(float)
        ok = np.isfinite(p)
        rows.append({"test": "firm_t", "studies": int(ok.sum()), "rejection_rate": float((p[ok] < alpha).mean()),
                     "reject_negative": float(((p < alpha) & (t < 0))[ok].mean()),
                     "reject_positive": float(((p < alpha) & (t > 0))[ok].mean())})  # fmt: skip
        return pd.DataFrame(rows)

    def car_distribution(self) -> pd.DataFrame:
        """Null distribution of the firm-level CAR and of the pseudo-studies' CAAR."""
        car = self.firms["car"].to_numpy(float)
        car = car[np.isfinite(car)]
        caar = self.firms.groupby("study", sort=False)["car"].mean().to_numpy(float)
        caar = caar[np.isfinite(caar)]
        out = {}
        for name, x in (("CAR", car), ("CAAR", caar)):
            row = {"n": len(x), "mean": float(np.mean(x)), "sd": float(np.std(x, ddof=1)) if len(x) > 1 else np.nan}
            row.update({f"q{int(round(q * 100)):02d}": float(v) for q, v in zip(QUANTILES, np.quantile(x, QUANTILES))})
            out[name] = row
        return pd.DataFrame(out).T


# --------------------------------------------------------------------------------------------------- drawing


def eligible(universe: Universe, spec: PlaceboSpec) -> np.ndarray:
    """Boolean ``(sessions, firms)``: may this session be the firm's day 0?"""
    panel = universe.panel
    n_t = len(universe.tickers)
    span = panel.span.to_numpy()[:, :n_t]
    traded = panel.traded.to_numpy()[:, :n_t]
    n_s = span.shape[0]
    lo, hi = spec.estimation_window
    a, b = spec.span
    start, end = min(lo, a), max(b, 0)
    single = np.zeros((n_s + 1, n_t), dtype=np.int32)
    np.cumsum(span == 1, axis=0, out=single[1:])
    trades = np.zeros((n_s + 1, n_t), dtype=np.int32)
    np.cumsum(traded, axis=0, out=trades[1:])
    out = np.zeros((n_s, n_t), dtype=bool)
    d = np.arange(max(-start, 0), min(n_s - end, n_s))
    if not len(d):
        return out
    covered = (d[:, None] + start >= universe.first[None, :]) & (d[:, None] + end <= universe.last[None, :])
    n_est = single[d + hi + 1] - single[d + lo]
    n_win = trades[d + b + 1] - trades[d + a]
    out[d] = covered & (n_est >= spec.min_estimation_returns) & (n_win > 0)
    return out


def draw_events(universe: Universe, spec: PlaceboSpec) -> Draw:
    """Seeded random firm-events (see the module docstring); the same seed gives the same draw."""
    rng = np.random.default_rng(spec.seed)
    ok = eligible(universe, spec)
    n, fps = spec.n_events, spec.firms_per_study
    study = np.arange(n) // fps
    if not spec.clustered:
        flat = np.flatnonzero(ok)
        if not len(flat):
            raise DataError("no (firm, session) pair has enough data for this window")
        pick = flat[rng.integers(0, len(flat), size=n)]
        day0, ticker = np.divmod(pick, ok.shape[1])
        return Draw(ticker.astype(np.int64), day0.astype(np.int64), study)
    counts = ok.sum(axis=1)
    n_studies = int(study[-1]) + 1
    sizes = np.bincount(study, minlength=n_studies)
    days = np.flatnonzero(counts >= fps)
    if not len(days):
        raise DataError(f"no session has {fps} eligible firms")
    day0 = np.empty(n, dtype=np.int64)
    ticker = np.empty(n, dtype=np.int64)
    pos = 0
    for size, d in zip(sizes, days[rng.integers(0, len(days), size=n_studies)], strict=True):
        day0[pos : pos + size] = d
        ticker[pos : pos + size] = rng.choice(np.flatnonzero(ok[d]), size=size, replace=False)
        pos += size
    return Draw(ticker, day0, study)


def study_id(study: int) -> str:
    return f"P{study:06d}"


class DrawnEvents(Sequence[FirmEvent]):
    """The drawn positions as a sequence of engine firm-events, each built only when read (the engine, given the
    positions through ``located``, reads none of them in a placebo chunk)."""

    def __init__(self, panel: ReturnsPanel, draw: Draw) -> None:
        self.panel, self.draw = panel, draw

    def __len__(self) -> int:
        return len(self.draw)

    @property
    def day0s(self) -> pd.DatetimeIndex:
        """Every firm-event's day 0, as one index (what :func:`eventstudy.inference.sample.day0_codes` reads)."""
        return self.panel.sessions[self.draw.day0]

    @overload
    def __getitem__(self, i: int) -> FirmEvent: ...
    @overload
    def __getitem__(self, i: slice) -> list[FirmEvent]: ...
    def __getitem__(self, i: int | slice) -> FirmEvent | list[FirmEvent]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        name = str(self.panel.returns.columns[self.draw.ticker[i]])  # IndexError past the end ends iteration
        return FirmEvent(study_id(int(self.draw.study[i])), name, name, self.panel.sessions[self.draw.day0[i]])


def study_groups(draw: Draw) -> tuple[dict[str, np.ndarray], list[int]]:
    """Rows of each pseudo-study (``P<study>`` → positions, in order of first appearance, as
    :func:`eventstudy.inference.sample._event_groups` gives them) and the studies' numbers (the placebo seeds'
    keys, so a pseudo-study's numbers do not depend on the chunking)."""
    studies, first, counts = np.unique(draw.study, return_index=True, return_counts=True)
    if len(studies) and (np.diff(draw.study) >= 0).all():  # contiguous studies (every draw): slices
        rows = {study_id(s): np.arange(f, f + c) for s, f, c in zip(studies.tolist(), first, counts, strict=True)}
        return rows, studies.tolist()
    order = np.argsort(first, kind="stable")
    rows = {study_id(int(s)): np.flatnonzero(draw.study == s) for s in studies[order]}
    return rows, studies[order].tolist()


def firm_events(panel: ReturnsPanel, draw: Draw) -> list[FirmEvent]:
    """The drawn positions as engine firm-events (event id ``P<study>``)."""
    names = panel.returns.columns.to_numpy(dtype=object)[draw.ticker].tolist()
    days = list(panel.sessions[draw.day0]) if len(draw) else []  # Timestamps of the drawn sessions only
    studies, inverse = np.unique(draw.study, return_inverse=True)
    ids = np.array([study_id(s) for s in studies.tolist()], dtype=object)[inverse].tolist()
    return [FirmEvent(i, t, t, d) for i, t, d in zip(ids, names, days, strict=True)]


# --------------------------------------------------------------------------------------------------- running

FAST_MODELS = MOMENT_MODELS  # the models whose normal equations can come from running sums (engine="fast")


@dataclass(frozen=True)
class Context:
    """What every chunk needs (shipped once to each dask worker): the panel and, for the fast path, its sums."""

    panel: ReturnsPanel
    moments: Moments | None


def prepare(panel: ReturnsPanel, spec: PlaceboSpec) -> Context:
    return Context(panel, moments(panel, spec.benchmark) if spec.fast else None)


def run_chunk(context: Context, spec: PlaceboSpec, draw: Draw) -> dict[str, object]:
    """Engine + test battery for one chunk; returns only per-firm-event summaries and the test rows. One BLAS
    thread (no slower here, and the same bits whatever the number of processes)."""
    with single_threaded():
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


def _run_chunk(context: Context, spec: PlaceboSpec, draw: Draw) -> dict[str, object]:
    panel = context.panel
    full = abnormal_returns(
        panel, spec.benchmark, DrawnEvents(panel, draw), spec.model, spec.estimation_window, spec.span,
        moments=context.moments, located=(draw.day0, draw.ticker),
    )  # fmt: skip
    ab = window_only(full, spec.span)  # estimation and event-window days: what the battery reads
    del full
    arrays = window_arrays(ab, spec.window)  # the CARs and the daily arrays the battery reads
    res = arrays[0]
    groups, keys = study_groups(draw)  # placebo_p seeds keyed by the pseudo-study, whatever the chunking
    out: dict[str, object] = {k: np.asarray(res[k]) for k in ("car", "car_se", "car_t", "car_p", "bhar", "n_obs")}
    out["n_est"], out["dof"] = ab.n_est, ab.dof
    # (windows × levels, studies, tests) arrays: the rows of tests.csv are built once for all chunks (run_placebo)
    out["studies"] = np.asarray(keys, dtype=np.int64)
    shifted = [inject_day0(ab, level) for level in spec.levels]
    got = {}
    for w in spec.windows:
        shared: dict = {}  # an injected return changes window days only: estimation-day results are reused
        for level, data in zip(spec.levels, shifted, strict=True):
            reuse = level == 0.0 and w == spec.window
            got[level, w] = window_battery(data, w, groups, keys, list(TESTS), arrays=arrays if reuse else None,
                                           shared=shared)  # fmt: skip
    del shifted
    combos = [got[level, w] for level in spec.levels for w in spec.windows]
    for j, col in enumerate(("statistic", "p_value", "n_firms")):
        out[col] = np.stack([np.stack([g[name][j] for name in TESTS], axis=1) for g in combos])
    return out


def tests_table(results: Sequence[dict[str, object]], spec: PlaceboSpec) -> pd.DataFrame:
    """The ``tests.csv`` rows of every chunk's pseudo-studies plus ``injected`` (the day-0 abnormal return
    added, 0 for the null): levels, then windows, then studies, then tests in :data:`TESTS` order (for one
    window and no injection, the layout of :func:`eventstudy.inference.battery.window_table`)."""
    names = np.array(list(TESTS), dtype=object)
    studies = np.concatenate([np.asarray(r["studies"]) for r in results]) if results else np.zeros(0, np.int64)
    ids = np.array([study_id(s) for s in studies.tolist()], dtype=object)
    per = len(studies) * len(names)
    frames = []
    for c, (level, w) in enumerate((lv, w) for lv in spec.levels for w in spec.windows):

        def column(key: str, dtype) -> np.ndarray:
            parts = [np.asarray(r[key])[c].ravel() for r in results]  # noqa: B023 (used at once)
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        frames.append(pd.DataFrame({
            "event_id": np.repeat(ids, len(names)), "window_start": np.full(per, w[0]),
            "window_end": np.full(per, w[1]), "test": np.tile(names, len(studies)),
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
            "ticker": np.asarray(names)[draw.ticker],
            "day0": universe.sessions[draw.day0],
        }
    )
    for key in FIRM_COLUMNS:
        firms[key] = np.concatenate([r[key] for r in results])
    tests = tests_table(results, spec)
    seconds = {"draw": t1 - t0, "engine_and_tests": t2 - t1, "collect": time.perf_counter() - t2}
    return PlaceboResult(spec, firms, tests, seconds, len(parts))


# --------------------------------------------------------------------------------------------------- CLI
