"""The table of every test for every event and window, the rows of ``tests.csv`` (:func:`significance_table`), and
how a study's many windows are run: the battery (:func:`~.vectorised.battery`) on each window's firm-events padded by
event (:func:`window_battery`), the estimation-day results kept for the windows of the same firm-events (the
kept sets, ``kp_bmp_t``'s pair sums), a large study's events in batches, and the windows shared with a forked
worker while the caller builds the study's other tables (:func:`pending_significance_table`). The tests themselves
are registered in :mod:`eventstudy.inference.battery`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from ..model.engine import AbnormalReturns
from ..model.jit import cores
from .battery import TESTS
from .blas_threads import single_threaded
from .cross_correlation import PairCorrelations
from .padded import Layout, StudyRows
from .processes import from_both_ends
from .sample import _event_groups, _window_columns, daily_rows, design_rows
from .vectorised import battery

COLUMNS = ["event_id", "window_start", "window_end", "test", "statistic", "p_value", "n_firms"]


def significance_table(
    ab: AbnormalReturns,
    windows: tuple[tuple[int, int], ...],
    *,
    daily_path: tuple[int, int] | None = None,
    placebo_draws: int = 999,
    seed: int = 0,
    tests: Sequence[str] | None = None,
    event_keys: Mapping[str, int] | None = None,
    excluded: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every test for every event and window (and, with ``daily_path``, every day of the path as a one-day
    window with ``window_start == window_end``): the rows of ``tests.csv``. ``placebo_draws`` and ``seed``
    (keyed per event by ``event_keys``) drive ``placebo_p``'s draws for an event whose firms have several
    days 0; an event on one day 0 enumerates every pseudo-window. ``excluded`` ``(N,)``: the firm-events the
    tests leave out (:func:`pending_significance_table`)."""
    with pending_significance_table(
        ab,
        windows,
        daily_path=daily_path,
        placebo_draws=placebo_draws,
        seed=seed,
        tests=tests,
        event_keys=event_keys,
        excluded=excluded,
    ) as table:
        return table()


