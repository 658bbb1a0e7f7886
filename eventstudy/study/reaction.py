"""What else moved: abnormal trading volume, abnormal volatility, pre-event drift and the estimation diagnostics
of a study, as tidy frames (the definitions live in :mod:`eventstudy.model.volume`,
:mod:`eventstudy.inference.volume`, :mod:`eventstudy.inference.volatility`, :mod:`eventstudy.inference.pretrend`
and :mod:`eventstudy.model.diagnostics`).

:func:`with_reaction` adds the diagnostics to ``estimates`` and these frames to ``results.extra``:

* ``volume`` (volume.csv): per firm-event, every event window and every day of the daily path (one-day windows,
  as in tests.csv), the cumulative abnormal log volume with its standard error, t and p;
* ``volatility`` (volatility.csv): per firm-event and event window, Beaver's U and its F p-value;
* ``reaction_tests`` (reaction_tests.csv): per event and window the aggregate tests — of volume (``cav_csect_t``,
  ``cav_bmp_t``), of volatility (``var_csect_t``, ``var_rank_t``) and, over ``study.pre_window``, of pre-event drift (the CAAR with
  ``csect_t`` and the study's primary test, and the joint ``aar_joint_f``).

**Market volume.** The firm's benchmark's own ``log(1 + volume)`` (an index such as the CSI 300 carries the volume
of its constituents) when it has a volume on at least :data:`MARKET_COVERAGE` of the firm's estimation sessions;
else the mean-adjusted volume model, with the reason in ``note``: a benchmark with no volume in the data, or one
on another exchange's calendar. The mean log volume of the study's own firms is not used: they share the event,
so it would absorb the very reaction being measured.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..data.histories import stacked
from ..inference import significance_table
from ..inference.blas_threads import single_threaded
from ..inference.pretrend import aar_joint_f
from ..inference.significance import BATCH_FIRM_EVENTS
from ..inference.volatility import (
    beaver_p,
    beaver_u,
    estimation_squares,
    rank_excess,
    variance_change_test,
    variance_rank_test,
)
from ..inference.volume import volume_tests
from ..model.diagnostics import COLUMNS as DIAGNOSTICS_COLUMNS
from ..model.diagnostics import estimation_diagnostics
from ..model.engine import AbnormalReturns, without
from ..model.volume import abnormal_volume, log_volume_days
from ..spec.config import Study
from .results import StudyResults
from .tables import label_column

MARKET_COVERAGE = 0.9
VOLUME_COLUMNS = ["event_id", "ticker", "window_start", "window_end", "volume_model", "market_volume", "n_est",
                  "cav", "cav_se", "cav_t", "cav_p", "n_days", "note"]  # fmt: skip
VOLATILITY_COLUMNS = ["event_id", "ticker", "window_start", "window_end", "u", "u_p", "n_days", "dof", "note"]
TESTS_COLUMNS = ["event_id", "measure", "window_start", "window_end", "test", "estimate", "statistic", "p_value",
                 "n_firms", "note"]  # fmt: skip
FILES = {"volume.csv": ("volume", VOLUME_COLUMNS), "volatility.csv": ("volatility", VOLATILITY_COLUMNS),
         "reaction_tests.csv": ("reaction_tests", TESTS_COLUMNS)}  # fmt: skip


def _batches(n: int) -> list[slice]:
    """The study's ``n`` firm-events as slices of BATCH_FIRM_EVENTS rows, which the measures that read each
    firm-event's own row take one at a time (one batch, empty, for no firm-event)."""
    return [slice(start, start + BATCH_FIRM_EVENTS) for start in range(0, max(n, 1), BATCH_FIRM_EVENTS)]


