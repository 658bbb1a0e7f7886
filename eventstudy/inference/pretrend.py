"""Pre-event drift: did prices move before day 0 (leakage, anticipation, a mis-dated event)?

Over the pre-window ``P = [p₀, p₁]`` (``study.pre_window``, default ``[−10, −1]``, before every event window and
after the estimation window) the study reports the CAAR with the existing tests over that window and the
**joint test** ``aar_joint_f`` that every daily AAR of the pre-window is zero (not only their sum, which
offsetting drifts cancel):

    J = (1/L) Σ_{t∈P} AAR_t² / σ̂²_AAR,         J ~ F(L, T − 1) under the null,

where ``AAR_t`` is the mean abnormal return of the event's firms with a return on relative day ``t`` (``L`` such
days in ``P``), and ``σ̂²_AAR`` is the sample variance (``T − 1`` divisor) of the same average over the ``T``
estimation days with at least one estimation return. Taking the variance from the time series of the average —
the "crude dependence adjustment" of Brown & Warner (1980, *J. Financial Economics* 8, 205–258; 1985, 14, 3–31)
— keeps the test valid when the firms share day 0 and their abnormal returns are correlated. With independent
normal AARs of constant variance, ``L·J·σ̂²/σ²`` is χ² on ``L`` and ``(T−1)σ̂²/σ²`` is χ² on ``T − 1``, independent
(different days), so ``J`` is exactly F(``L``, ``T − 1``): a Wald test with an estimated variance.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .significance import BATCH_FIRM_EVENTS

PRETREND_TESTS = ("aar_joint_f",)


def _day_means(ar: np.ndarray, use: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """``(G, W)``: per group and relative day the mean of ``ar`` where ``use`` holds (NaN where none); the sums
    taken BATCH_FIRM_EVENTS rows at a time, rows in order (the estimation days' codes and values of 50,000
    firm-events at once: ~0.25 GB)."""
    w = ar.shape[1]
    out = np.full((n_groups, w), np.nan)
    cols = np.flatnonzero(use.any(axis=0))
    if not len(cols):
        return out
    at = slice(int(cols[0]), int(cols[-1]) + 1)  # only the days some firm uses (a window: a few columns)
    k = at.stop - at.start
    total, count = np.zeros((n_groups, k)), np.zeros((n_groups, k), dtype=np.int64)
    for lo in range(0, len(ar), BATCH_FIRM_EVENTS):
        rows = slice(lo, lo + BATCH_FIRM_EVENTS)
        block = use[rows, at]
        codes = (groups[rows, None] * k + np.arange(k)[None, :])[block]
        total += np.bincount(codes, weights=ar[rows, at][block], minlength=n_groups * k).reshape(n_groups, k)
        count += np.bincount(codes, minlength=n_groups * k).reshape(n_groups, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, at] = np.where(count > 0, total / count, np.nan)
    return out


def aar_joint_f(
    ar: np.ndarray,
    estimation: np.ndarray,
    pre: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    kept: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per group: ``J``, its p-value ``P(F(L, T−1) > J)``, ``L`` and ``T`` (module docstring). ``ar``: ``(N, W)``;
    ``estimation``: ``(N, W)`` the estimation returns; ``pre``: ``(W,)`` the pre-window's relative days; ``kept``
    ``(N,)``: the firm-events the test reads (None: all; the others as if they had no return). NaN where
    ``L = 0``, ``T < 3`` or ``σ̂² = 0``."""
    finite = np.isfinite(ar)
    if kept is not None:
        finite &= np.asarray(kept, dtype=bool)[:, None]
    est = _day_means(ar, estimation & finite, groups, n_groups)
    window = _day_means(ar, pre[None, :] & finite, groups, n_groups)
    t = np.isfinite(est).sum(axis=1)
    n_days = np.isfinite(window).sum(axis=1)
    have = np.isfinite(est)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(have, est, 0.0).sum(axis=1) / t
        var = np.where(have, est - mean[:, None], 0.0).__pow__(2).sum(axis=1) / (t - 1)
        j = np.where(np.isfinite(window), window, 0.0).__pow__(2).sum(axis=1) / n_days / var
    ok = (n_days > 0) & (t >= 3) & (var > 0)
    j = np.where(ok, j, np.nan)
    p = np.full(n_groups, np.nan)
    p[ok] = special.fdtrc(n_days[ok], t[ok] - 1, j[ok])
    return {"statistic": j, "p": p, "L": n_days, "T": t}
