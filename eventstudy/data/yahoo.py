"""Daily prices in Yahoo Finance's shape — live via yfinance, or Yahoo's own CSV download — converted to the
provider contract by one converter, :func:`convert`.

The network boundary is a single ``download(ticker, start, end)`` function returning the raw frame that
``yfinance.Ticker(ticker).history(..., auto_adjust=False, actions=True)`` produces (columns Open, High, Low,
Close, Adj Close, Volume, Dividends, Stock Splits; a tz-aware DatetimeIndex). Tests inject a fake one.
Yahoo's historical-data CSV (``Date,Open,High,Low,Close,Adj Close,Volume``) is read by :func:`read_yahoo_csv`
into the same raw shape and goes through the same :func:`convert`, so the live path is exercised on real
Yahoo files (``--source csv:DIR``, the vendored US data).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, DataUnavailable
from .base import Provenance, clip, validate_history
from .distributions import DISTRIBUTIONS, adjustment_record
from .earnings import EarningsSource, YahooEarnings
from .quality import check_limits
from .yfinance_log import one_line, route_yfinance_logging

Download = Callable[[str, date | None, date | None], pd.DataFrame]

#: Calendar days requested before ``start`` so that the row used only as the base of the first return
#: (see :meth:`YahooProvider.history`) normally falls before ``start``; 14 days spans the longest
#: exchange holidays (Chinese New Year, Golden Week) plus weekends.
LOOKBACK_DAYS = 14


def yfinance_download(ticker: str, start: date | None, end: date | None, timeout: float = 10.0) -> pd.DataFrame:
    """Fetch the raw daily history of ``ticker`` from Yahoo, ``start`` and ``end`` inclusive.

    yfinance treats ``end`` as exclusive, so one day is added; without ``start`` the whole history is asked for.
    """
    import yfinance  # imported lazily: only a real fetch needs it

    route_yfinance_logging()
    kwargs: dict[str, object] = {
        "auto_adjust": False,
        "actions": True,
        "raise_errors": True,
        "timeout": timeout,
        "end": end + timedelta(days=1) if end is not None else None,
    }
    if start is None:
        kwargs["period"] = "max"
    else:
        kwargs["start"] = start
    with warnings.catch_warnings():
        # yfinance 1.x deprecates raise_errors in favour of a global switch; we want per-call errors.
        warnings.simplefilter("ignore", DeprecationWarning)
        return yfinance.Ticker(ticker).history(**kwargs)


class YahooProvider:
    """A :class:`~eventstudy.data.base.PriceProvider` backed by Yahoo Finance."""

    name = "yahoo"

    def __init__(
        self, download: Download | None = None, timeout: float = 10.0, earnings: EarningsSource | None = None
    ) -> None:
        self._timeout = timeout
        self._download: Download = download if download is not None else self._default_download
        self._provenance: dict[str, Provenance] = {}
        # Yahoo's earnings dates go with its prices (eventstudy.data.earnings); with an injected download (a test)
        # there are none unless an earnings source is injected too: no test reaches the network.
        self.earnings = earnings if earnings is not None else (YahooEarnings() if download is None else None)

    def _default_download(self, ticker: str, start: date | None, end: date | None) -> pd.DataFrame:
        return yfinance_download(ticker, start, end, timeout=self._timeout)

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        """Return ``ticker``'s history between ``start`` and ``end`` inclusive, in the contract's shape.

        * ``close`` is Yahoo's adjusted close (``Close`` if ``Adj Close`` is absent), so that
          ``close / prev_close - 1`` includes dividends and splits.
        * A row is a suspension (``traded`` False) when its Volume is 0 and its price repeats the previous
          row's (Yahoo repeats the last price on halted days). The comparison uses the raw ``Close`` when
          present, because the adjusted series can step across an ex-date during a halt, else the adjusted
          close. On a suspended row ``close == prev_close ==`` the last traded adjusted close; a missing
          Volume counts as 0.
        * ``prev_close`` of a traded row is the adjusted close of the previous traded row, so the first
          return after a suspension spans all the sessions since the last trade.
        * The first row Yahoo returns has no predecessor, so it is used only as the base (``prev_close``) of
          the second row and then dropped. To keep ``start`` itself in the result, ``LOOKBACK_DAYS`` extra
          calendar days are requested before it; the result is clipped to ``[start, end]``.

        Raises :class:`DataUnavailable` when the download fails or returns no usable rows, and
        :class:`DataError` on duplicated dates or a missing, zero or negative price.
        """
        fetch_start = start - timedelta(days=LOOKBACK_DAYS) if start is not None else None
        try:
            raw = self._download(ticker, fetch_start, end)
        except Exception as exc:  # the boundary: network, DNS, timeout, yfinance's own errors
            raise DataUnavailable(f"{ticker}: Yahoo download failed: {one_line(exc)}") from exc
        if raw is None or len(raw) == 0:
            raise DataUnavailable(f"{ticker}: Yahoo returned no rows for {start}..{end}")
        frame = clip(convert(raw, ticker), start, end)
        if frame.empty:
            raise DataUnavailable(f"{ticker}: Yahoo returned no rows with a prior close for {start}..{end}")
        fetched = datetime.now(UTC).isoformat(timespec="seconds")
        as_of = frame.index[-1].date()
        self._provenance[ticker] = Provenance(source=self.name, as_of=as_of, detail=f"fetched {fetched}")
        return frame

    def provenance(self, ticker: str) -> Provenance:
        """Describe the data last returned for ``ticker`` (``as_of`` None if it was never fetched)."""
        return self._provenance.get(ticker, Provenance(source=self.name, as_of=None, detail="not fetched"))


def session_dates(index: pd.Index) -> pd.DatetimeIndex:
    """Yahoo's timestamps as tz-naive, normalised dates in the exchange's own calendar."""
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert(idx.tz).tz_localize(None)  # keep the exchange-local wall-clock date
    return idx.normalize().rename("date")


#: The columns of Yahoo's historical-data CSV download.
YAHOO_CSV_COLUMNS = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
_PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close")


def is_yahoo_header(columns: list[str]) -> bool:
    """Whether a CSV header is Yahoo's download format (a ``Date`` column, ``Close`` and ``Volume``)."""
    return "Date" in columns and "Close" in columns and "Volume" in columns and "prev_close" not in columns


