"""Exchange sessions: the relative-day axis of a firm-event, and day 0 of an announcement.

Exchanges are named as :mod:`eventstudy.spec.exchanges` says (MIC, alias or ticker suffix); this module gives
their sessions from ``exchange_calendars``.

Day 0 is the first session in which the market can trade on the news. Two rules (``day0:`` in the study file):

``close`` (default)
    the first session whose *close* is at or after the announcement instant. Before the open, during the
    session or during its lunch break → that session; after the close (or on a day without a session) → the
    next session. Opens, closes, lunch breaks and early closes are the exchange's real ones
    (``exchange_calendars``), e.g. the 13:00 New York close on the day after Thanksgiving.
``next_open``
    the first session that *opens* at or after the announcement: news that breaks during a session maps to the
    next session, for researchers who exclude partial-day reactions (the [-1, +1] window still covers the
    session in which it broke).

Relative days count sessions of the firm's own exchange, not the days a particular firm traded: a halted firm
keeps its place on the axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..spec.exchanges import DAY0_RULES, calendar_name

_FIRST_YEAR = 1991


@lru_cache(maxsize=32)
def _calendar(name: str) -> xcals.ExchangeCalendar:
    end = pd.Timestamp.today().normalize() + pd.offsets.YearEnd(1)
    try:
        return xcals.get_calendar(name, start=pd.Timestamp(f"{_FIRST_YEAR}-01-01"), end=end)
    except xcals.errors.InvalidCalendarName:
        raise ConfigError(f"exchange {name!r} has no trading calendar in exchange_calendars") from None
    except ValueError:  # a calendar whose history starts later than _FIRST_YEAR
        return xcals.get_calendar(name, end=end)


@dataclass(frozen=True)
class _Edges:
    """A calendar's sessions and their opens, closes and lunch breaks (UTC; NaT: no break), read once."""

    sessions: pd.DatetimeIndex
    opens: pd.DatetimeIndex
    closes: pd.DatetimeIndex
    break_starts: pd.DatetimeIndex
    break_ends: pd.DatetimeIndex


@lru_cache(maxsize=32)
def _edges(name: str) -> _Edges:
    cal = _calendar(name)
    return _Edges(cal.sessions, pd.DatetimeIndex(cal.opens), pd.DatetimeIndex(cal.closes),
                  pd.DatetimeIndex(cal.break_starts), pd.DatetimeIndex(cal.break_ends))  # fmt: skip


def exchange_calendar(mic: str) -> xcals.ExchangeCalendar:
    """The trading calendar of an exchange (ISO 10383 MIC), from 1991 to the end of next year."""
    return _calendar(calendar_name(mic))


