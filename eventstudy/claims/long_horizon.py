"""What part of a "since" claim was abnormal: long-horizon figures over a return claim's primary window.

For a ``return`` claim, the window runs from the base anchor's session ``b`` to the end anchor's session ``e`` of
its primary definition (e.g. the last close before the announcement to the last close before the document). The
sample is the claim event's firms that share the claim firm's benchmark, each over its own anchors; definitions
in :mod:`eventstudy.inference.long_horizon`:

``bhar_benchmark``        the claim firm's BHAR against its benchmark, ``R_i − R_m``
``bhar_benchmark_mean``   the sample's mean BHAR; ``_p_skew`` the p of the skewness-adjusted t (``bhar_skew_t``),
                          ``_p_boot`` the bootstrapped p (``bhar_boot_t``); Lyon, Barber & Tsai (1999)
``bhar_control`` …        the same against each firm's ``k`` matched controls (:mod:`eventstudy.model.matching`);
                          the text ``no universe`` (with the reason in ``long_horizon_note``) when no market universe
                          is given and no vendored selection covers the firm
``ct_alpha``              the calendar-time alpha (per session) of the sample's equally weighted portfolio, its HAC
                          t and p (:mod:`eventstudy.inference.calendar_time`): single-session returns on the sessions
                          in ``(b, e]`` regressed on the benchmark's; a return spanning a halt is left out (its
                          market return is not one session's)

With one firm in the sample the BHAR tests are undefined (NaN, and the note says why); the calendar-time alpha is
then the firm's own time-series alpha.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.base import PriceProvider
from ..data.calendar import day_zero, sessions
from ..data.factors import model_options
from ..data.returns import benchmark_returns, security_returns
from ..errors import EventStudyError
from ..inference.calendar_time import calendar_time_alpha, regressors
from ..inference.long_horizon import NO_UNIVERSE, ControlMarket, bhar_tests
from ..model.matching import characteristics
from ..spec.config import Study
from .measures import Undetermined, _mic, _Prices, index_return, resolve_anchor, total_return
from .spec import Claim
from .verdicts import LONG_COLUMNS

FIRM_COLUMNS = ["claim_id", "event_id", "ticker", "benchmark", "base", "end", "total_return", "benchmark_return",
                "bhar_benchmark", "controls", "control_return", "bhar_control", "reason"]  # fmt: skip
VENDORED = Path(str(resources.files("eventstudy.data") / "default_study_controls"))
BOOT_MIN_FIRMS = 10  # fewer firms: the bootstrap p of bhar_boot_t over-rejects (9-10 % at 5 % for N = 4)
_MARGIN = 10  # sessions fetched before the estimation window, as the study itself fetches (study.plan)


def control_market(universe: str | Path | None) -> ControlMarket | None:
    """The universe's controls if a file is given, else the vendored selection (None if it is absent)."""
    if universe is not None:
        return ControlMarket.from_universe(universe)
    return ControlMarket.vendored(VENDORED) if (VENDORED / "selection.csv").exists() else None


