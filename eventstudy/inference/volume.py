"""Aggregate tests of abnormal trading volume over the firms of an event (or of many pseudo-studies at once).

Per firm-event the cumulative abnormal log volume ``CAV_i`` over a window, its forecast-error standard error and
``SCAV_i = CAV_i / se_i`` come from :mod:`eventstudy.model.volume`. Firms without a traded session in the window
have no ``CAV_i`` and are left out (``n`` says how many remained). Over the ``n`` firms of a group:

* ``cav_csect_t`` — the cross-sectional t of the mean CAV, ``t = mean(CAV) / (sd(CAV)/√n)`` against Student t on
  ``n − 1`` degrees of freedom (the cross-sectional test of Brown & Warner 1985, *J. Financial Economics* 14,
  3–31, on log volume as Campbell & Wasley 1996 use it). It needs no estimation-period variance, so the
  autocorrelation of log volume and a variance that changes at the event do not bias it; it assumes independent
  firms.
* ``cav_bmp_t`` — the standardised cross-sectional test of Boehmer, Musumeci & Poulsen (1991, *J. Financial
  Economics* 30, 253–272) on the standardised CAVs: ``t = mean(SCAV) / (sd(SCAV)/√n)``, Student t on ``n − 1``.
  Standardising weights each firm by the precision of its own volume model.

``sd`` is the sample standard deviation (``n − 1`` divisor); both tests need ``n ≥ 2`` and a positive ``sd``.
p-values are two-sided.
"""

from __future__ import annotations

import numpy as np
from scipy import special

VOLUME_TESTS = ("cav_csect_t", "cav_bmp_t")


def grouped_t(values: np.ndarray, groups: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Per group (codes ``0 .. n_groups − 1``): ``mean``, ``t = mean / (sd/√n)``, two-sided ``p`` (Student t on
    ``n − 1``) and ``n`` over the finite values; NaN where ``n < 2`` or ``sd = 0``. One ``bincount`` per moment:
    no loop over groups or firms."""
    ok = np.isfinite(values)
    g, x = groups[ok], values[ok]
    n = np.bincount(g, minlength=n_groups).astype(float)
    total = np.bincount(g, weights=x, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        ss = np.bincount(g, weights=(x - mean[g]) ** 2, minlength=n_groups)
        sd = np.sqrt(ss / (n - 1))
        t = mean / (sd / np.sqrt(n))
    t = np.where((n >= 2) & (sd > 0), t, np.nan)
    p = 2.0 * special.stdtr(np.maximum(n - 1, 1), -np.abs(t))
    return {"mean": np.where(n > 0, mean, np.nan), "t": t, "p": np.where(np.isfinite(t), p, np.nan), "n": n}


def volume_tests(cav: np.ndarray, scav: np.ndarray, groups: np.ndarray, n_groups: int) -> dict[str, dict]:
    """``{test: grouped_t(...)}`` of :data:`VOLUME_TESTS` (module docstring); ``cav``, ``scav``: ``(N,)``."""
    return {"cav_csect_t": grouped_t(cav, groups, n_groups), "cav_bmp_t": grouped_t(scav, groups, n_groups)}
