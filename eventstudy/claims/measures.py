"""The quantities measured on prices, and the anchors (closes) a return is measured between.

Every return is a simple return, as a fraction (0.25 is +25%), measured on a provider's price history (columns
``close``, ``prev_close``, ``traded``; see :mod:`eventstudy.data`):

``return``          a ticker's return between two *anchors* (closes), measured as

    * ``price``     ``close_end / close_base - 1`` on the *unadjusted* closes of the provider (the price a reader
      sees quoted; for the snapshot source the closes are unadjusted, for Yahoo they are adjusted closes);
    * ``total``     the product of ``close_t / prev_close_t`` over the ticker's *traded* sessions ``t`` in
      ``(base, end]``, minus 1; ``prev_close`` is the exchange's reference close, which carries
      distributions (dividends, bonus shares), so this is the distribution-inclusive return;
    * ``abnormal``  the buy-and-hold abnormal return (BHAR): the total return minus the benchmark index's
      return over the same two anchor dates, ``level_end / level_base - 1``, the index level taken as of each
      date (its last close on or before it).

``session_return``  the one-session return on a date: ``close / prev_close - 1`` of that session (the change the
                    exchange reports); undetermined when the ticker did not trade (a halt has no return).
``traded``          whether a ticker traded on a date: 1 (traded) or 0 (suspended: a session inside the data's
                    range with no trade); undetermined when the date is not a session or outside the data.
``exchange``        the exchange (ISO 10383 MIC) a ticker is listed on, from the firm's ``exchange`` field in the
                    study file, checked against the ticker's suffix.

Anchors of a ``return`` (the close *at* an anchor session is the ticker's last traded close at or before it,
i.e. the exchange's reference price through a halt):

``last_close_before_announcement``        the last session of the ticker's exchange whose close is at or before
                                          the event's announcement instant
``first_traded_close_after_announcement`` the first session whose close is after the announcement and on which
                                          the ticker traded
``last_close_before_document``            the last session dated before the document's date
``close_on_document_date``                the session on the document's date (undetermined if there is none)
``YYYY-MM-DD``                            the session on that date

A quantity that cannot be measured (no data, not a session, no trade…) raises :class:`Undetermined`, whose message
is the reason shown with the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..data.base import PriceProvider
from ..data.calendar import day_zero, exchange_calendar, sessions
from ..errors import ConfigError, EventStudyError
from ..spec.config import Study
from ..spec.exchanges import exchange_of_ticker
from .spec import _anchor_words


class Undetermined(EventStudyError):
    """A quantity cannot be measured; the message is the reason shown with the verdict."""


@dataclass(frozen=True)
class Anchor:
    """A resolved anchor: the session, the close used there and the date of that close (the last trade)."""

    name: str
    session: pd.Timestamp
    close: float
    close_date: pd.Timestamp

    def words(self) -> str:
        text = f"{_anchor_words(self.name)} ({self.session.date()})"
        if self.close_date != self.session:
            text += f", close of the last trade {self.close_date.date()}"
        return text


class _Prices:
    """Price histories fetched once per ticker over a window covering every claim."""

    def __init__(self, provider: PriceProvider, start: date, end: date) -> None:
        self.provider, self.start, self.end = provider, start, end
        self._frames: dict[str, pd.DataFrame | Undetermined] = {}

    def history(self, ticker: str) -> pd.DataFrame:
        if ticker not in self._frames:
            try:
                frame = self.provider.history(ticker, self.start, self.end)
                if frame.empty:
                    raise Undetermined(
                        f"{ticker}: no prices between {self.start} and {self.end} from {self.provider.name}"
                    )
                self._frames[ticker] = frame
            except Undetermined as exc:
                self._frames[ticker] = exc
            except EventStudyError as exc:
                self._frames[ticker] = Undetermined(f"no data: {exc}")
        got = self._frames[ticker]
        if isinstance(got, Undetermined):
            raise got
        return got


def _covered(frame: pd.DataFrame, ticker: str, day: pd.Timestamp) -> None:
    first, last = frame.index[0], frame.index[-1]
    if day < first or day > last:
        raise Undetermined(f"no data: {ticker} has prices from {first.date()} to {last.date()}, not on {day.date()}")


def _level(frame: pd.DataFrame) -> pd.Series:
    """Total-return index: cumulative product of close/prev_close over traded rows, flat otherwise."""
    growth = np.where(frame["traded"].to_numpy(), (frame["close"] / frame["prev_close"]).to_numpy(), 1.0)
    return pd.Series(np.cumprod(growth), index=frame.index)


def _asof(series: pd.Series, day: pd.Timestamp) -> float:
    return float(series.loc[:day].iloc[-1])


def last_traded_close(frame: pd.DataFrame, ticker: str, session: pd.Timestamp) -> tuple[float, pd.Timestamp]:
    """The ticker's last traded close at or before ``session`` and its date."""
    _covered(frame, ticker, session)
    traded = frame.loc[:session]
    traded = traded[traded["traded"]]
    if traded.empty:
        raise Undetermined(f"no data: {ticker} has no traded close on or before {session.date()}")
    return float(traded["close"].iloc[-1]), traded.index[-1]


