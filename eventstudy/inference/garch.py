"""``garch_bmp_t`` (Savickas 2003): the BMP t of CARs standardised by GARCH(1,1) conditional variances
(:func:`_garch_bmp_t`, a test of the battery, :func:`eventstudy.inference.vectorised.battery`).

The GARCH(1,1) fit of a firm's estimation abnormal returns and its forecasts are the model layer's
(:mod:`eventstudy.model.garch`, one implementation shared with ``model: garch``): :func:`fit_garch` (``arch``,
cached by the bytes of the estimation ARs) and :func:`cumulative_forecast` (``H(s) = Σ_{u=1..s} ĥ(u)``), so a
return spanning the sessions ``s₀ .. s₁`` after the last estimation return has forecast variance
``H(s₁) − H(s₀ − 1)``.
"""

from __future__ import annotations

import numpy as np

from ..model.garch import MIN_GARCH_RETURNS, cumulative_forecast, fit_garch
from .sample import _mean_t

__all__ = ["MIN_GARCH_RETURNS", "cumulative_forecast", "fit_garch"]


def _garch_bmp_t(v):
    """GARCH-standardised cross-sectional test (Savickas 2003, *J. Financial Research* 26, 165–178):
    the BMP t of CARs standardised by their GARCH(1,1) conditional variances.

    Each firm's estimation abnormal returns get a GARCH(1,1) (Bollerslev 1986; ``arch``, see
    :mod:`eventstudy.model.garch`), whose forecasts ``ĥ_i(s)``, ``s`` sessions after its last estimation
    return, give the window CAR's conditional variance ``V_i = Σ_{t∈W_i} Σ_{u=s_t−k_t+1..s_t} ĥ_i(u)`` (each
    return over the ``k_t`` sessions it spans, ``s_t`` = its relative day − the last estimation day) and
    ``SCAR_i^G = CAR_i / √V_i``. The test is BMP's (1991, eq. 9) on these: ``t = mean(SCAR^G) / (S / √N)``,
    ``S`` their cross-sectional sd; p from Student t with N − 1 d.f. Savickas fits the market model and the
    GARCH jointly with an event dummy in the mean (``γ̂_i / √ĥ_i,0``); here, two-step: the engine's OLS ARs,
    then the GARCH on them, forecast over the window (multi-step from the end of the estimation period, which
    the event-day dummy form equals when the window follows the estimation days). The estimation error of the
    mean parameters is left out, as in Savickas. A firm with fewer than 100 single-session estimation returns
    (:data:`~eventstudy.model.garch.MIN_GARCH_RETURNS`) or whose fit fails keeps its OLS ``SCAR_i``
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
