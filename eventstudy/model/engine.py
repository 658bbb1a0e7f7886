"""Estimation, abnormal returns, CAR and BHAR for all firm-events at once.

Every firm-event is a row of ``(N, W)`` arrays over relative days ``W``; missing sessions are masked, and
estimation is one batched least-squares solve — there is no per-firm Python loop.

Models (``design`` below), for a return ``R_t`` spanning ``k_t`` sessions with market return ``M_t`` over the
same span (Maynes & Rumsey 1993, trade-to-trade):

* ``market_model``     ``R_t = α k_t + β M_t + ε_t``,  Var ε_t = k_t σ²  (MacKinlay 1997, eq. 8)
* ``mean_adjusted``    ``R_t = μ k_t + ε_t``
* ``market_adjusted``  ``R_t = M_t + ε_t``  (no parameters)
* ``scholes_williams`` ``R_t = α k_t + β_SW M_t + ε_t`` with the Scholes & Williams (1977, eq. 14) beta
  ``β_SW = (β⁻ + β⁰ + β⁺) / (1 + 2ρ_M)`` — see :func:`eventstudy.model.normal_return._scholes_williams`
* ``dimson``           ``R_t = α k_t + Σ_j β_j M_{t−j} + ε_t`` over lags/leads ``j = −L..L`` (Dimson 1979, eq. 9);
  the AR uses the aggregated beta ``β_D = Σ_j β_j`` with the contemporaneous market — see :func:`eventstudy.model.normal_return._dimson`
* ``factor``           ``R_t = α k_t + β M_t + Σ_f b_f F_{f,t} + ε_t`` with factors from a user file
  (:mod:`eventstudy.data.factors`), each summed over the return's span; ``ff3``/``ff5``/``carhart`` the same
  with the data library's factors (:mod:`eventstudy.data.french`)
* ``garch``            the market model, with GARCH(1,1) conditional variances in place of ``σ² k_t``
  (:mod:`eventstudy.model.garch`)

Lead/lag market returns are defined over *sessions*: the market return "lagged j sessions" for a return
spanning ``(s, t]`` is the benchmark's return over ``(s − j, t − j]`` (the same span shifted j sessions back;
``j < 0`` is a lead). Scholes–Williams and Dimson betas are estimated on single-session returns only, so a lag
is exactly the previous session's market return; the thin-trading correction is then carried by the adjusted
beta, which (like the market model) applies to a k-session return through ``α k + β M_span``. For these two
models ``σ²`` is the variance of the estimation-window ARs computed exactly as event-window ARs are
(``R − α k − β M``, ``n − 2`` degrees of freedom), and the estimation-error term uses ``(X'X)⁻¹`` of the
``(k, M)`` design — the OLS approximation, since the adjusted beta is not itself an OLS coefficient.

The parameters are fitted by OLS on single-session returns (``k_t = 1``) inside the estimation window, less the
sessions the caller masks (``exclude``: a firm's other events in the study, :mod:`eventstudy.study.masking`; the
window is not extended to make up for them), so the estimation sample is homoskedastic; ``σ² = SSR / (n − p)`` (``p`` parameters; for the market-adjusted model
the sample variance of the estimation-window ARs, ``n − 1`` degrees of freedom, as in Brown & Warner 1985).

Abnormal return ``AR_t = R_t − x_t'θ̂`` with ``x_t`` the design row (``(k_t, M_t)`` for the market model). Its
forecast-error variance (Campbell, Lo & MacKinlay 1997, eq. 4.4.8) and that of a cumulated set of days ``D``
(eq. 4.4.13, with ``γ`` the indicator of ``D``) are

    Var(AR_t) = σ² (k_t + x_t' (X'X)⁻¹ x_t)
    Var(CAR_D) = σ² (Σ_D k_t + g' (X'X)⁻¹ g),   g = Σ_D x_t,

the second term being the estimation-error correction, which also carries the covariance between the ARs of
one firm-event. ``CAR_D = Σ_D AR_t``; ``t = CAR / se`` has a Student t distribution with ``n − p`` degrees of
freedom under normal disturbances. The buy-and-hold abnormal return over ``D`` (Barber & Lyon 1997) is
``BHAR_D = Π_D (1 + R_t) − Π_D (1 + M_t)``: the benchmark compounded over exactly the sessions the firm's
returns cover. A window ``[a, b]`` takes every return whose span overlaps it (:meth:`AbnormalReturns.overlap`),
so a halted firm's delayed reaction counts; a firm-event with no such return has ``n_obs = 0`` and NaN CAR/BHAR
("not traded").

This module gathers the returns and fits the models (:func:`abnormal_returns`); the results object that holds
them and cumulates them over windows is :class:`eventstudy.model.abnormal.AbnormalReturns`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..data.returns import ReturnsPanel
from .abnormal import AbnormalReturns, FirmEvent  # noqa: F401  (the results object, :mod:`eventstudy.model.abnormal`)
from .estimation import (
    MOMENT_MODELS,
    Moments,
    abnormal,
    moment_equations,
    moment_ssr,
    normal_equations,
    residual_ssr,
    sigma2,
    solve,
)
from .garch import garch_variances
from .normal_return import (  # noqa: F401  (design, shifted_market, span_sums: re-exported, part of the engine's API)
    FACTOR_MODELS,
    MODEL_PARAMETERS,
    MODELS,
    _dimson,
    _scholes_williams,
    design,
    shifted_market,
    span_sums,
)
from .trade_to_trade import (  # noqa: F401  (gather, next_trades, halt_reaches, HALT_LOOKAHEAD_DAYS: the engine's API)
    HALT_LOOKAHEAD_DAYS,
    _gathered,
    _locate,
    gather,
    halt_reaches,
    next_trades,
)


@dataclass(frozen=True)
class SessionSets:
    """A set of session dates per firm-event, all in two flat arrays: the date ``stamps[k]`` (``datetime64[ns]``)
    belongs to firm-event ``owner[k]``."""

    owner: np.ndarray
    stamps: np.ndarray

    def of(self, members: Sequence[int] | np.ndarray) -> SessionSets:
        """The sets of the firm-events ``members`` (positions), numbered as ``members`` orders them."""
        members = np.asarray(members, dtype=np.int64)
        place = np.full(int(max(self.owner.max(initial=-1), members.max(initial=-1))) + 1, -1, dtype=np.int64)
        place[members] = np.arange(len(members))
        mine = place[self.owner] >= 0
        return SessionSets(place[self.owner[mine]], self.stamps[mine])


def masked_days(
    panel: ReturnsPanel,
    day0: np.ndarray,
    rel_days: np.ndarray,
    estimation_window: tuple[int, int],
    exclude: Sequence[pd.DatetimeIndex] | SessionSets | None,
) -> np.ndarray:
    """``(N, W)``: the relative days of each firm-event's estimation window whose session is in its ``exclude``
    dates (one :class:`~pandas.DatetimeIndex` per firm-event, or all of them as :class:`SessionSets`). A date that
    is not a session of ``panel``'s axis, or whose session falls outside the estimation window, masks nothing."""
    out = np.zeros((len(day0), len(rel_days)), dtype=bool)
    if exclude is None:
        return out
    if isinstance(exclude, SessionSets):
        rows, stamps = np.asarray(exclude.owner, dtype=np.int64), pd.DatetimeIndex(exclude.stamps)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(day0)):
            raise ValueError(f"exclude: dates of firm-event {rows.max()} for {len(day0)} firm-events")
    else:
        if len(exclude) != len(day0):
            raise ValueError(f"exclude: {len(exclude)} sets of dates for {len(day0)} firm-events")
        counts = np.array([len(x) for x in exclude], dtype=np.int64)
        rows = np.repeat(np.arange(len(day0)), counts)
        stamps = pd.DatetimeIndex(
            np.concatenate([pd.DatetimeIndex(x).to_numpy(dtype="datetime64[ns]") for x in exclude])
        )
    if not len(rows):
        return out
    pos = panel.sessions.get_indexer(stamps)  # -1: not a session of the axis
    rel = pos - day0[rows]
    lo, hi = max(estimation_window[0], int(rel_days[0])), min(estimation_window[1], int(rel_days[-1]))
    hit = (pos >= 0) & (rel >= lo) & (rel <= hi)
    rows, rel = rows[hit], rel[hit]
    at = np.searchsorted(rel_days, rel)  # (rel_days ascend, possibly with gaps past the windows)
    on = rel_days[at] == rel
    out[rows[on], at[on]] = True
    return out


