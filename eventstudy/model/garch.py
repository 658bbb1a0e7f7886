"""GARCH(1,1) conditional variances of abnormal returns: the one fit (``arch``) behind ``model: garch`` and the
test ``garch_bmp_t`` (:mod:`eventstudy.inference.garch`).

The model (Bollerslev 1986, *J. Econometrics* 31, 307–327) of a firm-event's estimation abnormal returns ``ε_t``
(the market model's OLS residuals on its single-session estimation returns, in time order, days without one
dropped):

    ε_t = √h_t z_t,   h_t = ω + α ε²_{t−1} + β h_{t−1},

fitted by Gaussian (quasi-)maximum likelihood with ``arch.arch_model(100 ε, mean="Zero", vol="GARCH", p=1, q=1)``.
The mean is not re-estimated: the residuals of an OLS fit with an intercept have mean zero by construction, so
``mean="Zero"`` on them is the second step of a two-step estimator whose first step is the market model — the
mean parameters stay the OLS ones every other model reports, and ARs are the same as the market model's (a joint
fit with ``mean="LS"`` and the market as exogenous regressor would move α and β by their GLS weighting, but not
the null distribution of the standardised ARs the tests use). ×100 puts the series on the optimiser's preferred
scale, undone on the variances.

Forecasts from the last estimation return ``T`` (the GARCH(1,1) multi-step forecast, as
``ARCHModelResult.forecast`` computes it; checked in tests/model/test_garch.py):

    ĥ(1) = ω + α ε_T² + β h_T,   ĥ(s) = ω + φ ĥ(s − 1),   φ = α + β   (→ h̄ = ω / (1 − φ)),

and their running sum ``H(s) = Σ_{u=1..s} ĥ(u)``: a return spanning the sessions ``s − k + 1 .. s`` after the last
estimation return (``k`` sessions, trade-to-trade) has conditional variance ``H(s) − H(s − k)``, and since the
``ε`` are serially uncorrelated the variance of a CAR over several returns is the sum of theirs — ``Σ ĥ`` over
the window (:func:`garch_variances`, read by :meth:`eventstudy.model.abnormal.AbnormalReturns.cumulate`).

Fits are cached by the bytes of the estimation ARs (the same for every window of a study and every injected
level of the placebo), so a study fits each firm-event once.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from typing import NamedTuple

import numpy as np

#: Fewer single-session estimation returns than this: no GARCH fit (five parameters' worth of curvature needs
#: a long series; Savickas 2003 uses 250 days), the firm-event keeps its OLS variances.
MIN_GARCH_RETURNS = 100
_SCALE = 100.0  # the fit is on 100 ε (per cent), the variances are returned in the units of ε
_CACHE: dict[bytes, GarchFit | None] = {}
_CACHE_SIZE = 200_000


class GarchFit(NamedTuple):
    """One GARCH(1,1) fit in the units of the ARs: ``ω, α, β``, the one-step forecast ``ĥ(1)`` after the last
    estimation return and ``h_1``, the fitted conditional variance of the first (arch's backcast start)."""

    omega: float
    alpha: float
    beta: float
    h_next: float
    h_first: float


def fit_garch(est: np.ndarray) -> GarchFit | None:
    """The GARCH(1,1) fit of the finite values of ``est`` (one firm-event's estimation ARs, in time order); None
    if there are fewer than :data:`MIN_GARCH_RETURNS`, the optimiser did not converge, or the fit is not a
    stationary positive variance process (``ω > 0``, ``α, β ≥ 0``, ``α + β < 1``). Never raises; ``arch``'s
    warnings are silenced."""
    e = np.asarray(est, dtype=float)
    e = e[np.isfinite(e)]
    if len(e) < MIN_GARCH_RETURNS:
        return None
    key = hashlib.blake2b(e.tobytes(), digest_size=20).digest()
    if key in _CACHE:
        return _CACHE[key]
    got = _fit(e)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = got
    return got


@functools.cache
def _blas_controller():
    """One ``threadpoolctl`` controller for the process (finding the BLAS libraries costs ~3 ms; limiting, little)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _fit(e: np.ndarray) -> GarchFit | None:
    from arch import arch_model  # imported on first use: the package's import stays light

    y = e * _SCALE
    if not np.std(y) > 0:
        return None
    try:  # one BLAS thread: the optimiser's path (and so the fit's last digits) then does not depend on the caller's
        with warnings.catch_warnings(), _blas_controller().limit(limits=1, user_api="blas"):
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                res = arch_model(y, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(
                    disp="off", show_warning=False
                )
    except Exception:  # any failure of the optimiser is a firm without a GARCH fit
        return None
    params = np.asarray(res.params, dtype=float)
    omega, alpha, beta = (float(v) for v in params)
    h = np.asarray(res.conditional_volatility, dtype=float) ** 2
    h1 = omega + alpha * y[-1] ** 2 + beta * float(h[-1])
    ok = (res.convergence_flag == 0 and np.isfinite([omega, alpha, beta, h1, h[0]]).all() and omega > 0
          and alpha >= 0 and beta >= 0 and alpha + beta < 1 and h1 > 0 and h[0] > 0)  # fmt: skip
    if not ok:
        return None
    s2 = _SCALE**2
    return GarchFit(omega / s2, alpha, beta, h1 / s2, float(h[0]) / s2)


def cumulative_forecast(fit: tuple[float, ...], s: np.ndarray) -> np.ndarray:
    """``H(s) = Σ_{u=1..s} ĥ(u)`` for horizons ``s ≥ 0`` (``H(0) = 0``) of one fit ``(ω, α, β, ĥ(1), …)`` (module
    docstring), the forecasts by their recursion ``ĥ(u) = ω + φ ĥ(u − 1)`` as ``arch`` computes them (the closed
    form ``h̄ + φ^(u−1)(ĥ(1) − h̄)`` loses digits to cancellation when ``φ`` is near 1)."""
    from scipy.signal import lfilter  # (imports scipy.stats: only when a GARCH forecast is made)

    omega, alpha, beta, h1 = fit[:4]
    s = np.maximum(np.asarray(s, dtype=np.int64), 0)
    top = int(s.max(initial=0))
    h = lfilter([1.0], [1.0, -(alpha + beta)], np.r_[h1, np.full(max(top - 1, 0), omega)])[:top]
    return np.r_[0.0, np.cumsum(h)][s]


def in_sample_variances(fit: GarchFit, e: np.ndarray) -> np.ndarray:
    """The fitted conditional variances ``h_1 .. h_T`` of the estimation ARs ``e`` (finite, time order):
    ``h_t = ω + α e²_{t−1} + β h_{t−1}`` from ``h_1`` (= ``arch``'s ``conditional_volatility²``)."""
    from scipy.signal import lfilter

    drive = np.r_[fit.h_first, fit.omega + fit.alpha * e[:-1] ** 2]
    return lfilter([1.0], [1.0, -fit.beta], drive)


def garch_variances(
    ar: np.ndarray, ar_var: np.ndarray, estimation: np.ndarray, span: np.ndarray, rel_days: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The market model's AR variances ``ar_var`` ``(N, W)`` replaced, for every firm-event with a GARCH fit, by
    its conditional variances: on an estimation return the fitted ``h_t``, on a return ending ``s`` sessions after
    the last estimation return and spanning ``k`` the forecast ``H(s) − H(s − k)`` (module docstring). Other days
    (returns inside the estimation window left out of its sample) and firm-events without a fit keep the OLS
    forecast-error variance. Returns the variances and the ``components`` of ``model: garch``: ``garch_omega``,
    ``garch_alpha``, ``garch_beta`` (NaN without a fit) and ``garch_fitted`` ``(N,)``.

    One ``arch`` fit per firm-event (~10 ms, cached by its estimation ARs); the forecasts and in-sample variances
    are then computed for all fitted firm-events at once."""
    n, w = ar.shape
    est = estimation & np.isfinite(ar)
    fits: list[GarchFit | None] = [None] * n
    for i in np.flatnonzero(est.sum(axis=1) >= MIN_GARCH_RETURNS):  # the optimiser fits one series at a time
        fits[i] = fit_garch(ar[i, est[i]])
    fitted = np.array([f is not None for f in fits], dtype=bool)
    params = np.full((n, 5), np.nan)
    if fitted.any():
        params[fitted] = np.array([f for f in fits if f is not None])
    out = np.array(ar_var, dtype=float, copy=True)
    rows = np.flatnonzero(fitted)
    if len(rows):
        omega, alpha, beta, h_next, h_first = params[rows].T
        # in-sample: h_t over each row's estimation returns, stepped across the (N, W) grid in time order
        sub, e_sub = est[rows], np.where(est[rows], ar[rows], 0.0)
        h, prev_e, started = np.full(len(rows), np.nan), np.zeros(len(rows)), np.zeros(len(rows), dtype=bool)
        for t in range(w):
            on = sub[:, t]
            step = np.where(started, omega + alpha * prev_e**2 + beta * h, h_first)
            h = np.where(on, step, h)
            out[rows[on], t] = h[on]
            prev_e = np.where(on, e_sub[:, t], prev_e)
            started |= on
        # forecasts: H(s) for s = 0 .. the furthest day per row, ĥ(u) = ω + φ ĥ(u − 1) from ĥ(1) (the relative
        # days need not be consecutive: a firm followed past a halt holds only the day its return ends)
        last = np.where(sub, rel_days[None, :], np.iinfo(np.int64).min).max(axis=1)
        s = rel_days[None, :] - last[:, None]
        horizon = max(int(s.max(initial=0)), 0)
        phi = alpha + beta
        forecast = np.empty((len(rows), horizon + 1))
        forecast[:, 0] = 0.0
        hu = h_next
        for u in range(1, horizon + 1):
            forecast[:, u] = forecast[:, u - 1] + hu
            hu = omega + phi * hu
        k = span[rows]
        after = (s > 0) & np.isfinite(ar[rows]) & (k > 0) & (s - k >= 0)
        s_end, s_start = np.clip(s, 0, horizon), np.clip(s - k, 0, horizon)
        take = np.take_along_axis(forecast, s_end, 1) - np.take_along_axis(forecast, s_start, 1)
        block = out[rows]
        block[after] = take[after]
        out[rows] = block
    components = {"garch_omega": params[:, 0], "garch_alpha": params[:, 1], "garch_beta": params[:, 2],
                  "garch_fitted": fitted}  # fmt: skip
    return out, components
