"""Estimation diagnostics per firm-event: is the normal-return model's estimation sample what its tests assume?

All three are computed at once over ``(N, W)`` arrays of estimation residuals (no per-firm loop). A firm's
estimation residuals ``e_1 .. e_n`` are its abnormal returns on the estimation days the model was fitted on
(:attr:`eventstudy.model.abnormal.AbnormalReturns.estimation`), in session order; days left out (halts, masked
sessions, multi-session returns) are skipped, so the series is the fitted sample as it stands.

* **Ljung–Box Q** (Ljung & Box 1978, *Biometrika* 65, 297–303): ``Q = n(n + 2) Σ_{k=1..h} r_k² / (n − k)`` with
  ``r_k = Σ_{t>k} d_t d_{t−k} / Σ_t d_t²`` and ``d_t = e_t − ē``, against χ² on ``h`` degrees of freedom
  (``h`` = :data:`LJUNG_BOX_LAGS`). Small p: autocorrelated residuals, so the tests' iid variance of a multi-day CAR
  is off. (statsmodels' ``acorr_ljungbox`` gives the same numbers.)
* **Jarque–Bera** (Jarque & Bera 1987, *International Statistical Review* 55, 163–172):
  ``JB = n/6 (S² + (K − 3)²/4)`` with the sample skewness ``S = m₃/m₂^{3/2}`` and kurtosis ``K = m₄/m₂²`` (central
  moments ``m_j = Σ d_t^j / n``), against χ² on 2 degrees of freedom (as ``scipy.stats.jarque_bera``). Small p:
  non-normal residuals, which the parametric t and z tests assume; daily stock returns almost always fail it.
* **Chow test** at the estimation window's midpoint (Chow 1960, *Econometrica* 28, 591–605): the model's design is
  refitted by OLS on the whole sample (SSR ``S``) and separately on the days up to the midpoint relative day
  ``⌊(a + b)/2⌋`` of the estimation window ``[a, b]`` and after it (``S₁``, ``S₂``);
  ``F = ((S − S₁ − S₂)/p) / ((S₁ + S₂)/(n − 2p))`` against F(p, n − 2p). Small p: the parameters moved within the
  estimation window, so they may not hold in the event window either. For the Scholes–Williams and Dimson models the
  refit is the plain OLS of their design (the market model on the same days); the market-adjusted model has no
  parameter and no Chow test.

Each p-value is flagged below :data:`FLAG_LEVEL` (1 %). A statistic needs ``n > h + 1`` residuals (Ljung–Box),
``n ≥ 3`` (Jarque–Bera) and more than ``p + 1`` on each side of the midpoint (Chow); otherwise it is NaN.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from .abnormal import AbnormalReturns

LJUNG_BOX_LAGS = 10
FLAG_LEVEL = 0.01
COLUMNS = ["lb_q", "lb_p", "jb", "jb_p", "chow_f", "chow_p", "diagnostics_flag"]


def compress(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, n)``: each row's values where ``mask`` holds, moved to the row's start in order (zeros after them)
    and their count."""
    mask = np.asarray(mask, dtype=bool)
    n = mask.sum(axis=1)
    order = np.argsort(~mask, axis=1, kind="stable")  # each row's masked columns first, in order
    x = np.take_along_axis(np.asarray(values, dtype=float), order, axis=1)
    x[np.arange(x.shape[1])[None, :] >= n[:, None]] = 0.0
    return x, n


