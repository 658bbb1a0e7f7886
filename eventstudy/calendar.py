"""Exchange sessions: the relative-day axis of a study, and day 0 of an announcement.

Day 0 is the first session of the firm's exchange that *opens* at or after the announcement instant, on the
exchange's real trading calendar (``exchange_calendars``). Relative days count exchange sessions, not the days
a particular firm traded: a halted firm keeps its place on the axis.

An announcement made while a session is open therefore maps to the next session (the first session that could
price the news from its open); the [-1, +1] window still covers the session in which it broke.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

from .errors import ConfigError, DataError

# Shenzhen keeps Shanghai's holidays; exchange_calendars ships the one China calendar as XSHG.
_CALENDAR_OF = {"XSHE": "XSHG"}
_SUFFIX_EXCHANGE = {
    "SS": "XSHG", "SZ": "XSHE", "HK": "XHKG", "T": "XTKS", "L": "XLON", "DE": "XETR", "PA": "XPAR",
    "TO": "XTSE", "AX": "XASX", "KS": "XKRX", "TW": "XTAI", "SI": "XSES", "NS": "XBOM", "BO": "XBOM",
}  # fmt: skip
_FIRST_YEAR = 1991


def exchange_of_ticker(ticker: str) -> str:
    """The MIC a Yahoo-style ticker trades on, from its suffix (no suffix: New York)."""
    suffix = ticker.rsplit(".", 1)[1].upper() if "." in ticker else ""
    if not suffix:
        return "XNYS"
    if suffix not in _SUFFIX_EXCHANGE:
        raise ConfigError(f"ticker {ticker!r}: unknown exchange suffix .{suffix}; give the firm an exchange: field")
    return _SUFFIX_EXCHANGE[suffix]


def calendar_name(mic: str) -> str:
    """The exchange_calendars name whose sessions ``mic`` follows."""
    return _CALENDAR_OF.get(mic, mic)


@lru_cache(maxsize=16)
def exchange_calendar(mic: str) -> xcals.ExchangeCalendar:
    """The trading calendar of an exchange (ISO 10383 MIC), from 1991 to the end of next year."""
    name = calendar_name(mic)
    end = pd.Timestamp.today().normalize() + pd.offsets.YearEnd(1)
    try:
        return xcals.get_calendar(name, start=pd.Timestamp(f"{_FIRST_YEAR}-01-01"), end=end)
    except xcals.errors.InvalidCalendarName:
        raise ConfigError(f"exchange {mic!r} has no trading calendar in exchange_calendars") from None
    except ValueError:  # a calendar whose history starts later than _FIRST_YEAR
        return xcals.get_calendar(name, end=end)


def sessions(mic: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.DatetimeIndex:
    """Session dates (tz-naive, midnight) of ``mic`` between ``start`` and ``end`` inclusive."""
    cal = exchange_calendar(mic)
    lo = max(pd.Timestamp(start), cal.first_session) if start is not None else cal.first_session
    hi = min(pd.Timestamp(end), cal.last_session) if end is not None else cal.last_session
    out = cal.sessions_in_range(lo, hi)
    return pd.DatetimeIndex(out.tz_localize(None) if out.tz is not None else out, name="date")


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

    def explain(self) -> str:
        """One paragraph a reader can check against a calendar."""
        fmt = "%A %d %B %Y %H:%M %Z"
        text = (
            f"Announced {self.announced.strftime(fmt)}, which is {self.announced_local.strftime(fmt)} "
            f"on the {self.exchange} clock. The first {self.exchange} session that opens at or after that instant "
            f"opens {self.session_open.strftime(fmt)}, so day 0 is {self.session.strftime('%A %d %B %Y')}."
        )
        if self.closed_days:
            text += (
                f" The exchange was closed on {self.closed_days} weekday(s) between the previous session "
                f"({self.previous_session.strftime('%A %d %B %Y')}) and day 0."
            )
        return text


def day_zero(announced: pd.Timestamp, mic: str) -> DayZero:
    """Map an announcement instant to day 0 on exchange ``mic`` (see the module docstring for the rule)."""
    if announced.tzinfo is None:
        raise ConfigError(f"announcement {announced} has no time zone")
    cal = exchange_calendar(mic)
    local = announced.tz_convert(cal.tz)
    first = cal.date_to_session(local.tz_localize(None).normalize(), direction="next")
    while cal.session_open(first) < announced:
        if first >= cal.last_session:
            raise DataError(f"{mic}: no session after {announced} in the trading calendar")
        first = cal.next_session(first)
    previous = cal.previous_session(first)
    weekdays = pd.bdate_range(previous + pd.Timedelta(days=1), first - pd.Timedelta(days=1))
    return DayZero(
        exchange=mic,
        announced=announced,
        announced_local=local,
        session=pd.Timestamp(first).tz_localize(None) if pd.Timestamp(first).tzinfo else pd.Timestamp(first),
        session_open=cal.session_open(first).tz_convert(cal.tz),
        previous_session=pd.Timestamp(previous).tz_localize(None) if pd.Timestamp(previous).tzinfo else previous,
        closed_days=len(weekdays),
    )
