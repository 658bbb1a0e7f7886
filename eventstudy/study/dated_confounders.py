"""The confounder screen's dated items (:mod:`eventstudy.study.confounders`): the firms' earnings releases, the
ex-dates and splits read from their prices, and the user's news rows, each placed on a session of the firm's own
exchange calendar, and the rows of those that fall inside the event-window span of a firm-event of their ticker
(:func:`dated_rows`). Each source also says which tickers it could not screen, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.calendar import exchange_calendar
from ..data.distributions import ex_date_words, ex_dates
from ..data.earnings import EarningsDates
from .tables import python_texts


def dated_rows(located: pd.DataFrame, items: pd.DataFrame, span: tuple[int, int]) -> pd.DataFrame:
    """Rows for dated items (``ticker``, ``calendar``, ``pos`` on the calendar's axis, ``kind``, ``detail``) that
    fall inside the event-window span of a firm-event of their ticker."""
    if items.empty:
        return pd.DataFrame(columns=["i", "rel_day", "kind", "detail", "confounds"])
    joined = located[["i", "ticker", "calendar", "pos0"]].merge(items, on=["ticker", "calendar"])
    rel = (joined["pos"] - joined["pos0"]).to_numpy()
    keep = (joined["pos"].to_numpy() >= 0) & (rel >= span[0]) & (rel <= span[1])
    joined = joined[keep]
    kind, detail = python_texts(joined["kind"].tolist()), python_texts(joined["detail"].tolist())
    return pd.DataFrame({"i": joined["i"].to_numpy(), "rel_day": rel[keep], "kind": kind, "detail": detail,
                         "confounds": True})  # fmt: skip


def _first_session(axis: pd.DatetimeIndex, days: pd.DatetimeIndex) -> np.ndarray:
    """Position of the first session on or after each day (-1 past the axis)."""
    pos = axis.searchsorted(days, side="left")
    return np.where(pos < len(axis), pos, -1)


def _calendar_of(located: pd.DataFrame) -> dict[str, str]:
    return dict(zip(located["ticker"].tolist(), located["calendar"].tolist(), strict=True))


def earnings_items(
    located: pd.DataFrame, earnings: EarningsDates | None, axes: dict[str, pd.DatetimeIndex]
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Dated earnings releases of the firms (first session closing at or after each release), and the tickers
    whose earnings dates were not screened, with why."""
    calendar_of = _calendar_of(located)
    if earnings is None:
        return pd.DataFrame(), [(t, "earnings dates not screened: none were loaded for this run") for t in calendar_of]
    frames, missing = [], []
    for ticker, calendar in calendar_of.items():
        if ticker not in earnings.dates:
            why = earnings.missing.get(ticker, "not loaded")
            missing.append((ticker, f"earnings dates not screened: {why}"))
            continue
        frame = earnings.dates[ticker]
        if frame.empty:
            continue
        closes = exchange_calendar(calendar).closes  # session → close instant (UTC)
        pos = closes.searchsorted(pd.DatetimeIndex(frame["announced"]).tz_convert("UTC"), side="left")
        local = pd.DatetimeIndex(frame["announced"]).tz_convert(exchange_calendar(calendar).tz)
        axis_pos = axes[calendar].get_indexer(closes.index[np.minimum(pos, len(closes) - 1)])
        detail = [
            f"earnings release {t.strftime('%Y-%m-%d %H:%M %Z')}"
            + "".join(f", {name} {v:g}" for name, v in (("EPS estimate", e), ("reported EPS", r), ("surprise %", s))
                      if np.isfinite(v))
            + (f" ({k})" if k and k != "Earnings" else "")
            for t, e, r, s, k in zip(local, frame["eps_estimate"], frame["reported_eps"], frame["surprise_pct"],
                                      frame["event_type"], strict=True)
        ]  # fmt: skip
        frames.append(pd.DataFrame({"ticker": ticker, "calendar": calendar,
                                    "pos": np.where(pos < len(closes), axis_pos, -1), "kind": "earnings",
                                    "detail": detail}))  # fmt: skip
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), missing


def distribution_items(
    located: pd.DataFrame,
    histories: Mapping[str, pd.DataFrame],
    axes: dict[str, pd.DatetimeIndex],
    span: tuple[int, int],
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Ex-dates and splits of the firms from their price data (those that may fall inside the event-window span
    ``span`` of a firm-event of their ticker: only they are worded), and the tickers whose data carry no record."""
    calendar_of = _calendar_of(located)
    tickers = [t for t in calendar_of if t in histories]
    found, unrecorded = ex_dates(histories, tickers)
    missing = [(t, "dividends, rights and splits not screened: the price data carry no record of them (only "
                   "possible unadjusted splits were checked)") for t in unrecorded]  # fmt: skip
    if found.empty:
        return pd.DataFrame(), missing
    codes, found_tickers = pd.factorize(found["ticker"])  # each ticker looked up once, not each of its rows
    found["calendar"] = np.array([calendar_of[t] for t in found_tickers], dtype=object)[codes]
    found["pos"] = -1
    for calendar, index in found.groupby("calendar", sort=False).indices.items():
        found.loc[found.index[index], "pos"] = axes[calendar].get_indexer(pd.DatetimeIndex(found["day"].iloc[index]))
    reach = located.groupby(["ticker", "calendar"], sort=False)["pos0"].agg(["min", "max"])
    lo, hi = reach.reindex(pd.MultiIndex.from_frame(found[["ticker", "calendar"]])).to_numpy(dtype=float).T
    pos = found["pos"].to_numpy()
    found = found[(pos >= 0) & (pos - hi <= span[1]) & (pos - lo >= span[0])]  # (the join in dated_rows decides)
    return found.assign(detail=ex_date_words(found))[["ticker", "calendar", "pos", "kind", "detail"]], missing


def news_items(
    located: pd.DataFrame, news: Sequence, axes: dict[str, pd.DatetimeIndex], file: str | None
) -> pd.DataFrame:
    """The user's news rows on the firms' calendars (first session on or after each date)."""
    calendar_of = _calendar_of(located)
    rows = [n for n in news if n.ticker in calendar_of]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame({"ticker": [n.ticker for n in rows], "calendar": [calendar_of[n.ticker] for n in rows],
                          "day": pd.DatetimeIndex([pd.Timestamp(n.date) for n in rows]), "kind": "news",
                          "detail": [f"{n.description} ({file}, line {n.line}, dated {n.date})" for n in rows]})  # fmt: skip
    frame["pos"] = -1
    for calendar, index in frame.groupby("calendar", sort=False).indices.items():
        frame.loc[frame.index[index], "pos"] = _first_session(
            axes[calendar], pd.DatetimeIndex(frame["day"].iloc[index])
        )
    return frame.drop(columns="day")