def _firm_figures(claim: Claim, ticker: str, prices: _Prices, study: Study, market: ControlMarket | None,
                  exclude: set[str]) -> tuple[dict[str, Any], pd.Series | None, pd.Series | None]:  # fmt: skip
    """One firm of the sample: its row of :data:`FIRM_COLUMNS` and its single-session and benchmark returns on
    the sessions in ``(b, e]`` (for the calendar-time portfolio)."""
    q = claim.quantity
    ev = next(e for e in study.events if e.id == q.event)
    firm = next(f for f in ev.firms if f.ticker == ticker)
    bench = study.benchmark_of(firm)
    row: dict[str, Any] = {"claim_id": claim.id, "event_id": ev.id, "ticker": ticker, "benchmark": bench}
    try:
        mic = _mic(study, ticker)
        frame, bframe = prices.history(ticker), prices.history(bench)
        b, e = (resolve_anchor(a or "", frame=frame, ticker=ticker, mic=mic, announced=ev.announced,
                               document_date=claim.date) for a in (q.base, q.end))  # fmt: skip
        if e.session <= b.session:
            raise Undetermined(f"the end ({e.session.date()}) is not after the base ({b.session.date()})")
        r_i = total_return(frame, ticker, b.session, e.session)
        r_m = index_return(bframe, bench, b.session, e.session)
    except Undetermined as exc:
        return {**row, "reason": str(exc)}, None, None
    row.update(base=str(b.session.date()), end=str(e.session.date()), total_return=r_i, benchmark_return=r_m,
               bhar_benchmark=r_i - r_m)  # fmt: skip
    axis = sessions(mic, prices.start, prices.end)
    own, index = security_returns(frame, axis, ticker), benchmark_returns(bframe, axis)
    window = (axis > b.session) & (axis <= e.session)
    daily = own["returns"].where(own["span"] == 1)[window]
    market_daily = index["returns"][window]
    if market is None:
        return {**row, "bhar_control": NO_UNIVERSE, "reason": f"{NO_UNIVERSE}: give --universe"}, daily, market_daily
    if market.foreign_to(mic):
        return (
            {**row, "bhar_control": math.nan, "reason": f"no controls: {market.foreign_to(mic)}"},
            daily,
            market_daily,
        )
    d0 = axis.get_loc(day_zero(ev.announced, mic, ev.day0_rule).session)
    lo, hi = study.estimation_window
    est = axis[max(d0 + lo, 0) : max(d0 + hi + 1, 0)]
    m_est = index["returns"].reindex(est).to_numpy()
    c = characteristics(own["returns"].reindex(est).to_numpy()[:, None],
                        (own["span"].reindex(est) == 1).to_numpy()[:, None], m_est)  # fmt: skip
    chars = {k: float(v[0]) for k, v in c.items()}
    if chars["n_returns"] < study.min_estimation_returns:
        chars = {**chars, "beta": math.nan}  # too few returns: not matched
    got = market.controls(study.id, ev.id, ticker, chars, est, m_est, b.session, e.session, exclude,
                          study.min_estimation_returns)  # fmt: skip
    if got.reason:
        text = got.reason if got.reason.startswith(NO_UNIVERSE) else f"no controls: {got.reason}"
        return {**row, "bhar_control": NO_UNIVERSE if text.startswith(NO_UNIVERSE) else math.nan,
                "reason": text}, daily, market_daily  # fmt: skip
    row.update(controls=" ".join(got.tickers), control_return=got.mean_return, bhar_control=r_i - got.mean_return,
               reason="", selection=got.details)  # fmt: skip
    return row, daily, market_daily


def long_horizon(claims: tuple[Claim, ...], prices: _Prices, study: Study, market: ControlMarket | None,
                 provider: PriceProvider) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:  # fmt: skip
    """Per claim: the :data:`LONG_COLUMNS` (a frame indexed by claim id), the per-firm rows
    (:data:`FIRM_COLUMNS`) and a one-sentence summary for the report."""
    rows, firm_rows, text = {}, [], {}
    factors = model_options(study).get("factors")  # model: factor: its factors join the calendar-time regression
    exclude = {f.ticker for ev in study.events for f in ev.firms}
    for claim in claims:
        q = claim.quantity
        if q.kind != "return":
            rows[claim.id] = {"long_horizon_note": "not a return claim: no long-horizon figures"}
            continue
        ev = next(e for e in study.events if e.id == q.event)
        firm = next((f for f in ev.firms if f.ticker == q.tickers[0]), None)
        if firm is None:
            rows[claim.id] = {"long_horizon_note": f"{q.tickers[0]} is not a firm of event {ev.id}"}
            continue
        bench = study.benchmark_of(firm)
        sample = [f.ticker for f in ev.firms if study.benchmark_of(f) == bench]  # event order: one sample per event
        long_prices = _Prices(provider, _first_day(study, ev, firm.ticker, prices.start), prices.end)
        got = [_firm_figures(claim, t, long_prices, study, market, exclude) for t in sample]
        frame = pd.DataFrame([g[0] for g in got], columns=[*FIRM_COLUMNS, "selection"])
        firm_rows.append(frame)
        rows[claim.id], text[claim.id] = _claim_row(frame, [g[1] for g in got], [g[2] for g in got], market, claim,
                                                    factors)  # fmt: skip
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=LONG_COLUMNS)
    firms = pd.concat(firm_rows, ignore_index=True) if firm_rows else pd.DataFrame(columns=[*FIRM_COLUMNS, "selection"])
    return table, firms, text


def _first_day(study: Study, ev: Any, ticker: str, fallback: Any) -> Any:
    """The first date the sample's prices are read from: ``_MARGIN`` sessions before the estimation window of the
    claim firm's day 0 — the range the study's own analysis reads — or ``fallback`` without a calendar."""
    try:
        mic = _mic(study, ticker)
        axis = sessions(mic)
        d0 = int(axis.get_loc(day_zero(ev.announced, mic, ev.day0_rule).session))
    except (Undetermined, EventStudyError, KeyError):
        return fallback
    return min(axis[max(d0 + study.estimation_window[0] - _MARGIN, 0)].date(), fallback)


