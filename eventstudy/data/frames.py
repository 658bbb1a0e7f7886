"""Price histories handed over in memory (``eventstudy.run(..., prices=...)``), checked against the contract.

Accepted shapes, each normalised to the provider contract of :mod:`eventstudy.data.base`:

* ``{ticker: frame}`` — one frame per ticker, dates in the index or a ``date`` column;
* a *long* frame with a ``ticker`` column (and dates in a ``date`` column or the index);
* a *wide* frame of closes: dates in the index, one column per ticker (NaN: no trade that session).

A frame in the snapshot schema (``close``, ``prev_close``, ``volume``, ``traded``) is used as is. A frame in
Yahoo's shape — ``Adj Close``, or ``Close`` with ``Volume`` and no ``prev_close`` (any case; yfinance's
``history(auto_adjust=False)`` or ``pd.read_csv`` of a Yahoo download) — is read by the very converter of
``--source csv:DIR`` and of the live Yahoo provider (:func:`eventstudy.data.yahoo.convert`): adjusted closes,
a halt where the volume is 0 and the close unchanged; so the same prices give the same numbers whichever way
they come in. A frame with only ``close`` is read as one row per *traded* session: ``prev_close`` is the close of the row before (the
last trade, so a gap between rows is a halt, never a zero return), ``traded`` is true and ``volume`` unknown.
The first row has no row before it; it is the history's base and, as for every history, yields no return
(:mod:`eventstudy.data.returns`). Closes must be adjusted for splits and distributions (total-return closes).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataUnavailable
from .base import COLUMNS, Provenance, clip, validate_history
from .quality import check_limits
from .yahoo import convert

SOURCE = "prices"


def _dated(frame: pd.DataFrame, where: str, lower: bool = True) -> pd.DataFrame:
    """``frame`` indexed by its dates (the index, or a ``date`` column in any case), sorted; ``lower``: column
    names lower-cased (the snapshot schema)."""
    if lower:
        frame = frame.rename(columns=lambda c: str(c).strip().lower())
    date_columns = [c for c in frame.columns if str(c).strip().lower() == "date"]
    if date_columns:
        frame = frame.set_index(date_columns[0])
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (ValueError, TypeError):
        raise ConfigError(f"{where}: the dates (index or 'date' column) are not dates") from None
    return frame.set_axis(index.rename("date"), axis=0).sort_index()


_YAHOO_NAMES = {"open": "Open", "high": "High", "low": "Low", "close": "Close", "adj close": "Adj Close",
                "adj_close": "Adj Close", "adjclose": "Adj Close", "volume": "Volume"}  # fmt: skip


def _yahoo_shaped(frame: pd.DataFrame) -> pd.DataFrame | None:
    """``frame`` with Yahoo's column names if it is in Yahoo's shape (see the module docstring), else None."""
    names = {str(c).strip().lower(): c for c in frame.columns}
    if "prev_close" in names or not ({"adj close", "adj_close", "adjclose"} & names.keys() or "volume" in names):
        return None
    if "close" not in names and not {"adj close", "adj_close", "adjclose"} & names.keys():
        return None
    return frame.rename(columns={names[k]: v for k, v in _YAHOO_NAMES.items() if k in names})


def normalise_history(frame: pd.DataFrame, where: str, ticker: str = "") -> pd.DataFrame:
    """One ticker's frame → a history in the provider contract (see the module docstring)."""
    yahoo = _yahoo_shaped(frame)
    if yahoo is not None:
        return convert(_dated(yahoo, where, lower=False), ticker or where, where)
    frame = _dated(frame, where)
    if "close" not in frame.columns:
        raise ConfigError(f"{where}: no 'close' column (columns: {', '.join(map(str, frame.columns))})")
    if not all(c in frame.columns for c in COLUMNS):
        present = [c for c in COLUMNS if c in frame.columns and c != "close"]
        if present:
            raise ConfigError(
                f"{where}: has {', '.join(present)} but not all of {', '.join(COLUMNS)}; "
                "give the full schema or only 'close'"
            )
        close = pd.to_numeric(frame["close"], errors="coerce").dropna()
        frame = pd.DataFrame(
            {"close": close, "prev_close": close.shift(1).fillna(close), "volume": np.nan, "traded": True}
        )
    out = validate_history(frame, where)
    if ticker:
        check_limits(out, ticker, where)
    return out


class FrameProvider:
    """Histories from frames in memory; see the module docstring for the shapes accepted."""

    def __init__(self, prices: pd.DataFrame | Mapping[str, pd.DataFrame], name: str = SOURCE) -> None:
        self.name = name
        self._histories = {
            str(t): normalise_history(f, f"prices[{t!r}]", str(t)) for t, f in _by_ticker(prices).items()
        }

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        if ticker not in self._histories:
            known = ", ".join(sorted(self._histories)) or "none"
            raise DataUnavailable(f"{ticker}: not in the prices passed in (tickers: {known})")
        return clip(self._histories[ticker], start, end)

    def provenance(self, ticker: str) -> Provenance:
        frame = self._histories.get(ticker)
        as_of = frame.index[-1].date() if frame is not None and len(frame) else None
        return Provenance(self.name, as_of, "price frames passed to eventstudy.run")


def _by_ticker(prices: pd.DataFrame | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    if isinstance(prices, Mapping):
        bad = [t for t, f in prices.items() if not isinstance(f, pd.DataFrame)]
        if bad:
            raise ConfigError(f"prices[{bad[0]!r}]: expected a DataFrame, got {type(prices[bad[0]]).__name__}")
        return dict(prices)
    if not isinstance(prices, pd.DataFrame):
        raise ConfigError(f"prices: expected a DataFrame or a dict of DataFrames, got {type(prices).__name__}")
    columns = {str(c).strip().lower(): c for c in prices.columns}
    if "ticker" in columns:  # long
        return {str(t): g.drop(columns=columns["ticker"]) for t, g in prices.groupby(columns["ticker"], sort=False)}
    if "close" in columns:
        raise ConfigError("prices: a single frame with a 'close' column needs a 'ticker' column (or pass a dict)")
    return {str(t): prices[[t]].set_axis(["close"], axis=1) for t in prices.columns}  # wide closes
