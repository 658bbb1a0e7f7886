"""Estimation, abnormal returns, CAR and BHAR for all firm-events at once.

Every firm-event is a row of ``(N, W)`` arrays over relative days ``W``; missing sessions are masked, and
estimation is one batched least-squares solve — there is no per-firm Python loop.

Models (``design`` below), for a return ``R_t`` spanning ``k_t`` sessions with market return ``M_t`` over the
same span (Maynes & Rumsey 1993, trade-to-trade):

* ``market_model``     ``R_t = α k_t + β M_t + ε_t``,  Var ε_t = k_t σ²  (MacKinlay 1997, eq. 8)
* ``mean_adjusted``    ``R_t = μ k_t + ε_t``
* ``market_adjusted``  ``R_t = M_t + ε_t``  (no parameters)

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

MODEL_PARAMETERS = {"market_model": ("alpha", "beta"), "mean_adjusted": ("alpha",), "market_adjusted": ()}


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

    @property
    def n(self) -> int:
        return len(self.firm_events)

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
        names = MODEL_PARAMETERS[self.model]
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
        return frame


def design(model: str, span: np.ndarray, market: np.ndarray) -> np.ndarray:
    """Design rows ``x_t`` of shape ``(N, W, p)`` for ``model`` (see the module docstring)."""
    k = span.astype(float)
    if model == "market_model":
        return np.stack([k, market], axis=-1)
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


def abnormal_returns(
    panel: ReturnsPanel,
    benchmark: str,
    firm_events: Sequence[FirmEvent],
    model: str = "market_model",
    estimation_window: tuple[int, int] = (-260, -11),
    rel_range: tuple[int, int] = (-260, 20),
) -> AbnormalReturns:
    """Fit ``model`` for every firm-event and compute abnormal returns over ``rel_range``.

    Firm-events with fewer than ``p + 2`` usable estimation returns get NaN parameters and ARs; callers
    enforce their own minimum via :attr:`AbnormalReturns.n_est`.
    """
    if model not in MODEL_PARAMETERS:
        raise ValueError(f"unknown model {model!r}")
    rel_days = np.arange(min(rel_range[0], estimation_window[0]), rel_range[1] + 1)
    returns, market, span, _ = gather(panel, benchmark, firm_events, rel_days)
    x = design(model, span, market)
    p = x.shape[-1]
    in_window = (rel_days >= estimation_window[0]) & (rel_days <= estimation_window[1])
    usable = np.isfinite(returns) & np.isfinite(market)
    estimation = in_window[None, :] & (span == 1) & usable
    n_est = estimation.sum(axis=1)

    # Market-adjusted: the benchmark is the expected return; otherwise y is the firm's return.
    offset = np.nan_to_num(market) if model == "market_adjusted" else 0.0
    y = np.where(usable, returns - offset, 0.0)
    xm = np.where(estimation[..., None], x, 0.0)
    xtx = np.einsum("nwp,nwq->npq", xm, np.nan_to_num(x))
    xty = np.einsum("nwp,nw->np", xm, y)
    dof = n_est - (p if p else 1)
    fit = dof >= 2
    xtx_safe = np.where(fit[:, None, None], xtx, np.eye(p)[None, :, :])
    params = np.linalg.solve(xtx_safe, xty[..., None])[..., 0] if p else np.zeros((len(y), 0))
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
    )
