"""Aggregate test statistics over the firms of one event and one window.

Each test takes a :class:`WindowSample` (the firm-events of one event, one window) and returns a
:class:`StatisticResult`. Firms with no return in the window ("not traded") are left out and ``n_firms`` says how
many remained. Notation: ``CAR_i`` and its forecast-error standard error ``s_i`` come from
:mod:`eventstudy.engine`; ``SCAR_i = CAR_i / s_i``; ``d_i`` is firm i's estimation degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .engine import AbnormalReturns


@dataclass(frozen=True)
class WindowSample:
    """The firm-events of one event over one window, with their cumulated quantities (firms with data only)."""

    window: tuple[int, int]
    car: np.ndarray
    car_se: np.ndarray
    dof: np.ndarray

    @property
    def n(self) -> int:
        return len(self.car)

    @property
    def scar(self) -> np.ndarray:
        return self.car / self.car_se


@dataclass(frozen=True)
class StatisticResult:
    statistic: float
    p_value: float
    n_firms: int


def _two_sided_t(t: float, df: float) -> float:
    return float(2.0 * stats.t.sf(abs(t), df))


def _undefined(n: int) -> StatisticResult:
    return StatisticResult(float("nan"), float("nan"), n)


def csect_t(sample: WindowSample) -> StatisticResult:
    """Cross-sectional t of the CAAR (Brown & Warner 1985, sec. 3; Campbell, Lo & MacKinlay 1997, eq. 4.4.24
    with the variance estimated from the cross-section).

    ``t = CAAR / (S / √N)`` with ``CAAR = mean(CAR_i)`` and ``S`` the cross-sectional standard deviation
    (N − 1 denominator); p from Student t with N − 1 degrees of freedom. Robust to event-induced variance,
    not to cross-correlation of firms sharing an event day.
    """
    n = sample.n
    if n < 2:
        return _undefined(n)
    sd = float(np.std(sample.car, ddof=1))
    if sd == 0.0:
        return _undefined(n)
    t = float(np.mean(sample.car) / (sd / np.sqrt(n)))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)


def patell_z(sample: WindowSample) -> StatisticResult:
    """Patell (1976) standardised-residual test, cumulated over the window.

    ``Z = Σ SCAR_i / √(Σ d_i / (d_i − 2))``: each SCAR_i is Student t with d_i degrees of freedom under the
    null, whose variance is d_i / (d_i − 2). p from the standard normal. Assumes no event-induced variance and
    independence across firms.
    """
    n = sample.n
    if n < 1:
        return _undefined(n)
    scale = np.sqrt(np.sum(sample.dof / (sample.dof - 2.0)))
    z = float(np.sum(sample.scar) / scale)
    return StatisticResult(z, float(2.0 * stats.norm.sf(abs(z))), n)


def bmp_t(sample: WindowSample) -> StatisticResult:
    """Boehmer, Musumeci & Poulsen (1991) standardised cross-sectional test.

    ``t = mean(SCAR_i) / (S_SCAR / √N)`` with ``S_SCAR`` the cross-sectional standard deviation of the
    standardised CARs; p from Student t with N − 1 degrees of freedom. Robust to event-induced variance.
    """
    n = sample.n
    if n < 2:
        return _undefined(n)
    sd = float(np.std(sample.scar, ddof=1))
    if sd == 0.0:
        return _undefined(n)
    t = float(np.mean(sample.scar) / (sd / np.sqrt(n)))
    return StatisticResult(t, _two_sided_t(t, n - 1), n)


TESTS: dict[str, Callable[[WindowSample], StatisticResult]] = {
    "csect_t": csect_t,
    "patell_z": patell_z,
    "bmp_t": bmp_t,
}


def window_samples(ab: AbnormalReturns, window: tuple[int, int]) -> dict[str, WindowSample]:
    """One :class:`WindowSample` per event id, keeping only firm-events with a return in the window."""
    res = ab.cumulate(ab.days(window))
    event_ids = np.array([fe.event_id for fe in ab.firm_events])
    out: dict[str, WindowSample] = {}
    for event_id in dict.fromkeys(event_ids):
        keep = (event_ids == event_id) & (res["n_obs"] > 0)
        out[str(event_id)] = WindowSample(window, res["car"][keep], res["car_se"][keep], ab.dof[keep].astype(float))
    return out


def significance_table(ab: AbnormalReturns, windows: tuple[tuple[int, int], ...]) -> pd.DataFrame:
    """Every test for every event and window: the rows of ``tests.csv``."""
    rows = []
    for window in windows:
        for event_id, sample in window_samples(ab, window).items():
            for name, test in TESTS.items():
                result = test(sample)
                rows.append(
                    {
                        "event_id": event_id,
                        "window_start": window[0],
                        "window_end": window[1],
                        "test": name,
                        "statistic": result.statistic,
                        "p_value": result.p_value,
                        "n_firms": result.n_firms,
                    }
                )
    return pd.DataFrame(rows, columns=["event_id", "window_start", "window_end", "test", "statistic", "p_value", "n_firms"])