def price_return(frame: pd.DataFrame, ticker: str, base: pd.Timestamp, end: pd.Timestamp) -> float:
    """``close_end / close_base - 1`` on unadjusted closes (last traded close at or before each session)."""
    c0, _ = last_traded_close(frame, ticker, base)
    c1, _ = last_traded_close(frame, ticker, end)
    return c1 / c0 - 1.0


def total_return(frame: pd.DataFrame, ticker: str, base: pd.Timestamp, end: pd.Timestamp) -> float:
    """Product of ``close / prev_close`` over traded sessions in ``(base, end]``, minus 1."""
    _covered(frame, ticker, base)
    _covered(frame, ticker, end)
    rows = frame.loc[(frame.index > base) & (frame.index <= end)]
    rows = rows[rows["traded"]]
    return float(np.prod((rows["close"] / rows["prev_close"]).to_numpy())) - 1.0


def index_return(frame: pd.DataFrame, ticker: str, base: pd.Timestamp, end: pd.Timestamp) -> float:
    """A benchmark's return between two dates: its total-return level as of ``end`` over that as of ``base``."""
    _covered(frame, ticker, base)
    _covered(frame, ticker, end)
    level = _level(frame)
    return _asof(level, end) / _asof(level, base) - 1.0


def session_return(frame: pd.DataFrame, ticker: str, day: pd.Timestamp) -> float:
    """``close / prev_close - 1`` of the session ``day``; a suspended session has no return."""
    _covered(frame, ticker, day)
    if day not in frame.index or not bool(frame.loc[day, "traded"]):
        raise Undetermined(f"{ticker} did not trade on {day.date()} (suspended), so it has no one-session return")
    row = frame.loc[day]
    return float(row["close"] / row["prev_close"]) - 1.0


def traded_flag(frame: pd.DataFrame, ticker: str, day: pd.Timestamp) -> int:
    """1 if ``ticker`` traded on session ``day``, 0 if the session is inside its data but had no trade."""
    _covered(frame, ticker, day)
    return int(day in frame.index and bool(frame.loc[day, "traded"]))


def _exchange_of(study: Study, ticker: str) -> tuple[str, str]:
    """The listing exchange of ``ticker`` and where it comes from (the study file's firm field, or the suffix)."""
    for i, ev in enumerate(study.events):
        for j, firm in enumerate(ev.firms):
            if firm.ticker == ticker:
                return firm.exchange, f"the exchange field of events[{i}].firms[{j}] ({firm.name}) in {study.path.name}"
    return exchange_of_ticker(ticker), "its ticker suffix"


def _is_session(mic: str, day: pd.Timestamp) -> bool:
    return bool(len(sessions(mic, day, day)))


def _require_session(mic: str, day: pd.Timestamp, ticker: str) -> None:
    if not _is_session(mic, day):
        raise Undetermined(
            f"{day.date()} ({day.strftime('%A')}) is not a {mic} session, so {ticker} has no close on it"
        )


def resolve_anchor(
    name: str, *, frame: pd.DataFrame, ticker: str, mic: str, announced: pd.Timestamp, document_date: date
) -> Anchor:
    """The session and close of an anchor (see the module docstring for the definitions)."""
    cal = exchange_calendar(mic)
    if name == "last_close_before_announcement":
        local = announced.tz_convert(cal.tz).tz_localize(None).normalize()
        session = cal.date_to_session(local, direction="previous")
        while cal.session_close(session) > announced:
            session = cal.previous_session(session)
        session = pd.Timestamp(session.date())
    elif name == "first_traded_close_after_announcement":
        day0 = day_zero(announced, mic)
        local = announced.tz_convert(cal.tz).tz_localize(None).normalize()
        first = cal.date_to_session(local, direction="next")
        while cal.session_close(first) <= announced:
            first = cal.next_session(first)
        first = pd.Timestamp(first.date())
        _covered(frame, ticker, min(first, day0.session))
        later = frame.loc[first:]
        later = later[later["traded"]]
        if later.empty:
            raise Undetermined(f"no data: {ticker} has no traded close after the announcement in the data")
        session = later.index[0]
    elif name == "last_close_before_document":
        session = sessions(mic, None, pd.Timestamp(document_date) - pd.Timedelta(days=1))[-1]
    elif name == "close_on_document_date":
        session = pd.Timestamp(document_date)
        _require_session(mic, session, ticker)
    else:
        session = pd.Timestamp(date.fromisoformat(name))
        _require_session(mic, session, ticker)
    close, close_date = last_traded_close(frame, ticker, pd.Timestamp(session))
    return Anchor(name, pd.Timestamp(session), close, close_date)


def _mic(study: Study, ticker: str) -> str:
    try:
        return _exchange_of(study, ticker)[0]
    except ConfigError as exc:
        raise Undetermined(str(exc)) from None
