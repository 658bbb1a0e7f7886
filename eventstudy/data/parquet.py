"""Price histories from a market-universe parquet file (long format: one row per ticker and session).

The file has the columns ``date, ticker, close, prev_close, volume, traded`` with the meanings of the snapshot
schema (``../shared/data/README.md``, e.g. the Shenzhen universe ``szse-universe-2015-2022.parquet``). It is
read once, into column arrays sorted by ticker and date; a request for many tickers
(:meth:`ParquetUniverseProvider.histories`) takes their rows in one gather and checks them all at once, without a
``DataFrame`` per ticker. A ticker the file lacks is asked of ``fallback`` (e.g. the vendored snapshot, for an
index benchmark) when one is given.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import DataError, DataUnavailable
from .base import HistoryRequests, PriceProvider, Provenance, fault_rows, history_faults, validate_history
from .free_memory import release_free_memory
from .histories import PriceHistories, StackedRows, combine

COLUMNS = ["date", "ticker", "close", "prev_close", "volume", "traded"]
DAY_NS = 86_400_000_000_000


class ParquetUniverseProvider:
    """A :class:`~eventstudy.data.base.BulkPriceProvider` over a long-format universe parquet file."""

    def __init__(self, path: str | Path, fallback: PriceProvider | None = None) -> None:
        self.path = Path(path)
        self.name = f"universe:{self.path.name}"
        self.fallback = fallback
        self._columns: dict[str, np.ndarray] | None = None
        self._code: dict[str, int] = {}
        self._lo = self._hi = np.empty(0, dtype=np.int64)
        self._served: dict[str, PriceProvider | None] = {}
        self._fault_counts: tuple[np.ndarray, np.ndarray] | None = None
        self._key: tuple[np.ndarray, np.ndarray, int, int] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        """The file's rows sorted by ticker then date, as column arrays in the provider contract's dtypes (dates
        tz-naive and normalised; the raw dates kept to cut ranges with)."""
        if self._columns is None:
            if not self.path.is_file():
                raise DataError(f"{self.path}: universe file not found")
            frame = pd.read_parquet(self.path, columns=COLUMNS)  # pyarrow, imported by pandas only here
            frame["ticker"] = frame["ticker"].astype(str)
            frame = frame.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
            # each ticker's first row from the sorted column's codes (an object array of the 3.5 M tickers would
            # make one Python string per row: ~240 MB on the Shenzhen universe, for a moment)
            codes, names = pd.factorize(frame["ticker"])  # in order of appearance: the sorted order
            starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.empty(0, int)
            self._lo, self._hi = starts.astype(np.int64), np.r_[starts[1:], len(frame)].astype(np.int64)
            self._code = {str(name): k for k, name in enumerate(names)}
            raw = pd.DatetimeIndex(frame["date"])
            days = (raw.tz_localize(None) if raw.tz is not None else raw).normalize()
            self._columns = {
                "raw": raw.to_numpy() if raw.tz is None else raw.tz_localize(None).to_numpy(),
                "date": days.to_numpy(),
                "close": pd.to_numeric(frame["close"], errors="coerce").to_numpy(dtype=float),
                "prev_close": pd.to_numeric(frame["prev_close"], errors="coerce").to_numpy(dtype=float),
                "volume": pd.to_numeric(frame["volume"], errors="coerce").to_numpy(dtype=float),
                "traded": frame["traded"].astype(bool).to_numpy(),
            }
            del frame, raw, days, codes
            release_free_memory()  # the read's and the sort's copies (~350 MB resident otherwise, for the whole run)
        return self._columns

    def _cut(self, k: np.ndarray, bounds: list[tuple[date | None, date | None]]) -> tuple[np.ndarray, np.ndarray]:
        """The rows of tickers ``k`` (file positions) dated from their start to their end, both inclusive: binary
        searches over all tickers at once in a key that orders rows by ticker, then day (``_keys``)."""
        floor, ceil, first_day, stride = self._keys()
        lo, hi = self._lo[k], self._hi[k]
        a, b = lo.copy(), hi.copy()
        sides: tuple[tuple[int, Literal["left", "right"], np.ndarray, np.ndarray], ...] = (
            (0, "left", floor, a),
            (1, "right", ceil, b),
        )
        for at, side, key, out in sides:
            given = np.array([x[at] is not None for x in bounds], dtype=bool)
            if not given.any():
                continue
            stamp = {  # few distinct: each converted once
                d: pd.Timestamp(d).as_unit("ns").value for d in {x[at] for x in bounds if x[at] is not None}
            }
            days = np.array([stamp[x[at]] // DAY_NS if x[at] is not None else 0 for x in bounds], np.int64)
            exact = np.array([x[at] is None or stamp[x[at]] % DAY_NS == 0 for x in bounds], bool)
            offset = np.clip(days - first_day + 1, 0, stride - 1)
            found = np.searchsorted(key, k * stride + offset, side=side)
            out[given & exact] = found[given & exact]
            for j in np.flatnonzero(given & ~exact):  # a bound with a time of day: search that ticker's own dates
                dates = self._load()["raw"][lo[j] : hi[j]]
                out[j] = lo[j] + np.searchsorted(dates, np.datetime64(pd.Timestamp(bounds[j][at])), side=side)
        return a, np.maximum(a, b)

    def _keys(self) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Per row, ``ticker * stride + day`` with the row's day rounded down (``floor``) and up (``ceil``, equal
        unless a date has a time of day), days counted from ``first_day - 1``; computed once."""
        if self._key is None:
            c = self._load()
            day = c["date"].astype("datetime64[D]").astype(np.int64)
            first_day = int(day.min()) if len(day) else 0
            stride = (int(day.max()) - first_day + 3) if len(day) else 3
            code = np.repeat(np.arange(len(self._lo)), self._hi - self._lo)
            floor = code * stride + (day - first_day + 1)
            late = c["raw"] != c["date"]
            self._key = (floor, floor + late if late.any() else floor, first_day, stride)
        return self._key

    def _faults(self) -> tuple[np.ndarray, np.ndarray]:
        """Running counts over the file's rows of those that break the contract (:func:`fault_rows`): rows out
        of date order, and rows with any other fault; computed once."""
        if self._fault_counts is None:
            c = self._load()
            bounds = np.r_[self._lo, len(c["date"])] if len(self._lo) else np.zeros(1, dtype=np.int64)
            rows = StackedRows.of(list(self._code), bounds, c, np.zeros(len(self._code), bool))
            bad = fault_rows(rows)
            other = bad["close"] | bad["prev_close"] | bad["traded_volume"] | bad["moved"]
            disorder = np.r_[0, np.cumsum(bad["disorder"], dtype=np.int64)]
            self._fault_counts = disorder, np.r_[0, np.cumsum(other, dtype=np.int64)]
        return self._fault_counts

    def histories(self, requests: HistoryRequests) -> PriceHistories:
        """Every requested ticker's rows in its (start, end), checked as :func:`validate_history` checks one
        (the file's rows once, :meth:`_faults`; a ticker's own rows only if it has a problem); a ticker the file
        lacks from the fallback. No row is copied. See :meth:`~eventstudy.data.base.BulkPriceProvider.histories`."""
        c = self._load()
        mine = [t for t in requests if t in self._code]
        k = np.array([self._code[t] for t in mine], dtype=np.int64)
        a, b = self._cut(k, [requests[t] for t in mine])
        disorder, other = self._faults()  # the row starting a range has no row before it in the range
        suspect = (other[b] > other[a]) | (disorder[b] > disorder[np.minimum(a + 1, b)])
        read = PriceHistories(mine, np.zeros(len(mine), np.int64), a, b, [c], np.zeros(len(mine), bool))
        failed: dict[str, DataError] = {}
        if suspect.any():
            rows = read.select([mine[j] for j in np.flatnonzero(suspect)]).rows
            failed = {t: DataError(m) for t, m in history_faults(rows, lambda t: f"{self.path} ({t})").items()}
        frames: dict[str, pd.DataFrame] = {}
        for t in requests:
            if t in self._code:
                self._served[t] = None
                continue
            if self.fallback is None:
                failed[t] = DataUnavailable(f"{t}: not in {self.path}")
                continue
            self._served[t] = self.fallback
            try:
                frames[t] = validate_history(self.fallback.history(t, *requests[t]), f"{t} ({self.name})")
            except DataError as exc:
                failed[t] = exc
        parts = [read, PriceHistories.from_frames(frames)] if frames else [read]
        out = combine(parts, [t for t in requests if t not in failed])
        out.failed = failed
        return out

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        read = self.histories({ticker: (start, end)})
        if ticker in read.failed:
            raise read.failed[ticker]
        return read[ticker]

    def provenance(self, ticker: str) -> Provenance:
        other = self._served.get(ticker)
        if other is not None:
            return other.provenance(ticker)
        if ticker not in self._code:
            return Provenance(self.name, None, "not read")
        assert self._columns is not None
        last = pd.Timestamp(self._columns["raw"][self._hi[self._code[ticker]] - 1]).date()
        return Provenance(self.name, last, self.path.name)
