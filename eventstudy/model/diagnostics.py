"""Estimation diagnostics per firm-event: is the normal-return model's estimation sample what its tests assume?

All three are computed for every firm-event at once: compiled passes over its row of the ``(N, W)`` arrays. A firm's
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
from .jit import compiled

LJUNG_BOX_LAGS = 10
FLAG_LEVEL = 0.01
COLUMNS = ["lb_q", "lb_p", "jb", "jb_p", "chow_f", "chow_p", "diagnostics_flag"]


def _centred(resid: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(d, n)``: each row's residuals where ``mask`` holds, moved to the row's start in order and less their mean
    (zeros after them), and their count ``n``."""
    resid, mask = np.asarray(resid, dtype=float), np.asarray(mask, dtype=bool)
    d, n = np.empty(resid.shape), np.empty(len(resid), dtype=np.int64)
    _compressed(resid, mask, d, n)
    return d, n


@compiled
def _compressed(values, mask, out, n):  # pragma: no cover
    """Per row, its values where ``mask`` holds written to the start of ``out`` in order, less their mean (summed in
    order), zeros after them, and their count in ``n``: one pass, no ``(N, W)`` index array."""
    rows, w = values.shape
    for i in range(rows):
        k = 0
        total = 0.0
        for t in range(w):
            if mask[i, t]:
                out[i, k] = values[i, t]
                total += values[i, t]
                k += 1
        if k:
            mean = total / k
            for j in range(k):
                out[i, j] -= mean
        for j in range(k, w):
            out[i, j] = 0.0
        n[i] = k


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


@compiled
def _half_sums(y, x, mask, first, xtx, xty):  # pragma: no cover
    """Per row and half (0: the days in ``first``, 1: the others), ``X'X`` and ``X'y`` over the sample days
    ``mask``, days in order; a design value that is not finite counts as 0 (as the sample's rows are kept)."""
    n, w, p = x.shape
    for i in range(n):
        xtx[i] = 0.0
        xty[i] = 0.0
        for t in range(w):
            if not mask[i, t]:
                continue
            h = 0 if first[t] else 1
            for a in range(p):
                xa = x[i, t, a] if np.isfinite(x[i, t, a]) else 0.0
                xty[i, h, a] += xa * y[i, t]
                for b in range(a + 1):
                    xb = x[i, t, b] if np.isfinite(x[i, t, b]) else 0.0
                    xtx[i, h, a, b] += xa * xb
        for h in range(2):
            for a in range(p):
                for b in range(a):
                    xtx[i, h, b, a] = xtx[i, h, a, b]


@compiled
def _half_ssr(y, x, mask, first, beta, ssr):  # pragma: no cover
    """Per row, the sums of squared residuals over the sample days of the fits ``beta`` ``(N, 3, p)``: of each
    half's own fit (``ssr[:, 0]``, ``ssr[:, 1]``) and of the whole sample's (``ssr[:, 2]``), days in order."""
    n, w, p = x.shape
    for i in range(n):
        s_half = np.zeros(2)
        s_whole = 0.0
        for t in range(w):
            if not mask[i, t]:
                continue
            h = 0 if first[t] else 1
            fit_half, fit_whole = 0.0, 0.0
            for a in range(p):
                xa = x[i, t, a] if np.isfinite(x[i, t, a]) else 0.0
                fit_half += xa * beta[i, h, a]
                fit_whole += xa * beta[i, 2, a]
            e_half, e_whole = y[i, t] - fit_half, y[i, t] - fit_whole
            s_half[h] += e_half * e_half
            s_whole += e_whole * e_whole
        ssr[i, 0], ssr[i, 1], ssr[i, 2] = s_half[0], s_half[1], s_whole


def chow_midpoint(
    y: np.ndarray, x: np.ndarray, mask: np.ndarray, first_half: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(F, p)`` of the Chow test splitting each row's sample ``mask`` into ``first_half`` (``(W,)``) and the rest
    (module docstring); ``x``: ``(N, W, p)`` design, ``y``: ``(N, W)``. Each fit is OLS by the normal equations
    (``X'X`` and ``X'y`` summed in a compiled pass, solved by the pseudo-inverse: the least-squares fit however the
    design falls), and its SSR the sum of its squared residuals, in a second pass: no ``(N, W, p)`` copy of the
    design."""
    p = x.shape[-1]
    if p == 0:
        nan = np.full(len(y), np.nan)
        return nan, nan
    at = _columns(mask.any(axis=0))  # the fits read only the columns that hold a sample day
    y, x, mask = np.asarray(y, dtype=float)[:, at], np.asarray(x, dtype=float)[:, at], np.asarray(mask, bool)[:, at]
    first = np.asarray(first_half, dtype=bool)[at]
    n1, n2 = (mask & first).sum(axis=1), (mask & ~first).sum(axis=1)
    xtx, xty = np.empty((len(y), 2, p, p)), np.empty((len(y), 2, p))
    _half_sums(y, x, mask, first, xtx, xty)
    xtx, xty = (
        np.concatenate([xtx, xtx.sum(axis=1, keepdims=True)], axis=1),
        np.concatenate([xty, xty.sum(axis=1, keepdims=True)], axis=1),
    )  # (the whole sample's sums: the two halves')
    beta = np.matmul(np.linalg.pinv(xtx, hermitian=True), xty[..., None])[..., 0]
    ssr = np.empty((len(y), 3))
    _half_ssr(y, x, mask, first, beta, ssr)
    s1, s2, s = ssr[:, 0], ssr[:, 1], ssr[:, 2]
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
    # the refit's y is the return itself (read in place, no copy); market-adjusted: no column, no test
    chow_f, chow_p = chow_midpoint(ab.returns, ab.design, mask, first_half)
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