def _numbers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def _claim_row(frame: pd.DataFrame, daily: list, market_daily: list, market: ControlMarket | None,
               claim: Claim, factors: pd.DataFrame | None) -> tuple[dict[str, Any], str]:  # fmt: skip
    own = frame[frame.ticker == claim.quantity.tickers[0]].iloc[0]
    bench_t, ctrl_t = bhar_tests([_numbers(frame.bhar_benchmark), _numbers(frame.bhar_control)])
    have = [i for i, d in enumerate(daily) if d is not None]
    notes = []
    if have:
        panel = pd.concat([daily[i] for i in have], axis=1)
        portfolio = panel.mean(axis=1)  # equal weights over the firms with a single-session return that day
        ref = market_daily[have[0]].reindex(panel.index)
        alpha = calendar_time_alpha(portfolio.to_numpy(), regressors(ref.to_numpy(), panel.index, factors))
        if alpha.reason:
            notes.append(f"calendar-time alpha: {alpha.reason}")
    else:
        alpha = calendar_time_alpha(np.zeros(0), np.zeros(0))
    control_value: Any = own.bhar_control if isinstance(own.bhar_control, str) else float(own.bhar_control)
    if isinstance(control_value, float) and not math.isfinite(control_value):
        control_value = f"no controls: {own.reason}" if own.reason else math.nan
    n_ctrl = ctrl_t["n"]
    sample = (f"{len(frame)} firm(s) of {own.event_id} on benchmark {own.benchmark}, "
              f"{own.base} → {own.end}")  # fmt: skip
    notes.insert(0, sample)
    if bench_t["n"] < 2:
        notes.append("the BHAR tests need at least 2 firms with a BHAR")
    elif bench_t["n"] < BOOT_MIN_FIRMS:
        notes.append(f"with {bench_t['n']} firms the bootstrap p rejects too often (docs/validation.md, N = 4)")
    if market is not None and n_ctrl:
        notes.append(f"controls: {market.k} nearest in beta, volatility and pre-event return from {market.label}")
    notes += [f"{r.ticker}: {r.reason}" for r in frame.itertuples() if r.reason]
    row = {
        "bhar_benchmark": float(own.bhar_benchmark) if pd.notna(own.bhar_benchmark) else math.nan,
        "bhar_benchmark_mean": bench_t["mean"], "bhar_benchmark_p_skew": bench_t["p_skew"],
        "bhar_benchmark_p_boot": bench_t["p_boot"],
        "bhar_control": control_value, "bhar_control_mean": ctrl_t["mean"],
        "bhar_control_p_skew": ctrl_t["p_skew"], "bhar_control_p_boot": ctrl_t["p_boot"],
        "ct_alpha": alpha.alpha, "ct_alpha_t": alpha.t, "ct_alpha_p": alpha.p,
        "long_horizon_note": "; ".join(notes),
    }  # fmt: skip
    return row, _sentence(row, own, alpha.days)


def _pct(x: Any) -> str:
    return f"{x * 100:+.2f}%" if isinstance(x, float) and math.isfinite(x) else (x if isinstance(x, str) else "—")


def _p(x: float) -> str:
    return f"{x:.3f}" if math.isfinite(x) else "—"


def _sentence(row: dict[str, Any], own: pd.Series, days: int) -> str:
    ctrl = row["bhar_control"]
    ctrl_text = (
        f"vs matched controls {_pct(ctrl)} (sample mean {_pct(row['bhar_control_mean'])}, p {_p(row['bhar_control_p_skew'])} "
        f"skewness-adjusted, {_p(row['bhar_control_p_boot'])} bootstrap)"
        if not isinstance(ctrl, str) else f"vs matched controls: {ctrl}"
    )  # fmt: skip
    alpha = row["ct_alpha"]
    alpha_text = (
        f"calendar-time alpha {alpha * 1e4:+.1f} bp per session over {days} sessions (HAC t {row['ct_alpha_t']:.2f}, "
        f"p {_p(row['ct_alpha_p'])})" if math.isfinite(alpha) else "calendar-time alpha: —"
    )  # fmt: skip
    return (
        f"{own.ticker} BHAR vs {own.benchmark} {_pct(row['bhar_benchmark'])} (sample mean "
        f"{_pct(row['bhar_benchmark_mean'])}, p {_p(row['bhar_benchmark_p_skew'])} skewness-adjusted, "
        f"{_p(row['bhar_benchmark_p_boot'])} bootstrap); {ctrl_text}; {alpha_text}. Sample: {row['long_horizon_note']}"
    )


def with_long_horizon(table: pd.DataFrame, long: pd.DataFrame) -> pd.DataFrame:
    """The claims table with the :data:`LONG_COLUMNS` appended (by claim id)."""
    extra = long.reindex(table["claim_id"]).reset_index(drop=True)
    return pd.concat([table.reset_index(drop=True), extra], axis=1)


__all__ = ["FIRM_COLUMNS", "LONG_COLUMNS", "VENDORED", "control_market", "long_horizon", "with_long_horizon"]
