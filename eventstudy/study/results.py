"""What a study's analysis produced (:class:`StudyResults`): the tidy frames of the published CSV files and the
arrays behind them, per firm-event and per market group.

The public results object of the Python API, :class:`eventstudy.Results`, wraps one of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from .. import __version__
from ..data.base import Provenance
from ..data.calendar import DayZero
from ..data.returns import ReturnsPanel
from ..model.engine import AbnormalReturns
from ..spec.config import Study
from .coverage import BenchmarkGap
from .markets import FirmMarket


@dataclass(frozen=True)
class StudyResults:
    """What a run produced; the frames have the columns of the published CSV files."""

    study: Study
    day_zero: dict[tuple[str, str], DayZero]  # (event_id, exchange) → mapping
    panels: dict[tuple[str, str], ReturnsPanel]  # (calendar, benchmark) → that group's panel
    markets: tuple[FirmMarket, ...]  # per firm-event, in the order of abnormal.firm_events
    abnormal: AbnormalReturns
    estimates: pd.DataFrame
    car: pd.DataFrame
    ar: pd.DataFrame
    tests: pd.DataFrame
    provenance: dict[str, Provenance]
    source: str
    as_of: date | None
    halts: pd.DataFrame  # event_id, ticker, first, last, sessions, resumed, span
    benchmark_gaps: tuple[BenchmarkGap, ...] = ()  # firm-events left out because the benchmark lacks sessions
    quality: pd.DataFrame | None = None  # per-ticker data quality (eventstudy.data.quality.COLUMNS)
    # per market group, sessions × tickers: "up"/"down" closes at the daily price limit, else ""
    limits: dict[tuple[str, str], pd.DataFrame] | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return __version__

    def limits_of(self, i: int) -> pd.DataFrame | None:
        """Limit closes (sessions × tickers) on the panel of firm-event ``i`` (see :meth:`panel_of`)."""
        m = self.markets[i]
        return self.limits.get((m.calendar, m.benchmark)) if self.limits is not None else None

    def panel_of(self, i: int) -> ReturnsPanel:
        """The returns panel (own exchange's sessions, own benchmark) of firm-event ``i``."""
        m = self.markets[i]
        return self.panels[(m.calendar, m.benchmark)]

    @property
    def panel(self) -> ReturnsPanel:
        """The returns panel of a single-market study (ValueError when the study has several)."""
        if len(self.panels) != 1:
            raise ValueError(f"the study has {len(self.panels)} market groups; use panel_of(i)")
        return next(iter(self.panels.values()))