def _volume_arrays(
    results: StudyResults, histories: Mapping[str, pd.DataFrame], width: int | None = None, batch: slice | None = None
) -> tuple[np.ndarray, ...]:
    """``(firm log volume, market log volume, market available, note)``: ``(N, W)``, ``(N, W)``, ``(N,)``, ``(N,)``,
    filled market group by market group (:func:`~eventstudy.model.volume.log_volume_days`: each firm-event's own
    days read from the stacked rows); on the first ``width`` of the engine's relative days (all: None); of the
    firm-events in ``batch`` (a slice of the study's; all: None), whose rows each row of the arrays is."""
    ab = results.abnormal
    batch = slice(0, len(ab.ar)) if batch is None else batch
    first, stop = batch.indices(len(ab.ar))[:2]
    n, w = max(stop - first, 0), ab.ar.shape[1] if width is None else width
    rel_days = ab.rel_days[:w]
    firm, market = np.full((n, w), np.nan), np.full((n, w), np.nan)
    note = np.full(n, "", dtype=object)
    markets = results.markets[first:stop]
    keys = [(m.calendar, m.benchmark) for m in markets]
    held = stacked(histories).rows  # every ticker's rows, as they lie: each firm-event reads its own days only
    code = {t: k for k, t in enumerate(held.tickers)}
    for key, panel in results.panels.items():
        rows = [i for i, k in enumerate(keys) if k == key]  # over the firm-events' keys, once per group
        if not len(rows):
            continue
        day0 = panel.sessions.get_indexer(pd.DatetimeIndex([ab.firm_events[first + i].day0 for i in rows]))
        cols = np.array([code.get(ab.firm_events[first + i].ticker, -1) for i in rows], dtype=np.int64)
        whole = len(rows) == n  # (one group: its arrays are the study's, no copy into place)
        got = log_volume_days(held, panel.sessions, cols, day0, rel_days)
        if whole:
            firm = got
        else:
            firm[rows] = got
        if key[1] in code:  # the benchmark's log volume on each session, once, then each firm-event's days of it
            axis = np.arange(len(panel.sessions))
            series = log_volume_days(held, panel.sessions, np.array([code[key[1]]]), np.zeros(1, np.int64), axis)[0]
            # NaN past both ends of the axis, so that every firm-event's days lie inside it
            left = max(0, -int(day0.min() + rel_days[0]))
            right = max(0, int(day0.max() + rel_days[-1]) - (len(axis) - 1))
            padded = np.concatenate([np.full(left, np.nan), series, np.full(right, np.nan)])
            got = padded[(day0 + left)[:, None] + rel_days[None, :]]
            if whole:
                market = got
            else:
                market[rows] = got
        note[rows] = key[1]
    est = ab.in_estimation[None, :w] & np.isfinite(firm) & ~ab.masked[first:stop, :w]
    n_est = est.sum(axis=1)
    covered = (est & np.isfinite(market)).sum(axis=1) >= MARKET_COVERAGE * np.maximum(n_est, 1)
    foreign = np.array([m.benchmark_market is not None for m in markets], dtype=bool)
    use_market = covered & ~foreign & (n_est > 0)
    reason = np.where(
        foreign, " trades on another calendar",
        np.where(np.isfinite(market).any(axis=1), f" has volume on fewer than {MARKET_COVERAGE:.0%} of the estimation "
                 "sessions", " has no volume in the data"),
    )  # fmt: skip
    note = np.char.add(np.char.add("benchmark ", note.astype(str)), reason)
    note = np.where(use_market, "", np.char.add(note, ": mean-adjusted volume model")).astype(object)
    note[~np.isfinite(firm).any(axis=1)] = "no volume in the data for this firm"
    return firm, market, use_market, note


def _ids(results: StudyResults) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    """Event ids and tickers of the firm-events, their event codes and the events in study order."""
    events = [ev.id for ev in results.study.events]
    ids = [fe.event_id for fe in results.abnormal.firm_events]
    code = {e: k for k, e in enumerate(events)}
    return ids, [fe.ticker for fe in results.abnormal.firm_events], np.array([code[e] for e in ids]), events