def sessions(mic: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.DatetimeIndex:
    """Session dates (tz-naive, midnight) of ``mic`` between ``start`` and ``end`` inclusive."""
    cal = exchange_calendar(mic)
    lo = max(pd.Timestamp(start), cal.first_session) if start is not None else cal.first_session
    hi = min(pd.Timestamp(end), cal.last_session) if end is not None else cal.last_session
    out = cal.sessions_in_range(lo, hi)
    return pd.DatetimeIndex(out.tz_localize(None) if out.tz is not None else out, name="date")


_DAY = "%A %d %B %Y"
_WHEN = "%A %d %B %Y %H:%M %Z"


def _naive(stamp: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(stamp)
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


@dataclass(frozen=True)
class DayZero:
    """How an announcement instant maps to day 0 on an exchange, with the reasoning in words."""

    exchange: str
    announced: pd.Timestamp  # as given (tz-aware)
    announced_local: pd.Timestamp  # in the exchange's time zone
    session: pd.Timestamp  # day 0, tz-naive session date
    session_open: pd.Timestamp  # its opening instant, exchange time
    previous_session: pd.Timestamp  # the last session before day 0
    closed_days: int  # weekdays between the previous session and day 0 on which the exchange was shut
    rule: str = "next_open"
    session_close: pd.Timestamp | None = None  # day 0's closing instant, exchange time
    reason: str = ""  # where the announcement fell relative to day 0's session

    def explain(self) -> str:
        """One paragraph a reader can check against a calendar: the rule, where the news fell, day 0."""
        if self.rule == "close":
            text = (
                f"Announced {self.announced.strftime(_WHEN)}, which is {self.announced_local.strftime(_WHEN)} on "
                f"the {self.exchange} clock. Rule “close”: day 0 is the first {self.exchange} session whose close "
                f"is at or after the announcement — the first session in which the market can trade on the news. "
                f"{self.reason}, so day 0 is {self.session.strftime(_DAY)}."
            )
        else:
            text = (
                f"Announced {self.announced.strftime(_WHEN)}, which is {self.announced_local.strftime(_WHEN)} on "
                f"the {self.exchange} clock. Rule “next_open” (partial-day reactions excluded): day 0 is the first "
                f"{self.exchange} session that opens at or after that instant; it opens "
                f"{self.session_open.strftime(_WHEN)}, so day 0 is {self.session.strftime(_DAY)}."
            )
        if self.closed_days:
            text += (
                f" The exchange was closed on {self.closed_days} weekday(s) between the previous session "
                f"({self.previous_session.strftime(_DAY)}) and day 0."
            )
        return text


def _close_reason(cal: xcals.ExchangeCalendar, edges: _Edges, announced: pd.Timestamp, k: int) -> str:
    """Where ``announced`` fell relative to session ``k`` of ``cal`` (the first session closing at or after it), in
    words."""
    tz, session = cal.tz, edges.sessions[k]
    opens, closes = edges.opens[k].tz_convert(tz), edges.closes[k].tz_convert(tz)
    hm = "%H:%M"
    if announced >= opens:
        start, end = edges.break_starts[k], edges.break_ends[k]
        if pd.notna(start) and start <= announced < end:
            return (
                f"It came during the lunch break ({start.tz_convert(tz).strftime(hm)}–{end.tz_convert(tz).strftime(hm)}) "
                f"of the session of {_naive(session).strftime(_DAY)}, which trades on it in the afternoon"
            )
        return (
            f"It came during the session of {_naive(session).strftime(_DAY)} "
            f"(open {opens.strftime(hm)}, close {closes.strftime(hm)})"
        )
    day = announced.tz_convert(tz).tz_localize(None).normalize()
    if day not in edges.sessions:
        return (
            f"It came on {day.strftime(_DAY)}, a day without a session, before the next open ({opens.strftime(_WHEN)})"
        )
    if k > 0 and announced > edges.closes[k - 1]:
        previous = edges.sessions[k - 1]
        prev_close = edges.closes[k - 1].tz_convert(tz)
        early = " early" if previous in cal.early_closes else ""
        after = f"It came after the previous session ({_naive(previous).strftime(_DAY)}) closed{early} at "
        return after + f"{prev_close.strftime(hm)} and before the next open ({opens.strftime(_WHEN)})"
    return f"It came before the open of that session ({opens.strftime(_WHEN)})"


def day_zero(announced: pd.Timestamp, mic: str, rule: str = "close") -> DayZero:
    """Map an announcement instant to day 0 on exchange ``mic`` under ``rule`` (see the module docstring)."""
    if announced.tzinfo is None:
        raise ConfigError(f"announcement {announced} has no time zone")
    if rule not in DAY0_RULES:
        raise ConfigError(f"day-0 rule {rule!r} is not one of {', '.join(DAY0_RULES)}")
    cal = exchange_calendar(mic)
    local = announced.tz_convert(cal.tz)
    day = local.tz_localize(None).normalize()
    if day < cal.first_session or day > cal.last_session:
        raise ConfigError(f"{mic}: {local.date()} is outside the trading calendar ({cal.first_session.date()} .. "
                          f"{cal.last_session.date()}): no session can be day 0")  # fmt: skip
    # From the session on or before (close) / on or after (next_open) the local date, the first whose close (open)
    # is at or after the announcement: the edges ascend, so one search among them.
    edges = _edges(calendar_name(mic))
    axis = edges.sessions
    if rule == "close":  # the session on or before the local date
        k0 = int(axis.searchsorted(day, side="right")) - 1
        k = max(k0, int(edges.closes.searchsorted(announced, side="left")))
    else:  # the session on or after it
        k0 = int(axis.searchsorted(day, side="left"))
        k = max(k0, int(edges.opens.searchsorted(announced, side="left")))
    if k >= len(axis):
        raise DataError(f"{mic}: no session after {announced} in the trading calendar")
    first = axis[k]
    previous = axis[k - 1] if k > 0 else cal.previous_session(first)  # (the first session: its error)
    return DayZero(
        exchange=mic,
        announced=announced,
        announced_local=local,
        session=_naive(first),
        session_open=edges.opens[k].tz_convert(cal.tz),
        previous_session=_naive(previous),
        closed_days=int(np.busday_count((previous + pd.Timedelta(days=1)).date(), first.date())),  # weekdays between
        rule=rule,
        session_close=edges.closes[k].tz_convert(cal.tz),
        reason=_close_reason(cal, edges, announced, k) if rule == "close" else "",
    )