@contextlib.contextmanager
def pending_significance_table(
    ab: AbnormalReturns,
    windows: tuple[tuple[int, int], ...],
    *,
    daily_path: tuple[int, int] | None = None,
    placebo_draws: int = 999,
    seed: int = 0,
    tests: Sequence[str] | None = None,
    event_keys: Mapping[str, int] | None = None,
    excluded: np.ndarray | None = None,
) -> Iterator[Callable[[], pd.DataFrame]]:
    """:func:`significance_table`, under way while the caller does other work: yields ``table``, which returns
    the table once called. With enough work (:func:`window_processes`) a forked worker takes the windows from the
    front while the caller works, and ``table()`` takes those left from the back (:func:`~.processes.from_both_ends`);
    else ``table()`` tests them all. A study of more than :data:`BATCH_FIRM_EVENTS` firm-events is tested in batches
    of events (:func:`event_batches`), each batch through every window before the next: the same rows, with one
    batch's arrays in memory at a time.

    ``excluded`` ``(N,)`` bool: the firm-events the tests leave out (a benchmark gap; a confounded firm-event under
    ``exclude_confounded``; the other choice's run in :mod:`eventstudy.study.unconfounded`). No event group holds
    them, so no window's layout does: the table of :func:`~eventstudy.model.engine.without` applied to ``ab``
    (an event whose firm-events are all left out keeps its rows, untested), without that function's copies of
    the study's daily ARs and variances (~0.4 GB at 50,000 firm-events)."""
    names = list(tests) if tests is not None else list(TESTS)
    all_windows = list(windows)
    if daily_path is not None:
        all_windows += [(d, d) for d in range(daily_path[0], daily_path[1] + 1) if (d, d) not in all_windows]
    everyone = _event_groups(ab)
    left_out = np.zeros(len(ab.ar), dtype=bool) if excluded is None else np.asarray(excluded, dtype=bool)
    groups = {e: rows[~left_out[rows]] for e, rows in everyone.items()} if left_out.any() else everyone
    keys = [k if event_keys is None else event_keys[e] for k, e in enumerate(groups)]
    batches = event_batches([len(r) for r in groups.values()])
    names_of = list(groups)
    held: dict = {}  # this process's batch: its firm-events, their groups, the windows' caches and padded rows

    def batch(b: int) -> dict:
        if held.get("b") != b:
            held.clear()  # (the last batch's arrays freed before this one's are made)
            if len(batches) == 1:
                part, mine = ab, groups
            else:  # the batch's firm-events as an AbnormalReturns of their own (a view when their rows are a run)
                events = names_of[batches[b]]
                at = np.sort(np.concatenate([everyone[e] for e in events]))  # (with those left out: a run, a view)
                run = len(at) > 0 and at[-1] - at[0] + 1 == len(at)
                part = ab.rows(slice(int(at[0]), int(at[-1]) + 1) if run else at)
                mine = {e: np.searchsorted(at, groups[e]) for e in events}
            # caches: estimation-day results shared by the windows with the same firm-events (window_battery);
            # rows: the per-firm arrays, padded once for the windows with the same firm-events
            held.update(b=b, ab=part, groups=mine, caches={}, rows=StudyRows(part))
        return held

    def one(part: tuple[int, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, w = part
        mine = batch(b)
        with single_threaded():  # small batched matmuls: threads only wait on each other (blas_threads)
            got = window_battery(mine["ab"], w, mine["groups"], keys[batches[b]], names, placebo_draws=placebo_draws,
                                 seed=seed, caches=mine["caches"], rows=mine["rows"])  # fmt: skip
        return _scores(got, names, len(mine["groups"]))

    # Batch by batch, each through every window: a process holds one batch's window arrays and estimation-day
    # results at a time (an event's statistics depend on its own firm-events only)
    parts = [(b, w) for b in range(len(batches)) for w in all_windows]

    # Consecutive windows mostly test the same firm-events (the days of the daily path): each side takes a run of
    # them, so that each side computes the estimation-day results of a set of firm-events once.
    # (counting the firm-events with an estimation day: the others have no return to test, as in the confounder
    # screen's battery, which tests ~2 % of a large study's rows and whose fork cost more than its windows)
    procs = window_processes(int((ab.estimation.any(axis=1) & ~left_out).sum()), len(all_windows))
    with from_both_ends(one, parts, procs) as finish:
        yield lambda: _rows(names_of, names, all_windows, _joined(finish(), len(batches), len(all_windows)))


#: Firm-events up to which a study's events are tested together (:func:`event_batches`): a larger study's windows
#: are tested batch by batch, so that a process holds the window arrays (~10 kB a firm-event) and the estimation-day
#: results (~6 kB) of one batch at a time, not of the whole study; the battery's cost per firm-event is the same
#: at 5,000 as at 50,000 (no fixed cost to repeat). Measured on the 50,000-firm-event study, alternated: batches of
#: 10,000 18.2–19.9 s against 21.7–22.2 s unbatched, peak PSS 4.5 against 5.6–5.9 GB; of 5,000 17.4–18.3 s against
#: 10,000's 18.2–20.2 s; of 2,500 16.7–18.2 s against 5,000's 16.5–17.1 s (the same PSS: its peak is elsewhere now).
BATCH_FIRM_EVENTS = 5_000


def event_batches(sizes: Sequence[int], limit: int | None = None) -> list[slice]:
    """Consecutive runs of events (``sizes``: each event's firm-events, in order) of at most ``limit``
    (:data:`BATCH_FIRM_EVENTS`) firm-events each, an event larger than that alone: slices of the events."""
    limit = BATCH_FIRM_EVENTS if limit is None else limit
    out, start, total = [], 0, 0
    for k, n in enumerate(sizes):
        if total and total + n > limit:
            out.append(slice(start, k))
            start, total = k, 0
        total += n
    out.append(slice(start, len(sizes)))
    return out


def _joined(
    scores: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], n_batches: int, n_windows: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per window, the :func:`_scores` of its batches (given batch-major) joined along the events, in order."""
    if n_batches == 1:
        return list(scores)
    return [
        tuple(np.concatenate([scores[b * n_windows + w][j] for b in range(n_batches)]) for j in range(3))  # type: ignore[misc]
        for w in range(n_windows)
    ]


def _scores(
    got: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], names: Sequence[str], g: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`window_battery`'s results as ``statistic``, ``p_value`` and ``n_firms``, each ``(events, tests)``."""
    if not names:
        return np.zeros((g, 0)), np.zeros((g, 0)), np.zeros((g, 0), dtype=np.int64)
    stat, p, n = (np.stack([got[name][j] for name in names], axis=1) for j in range(3))
    return stat.astype(float), p.astype(float), n.astype(np.int64)


def _rows(
    events: Sequence[str],
    names: Sequence[str],
    windows: Sequence[tuple[int, int]],
    scores: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    """The ``tests.csv`` rows of each window's :func:`_scores`: windows in order, then events, then tests."""
    if not windows:
        return pd.DataFrame(columns=COLUMNS)
    per_window = len(events) * len(names)
    return pd.DataFrame({
        "event_id": np.tile(np.repeat(np.array(list(events), dtype=object), len(names)), len(windows)),
        "window_start": np.repeat(np.array([w[0] for w in windows], dtype=np.int64), per_window),
        "window_end": np.repeat(np.array([w[1] for w in windows], dtype=np.int64), per_window),
        "test": np.tile(np.array(list(names), dtype=object), len(events) * len(windows)),
        "statistic": np.concatenate([got[0].ravel() for got in scores]),
        "p_value": np.concatenate([got[1].ravel() for got in scores]),
        "n_firms": np.concatenate([got[2].ravel() for got in scores]),
    })  # fmt: skip


#: Firm-event windows (firm-events × windows) from which a study's windows are shared with a forked process: below
#: it, forking (~0.1 s with a large study in memory) costs more than half the battery it would take over.
PARALLEL_FIRM_EVENT_WINDOWS = 20_000


def window_processes(firm_events: int, windows: int) -> int:
    """Processes for ``windows`` windows of ``firm_events`` firm-events: two on a machine with two or more cores
    once the work reaches :data:`PARALLEL_FIRM_EVENT_WINDOWS`, else one."""
    return min(2, cores()) if windows >= 2 and firm_events * windows >= PARALLEL_FIRM_EVENT_WINDOWS else 1


def window_battery(
    ab: AbnormalReturns,
    window: tuple[int, int],
    groups: Mapping[str, np.ndarray],
    keys: Sequence[int],
    names: Sequence[str],
    *,
    placebo_draws: int = 999,
    seed: int = 0,
    arrays: tuple | None = None,
    caches: dict | None = None,
    rows: StudyRows | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every test in ``names`` for every event group of one window, at once (:func:`.vectorised.battery`): the
    firm-events with a return in the window, padded to ``(groups, max firms, days)``. ``keys[k]`` keys the
    placebo seed of group ``k`` (as in :func:`window_samples`). ``caches``: a dict kept across calls on the same
    ``ab`` (or on copies whose estimation days are unchanged, as the placebo's injected levels): the battery's
    ``shared`` store (:func:`.vectorised.battery`) of the sets of firm-events and estimation days the windows test
    (the :data:`KEPT_SETS` last used), so that what depends on the estimation days only is computed once for the
    windows of a set. ``rows``: the
    :class:`~.padded.StudyRows` of ``ab`` kept across its windows (None: made for this window)."""
    counted, days, cols = _window_columns(ab, window)
    res = arrays[0] if arrays is not None else ab.cumulate(counted)
    in_window = days[cols]
    layout = Layout.of([r[res["n_obs"][r] > 0] for r in groups.values()], len(res["car"]))
    g, f = layout.g, layout.f
    columns = np.flatnonzero(cols)
    rel_days = ab.rel_days[columns]
    shared = None
    if caches is not None:  # the same firm-events, in the same groups, over the same estimation days
        shared = _kept_results(caches, layout.key + (rel_days[~in_window].tobytes(),))
        # kp_bmp_t's r̄ on a study's window that leaves firm-events out: from the pair sums of all of them, kept
        # for its other windows (a placebo chunk tests one layout: its r̄ is computed in the battery, once)
        leaves_out = len(layout.flat) < sum(len(r) for r in groups.values())
        if rows is not None and leaves_out and "kp_bmp_t" in names and "cross_correlation" not in shared:
            shared["cross_correlation"] = _window_pair_correlation(ab, groups, layout, counted, columns[~in_window],
                                                                   caches)  # fmt: skip
    pad = layout.pad
    if arrays is not None:  # the daily arrays of every firm-event, already on the window's columns
        ar, sar, span = (pad(np.asarray(a, dtype=float)) for a in arrays[1:4])
    else:  # gathered straight into the padded layout
        ar, sar, span = (a.reshape(g, f, -1) for a in daily_rows(ab, counted, columns, layout.source))
    all_columns = layout.whole and len(columns) == ab.design.shape[1]
    x = pad(ab.design) if all_columns else design_rows(ab, columns, layout.source).reshape(g, f, len(columns), -1)
    per_firm = (rows if rows is not None else StudyRows(ab)).per_firm(layout)
    return battery(
        pad(res["car"]),
        pad(res["car_se"]),
        per_firm["dof"],
        pad(res["bhar"]),
        ar,
        sar,
        span,
        layout.mask,
        in_window,
        names=names,
        n_params=ab.design.shape[-1],
        length=window[1] - window[0] + 1,
        x=x,
        rel_days=rel_days,
        xtx_inv=per_firm["xtx_inv"],
        sigma2=per_firm["sigma2"],
        clusters=per_firm["clusters"],
        placebo_draws=placebo_draws,
        seeds=[(seed, k, window[0] + 100_000, window[1] + 100_000) for k in keys],
        shared=shared,
    )


#: The sets of firm-events whose estimation-day results a study's windows keep, the most recently used. The daily
#: path moves from one set to the next as halts begin and end, rarely back; each set's results take ~6 kB a
#: firm-event (ranks, leave-run-out pseudo-CARs), ~300 MB for 50,000 firm-events, so keeping every set held
#: gigabytes (measured: a 50,000-firm-event study kept 11 sets). One is enough: a study's windows come in runs of
#: the same set (its 38 windows at 50,000 firm-events: 12 sets made, 26 windows reusing one, with 1, 2 or 4 kept
#: alike), and a second kept set held ~300 MB more in each process for no reuse (wall 21.7–22.0 s → 20.6–20.9 s).
KEPT_SETS = 1


def _kept_results(caches: dict, key: tuple) -> dict:
    """The ``shared`` store of the windows testing the set of firm-events ``key``, kept in ``caches`` among the
    :data:`KEPT_SETS` most recently used (a new one evicts the least recently used)."""
    sets = caches.setdefault("sets", {})  # (in the order of their last use)
    shared = sets.pop(key, None)
    if shared is None:
        shared = {}
        while len(sets) >= KEPT_SETS:
            del sets[next(iter(sets))]
    sets[key] = shared
    return shared


def _window_pair_correlation(
    ab: AbnormalReturns,
    groups: Mapping[str, np.ndarray],
    layout: Layout,
    counted: np.ndarray,
    estimation_columns: np.ndarray,
    caches: dict,
) -> np.ndarray:
    """``kp_bmp_t``'s ``r̄`` of each group of ``layout`` (the firm-events of ``groups`` with a return in the
    window), from the pairwise correlations of all the groups' firm-events on ``estimation_columns`` summed once
    for every window on those days (:class:`~.cross_correlation.PairCorrelations`, kept in ``caches``): a
    window's own work is the pairs among the firm-events it leaves out (a halted firm's)."""
    key = ("pair_correlations", estimation_columns.tobytes())
    if key not in caches:
        everyone = Layout.of(list(groups.values()), len(counted))
        est = daily_rows(ab, counted, estimation_columns, everyone.source)[0]  # (estimation days: no window column)
        caches[key] = everyone, PairCorrelations(est.reshape(everyone.g, everyone.f, -1))
    everyone, sums = caches[key]
    kept = np.zeros(len(counted), dtype=bool)
    kept[layout.flat] = True
    left = Layout.of([rows[~kept[rows]] for rows in groups.values()], len(counted))
    est_left = daily_rows(ab, counted, estimation_columns, left.source)[0].reshape(left.g, left.f, -1)
    left_out = everyone.mask & ~kept[np.maximum(everyone.source, 0)].reshape(everyone.g, everyone.f)
    return sums.without(left_out, est_left, layout.sizes)
