"""``garch_bmp_t`` (Savickas 2003): GARCH(1,1) conditional variances of abnormal returns, one fit per firm with
the ``arch`` package, its forecasts over the window in closed form, and the BMP t of the CARs they standardise
(:func:`_garch_bmp_t`, a test of the battery, :func:`eventstudy.inference.vectorised.battery`).

The conditional variance model (Bollerslev 1986, *J. Econometrics* 31, 307–327) of a firm's estimation
abnormal returns ``ε_t`` (single-session returns, in time order, days without one dropped):

    ε_t = √h_t z_t,   h_t = ω + α ε²_{t−1} + β h_{t−1},

fitted by Gaussian (quasi-)maximum likelihood with ``arch.arch_model(100 ε, mean="Zero", vol="GARCH", p=1, q=1)``
(the ARs are market-model residuals, mean zero by construction; ×100 puts them on the optimiser's preferred scale,
undone on the variances). Forecasts from the last estimation return ``T`` (the GARCH(1,1) multi-step forecast; the same as
``ARCHModelResult.forecast``, checked in tests/inference/test_garch.py):

    ĥ(1) = ω + α ε_T² + β h_T,   ĥ(s) = h̄ + φ^(s−1) (ĥ(1) − h̄),   φ = α + β,  h̄ = ω / (1 − φ),

(computed by the recursion ``ĥ(s) = ω + φ ĥ(s − 1)``) and their running sum ``H(s) = Σ_{u=1..s} ĥ(u)``, so a
return spanning the sessions ``s₀ .. s₁`` after the last estimation return has forecast variance
``H(s₁) − H(s₀ − 1)``.

Fits are cached by the bytes of the estimation ARs (the same for every window of a study and every injected
level of the placebo), so a study fits each firm once.
"""

from __future__ import annotations

import functools
import hashlib
import warnings

import numpy as np

from .sample import _mean_t

#: Fewer single-session estimation returns than this: no GARCH fit (five parameters' worth of curvature needs
#: a long series; Savickas 2003 uses 250 days), the firm keeps its OLS standardisation.
MIN_GARCH_RETURNS = 100
_SCALE = 100.0  # the fit is on 100 ε (per cent), the variances are returned in the units of ε
_CACHE: dict[bytes, tuple[float, float, float, float] | None] = {}
_CACHE_SIZE = 200_000


def fit_garch(est: np.ndarray) -> tuple[float, float, float, float] | None:
    """``(ω, α, β, ĥ(1))`` of a GARCH(1,1) fitted to the finite values of ``est`` (one firm's estimation ARs, in
    time order), in the units of ``est``; None if there are fewer than :data:`MIN_GARCH_RETURNS`, the optimiser
    did not converge, or the fit is not a stationary positive variance process (``ω > 0``, ``α, β ≥ 0``,
    ``α + β < 1``). Never raises; ``arch``'s warnings are silenced."""
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


def _fit(e: np.ndarray) -> tuple[float, float, float, float] | None:
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
    h_last = float(np.asarray(res.conditional_volatility, dtype=float)[-1] ** 2)
    h1 = omega + alpha * y[-1] ** 2 + beta * h_last
    ok = (res.convergence_flag == 0 and np.isfinite([omega, alpha, beta, h1]).all() and omega > 0
          and alpha >= 0 and beta >= 0 and alpha + beta < 1 and h1 > 0)  # fmt: skip
    if not ok:
        return None
    s2 = _SCALE**2
    return omega / s2, alpha, beta, h1 / s2


def cumulative_forecast(fit: tuple[float, float, float, float], s: np.ndarray) -> np.ndarray:
    """``H(s) = Σ_{u=1..s} ĥ(u)`` for horizons ``s ≥ 0`` (``H(0) = 0``) of one fit (module docstring), the
    forecasts by their recursion ``ĥ(u) = ω + φ ĥ(u − 1)`` as ``arch`` computes them (the closed form
    ``h̄ + φ^(u−1)(ĥ(1) − h̄)`` loses digits to cancellation when ``φ`` is near 1)."""
    from scipy.signal import lfilter  # (imports scipy.stats: only when a GARCH forecast is made)

    omega, alpha, beta, h1 = fit
    s = np.maximum(np.asarray(s, dtype=np.int64), 0)
    top = int(s.max(initial=0))
    h = lfilter([1.0], [1.0, -(alpha + beta)], np.r_[h1, np.full(max(top - 1, 0), omega)])[:top]
    return np.r_[0.0, np.cumsum(h)][s]


def _garch_bmp_t(v):
    """GARCH-standardised cross-sectional test (Savickas 2003, *J. Financial Research* 26, 165–178):
    the BMP t of CARs standardised by their GARCH(1,1) conditional variances.

    Each firm's estimation abnormal returns get a GARCH(1,1) (Bollerslev 1986; ``arch``, see
    :mod:`eventstudy.inference.garch`), whose forecasts ``ĥ_i(s)``, ``s`` sessions after its last estimation
    return, give the window CAR's conditional variance ``V_i = Σ_{t∈W_i} Σ_{u=s_t−k_t+1..s_t} ĥ_i(u)`` (each
    return over the ``k_t`` sessions it spans, ``s_t`` = its relative day − the last estimation day) and
    ``SCAR_i^G = CAR_i / √V_i``. The test is BMP's (1991, eq. 9) on these: ``t = mean(SCAR^G) / (S / √N)``,
    ``S`` their cross-sectional sd; p from Student t with N − 1 d.f. Savickas fits the market model and the
    GARCH jointly with an event dummy in the mean (``γ̂_i / √ĥ_i,0``); here, two-step: the engine's OLS ARs,
    then the GARCH on them, forecast over the window (multi-step from the end of the estimation period, which
    the event-day dummy form equals when the window follows the estimation days). The estimation error of the
    mean parameters is left out, as in Savickas. A firm with fewer than 100 single-session estimation returns
    (:data:`~eventstudy.inference.garch.MIN_GARCH_RETURNS`) or whose fit fails keeps its OLS ``SCAR_i``
    (``bmp_t``'s), so ``n_firms`` is bmp_t's. Robust to event-induced variance and volatility clustering, not
    to cross-correlation. One model fit per firm (cached by its estimation ARs): in :data:`EXPENSIVE`."""
    ar, mask, w = v["ar"], v["mask"], v["in_window"]
    rel = np.arange(ar.shape[2], dtype=float) if v.get("rel_days") is None else np.asarray(v["rel_days"], float)
    est, win = ar[:, :, ~w], ar[:, :, w]
    fin = np.isfinite(est)
    last = np.where(fin, rel[~w], -np.inf).max(axis=2)  # (G, F) each firm's last estimation return
    ok = np.isfinite(win) & mask[:, :, None]
    span = np.where(ok, v["span"][:, :, w], 0.0)
    car = np.where(ok, win, 0.0).sum(axis=2)
    scar = np.array(v["scar"], dtype=float, copy=True)
    for gi, fi in zip(*np.nonzero(mask & (fin.sum(axis=2) >= MIN_GARCH_RETURNS) & ok.any(axis=2)), strict=True):
        fit = fit_garch(est[gi, fi])
        if fit is None:
            continue
        end = rel[w] - last[gi, fi]
        var = (cumulative_forecast(fit, end) - cumulative_forecast(fit, end - span[gi, fi]))[ok[gi, fi]].sum()
        if var > 0:
            scar[gi, fi] = car[gi, fi] / np.sqrt(var)
    return (*_mean_t(scar, mask), v["n"])
