"""Calendar-time portfolio alpha: the intercept of a time-series regression of an event portfolio's daily return
on the market (and on factors where they exist), with a heteroskedasticity- and autocorrelation-robust t.

Jaffe (1974, *J. Business* 47, 410–428) and Mandelker (1974, *JFE* 1, 303–335) form, on each calendar day, the
portfolio of the firms that are inside their post-event window; Fama (1998, *JFE* 49, 283–306, sec. 4) and
Mitchell & Stafford (2000, *J. Business* 73, 287–329) recommend it for long horizons, because the portfolio's
daily returns carry the cross-correlation of the event firms (several firms in the portfolio on one day are one
observation, not several) and are close to normal, unlike long-horizon buy-and-hold returns. The regression is

    R_p,t = α + β' x_t + e_t,       t = 1 … T  (the days on which the portfolio holds at least one firm)

estimated by OLS (``x_t``: the benchmark's return, and the factors of a study with ``model: factor``, whose
benchmark is the market factor — :func:`regressors`). ``α`` is the portfolio's mean daily abnormal return. Its standard error is Newey & West's
(1987, *Econometrica* 55, 703–708) HAC estimator with Bartlett weights ``w_l = 1 − l / (L + 1)``,

    V = (X'X)⁻¹ [Σ_t e_t² x_t x_t' + Σ_{l=1..L} w_l Σ_t e_t e_{t−l} (x_t x_{t−l}' + x_{t−l} x_t')] (X'X)⁻¹,

no small-sample factor, and lag ``L = ⌊4 (T / 100)^{2/9}⌋`` (Newey & West 1994, *Rev. Econ. Studies* 61, 631–653);
``L = 0`` gives White's (1980) HC0. ``t = α / √V₁₁`` and ``p`` from Student t with ``T − k`` degrees of freedom
(``k`` regressors with the constant). statsmodels' ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": L},
use_t=True)`` gives the same numbers (tests/inference/test_calendar_time.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .sample import _t_p

MIN_DAYS = 20  # fewer portfolio days than this: no alpha (the HAC variance needs far more than k observations)


@dataclass(frozen=True)
class CalendarTimeAlpha:
    """The calendar-time regression's intercept (daily), its HAC standard error, t, p and the design."""

    alpha: float
    se: float
    t: float
    p: float
    betas: tuple[float, ...]  # slopes on the regressors, in column order
    days: int  # T: portfolio days in the regression
    lags: int  # L: Newey–West lags
    reason: str = ""  # why the figures are NaN, when they are

    @property
    def defined(self) -> bool:
        return math.isfinite(self.alpha) and math.isfinite(self.p)


def newey_west_lags(days: int) -> int:
    """``⌊4 (T / 100)^{2/9}⌋`` (Newey & West 1994)."""
    return int(math.floor(4.0 * (days / 100.0) ** (2.0 / 9.0))) if days > 0 else 0


def hac_covariance(x: np.ndarray, e: np.ndarray, lags: int) -> np.ndarray:
    """Newey–West covariance of the OLS coefficients (module docstring), design ``x`` ``(T, k)``, residuals ``e``."""
    xtx_inv = np.linalg.inv(x.T @ x)
    u = x * e[:, None]  # score rows x_t e_t
    meat = u.T @ u
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        g = u[lag:].T @ u[:-lag]
        meat += w * (g + g.T)
    return xtx_inv @ meat @ xtx_inv


def calendar_time_alpha(
    portfolio: np.ndarray, regressors: np.ndarray, lags: int | None = None, min_days: int = MIN_DAYS
) -> CalendarTimeAlpha:
    """OLS of ``portfolio`` ``(T,)`` on a constant and ``regressors`` ``(T,)`` or ``(T, m)`` over the days where
    all are finite; HAC t of the intercept (module docstring). ``lags``: None for the Newey–West rule; fewer than
    ``min_days`` days (or ``k + 2``): NaN with the reason."""
    y = np.asarray(portfolio, dtype=float)
    f = np.asarray(regressors, dtype=float)
    f = f[:, None] if f.ndim == 1 else f
    ok = np.isfinite(y) & np.isfinite(f).all(axis=1)
    y, f = y[ok], f[ok]
    n, k = len(y), f.shape[1] + 1
    lag = newey_west_lags(n) if lags is None else int(lags)
    nan = CalendarTimeAlpha(math.nan, math.nan, math.nan, math.nan, (math.nan,) * (k - 1), n, lag)
    if n < max(min_days, k + 2):
        return _with_reason(nan, f"{n} portfolio days, fewer than {max(min_days, k + 2)}")
    x = np.column_stack([np.ones(n), f])
    if np.linalg.matrix_rank(x) < k:
        return _with_reason(nan, "the regressors do not vary over the portfolio days")
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    e = y - x @ coef
    v = hac_covariance(x, e, lag)
    se = math.sqrt(v[0, 0]) if v[0, 0] > 0 else math.nan
    t = coef[0] / se
    p = float(_t_p(np.asarray(t), np.asarray(n - k))) if math.isfinite(t) else math.nan
    return CalendarTimeAlpha(float(coef[0]), se, float(t), p, tuple(float(b) for b in coef[1:]), n, lag)


def regressors(market: np.ndarray, days: pd.DatetimeIndex, factors: pd.DataFrame | None) -> np.ndarray:
    """The regression's columns on ``days``: the market's returns, then each factor's (a study's factor file,
    ``model: factor``; a day without a factor value drops out of the regression)."""
    m = np.asarray(market, dtype=float)[:, None]
    if factors is None or factors.empty:
        return m
    return np.column_stack([m, factors.reindex(days).to_numpy(dtype=float)])


def _with_reason(a: CalendarTimeAlpha, reason: str) -> CalendarTimeAlpha:
    return CalendarTimeAlpha(a.alpha, a.se, a.t, a.p, a.betas, a.days, a.lags, reason)