def volume_windows(study: Study) -> list[tuple[int, int]]:
    """volume.csv's windows: every event window, then every day of the daily path (one-day windows)."""
    return [*study.event_windows, *((d, d) for d in range(study.daily_path[0], study.daily_path[1] + 1))]


def volume_frame(
    results: StudyResults,
    use_market: np.ndarray,
    n_est: np.ndarray,
    note: np.ndarray,
    benchmarks: list[str],
    res: dict[str, np.ndarray],
) -> pd.DataFrame:
    """volume.csv's rows: every event window, then every day of the daily path (module docstring), from each
    firm-event's model (``use_market``, ``n_est``: :class:`~eventstudy.model.volume.AbnormalVolume`'s) and ``res``,
    its :meth:`~eventstudy.model.volume.AbnormalVolume.cumulate_windows` over :func:`volume_windows`."""
    ids, tickers, _, _ = _ids(results)
    windows = volume_windows(results.study)
    model = np.where(use_market, "market", "mean_adjusted")
    market = np.where(use_market, np.array(benchmarks, dtype=object), "")
    k = len(windows)  # one block of rows per window, the firm-events in order within it

    def each(values: object) -> object:  # one value per firm-event, converted to the column's dtype once, then tiled
        return label_column(values, np.tile(np.arange(len(ids)), k))

    frame = pd.DataFrame(
        {
            "event_id": each(ids),
            "ticker": each(tickers),
            "window_start": np.repeat([w[0] for w in windows], len(ids)),
            "window_end": np.repeat([w[1] for w in windows], len(ids)),
            "volume_model": each(model),
            "market_volume": each(market),
            "n_est": np.tile(n_est, k),
            **{c: res[c].ravel() for c in res},
            "note": each(note),
        },
        # the columns held, not copied (~70 MB at 50,000 firm-events): arrays made here, and views of the caller's
        # cumulated windows, which nothing changes after
        copy=False,
    )
    return frame[VOLUME_COLUMNS]


def _test_rows(events: list[str], measure: str, window: tuple[int, int], name: str, got: dict) -> pd.DataFrame:
    n = got["n"].astype(int)
    note = np.where(n < 2, "fewer than 2 firms with a figure", "")
    return pd.DataFrame({"event_id": events, "measure": measure, "window_start": window[0], "window_end": window[1],
                         "test": name, "estimate": got["mean"], "statistic": got["t"], "p_value": got["p"],
                         "n_firms": n, "note": note})  # fmt: skip


def _pretrend_rows(
    results: StudyResults, left_out: np.ndarray, codes: np.ndarray, events: list[str]
) -> list[pd.DataFrame]:
    """The pre-window's CAAR with ``csect_t`` and the primary test, and ``aar_joint_f``, per event, without the
    firm-events ``left_out`` (a benchmark gap)."""
    ab = results.abnormal
    study = results.study
    pre = study.pre_window
    if pre is None:
        note = "no pre-window: the estimation window ends on day -1"
        return [pd.DataFrame({"event_id": events, "measure": "pretrend", "window_start": 0, "window_end": 0,
                              "test": "aar_joint_f", "estimate": np.nan, "statistic": np.nan, "p_value": np.nan,
                              "n_firms": 0, "note": note})]  # fmt: skip
    car = np.where(left_out, np.nan, ab.car(pre)["car"].to_numpy())
    ok = np.isfinite(car)
    n_firms = np.bincount(codes[ok], minlength=len(events))
    with np.errstate(invalid="ignore", divide="ignore"):
        caar = np.bincount(codes[ok], weights=car[ok], minlength=len(events)) / n_firms
    names = list(dict.fromkeys(["csect_t", study.primary_test]))
    table = significance_table(ab, (pre,), tests=names, excluded=left_out).set_index(["event_id", "test"])
    rows = []
    for name in names:
        got = table.xs(name, level="test").reindex(events) if name in table.index.get_level_values("test") else None
        stat = got["statistic"].to_numpy(dtype=float) if got is not None else np.full(len(events), np.nan)
        p = got["p_value"].to_numpy(dtype=float) if got is not None else np.full(len(events), np.nan)
        rows.append(_test_rows(events, "pretrend", pre, name, {"mean": caar, "t": stat, "p": p, "n": n_firms}))
    joint = aar_joint_f(ab.ar, ab.estimation, ab.days(pre), codes, len(events), kept=~left_out)
    rows.append(_test_rows(events, "pretrend", pre, "aar_joint_f",
                           {"mean": caar, "t": joint["statistic"], "p": joint["p"], "n": n_firms}))  # fmt: skip
    return rows