def _demeaned(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    valid = np.arange(x.shape[1])[None, :] < n[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.sum(axis=1) / n
    return np.where(valid, x - mean[:, None], 0.0)


def _centred(resid: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(d, n)``: :func:`compress` of the residuals, less each row's mean (zeros after its ``n`` values)."""
    x, n = compress(resid, mask)
    return _demeaned(x, n), n


def ljung_box(resid: np.ndarray, mask: np.ndarray, lags: int = LJUNG_BOX_LAGS) -> tuple[np.ndarray, np.ndarray]:
    """``(Q, p)`` per row of the residuals where ``mask`` holds (module docstring)."""
    return _ljung_box(*_centred(resid, mask), lags)


def _ljung_box(d: np.ndarray, n: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    denom = np.einsum("nt,nt->n", d, d)
    q = np.zeros(len(n))
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(1, lags + 1):  # over lags, not firms: h products of (N, T) arrays
            r = np.einsum("nt,nt->n", d[:, k:], d[:, :-k]) / denom
            q += r**2 / (n - k)
        q *= n * (n + 2)
    q = np.where((n > lags + 1) & (denom > 0), q, np.nan)
    return q, special.chdtrc(lags, q)


def jarque_bera(resid: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(JB, p)`` per row of the residuals where ``mask`` holds (module docstring)."""
    return _jarque_bera(*_centred(resid, mask))


def _jarque_bera(d: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d2 = d * d
    with np.errstate(invalid="ignore", divide="ignore"):
        m2, m3, m4 = (d2.sum(axis=1) / n, (d2 * d).sum(axis=1) / n, (d2 * d2).sum(axis=1) / n)
        skew, kurt = m3 / m2**1.5, m4 / m2**2
        jb = n / 6.0 * (skew**2 + (kurt - 3.0) ** 2 / 4.0)
    jb = np.where((n >= 3) & (m2 > 0), jb, np.nan)
    return jb, special.chdtrc(2, jb)


def _columns(keep: npt.ArrayLike) -> slice | np.ndarray:
    """The columns where ``keep`` (``(W,)``) holds: a slice when they are one run (a view, no copy)."""
    cols = np.flatnonzero(np.asarray(keep, dtype=bool))
    if not len(cols):
        return slice(0, 0)
    if cols[-1] - cols[0] + 1 == len(cols):
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


def _ols_ssr(y: np.ndarray, xz: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """OLS sum of squared residuals of ``y`` (``(N, W)``, finite) on the design ``xz`` (``(N, W, p)``, zero off
    ``mask``) over the days in ``mask``, per row: the normal equations as batched matrix products."""
    xt = xz.transpose(0, 2, 1)
    beta = np.matmul(np.linalg.pinv(np.matmul(xt, xz), hermitian=True), np.matmul(xt, y[..., None]))
    resid = np.matmul(xz, beta)[..., 0]  # the fitted values, then (in place) the residuals, 0 off the sample
    np.subtract(y, resid, out=resid)
    np.copyto(resid, 0.0, where=~mask)
    return np.square(resid, out=resid).sum(axis=1)


def chow_midpoint(
    y: np.ndarray, x: np.ndarray, mask: np.ndarray, first_half: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(F, p)`` of the Chow test splitting each row's sample ``mask`` into ``first_half`` (``(W,)``) and the rest
    (module docstring); ``x``: ``(N, W, p)`` design, ``y``: ``(N, W)``."""
    p = x.shape[-1]
    if p == 0:
        nan = np.full(len(y), np.nan)
        return nan, nan
    at = _columns(mask.any(axis=0))  # the fits read only the columns that hold a sample day
    mask, first_half = mask[:, at], np.asarray(first_half, dtype=bool)[at]
    y = np.where(mask, y[:, at], 0.0)
    xz = np.where(mask[..., None] & np.isfinite(x[:, at]), x[:, at], 0.0)  # the design, zero off the sample
    halves = _columns(first_half), _columns(~first_half)  # each half's fit reads its own columns only
    n1, n2 = (mask[:, h].sum(axis=1) for h in halves)
    s = _ols_ssr(y, xz, mask)
    s1, s2 = (_ols_ssr(y[:, h], xz[:, h], mask[:, h]) for h in halves)
    dof = n1 + n2 - 2 * p
    with np.errstate(invalid="ignore", divide="ignore"):
        f = ((s - s1 - s2) / p) / ((s1 + s2) / dof)
    f = np.where((n1 > p + 1) & (n2 > p + 1) & (s1 + s2 > 0), np.maximum(f, 0.0), np.nan)
    return f, special.fdtrc(p, np.maximum(dof, 1), f)


def estimation_diagnostics(ab: AbnormalReturns, lags: int = LJUNG_BOX_LAGS) -> pd.DataFrame:
    """Per firm-event (in ``ab``'s order): Ljung–Box, Jarque–Bera and the midpoint Chow test of the estimation
    residuals with their p-values, and ``diagnostics_flag``: the names of those with p < :data:`FLAG_LEVEL`
    (``autocorrelation``, ``non-normal``, ``unstable``), space-separated, "" when none fails."""
    mask = ab.estimation & np.isfinite(ab.ar)
    at = _columns(mask.any(axis=0))  # the columns that hold an estimation residual
    centred = _centred(ab.ar[:, at], mask[:, at])  # the residuals both read
    lb_q, lb_p = _ljung_box(*centred, lags)
    jb, jb_p = _jarque_bera(*centred)
    a, b = ab.estimation_window
    first_half = ab.rel_days <= (a + b) // 2
    y = ab.returns - (np.nan_to_num(ab.market) if ab.model == "market_adjusted" else 0.0)
    chow_f, chow_p = chow_midpoint(y, ab.design, mask, first_half)  # market-adjusted: no column, no test
    frame = pd.DataFrame({"lb_q": lb_q, "lb_p": lb_p, "jb": jb, "jb_p": jb_p, "chow_f": chow_f, "chow_p": chow_p})
    frame["diagnostics_flag"] = flag_words(lb_p, jb_p, chow_p)
    return frame


FLAG_WORDS = ("autocorrelation", "non-normal", "unstable")


def flag_words(lb_p: np.ndarray, jb_p: np.ndarray, chow_p: np.ndarray) -> np.ndarray:
    """Per row, the :data:`FLAG_WORDS` of the tests with p < :data:`FLAG_LEVEL`, space-separated ("" when none);
    a look-up of the 8 combinations, not a loop over rows."""
    code = sum((np.asarray(p) < FLAG_LEVEL).astype(int) << k for k, p in enumerate((lb_p, jb_p, chow_p)))
    table = np.array([" ".join(w for k, w in enumerate(FLAG_WORDS) if c >> k & 1) for c in range(8)], dtype=object)
    return table[code]
