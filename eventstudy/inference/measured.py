"""Each test's measured size on real returns: the rejection rates of ``docs/validation.md``, shipped with the
package (``eventstudy/data/validation/rates.csv``, written by ``python -m bench.validation --full`` or
``--render``; its PROVENANCE.md records the commit, seeds and number of pseudo-studies).

A rate is the share of pseudo-studies of real Shenzhen firm-events (no event: ``injected == 0``; or a day-0
abnormal return added) whose p-value is below 5 %. The report puts each test's size next to its formula, so a
reader can see which tests hold their level on real data before trusting a p-value."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import pandas as pd

LEVEL, BAND = 0.05, 0.015  # the target of issue 12: within 5 % ± 1.5 pp
COLUMNS = ("design", "firms", "window_start", "window_end", "injected", "test", "studies", "rejection_rate")


@dataclass(frozen=True)
class SizeRange:
    """A test's size at 5 % over the validated windows ([0,0] … [0,10]) of one design."""

    low: float
    high: float
    studies: int

    @property
    def within_band(self) -> bool:
        return abs(self.low - LEVEL) <= BAND and abs(self.high - LEVEL) <= BAND

    def __str__(self) -> str:
        low, high = f"{100 * self.low:.1f}", f"{100 * self.high:.1f}"
        return f"{low} %" if low == high else f"{low}–{high} %"


@functools.cache
def measured_rates() -> pd.DataFrame:
    """Every validated cell (design × N × window × injected × test); empty when the package ships none."""
    path = resources.files("eventstudy") / "data" / "validation" / "rates.csv"
    if not path.is_file():
        return pd.DataFrame(columns=list(COLUMNS))
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def size_range(test: str, design: str, firms: int = 30, rates: pd.DataFrame | None = None) -> SizeRange | None:
    """The lowest and highest size of ``test`` over the validated windows (``design``: ``random`` or
    ``shared``) in ``rates`` (default: :func:`measured_rates`); None when not validated."""
    rates = measured_rates() if rates is None else rates
    rows = rates[(rates.test == test) & (rates.design == design) & (rates.firms == firms) & (rates.injected == 0.0)]
    if rows.empty:
        return None
    return SizeRange(float(rows.rejection_rate.min()), float(rows.rejection_rate.max()), int(rows.studies.min()))
