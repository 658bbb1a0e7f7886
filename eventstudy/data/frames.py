"""Price histories handed over in memory (``eventstudy.run(..., prices=...)``), checked against the contract.

Accepted shapes, each normalised to the provider contract of :mod:`eventstudy.data.base`:

* ``{ticker: frame}`` — one frame per ticker, dates in the index or a ``date`` column;
* a *long* frame with a ``ticker`` column (and dates in a ``date`` column or the index);
* a *wide* frame of closes: dates in the index, one column per ticker (NaN: no trade that session).

A frame in the snapshot schema (``close``, ``prev_close``, ``volume``, ``traded``) is used as is. A frame with
only ``close`` is read as one row per *traded* session: ``prev_close`` is the close of the row before (the
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

SOURCE = "prices"


def _dated(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    if "date" in frame.columns:
        frame = frame.set_index("date")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (ValueError, TypeError):
        raise ConfigError(f"{where}: the dates (index or 'date' column) are not dates") from None
    return frame.set_axis(index.rename("date"), axis=0).sort_index()


def normalise_history(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """One ticker's frame → a history in the provider contract (see the module docstring)."""
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
    return validate_history(frame, where)


class FrameProvider:
    """Histories from frames in memory; see the module docstring for the shapes accepted."""

    def __init__(self, prices: pd.DataFrame | Mapping[str, pd.DataFrame], name: str = SOURCE) -> None:
        self.name = name
        self._histories = {str(t): normalise_history(f, f"prices[{t!r}]") for t, f in _by_ticker(prices).items()}

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
