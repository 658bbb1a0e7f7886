"""Price histories from a market-universe parquet file (long format: one row per ticker and session).

The file has the columns ``date, ticker, close, prev_close, volume, traded`` with the meanings of the snapshot
schema (``../shared/data/README.md``, e.g. the Shenzhen universe ``szse-universe-2015-2022.parquet``). It is
read once; each ticker's rows are then served as a history in the provider contract. A ticker the file lacks is
asked of ``fallback`` (e.g. the vendored snapshot, for an index benchmark) when one is given.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, DataUnavailable
from .base import PriceProvider, Provenance, validate_history

COLUMNS = ["date", "ticker", "close", "prev_close", "volume", "traded"]


class ParquetUniverseProvider:
    """A :class:`~eventstudy.data.base.PriceProvider` over a long-format universe parquet file."""

    def __init__(self, path: str | Path, fallback: PriceProvider | None = None) -> None:
        self.path = Path(path)
        self.name = f"universe:{self.path.name}"
        self.fallback = fallback
        self._frame: pd.DataFrame | None = None
        self._bounds: dict[str, tuple[int, int]] = {}
        self._served: dict[str, PriceProvider | None] = {}

    def _load(self) -> pd.DataFrame:
        if self._frame is None:
            if not self.path.is_file():
                raise DataError(f"{self.path}: universe file not found")
            frame = pd.read_parquet(self.path, columns=COLUMNS)  # pyarrow, imported by pandas only here
            frame["ticker"] = frame["ticker"].astype(str)
            frame = frame.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
            tickers = frame["ticker"].to_numpy()
            starts = np.flatnonzero(np.r_[True, tickers[1:] != tickers[:-1]])
            ends = np.r_[starts[1:], len(frame)]
            self._bounds = {str(tickers[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
            self._frame = frame
        return self._frame

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        frame = self._load()
        if ticker not in self._bounds:
            if self.fallback is None:
                raise DataUnavailable(f"{ticker}: not in {self.path}")
            self._served[ticker] = self.fallback
            return self.fallback.history(ticker, start, end)
        lo, hi = self._bounds[ticker]
        dates = frame["date"].to_numpy()[lo:hi]
        a = np.searchsorted(dates, np.datetime64(pd.Timestamp(start)), "left") if start is not None else 0
        b = np.searchsorted(dates, np.datetime64(pd.Timestamp(end)), "right") if end is not None else hi - lo
        rows = frame.iloc[lo + a : lo + b].set_index("date")
        self._served[ticker] = None
        return validate_history(rows, f"{self.path} ({ticker})")

    def provenance(self, ticker: str) -> Provenance:
        other = self._served.get(ticker)
        if other is not None:
            return other.provenance(ticker)
        if ticker not in self._bounds:
            return Provenance(self.name, None, "not read")
        lo, hi = self._bounds[ticker]
        assert self._frame is not None
        last = pd.Timestamp(self._frame["date"].iloc[hi - 1]).date()
        return Provenance(self.name, last, self.path.name)
