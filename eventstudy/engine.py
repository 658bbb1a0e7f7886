"""Estimation, abnormal returns, CAR and BHAR for all firm-events at once.

Every firm-event is a row of ``(N, W)`` arrays over relative days ``W``; missing sessions are masked, and
estimation is one batched least-squares solve — there is no per-firm Python loop.

Models (``design`` below), for a return ``R_t`` spanning ``k_t`` sessions with market return ``M_t`` over the
same span (Maynes & Rumsey 1993, trade-to-trade):

* ``market_model``     ``R_t = α k_t + β M_t + ε_t``,  Var ε_t = k_t σ²  (MacKinlay 1997, eq. 8)
* ``mean_adjusted``    ``R_t = μ k_t + ε_t``
* ``market_adjusted``  ``R_t = M_t + ε_t``  (no parameters)
* ``scholes_williams`` ``R_t = α k_t + β_SW M_t + ε_t`` with the Scholes & Williams (1977, eq. 14) beta
  ``β_SW = (β⁻ + β⁰ + β⁺) / (1 + 2ρ_M)`` — see :func:`_scholes_williams`
* ``dimson``           ``R_t = α k_t + Σ_j β_j M_{t−j} + ε_t`` over lags/leads ``j = −L..L`` (Dimson 1979, eq. 9);
  the AR uses the aggregated beta ``β_D = Σ_j β_j`` with the contemporaneous market — see :func:`_dimson`
* ``factor``           ``R_t = α k_t + β M_t + Σ_f b_f F_{f,t} + ε_t`` with factors from a user file
  (:mod:`eventstudy.factors`), each summed over the return's span

Lead/lag market returns are defined over *sessions*: the market return "lagged j sessions" for a return
spanning ``(s, t]`` is the benchmark's return over ``(s − j, t − j]`` (the same span shifted j sessions back;
``j < 0`` is a lead). Scholes–Williams and Dimson betas are estimated on single-session returns only, so a lag
is exactly the previous session's market return; the thin-trading correction is then carried by the adjusted
beta, which (like the market model) applies to a k-session return through ``α k + β M_span``. For these two
models ``σ²`` is the variance of the estimation-window ARs computed exactly as event-window ARs are
(``R − α k − β M``, ``n − 2`` degrees of freedom), and the estimation-error term uses ``(X'X)⁻¹`` of the
``(k, M)`` design — the OLS approximation, since the adjusted beta is not itself an OLS coefficient.

The parameters are fitted by OLS on single-session returns (``k_t = 1``) inside the estimation window, so the
estimation sample is homoskedastic; ``σ² = SSR / (n − p)`` (``p`` parameters; for the market-adjusted model
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
returns cover. A firm-event with no return in ``D`` has ``n_obs = 0`` and NaN CAR/BHAR ("not traded").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .errors import DataError
from .returns import ReturnsPanel

MODEL_PARAMETERS = {
    "market_model": ("alpha", "beta"),
    "mean_adjusted": ("alpha",),
    "market_adjusted": (),
    "scholes_williams": ("alpha", "beta"),
    "dimson": ("alpha", "beta"),
    "factor": ("alpha", "beta"),  # followed by one loading per factor column (see ``param_names``)
}
MODELS = tuple(MODEL_PARAMETERS)


@dataclass(frozen=True)
class FirmEvent:
    """One firm's exposure to one event, with day 0 already on the firm's exchange calendar."""

    event_id: str
    ticker: str
    name: str
    day0: pd.Timestamp


@dataclass(frozen=True)
class AbnormalReturns:
    """Results for N firm-events over relative days ``rel_days``; arrays are ``(N, W)`` unless noted.

    ``returns``/``market``/``span`` are the firm's trade-to-trade return, the benchmark over the same span, and
    the span in sessions (0: no return). ``estimation`` marks the returns the model was fitted on. ``ar`` is NaN
    where the firm has no return. ``params`` is ``(N, p)``, ``xtx_inv`` ``(N, p, p)``; ``sigma2``, ``n_est`` and
    ``dof`` are ``(N,)``.
    """

    model: str
    firm_events: tuple[FirmEvent, ...]
    rel_days: np.ndarray
    estimation_window: tuple[int, int]
    returns: np.ndarray
    market: np.ndarray
    span: np.ndarray
    design: np.ndarray
    estimation: np.ndarray
    params: np.ndarray
    xtx_inv: np.ndarray
    sigma2: np.ndarray
    n_est: np.ndarray
    dof: np.ndarray
    ar: np.ndarray
    ar_var: np.ndarray
    param_names: tuple[str, ...] = ()
    components: dict[str, np.ndarray] | None = None  # model-specific extras, e.g. Dimson lag betas, ρ_M

    @property
    def n(self) -> int:
        return len(self.firm_events)

    @property
    def sar(self) -> np.ndarray:
        """Standardised abnormal returns ``AR_t / √Var(AR_t)`` (forecast-error variance), NaN where no AR."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.ar / np.sqrt(self.ar_var)

    @property
    def in_estimation(self) -> np.ndarray:
        """Boolean ``(W,)`` mask of relative days inside the estimation window."""
        return self.days(self.estimation_window)

    def days(self, window: tuple[int, int]) -> np.ndarray:
        """Boolean ``(W,)`` mask of relative days inside ``window`` (inclusive)."""
        return (self.rel_days >= window[0]) & (self.rel_days <= window[1])

    def cumulate(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """CAR, its standard error, t, p, BHAR and n_obs over the days in ``mask`` (``(W,)`` or ``(N, W)``)."""
        use = np.broadcast_to(mask, self.ar.shape) & np.isfinite(self.ar)
        n_obs = use.sum(axis=1)
        car = np.where(use, self.ar, 0.0).sum(axis=1)
        k = np.where(use, self.span, 0).sum(axis=1)
        g = np.einsum("nwp,nw->np", self.design, use.astype(float))
        var = self.sigma2 * (k + np.einsum("np,npq,nq->n", g, self.xtx_inv, g))
        gross_firm = np.where(use, 1.0 + self.returns, 1.0).prod(axis=1)
        gross_market = np.where(use, 1.0 + self.market, 1.0).prod(axis=1)
        empty = n_obs == 0
        se = np.sqrt(var)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = car / se
        out = {
            "car": np.where(empty, np.nan, car),
            "car_se": np.where(empty, np.nan, se),
            "car_t": np.where(empty, np.nan, t),
            "car_p": np.where(empty, np.nan, 2.0 * stats.t.sf(np.abs(t), self.dof)),
            "bhar": np.where(empty, np.nan, gross_firm - gross_market),
            "n_obs": n_obs,
        }
        return out

    def car(self, window: tuple[int, int]) -> pd.DataFrame:
        """Tidy per-firm CAR table for one window (columns of ``car.csv``)."""
        res = self.cumulate(self.days(window))
        frame = pd.DataFrame(
            {
                "event_id": [fe.event_id for fe in self.firm_events],
                "ticker": [fe.ticker for fe in self.firm_events],
                "window_start": window[0],
                "window_end": window[1],
            }
        )
        for key, values in res.items():
            frame[key] = values
        return frame

    def car_path(self, path: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(days, CAR, se)`` cumulated from ``path[0]`` to each day of the path; arrays ``(N, L)``."""
        days = self.rel_days[self.days(path)]
        cars, ses = [], []
        for day in days:
            res = self.cumulate(self.days((path[0], int(day))))
            cars.append(np.where(res["n_obs"] > 0, res["car"], np.nan))
            ses.append(res["car_se"])
        return days, np.column_stack(cars), np.column_stack(ses)

    def estimates(self) -> pd.DataFrame:
        """Per firm-event estimation results (columns of ``estimates.csv`` but the dates)."""
        names = self.param_names or MODEL_PARAMETERS[self.model]
        frame = pd.DataFrame(
            {
                "event_id": [fe.event_id for fe in self.firm_events],
                "ticker": [fe.ticker for fe in self.firm_events],
                "model": self.model,
                "day0": [fe.day0.date().isoformat() for fe in self.firm_events],
                "n_est": self.n_est,
                "alpha": self.params[:, 0] if "alpha" in names else np.nan,
                "beta": self.params[:, 1] if "beta" in names else (1.0 if self.model == "market_adjusted" else np.nan),
                "sigma": np.sqrt(self.sigma2),
            }
        )
        for j, name in enumerate(names[2:], start=2):  # factor loadings
            frame[name] = self.params[:, j]
        return frame


def design(model: str, span: np.ndarray, market: np.ndarray, factors: np.ndarray | None = None) -> np.ndarray:
    """Design rows ``x_t`` of shape ``(N, W, p)`` for ``model`` (see the module docstring).

    ``factors`` is ``(N, W, q)``: each factor summed over the return's span (factor model only).
    """
    k = span.astype(float)
    if model in ("market_model", "scholes_williams", "dimson"):
        return np.stack([k, market], axis=-1)
    if model == "factor":
        if factors is None:
            raise ValueError("the factor model needs factor returns")
        return np.concatenate([np.stack([k, market], axis=-1), factors], axis=-1)
    if model == "mean_adjusted":
        return k[..., None]
    if model == "market_adjusted":
        return np.zeros(span.shape + (0,))
    raise ValueError(f"unknown model {model!r}")


def _positions(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    """Session positions of every firm-event's day 0 in one lookup (DataError, as ``position``, if one is off)."""
    day0 = panel.sessions.get_indexer(pd.DatetimeIndex([fe.day0 for fe in firm_events]))
    if (day0 < 0).any():
        panel.position(firm_events[int(np.flatnonzero(day0 < 0)[0])].day0)  # raises with the offending date
    return day0.astype(np.int64)


def gather(
    panel: ReturnsPanel, benchmark: str, firm_events: Sequence[FirmEvent], rel_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Firm returns, benchmark returns over the same spans, spans and session positions, ``(N, W)`` each."""
    sessions = panel.sessions
    day0 = _positions(panel, firm_events)
    cols = panel.returns.columns.get_indexer([fe.ticker for fe in firm_events])
    if (cols < 0).any():
        missing = firm_events[int(np.flatnonzero(cols < 0)[0])].ticker
        raise DataError(f"{missing}: no prices loaded for this ticker")
    pos = day0[:, None] + rel_days[None, :]
    inside = (pos >= 0) & (pos < len(sessions))
    safe = np.clip(pos, 0, len(sessions) - 1)
    returns = np.where(inside, panel.returns.to_numpy()[safe, cols[:, None]], np.nan)
    span = np.where(inside, panel.span.to_numpy()[safe, cols[:, None]], 0)
    level = panel.level[benchmark].to_numpy()
    start = np.clip(safe - span, 0, len(sessions) - 1)
    with np.errstate(invalid="ignore"):
        market = np.where(inside & (span > 0) & (safe - span >= 0), level[safe] / level[start] - 1.0, np.nan)
    return returns, market, span, pos


def shifted_market(panel: ReturnsPanel, benchmark: str, pos: np.ndarray, span: np.ndarray, lag: int) -> np.ndarray:
    """Benchmark return over the span ``(pos − span − lag, pos − lag]``: the return's own span moved ``lag``
    sessions back (``lag < 0``: forward). NaN where the span is empty or falls outside the benchmark's data."""
    level = panel.level[benchmark].to_numpy()
    end = pos - lag
    start = end - span
    ok = (span > 0) & (start >= 0) & (end < len(level)) & (end >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = level[np.clip(end, 0, len(level) - 1)] / level[np.clip(start, 0, len(level) - 1)] - 1.0
    return np.where(ok, out, np.nan)


def span_sums(values: np.ndarray, pos: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Sum of per-session ``values`` ``(S, q)`` over each span ``(pos − span, pos]``: ``(N, W, q)``.

    NaN when any session of the span has no value (or the span is empty / off the axis).
    """
    n_sessions = values.shape[0]
    filled = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(np.nan_to_num(values), axis=0)])
    holes = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(np.isnan(values), axis=0)])
    end = pos + 1
    start = end - span
    ok = (span > 0) & (start >= 0) & (end <= n_sessions)
    e, s_ = np.clip(end, 0, n_sessions), np.clip(start, 0, n_sessions)
    total = filled[e] - filled[s_]
    missing = holes[e] - holes[s_]
    return np.where(ok[..., None] & (missing == 0), total, np.nan)


def _simple_slope(y: np.ndarray, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-row OLS slope of ``y`` on ``x`` (with intercept) over ``mask``; all ``(N, W)``."""
    n = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = np.where(mask, x, 0.0).sum(axis=1) / n
        ym = np.where(mask, y, 0.0).sum(axis=1) / n
        dx = np.where(mask, x - xm[:, None], 0.0)
        dy = np.where(mask, y - ym[:, None], 0.0)
        return (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)


def _scholes_williams(
    y: np.ndarray, m0: np.ndarray, m_lag: np.ndarray, m_lead: np.ndarray, m_session: np.ndarray,
    mask: np.ndarray, in_window: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Scholes & Williams (1977, *J. Financial Economics* 5, 309–327), eq. (14):

        β_SW = (β⁻ + β⁰ + β⁺) / (1 + 2ρ_M),   α_SW = mean(R) − β_SW mean(M)   (their eq. 15)

    ``β⁻, β⁰, β⁺`` are the simple-regression slopes of the firm's single-session returns (``mask``) on the
    market's return of the previous, same and next session; ``ρ_M`` is the first-order autocorrelation of the
    market's single-session returns over every session of the firm-event's estimation window
    (``m_session``, ``in_window``), traded by the firm or not. Multi-session returns are excluded from the
    estimation (they enter only as ARs, through ``α k + β_SW M_span``).
    """
    b_minus = _simple_slope(y, m_lag, mask)
    b_zero = _simple_slope(y, m0, mask)
    b_plus = _simple_slope(y, m_lead, mask)
    prev = np.concatenate([np.full((len(m_session), 1), np.nan), m_session[:, :-1]], axis=1)
    pair = in_window[None, :] & np.concatenate([[False], in_window[:-1]])[None, :] & np.isfinite(m_session) & np.isfinite(prev)
    n = pair.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(pair, m_session, 0.0)
        b = np.where(pair, prev, 0.0)
        am, bm = a.sum(axis=1) / n, b.sum(axis=1) / n
        da, db = np.where(pair, a - am[:, None], 0.0), np.where(pair, b - bm[:, None], 0.0)
        rho = (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
        beta = (b_minus + b_zero + b_plus) / (1.0 + 2.0 * rho)
        nobs = mask.sum(axis=1)
        alpha = np.where(mask, y, 0.0).sum(axis=1) / nobs - beta * np.where(mask, m0, 0.0).sum(axis=1) / nobs
    return alpha, beta, {"beta_minus": b_minus, "beta_zero": b_zero, "beta_plus": b_plus, "rho_market": rho}


def _dimson(
    y: np.ndarray, lagged: list[np.ndarray], mask: np.ndarray, lags: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Dimson (1979, *J. Financial Economics* 7, 197–226), eq. (9): OLS of the firm's single-session return on
    a constant and the market's returns lagged ``j = −L..L`` sessions (``lagged[j + L]``); the aggregated
    beta ``β_D = Σ_j β_j`` (his eq. 10) is the thin-trading-consistent beta. Estimated in one batched solve on
    single-session returns only (``mask``)."""
    x = np.stack([np.ones_like(y), *lagged], axis=-1)
    xm = np.where(mask[..., None], np.nan_to_num(x), 0.0)
    xtx = np.einsum("nwp,nwq->npq", xm, xm)
    xty = np.einsum("nwp,nw->np", xm, np.where(mask, y, 0.0))
    ok = mask.sum(axis=1) > x.shape[-1] + 1
    xtx = np.where(ok[:, None, None], xtx, np.eye(x.shape[-1])[None])
    coef = np.linalg.solve(xtx, xty[..., None])[..., 0]
    coef = np.where(ok[:, None], coef, np.nan)
    comps = {f"beta_{'lag' if j > 0 else 'lead'}{abs(j)}" if j else "beta_0": coef[:, 1 + j + lags]
             for j in range(-lags, lags + 1)}  # fmt: skip
    return coef[:, 0], coef[:, 1:].sum(axis=1), comps


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
) -> AbnormalReturns:
    """Fit ``model`` for every firm-event and compute abnormal returns over ``rel_range``.

    Firm-events with fewer than ``p + 2`` usable estimation returns get NaN parameters and ARs; callers
    enforce their own minimum via :attr:`AbnormalReturns.n_est`. ``dimson_lags`` is the number of lags (and
    of leads) of the Dimson model; ``factors`` (dates × factor columns of daily returns, see
    :func:`eventstudy.factors.load_factors`) is required by the factor model.
    """
    if model not in MODEL_PARAMETERS:
        raise ValueError(f"unknown model {model!r}")
    rel_days = np.arange(min(rel_range[0], estimation_window[0]), rel_range[1] + 1)
    returns, market, span, pos = gather(panel, benchmark, firm_events, rel_days)
    factor_spans = None
    param_names = MODEL_PARAMETERS[model]
    if model == "factor":
        if factors is None or factors.shape[1] == 0:
            raise ValueError("the factor model needs a factor file with at least one factor column")
        aligned = factors.reindex(panel.sessions).to_numpy(dtype=float)
        factor_spans = span_sums(aligned, pos, span)
        param_names = (*param_names, *(f"b_{c}" for c in factors.columns))
    x = design(model, span, market, factor_spans)
    p = x.shape[-1]
    in_window = (rel_days >= estimation_window[0]) & (rel_days <= estimation_window[1])
    usable = np.isfinite(returns) & np.isfinite(market)
    if factor_spans is not None:
        usable &= np.isfinite(factor_spans).all(axis=-1)
    estimation = in_window[None, :] & (span == 1) & usable
    components = None

    # Market-adjusted: the benchmark is the expected return; otherwise y is the firm's return.
    offset = np.nan_to_num(market) if model == "market_adjusted" else 0.0
    y = np.where(usable, returns - offset, 0.0)
    if model in ("scholes_williams", "dimson"):
        lags = 1 if model == "scholes_williams" else dimson_lags
        if lags < 0:
            raise ValueError("dimson_lags must be >= 0")
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
    xm = np.where(estimation[..., None], x, 0.0)
    xtx = np.einsum("nwp,nwq->npq", xm, np.nan_to_num(x))
    xty = np.einsum("nwp,nw->np", xm, y)
    dof = n_est - (p if p else 1)
    fit = dof >= 2
    if model in ("scholes_williams", "dimson"):
        fit &= np.isfinite(params).all(axis=1)
    xtx_safe = np.where(fit[:, None, None], xtx, np.eye(p)[None, :, :])
    if model not in ("scholes_williams", "dimson"):
        params = np.linalg.solve(xtx_safe, xty[..., None])[..., 0] if p else np.zeros((len(y), 0))
    params = np.where(fit[:, None], params, 0.0) if p else params
    xtx_inv = np.linalg.inv(xtx_safe) if p else np.zeros((len(y), 0, 0))
    fitted = np.einsum("nwp,np->nw", np.nan_to_num(x), params)
    resid = np.where(estimation, y - fitted, 0.0)
    if p:
        ssr = (resid**2).sum(axis=1)
    else:  # sample variance around the estimation-window mean (Brown & Warner 1985)
        mean = resid.sum(axis=1) / np.maximum(n_est, 1)
        ssr = (np.where(estimation, resid - mean[:, None], 0.0) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.where(fit, ssr / dof, np.nan)
    params = np.where(fit[:, None], params, np.nan)
    ar = np.where(usable & (span > 0) & fit[:, None], y - fitted, np.nan)
    ar_var = sigma2[:, None] * (span + np.einsum("nwp,npq,nwq->nw", np.nan_to_num(x), xtx_inv, np.nan_to_num(x)))
    return AbnormalReturns(
        model=model,
        firm_events=tuple(firm_events),
        rel_days=rel_days,
        estimation_window=estimation_window,
        returns=returns,
        market=market,
        span=span,
        design=np.nan_to_num(x),
        estimation=estimation,
        params=params,
        xtx_inv=xtx_inv,
        sigma2=sigma2,
        n_est=n_est,
        dof=dof,
        ar=ar,
        ar_var=np.where(np.isfinite(ar), ar_var, np.nan),
        param_names=param_names,
        components=components,
    )