def with_reaction(results: StudyResults, histories: Mapping[str, pd.DataFrame]) -> StudyResults:
    """``results`` with the estimation diagnostics in ``estimates`` and the ``volume``, ``volatility`` and
    ``reaction_tests`` frames in ``extra`` (module docstring); the BLAS on one thread, as for the battery: its
    products are of small matrices, where threads only wait on each other
    (:mod:`eventstudy.inference.blas_threads`)."""
    with single_threaded():
        return _with_reaction(results, histories)


def _volume(
    results: StudyResults, histories: Mapping[str, pd.DataFrame], codes: np.ndarray, events: list[str]
) -> tuple[pd.DataFrame, list[list[pd.DataFrame]]]:
    """volume.csv's frame and, per event window, the rows of the volume tests (``cav_csect_t``, ``cav_bmp_t``)."""
    study, ab = results.study, results.abnormal
    windows = volume_windows(study)
    # the relative days up to the last a window or the estimation window reads: not the days past them that the
    # engine holds for a halted firm's next trade (a 50,000-firm-event study: 281 of its 442 columns)
    last = max(ab.estimation_window[1], *(end for _, end in windows))
    width = int(np.searchsorted(ab.rel_days, last, side="right"))
    # Each firm-event's model and sums depend on its own row only: the rows are taken BATCH_FIRM_EVENTS at a time,
    # so that one batch's (N, W) log volumes and model are in memory at once, not the study's (~0.4 GB at 50,000)
    held = stacked(histories)  # (stacked once, not per batch, when given as frames)
    parts = []
    for batch in _batches(len(ab.ar)):
        firm, market, use_market, note = _volume_arrays(results, held, width, batch)
        av = abnormal_volume(
            firm, market, ab.rel_days[:width], ab.estimation_window, use_market, exclude=ab.masked[batch, :width]
        )
        del firm, market  # (N, W) each: av holds what it needs
        days = np.array([av.days(window) for window in windows])
        parts.append((av.cumulate_windows(days), av.use_market, av.n_est, note))  # (windows, firm-events) each
        del av
    cumulated = {c: np.concatenate([p[0][c] for p in parts], axis=1) for c in parts[0][0]}
    use_market, n_est, note = (np.concatenate([p[q] for p in parts]) for q in (1, 2, 3))
    del parts  # (the batches' copies of what is now in one piece: freed before the frame is made of it)
    benchmarks = [m.benchmark for m in results.markets]
    frame = volume_frame(results, use_market, n_est, note, benchmarks, cumulated)
    tests = []
    for k, window in enumerate(study.event_windows):  # (the event windows lead volume.csv's windows)
        res = {c: v[k] for c, v in cumulated.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            scav = res["cav"] / res["cav_se"]
        tests.append([_test_rows(events, "volume", window, name, got)
                      for name, got in volume_tests(res["cav"], scav, codes, len(events)).items()])  # fmt: skip
    return frame, tests


def _volatility(
    results: StudyResults, left_out: np.ndarray, codes: np.ndarray, events: list[str]
) -> tuple[list[pd.DataFrame], list[list[pd.DataFrame]]]:
    """volatility.csv's rows per event window and, per event window, the rows of ``var_csect_t`` and
    ``var_rank_t``; the firm-events ``left_out`` (a benchmark gap) hold no return (:func:`without`, batch by
    batch)."""
    ab = results.abnormal
    ids, tickers, _, _ = _ids(results)
    windows = results.study.event_windows
    # U and the rank excess of each firm-event read its own row only: BATCH_FIRM_EVENTS rows at a time, so that one
    # batch's (N, W) SARs and sorted SAR² are in memory at once, not the study's (~0.4 GB at 50,000 firm-events)
    parts: list[list[tuple[np.ndarray, ...]]] = [[] for _ in windows]
    for at in _batches(len(ab.ar)):
        batch = without(ab.rows(at), left_out[at])
        sar = batch.sar
        squares = estimation_squares(sar, batch.estimation)  # the estimation days' SAR², sorted once for all windows
        for k, window in enumerate(windows):
            counted = batch.overlap(window)  # the returns the window counts (both the U and the rank read them)
            parts[k].append((*beaver_u(sar, counted), rank_excess(sar, batch.estimation, counted, squares)))
        del sar, squares
    rows, tests = [], []
    for window, got in zip(windows, parts, strict=True):
        u, n_days, rank = (np.concatenate([g[q] for g in got]) for q in range(3))
        rows.append(pd.DataFrame({"event_id": ids, "ticker": tickers, "window_start": window[0],
                                  "window_end": window[1], "u": u, "u_p": beaver_p(u, n_days, ab.dof),
                                  "n_days": n_days, "dof": ab.dof,
                                  "note": np.where(np.isfinite(u), "", "no return in the window")}))  # fmt: skip
        tests.append([_test_rows(events, "volatility", window, "var_csect_t",
                                 variance_change_test(u, ab.dof, codes, len(events))),
                      _test_rows(events, "volatility", window, "var_rank_t",
                                 variance_rank_test(rank, codes, len(events)))])  # fmt: skip
    return rows, tests


def _diagnostics(ab: AbnormalReturns) -> pd.DataFrame:
    """The estimation diagnostics of every firm-event (:func:`estimation_diagnostics`), which reads each one's own
    row only: BATCH_FIRM_EVENTS rows at a time (views of the study's arrays), so that one batch's centred residuals
    and their powers are in memory at once, not the study's (~0.3 GB at 50,000 firm-events)."""
    return pd.concat([estimation_diagnostics(ab.rows(at)) for at in _batches(len(ab.ar))], ignore_index=True)


def _with_reaction(results: StudyResults, histories: Mapping[str, pd.DataFrame]) -> StudyResults:
    ab = results.abnormal
    ids, tickers, codes, events = _ids(results)
    gaps = {(g.event_id, g.ticker) for g in results.benchmark_gaps}
    left_out = np.array([(e, t) in gaps for e, t in zip(ids, tickers, strict=True)], dtype=bool)
    # each measure in a function of its own, so that its (N, W) arrays are freed before the next one's are made
    volume, volume_tests_by_window = _volume(results, histories, codes, events)
    vol_parts, volatility_tests_by_window = _volatility(results, left_out, codes, events)
    test_parts = [part for v, x in zip(volume_tests_by_window, volatility_tests_by_window, strict=True)
                  for part in (*v, *x)]  # fmt: skip
    test_parts += _pretrend_rows(results, left_out, codes, events)
    estimates = pd.concat([results.estimates.drop(columns=DIAGNOSTICS_COLUMNS, errors="ignore").reset_index(drop=True),
                           _diagnostics(ab)], axis=1)  # fmt: skip
    extra = {"volume": volume, "volatility": pd.concat(vol_parts, ignore_index=True)[VOLATILITY_COLUMNS],
             "reaction_tests": pd.concat(test_parts, ignore_index=True)[TESTS_COLUMNS]}  # fmt: skip
    return dataclasses.replace(results, estimates=estimates, extra={**results.extra, **extra})
