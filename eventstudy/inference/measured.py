"""Each test's measured size on real returns: the rejection rates of ``docs/validation.md``, shipped with the
package (``eventstudy/data/validation/rates.csv``, written by ``python -m bench.validation --full`` or
``--render``; its PROVENANCE.md records the commit, seeds and number of pseudo-studies).

A rate is the share of pseudo-studies of real Shenzhen firm-events (no event: ``injected == 0``; or a day-0
abnormal return added) whose p-value is below 5 %. The report puts each test's size next to its formula, so a
reader can see which tests hold their level on real data before trusting a p-value."""

from __future__ import annotations

import functools
import math
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


def validated_sizes(design: str, rates: pd.DataFrame | None = None) -> list[int]:
    """The numbers of firms validated for ``design`` in ``rates`` (default: the shipped tables), ascending."""
    rates = measured_rates() if rates is None else rates
    return sorted(int(n) for n in rates.loc[rates.design == design, "firms"].unique())


def robustness_label(test: str, robust: bool, rates: pd.DataFrame | None = None) -> str:
    """What the report says of a test under event-day clustering: ``""`` for a test that treats firms as
    independent (``robust`` False); for a clustering-robust test (its variance built to carry the firms'
    cross-correlation), ``"yes"`` when its measured size on a shared day 0 stayed within 5 % ± 1.5 pp in every
    window at every validated N, else ``"up to N = k"`` with ``k`` the largest validated N below the first that
    did not hold, or ``"not held (N = k: x–y %)"`` when it failed at the smallest. Read from the shipped tables, so
    the label follows the measurements (docs/validation.md) rather than the test's design intent alone."""
    if not robust:
        return ""
    held: list[tuple[int, SizeRange]] = []
    for n in validated_sizes("shared", rates):
        size = size_range(test, "shared", n, rates)
        if size is None:
            continue
        if not size.within_band:
            if not held:
                return f"not held (N = {n}: {size})"
            return f"up to N = {held[-1][0]} (N = {n}: {size})"
        held.append((n, size))
    return "yes" if held else "yes (not validated)"


@dataclass(frozen=True)
class DesignFigures:
    """A test's measured size and power at one validated design: ``design`` (random or shared day 0), ``firms``,
    ``window``; ``power`` maps each injected day-0 abnormal return to its rejection rate at 5 %."""

    test: str
    design: str
    firms: int
    window: tuple[int, int]
    size: float
    power: dict[float, float]
    studies: int


def nearest_design(
    test: str, firms: int, shared: bool, window: tuple[int, int], rates: pd.DataFrame | None = None
) -> DesignFigures | None:
    """The measured size and power of ``test`` at the validated design nearest to an event of ``firms`` firms
    (``shared``: on one day 0) and ``window``: the same kind of design, the validated N nearest on a log scale
    (4 firms → N = 4; 9 → 13), and the validated window of the same start nearest in length (exact when
    validated). None when the test or the design is not in the tables."""
    rates = measured_rates() if rates is None else rates
    design = "shared" if shared else "random"
    sizes = validated_sizes(design, rates)
    rows = rates[(rates.test == test) & (rates.design == design)]
    if not sizes or rows.empty or firms < 1:
        return None
    n = min(sizes, key=lambda k: (abs(math.log(k / firms)), k))
    rows = rows[rows.firms == n]
    windows = sorted({(int(a), int(b)) for a, b in zip(rows.window_start, rows.window_end, strict=True)})
    if not windows:
        return None
    w = min(windows, key=lambda v: (v[0] != window[0], abs((v[1] - v[0]) - (window[1] - window[0])), v))
    cell = rows[(rows.window_start == w[0]) & (rows.window_end == w[1])]
    null = cell[cell.injected == 0.0]
    if null.empty:
        return None
    power = {float(r.injected): float(r.rejection_rate) for r in cell[cell.injected > 0].itertuples(index=False)}
    return DesignFigures(test, design, n, w, float(null.rejection_rate.iloc[0]), dict(sorted(power.items())),
                         int(null.studies.iloc[0]))  # fmt: skip
