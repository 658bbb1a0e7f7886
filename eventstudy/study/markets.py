"""Multi-market studies: firm-events grouped by (exchange calendar, benchmark), one engine run per group.

Each firm-event has its own exchange, hence its own calendar, day 0, estimation window and benchmark; its
relative days count sessions of its own exchange. Firm-events that share a calendar and a benchmark share one
returns panel (sessions × tickers) and one batched engine run (:func:`eventstudy.model.engine.abnormal_returns`).

Every quantity the tests read is indexed by *relative* day (``AbnormalReturns`` rows over ``rel_days``), so the
groups' results are put back side by side in the study's firm-event order (:func:`combine_abnormal`) and the
test battery aggregates each event across markets exactly as it would within one: day ``t`` of a New York
firm and day ``t`` of a Shenzhen firm are both "the ``t``-th session of the firm's exchange after the news".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..model.abnormal import ROW_FIELDS
from ..model.engine import AbnormalReturns
from ..spec.exchanges import calendar_name, same_sessions, ticker_exchange


@dataclass(frozen=True)
class FirmMarket:
    """Where a firm-event trades and what it is measured against."""

    exchange: str  # MIC of the listing, e.g. XNYS or XSHE
    calendar: str  # exchange_calendars name of its sessions, e.g. XSHG for XSHE
    benchmark: str  # ticker of the benchmark index
    label: str = ""  # how reports name the listing (Firm.exchange_label); '' = the MIC

    @property
    def benchmark_market(self) -> str | None:
        """The exchange the benchmark trades on when that is another calendar than the firm's (a benchmark the study
        file set on the firm itself), else None. Its sessions then differ from the firm's on each market's own
        holidays: a return spans different days for the firm and for its benchmark."""
        market = ticker_exchange(self.benchmark)
        return market if market is not None and not same_sessions(market, self.exchange) else None

    def cross_market_note(self) -> str:
        """The sentence the report, the console and summary.csv give for a benchmark on another calendar ('')."""
        market = self.benchmark_market
        if market is None:
            return ""
        return (
            f"benchmark {self.benchmark} trades on {market}, not on the {self.calendar} calendar of the firm "
            f"({self.exchange}); set on the firm in the study file"
        )


@dataclass(frozen=True)
class MarketGroup:
    """Firm-events sharing a session calendar and a benchmark: one returns panel, one engine run."""

    calendar: str
    benchmark: str
    members: tuple[int, ...]  # positions in the study's firm-event order
    start: pd.Timestamp  # first session fetched (the windows' widest need, plus a margin)
    end: pd.Timestamp  # last session fetched

    @property
    def key(self) -> tuple[str, str]:
        return self.calendar, self.benchmark


def firm_market(exchange: str, benchmark: str, label: str = "") -> FirmMarket:
    return FirmMarket(exchange, calendar_name(exchange), benchmark, label or exchange)


def group_members(markets: Sequence[FirmMarket]) -> dict[tuple[str, str], tuple[int, ...]]:
    """Positions of the firm-events of each (calendar, benchmark), groups in order of first appearance."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, m in enumerate(markets):
        groups.setdefault((m.calendar, m.benchmark), []).append(i)
    return {k: tuple(v) for k, v in groups.items()}


def combine_abnormal(
    parts: Sequence[AbnormalReturns],
    members: Sequence[Sequence[int] | np.ndarray],
) -> AbnormalReturns:
    """The groups' results as one :class:`AbnormalReturns`, row ``members[g][j]`` = row ``j`` of ``parts[g]``.

    All parts must share the model and relative days (they come from one study). Rows are copied unchanged, so
    each firm-event's numbers are exactly those of its own group's run.
    """
    if len(parts) == 1 and tuple(members[0]) == tuple(range(parts[0].n)):
        return parts[0]
    first = parts[0]
    for part in parts[1:]:
        if part.model != first.model or not np.array_equal(part.rel_days, first.rel_days):
            raise ValueError("combine_abnormal: parts differ in model or relative days")
    n = sum(len(m) for m in members)
    rows = [np.asarray(m, dtype=np.int64) for m in members]
    order = np.concatenate(rows)
    if sorted(order.tolist()) != list(range(n)):
        raise ValueError("combine_abnormal: members must cover 0..N-1 once")
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    listed = [fe for part in parts for fe in part.firm_events]
    firm_events = tuple(listed[i] for i in inverse)

    def placed(arrays: list[np.ndarray]) -> np.ndarray:  # each part's rows written once, at their members
        out = np.empty((n, *arrays[0].shape[1:]), dtype=arrays[0].dtype)
        for at, a in zip(rows, arrays, strict=True):
            out[at] = a
        return out

    fields: dict[str, Any] = {name: placed([getattr(p, name) for p in parts]) for name in ROW_FIELDS}
    components = None
    if first.components is not None:
        components = {k: placed([p.components[k] for p in parts if p.components is not None]) for k in first.components}
    return replace(first, firm_events=firm_events, components=components, **fields)
