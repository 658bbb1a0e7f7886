"""A study's long window (``long_window: [a, b]`` in the study file): per firm-event, the buy-and-hold abnormal
return from the close of day ``a − 1`` to the close of day ``b`` against the benchmark and against matched
controls, and per event the mean BHARs with Lyon, Barber & Tsai's tests and the calendar-time alpha of its firms.
Definitions in :mod:`eventstudy.inference.long_horizon`, :mod:`eventstudy.model.matching` and
:mod:`eventstudy.inference.calendar_time`; ``docs/statistics.md`` ("Long-horizon abnormal returns").

The buy-and-hold returns are read off the study's own panels (total-return levels, flat through halts) for all
firm-events of a market group at once; controls are matched per event (one candidate pool per event and
benchmark, every firm of the event against it). Written as ``long_horizon.csv``: one ``firm`` row per firm-event
and one ``event`` row per event and market group (the means, their p-values and the alpha).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..data.factors import model_options
from ..inference.calendar_time import calendar_time_alpha, regressors
from ..inference.long_horizon import NO_UNIVERSE, ControlMarket, bhar_tests
from ..model.matching import MATCH_ON, characteristics, nearest
from .results import StudyResults

COLUMNS = [
    "event_id", "row", "ticker", "benchmark", "window_start", "window_end", "base", "end", "n_firms",
    "total_return", "benchmark_return", "bhar_benchmark", "bhar_benchmark_p_skew", "bhar_benchmark_p_boot",
    "controls", "control_return", "bhar_control", "bhar_control_p_skew", "bhar_control_p_boot",
    "ct_alpha", "ct_alpha_t", "ct_alpha_p", "ct_days", "note",
]  # fmt: skip


def study_long_horizon(results: StudyResults, market: ControlMarket | None) -> pd.DataFrame:
    """``long_horizon.csv`` of a study with a ``long_window`` (module docstring); empty without one."""
    study = results.study
    if study.long_window is None:
        return pd.DataFrame(columns=COLUMNS)
    w0, w1 = study.long_window
    fes = results.abnormal.firm_events
    exclude = {fe.ticker for fe in fes}
    factors = model_options(study).get("factors")  # model: factor: its factors join the calendar-time regression
    rows: list[dict[str, Any]] = []
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, (fe, m) in enumerate(zip(fes, results.markets, strict=True)):
        groups.setdefault((fe.event_id, m.calendar, m.benchmark), []).append(i)
    for (event_id, _, bench), members in groups.items():
        panel = results.panel_of(members[0])
        tickers = [fes[i].ticker for i in members]
        d0 = int(panel.sessions.get_loc(fes[members[0]].day0))  # one event, one calendar: one day 0
        b, e = d0 + w0 - 1, d0 + w1
        head = {"event_id": event_id, "benchmark": bench, "window_start": w0, "window_end": w1}
        if b < 0 or e >= len(panel.sessions):
            rows.append({**head, "row": "event", "n_firms": 0,
                         "note": f"the prices end before day {w1} (or start after day {w0 - 1})"})  # fmt: skip
            continue
        level = panel.level[tickers].to_numpy()
        r_i = level[e] / level[b] - 1.0
        bench_level = panel.level[bench].to_numpy()
        r_m = bench_level[e] / bench_level[b] - 1.0
        base, end = panel.sessions[b], panel.sessions[e]
        ctrl, ctrl_names, notes = _controls(results, panel, members, market, d0, base, end, bench, exclude)
        bhar_b, bhar_c = r_i - r_m, r_i - ctrl
        for j, t in enumerate(tickers):
            rows.append({**head, "row": "firm", "ticker": t, "base": str(base.date()), "end": str(end.date()),
                         "n_firms": 1, "total_return": r_i[j], "benchmark_return": r_m, "bhar_benchmark": bhar_b[j],
                         "controls": ctrl_names[j], "control_return": ctrl[j],
                         "bhar_control": bhar_c[j] if math.isfinite(ctrl[j]) else (NO_UNIVERSE if notes[j].startswith(NO_UNIVERSE) else math.nan),
                         "note": "; ".join(x for x in (notes[j], "" if math.isfinite(r_i[j]) else
                                           f"{t} has no price on {base.date()} or {end.date()}") if x)})  # fmt: skip
        tb, tc = bhar_tests([bhar_b, bhar_c], seed=d0)
        window = slice(b + 1, e + 1)
        single = panel.span[tickers].to_numpy()[window] == 1
        daily = np.where(single, panel.returns[tickers].to_numpy()[window], np.nan)
        have = np.isfinite(daily)
        port = np.where(
            have.any(axis=1), np.where(have, daily, 0.0).sum(axis=1) / np.maximum(have.sum(axis=1), 1), np.nan
        )
        alpha = calendar_time_alpha(
            port, regressors(panel.returns[bench].to_numpy()[window], panel.sessions[window], factors)
        )
        event_notes = [n for n in (alpha.reason, "the BHAR tests need at least 2 firms" if tb["n"] < 2 else "") if n]
        no_universe = all(x.startswith(NO_UNIVERSE) for x in notes)
        if tc["n"] == 0:
            event_notes.append(notes[0] if no_universe else "no firm has matched controls")
        rows.append({**head, "row": "event", "ticker": "", "base": str(base.date()), "end": str(end.date()), "n_firms": tb["n"],
                     "bhar_benchmark": tb["mean"], "bhar_benchmark_p_skew": tb["p_skew"],
                     "bhar_benchmark_p_boot": tb["p_boot"], "bhar_control": tc["mean"] if tc["n"] else
                     (NO_UNIVERSE if no_universe else math.nan), "bhar_control_p_skew": tc["p_skew"],
                     "bhar_control_p_boot": tc["p_boot"], "ct_alpha": alpha.alpha, "ct_alpha_t": alpha.t,
                     "ct_alpha_p": alpha.p, "ct_days": alpha.days, "note": "; ".join(event_notes)})  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def _controls(results, panel, members, market, d0, base, end, bench, exclude):
    """Per firm of one event group: the mean buy-and-hold return of its controls over ``(base, end]`` (NaN when
    there are none), their tickers and the reason when there are none. One candidate pool per group."""
    n = len(members)
    none = (np.full(n, np.nan), [""] * n)
    if market is None:
        return *none, [f"{NO_UNIVERSE}: give --universe for matched controls"] * n
    foreign = market.foreign_to(results.markets[members[0]].exchange)
    if foreign:
        return *none, [foreign] * n
    study = results.study
    fes = results.abnormal.firm_events
    lo, hi = study.estimation_window
    rows = slice(max(d0 + lo, 0), max(d0 + hi + 1, 0))
    est = panel.sessions[rows]
    tickers = [fes[i].ticker for i in members]
    m_est = panel.returns[bench].to_numpy()[rows]
    c = characteristics(panel.returns[tickers].to_numpy()[rows], panel.span[tickers].to_numpy()[rows] == 1, m_est)
    target = np.column_stack([c[k] for k in MATCH_ON])
    target[c["n_returns"] < study.min_estimation_returns] = np.nan  # too few returns: not matched
    if market.selection is not None:  # a vendored selection: read it firm by firm (a handful of firms)
        got = [market.controls(study.id, fes[i].event_id, fes[i].ticker, dict(zip(MATCH_ON, target[j], strict=True)),
                               est, m_est, base, end, exclude, study.min_estimation_returns)
               for j, i in enumerate(members)]  # fmt: skip
        return (np.array([g.mean_return for g in got]), [" ".join(g.tickers) for g in got], [g.reason for g in got])
    pool, eligible, _ = market.candidates(est, m_est, base, end, exclude, study.min_estimation_returns)
    idx, _ = nearest(target, pool, np.broadcast_to(eligible, (n, len(eligible))), market.k)
    ok = (idx >= 0).all(axis=1)
    names = [" ".join(market.universe.tickers[idx[j]]) if ok[j] else "" for j in range(n)]
    pos = market.universe.sessions.get_indexer([base, end])
    if (pos < 0).any():
        return *none, [f"{market.label} has no session {base.date()} or {end.date()}"] * n
    level = market.universe.panel.level.to_numpy()
    safe = np.where(ok[:, None], idx, 0)
    r_c = (level[pos[1]][safe] / level[pos[0]][safe] - 1.0).mean(axis=1)
    reasons = ["" if ok[j] else f"fewer than {market.k} eligible controls in {market.label} (or too few returns)"
               for j in range(n)]  # fmt: skip
    return np.where(ok, r_c, np.nan), names, reasons