def abnormal_returns(
    panel: ReturnsPanel,
    benchmark: str,
    firm_events: Sequence[FirmEvent],
    model: str = "market_model",
    estimation_window: tuple[int, int] = (-260, -11),
    rel_range: tuple[int, int] = (-260, 20),
    *,
    dimson_lags: int = 1,
    factors: pd.DataFrame | None = None,
    moments: Moments | None = None,
    located: tuple[np.ndarray, np.ndarray] | None = None,
    exclude: Sequence[pd.DatetimeIndex] | SessionSets | None = None,
    reach: np.ndarray | None = None,
    gap_days: bool = True,
) -> AbnormalReturns:
    """Fit ``model`` for every firm-event and compute abnormal returns over ``rel_range``.

    Firm-events with fewer than ``p + 2`` usable estimation returns get NaN parameters and ARs; callers
    enforce their own minimum via :attr:`AbnormalReturns.n_est`. ``dimson_lags`` is the number of lags (and
    of leads) of the Dimson model; ``factors`` (dates × factor columns of daily returns, see
    :func:`eventstudy.data.factors.load_factors`) is required by the factor model. ``moments``: running sums of
    the panel (:func:`eventstudy.model.estimation.moments`, same benchmark) to take the normal equations and SSR from
    instead of the estimation rows — the same fit to rounding, cheaper for many firm-events (models of
    :data:`~eventstudy.model.estimation.MOMENT_MODELS`; ignored for the others). ``located``: the day-0 session
    positions and panel columns of ``firm_events`` when the caller already has them (the placebo's draw): the
    look-ups are skipped and ``firm_events`` is kept as given (any sequence) instead of copied into a tuple.
    ``exclude``: per firm-event, session dates left out of its estimation sample (:func:`masked_days`; the
    sessions of the firm's other events in the study, :mod:`eventstudy.study.masking`). The fit, ``σ²``,
    ``n_est`` and :attr:`AbnormalReturns.estimation` — what every test reads as the estimation period — all
    exclude them; ``moments`` are then not used (the running sums cover whole windows).
    ``reach``: per firm-event, how many sessions past ``rel_range[1]`` its returns are read (:func:`halt_reaches`:
    a firm suspended on ``rel_range[1]`` is followed to its next trade, and has no return on the sessions in
    between). Each firm-event then holds no return after its own day ``rel_range[1] + reach``, and the relative
    days past ``rel_range[1]`` are only those on which some firm-event's followed return ends (on every other
    such day no firm-event has one): the same numbers as the range widened by the largest reach, on far fewer
    days.
    ``gap_days``: False leaves out the relative days between the estimation window's end and ``rel_range[0]`` (the
    gap that keeps the event out of the fit), for a caller that reads only the two windows (the placebo's chunks):
    the arrays then hold only the days the test battery reads, and every number on them is the same.
    """
    if model not in MODEL_PARAMETERS:
        raise ValueError(f"unknown model {model!r}")
    rel_days = np.arange(min(rel_range[0], estimation_window[0]), rel_range[1] + 1)
    if not gap_days:
        rel_days = rel_days[(rel_days <= estimation_window[1]) | (rel_days >= rel_range[0])]
    last = None
    if reach is not None:
        last = rel_range[1] + np.asarray(reach, dtype=np.int64)
        rel_days = np.concatenate([rel_days, np.unique(last[last > rel_range[1]])])
    day0, cols = _locate(panel, firm_events) if located is None else located
    returns, market, span, usable = _gathered(panel, benchmark, rel_days, day0, cols, last)
    factor_spans = None
    param_names = MODEL_PARAMETERS[model]
    if model in FACTOR_MODELS:
        if factors is None or factors.shape[1] == 0:
            raise ValueError("the factor model needs a factor file with at least one factor column")
        aligned = factors.reindex(panel.sessions).to_numpy(dtype=float)
        factor_spans = span_sums(aligned, day0[:, None] + rel_days[None, :], span)
        param_names = (*param_names, *(f"b_{c}" for c in factors.columns))
    x0 = design(model, span, market, factor_spans)  # (finite: NaN as 0)
    p = x0.shape[-1]
    in_window = (rel_days >= estimation_window[0]) & (rel_days <= estimation_window[1])
    if factor_spans is not None:
        usable &= np.isfinite(factor_spans).all(axis=-1)
    masked = masked_days(panel, day0, rel_days, estimation_window, exclude)
    estimation = in_window[None, :] & (span == 1) & usable
    any_masked = bool(masked.any())
    if any_masked:
        estimation &= ~masked
    components = None

    # normal equations and SSR from running sums (over whole windows: not with masked sessions)
    from_sums = moments is not None and model in MOMENT_MODELS and not any_masked
    # Market-adjusted: the benchmark is the expected return; otherwise y is the firm's return. From running sums,
    # y is read only on the days with an AR (usable returns): there the firm's return is y itself.
    if from_sums and model != "market_adjusted":
        y = returns
    else:
        y = np.where(usable, returns - np.nan_to_num(market) if model == "market_adjusted" else returns, 0.0)
    if model in ("scholes_williams", "dimson"):
        lags = 1 if model == "scholes_williams" else dimson_lags
        if lags < 0:
            raise ValueError("dimson_lags must be >= 0")
        pos = day0[:, None] + rel_days[None, :]
        lagged = [shifted_market(panel, benchmark, pos, span, j) for j in range(-lags, lags + 1)]
        estimation &= np.logical_and.reduce([np.isfinite(m) for m in lagged])
        if model == "scholes_williams":
            ones = np.ones_like(span)
            m_session = shifted_market(panel, benchmark, pos, ones, 0)
            alpha, beta, components = _scholes_williams(
                y, lagged[1], lagged[2], lagged[0], m_session, estimation, in_window
            )
        else:
            alpha, beta, components = _dimson(y, lagged, estimation, lags)
        params = np.stack([alpha, beta], axis=-1)
    n_est = estimation.sum(axis=1)
    dof = n_est - (p if p else 1)
    fit = dof >= 2
    if model in ("scholes_williams", "dimson"):
        fit &= np.isfinite(params).all(axis=1)
        xtx, _ = normal_equations(x0, y, estimation)
        _, xtx_inv = solve(xtx, None, fit)
    elif from_sums and moments is not None:
        lo = np.clip(day0 + estimation_window[0], 0, len(panel.sessions))
        hi = np.clip(day0 + estimation_window[1] + 1, 0, len(panel.sessions))
        _, xtx, xty, yy = moment_equations(moments, model, cols, lo, hi)
        params, xtx_inv = solve(xtx, xty, fit)
    else:
        xtx, xty = normal_equations(x0, y, estimation)
        params, xtx_inv = solve(xtx, xty, fit)
    params = np.where(fit[:, None], params, 0.0)
    valid = usable & fit[:, None]  # (a usable return spans one session or more: its benchmark return is finite)
    if from_sums:  # σ² first: the ARs' variances are written at once
        s2 = sigma2(moment_ssr(params, xtx, xty, yy), dof, fit)
        ar, ar_var, _ = abnormal(x0, y, params, xtx_inv, span, valid, s2)
    else:  # the residuals' SSR summed with the ARs; without parameters y is the residual, its SSR around its mean
        ar, ar_var, ssr = abnormal(x0, y, params, xtx_inv, span, valid, estimation=estimation if p else None)
        if ssr is None:
            ssr = residual_ssr(np.where(estimation, y, 0.0), estimation, n_est, p)
        s2 = sigma2(ssr, dof, fit)
        ar_var = np.multiply(ar_var, s2[:, None], out=ar_var)  # σ² × the variance per unit σ² (NaN: no AR)
    if model == "garch":  # GARCH(1,1) conditional variances of the ARs and the fits (eventstudy.model.garch)
        ar_var, components = garch_variances(ar, ar_var, estimation, span, rel_days)
    params = np.where(fit[:, None], params, np.nan)
    return AbnormalReturns(
        model=model,
        firm_events=tuple(firm_events) if located is None else firm_events,
        rel_days=rel_days,
        estimation_window=estimation_window,
        returns=returns,
        market=market,
        span=span,
        design=x0,
        estimation=estimation,
        params=params,
        xtx_inv=xtx_inv,
        sigma2=s2,
        n_est=n_est,
        dof=dof,
        ar=ar,
        ar_var=ar_var,
        masked=masked,
        param_names=param_names,
        components=components,
    )


def fast_abnormal_returns(
    panel: ReturnsPanel,
    mom: Moments,
    benchmark: str,
    events: Sequence[FirmEvent],
    model: str,
    estimation_window: tuple[int, int],
    window: tuple[int, int],
) -> AbnormalReturns:
    """:func:`abnormal_returns` over ``window`` with the normal equations and SSR taken from the running sums
    ``mom`` (:func:`eventstudy.model.estimation.moment_equations`); agrees with it to rounding (tests/model/test_engine.py)."""
    if model not in MOMENT_MODELS:
        raise ValueError(f"no fast path for model {model!r}")
    return abnormal_returns(panel, benchmark, events, model, estimation_window, window, moments=mom)


def without(ab: AbnormalReturns, excluded: np.ndarray) -> AbnormalReturns:
    """``ab`` with the firm-events in ``excluded`` (``(N,)`` bool) holding no return: the tests leave them out."""
    if not excluded.any():
        return ab
    gone = excluded[:, None]
    return replace(
        ab, ar=np.where(gone, np.nan, ab.ar), ar_var=np.where(gone, np.nan, ab.ar_var),
        estimation=ab.estimation & ~gone,
    )  # fmt: skip