def read_yahoo_csv(path: Path, ticker: str) -> pd.DataFrame:
    """A Yahoo CSV download as a validated price history, through :func:`convert` (the live path's converter).

    Dates must be ``YYYY-MM-DD``; empty or ``null`` price cells are left empty (a volume-only row is "no data"
    for that session, see :func:`convert`). Errors name the file and line."""
    try:
        raw = pd.read_csv(path, dtype={"Date": str}, na_values=["null", "NaN", ""], keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read CSV: {str(exc).splitlines()[0]}") from None
    dates = pd.to_datetime(raw["Date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise DataError(f"{path}: line {row + 2}: Date {raw['Date'].iloc[row]!r} is not YYYY-MM-DD")
    raw.index = pd.DatetimeIndex(dates, name="Date")
    return convert(raw.drop(columns=["Date"]), ticker, where=str(path))


def convert(raw: pd.DataFrame, ticker: str, where: str | None = None) -> pd.DataFrame:
    """Turn a raw Yahoo frame (yfinance or CSV download) into a validated price history (see
    :meth:`YahooProvider.history`). A row whose prices are all empty (Yahoo's volume-only rows) is "no data"
    for that session and is dropped: the next return spans the gap. ``where`` names the source in errors."""
    where = where or f"{ticker}: Yahoo"
    price_col = "Adj Close" if "Adj Close" in raw.columns else "Close"
    missing = [c for c in (price_col, "Volume") if c not in raw.columns]
    if missing:
        raise DataError(f"{where}: lacks column(s) {', '.join(missing)}")
    frame = raw.copy()
    frame.index = session_dates(frame.index)
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0].date()
        raise DataError(f"{where}: date {dup} appears more than once")
    frame = frame.sort_index()
    prices = frame[[c for c in _PRICE_COLUMNS if c in frame.columns]].apply(pd.to_numeric, errors="coerce")
    frame = frame.loc[prices.notna().any(axis=1).to_numpy()]  # volume-only rows: no data that session
    if frame.empty:
        return validate_history(pd.DataFrame(columns=["close", "prev_close", "volume", "traded"]), where)

    adj = pd.to_numeric(frame[price_col], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(adj) & (adj > 0))
    if bad.any():
        day = frame.index[bad][0].date()
        raise DataError(f"{where}: {price_col} on {day} is {float(adj[bad][0])!r}; prices must be positive")
    raw_close = pd.to_numeric(frame["Close"], errors="coerce").to_numpy(dtype=float) if "Close" in frame else adj
    volume = pd.to_numeric(frame["Volume"], errors="coerce").fillna(0.0).to_numpy(dtype=float)

    rows: list[tuple[float, float, float, bool]] = []
    last_traded = adj[0]
    for i in range(1, len(frame)):
        halted = volume[i] == 0 and math.isclose(raw_close[i], raw_close[i - 1], rel_tol=1e-9, abs_tol=0.0)
        if halted:
            rows.append((last_traded, last_traded, 0.0, False))
        else:
            rows.append((adj[i], last_traded, volume[i], True))
            last_traded = adj[i]
    out = pd.DataFrame(rows, columns=["close", "prev_close", "volume", "traded"], index=frame.index[1:])
    out["traded"] = out["traded"].astype(bool)
    out = validate_history(out, where)
    check_limits(out, ticker, where)
    out.attrs[DISTRIBUTIONS] = adjustment_record(frame, adj, raw_close)  # ex-dates and splits, before they are lost
    return out
