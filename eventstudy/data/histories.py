"""Many tickers' price histories held as rows of shared column arrays, read as a mapping ticker → history.

A study of thousands of firms reads thousands of histories; one ``DataFrame`` per ticker costs more to build than
every number computed from it. :class:`PriceHistories` keeps each ticker's rows as a range ``lo:hi`` of column
arrays (``date``, ``close``, ``prev_close``, ``volume``, ``traded``: the provider contract of
:mod:`eventstudy.data.base`) — a universe file's own arrays, or those of frames stacked together — and the stages
that work on all tickers at once (validation, the returns panel, the data-quality flags) read
:attr:`PriceHistories.rows`: every ticker's rows one after another. A ticker's history as a ``DataFrame`` is
built only when someone asks for it (and then kept). :meth:`~PriceHistories.select`, :meth:`~PriceHistories.clip`
and :func:`combine` move row bounds and copy no rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

EXCHANGE_PREV_CLOSE = "exchange"  # history.attrs["prev_close"] when prev_close is the exchange's reference price
FIELDS = ("date", "close", "prev_close", "volume", "traded")
Columns = Mapping[str, np.ndarray]  # FIELDS → row arrays


@dataclass(frozen=True, eq=False)
class StackedRows:
    """Tickers' rows one after another: ticker ``k`` holds rows ``bounds[k]:bounds[k + 1]``; ``code`` is each
    row's ticker position; ``exchange[k]``: its ``prev_close`` is the exchange's reference price."""

    tickers: tuple[str, ...]
    bounds: np.ndarray
    date: np.ndarray  # datetime64 (any unit)
    close: np.ndarray
    prev_close: np.ndarray
    volume: np.ndarray
    traded: np.ndarray
    exchange: np.ndarray
    memo: dict[str, object] = field(default_factory=dict)  # what rules found on these rows (eventstudy.data.quality)

    @classmethod
    def of(cls, tickers: Sequence[str], bounds: np.ndarray, columns: Columns, exchange: np.ndarray) -> StackedRows:
        c = columns
        return cls(tuple(tickers), bounds, c["date"], c["close"], c["prev_close"], c["volume"], c["traded"], exchange)

    @cached_property
    def code(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.tickers), dtype=np.int32), np.diff(self.bounds))

    @cached_property
    def stamps(self) -> np.ndarray:
        """The dates as int64 counts of their unit (:meth:`stamp` puts another date in that unit)."""
        return self.date.view(np.int64)

    def stamp(self, dates: pd.DatetimeIndex | pd.Timestamp) -> np.ndarray:
        """``dates`` (dates at midnight, e.g. sessions) as int64 counts of the rows' date unit."""
        unit = np.datetime_data(self.date.dtype)[0]
        return np.asarray(pd.DatetimeIndex([dates] if isinstance(dates, pd.Timestamp) else dates).as_unit(unit).asi8)


def session_positions(
    rows: StackedRows, sessions: pd.DatetimeIndex, part: slice = slice(None)
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's (of ``part`` of the rows) position on the session axis ``sessions`` (sorted dates at midnight)
    and whether its date is one of them (where not, the position means nothing): a look-up by calendar day,
    checked against the axis. Those of all the rows are kept in ``rows.memo`` (read-only), for the next stage
    that places the same rows on the same axis."""
    axis, stamps = rows.stamp(sessions), rows.stamps[part]
    if part == slice(None):
        key = f"session_positions {hashlib.sha256(axis.tobytes()).hexdigest()}"
        if key not in rows.memo:
            pos, on = _positions(axis, stamps, rows.stamp(pd.Timestamp("1970-01-02"))[0])
            pos.setflags(write=False)
            on.setflags(write=False)
            rows.memo[key] = (pos, on)
        return rows.memo[key]  # type: ignore[return-value]
    return _positions(axis, stamps, rows.stamp(pd.Timestamp("1970-01-02"))[0])


def _positions(axis: np.ndarray, stamps: np.ndarray, per_day: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`session_positions` of the rows' ``stamps`` on the axis' ``axis`` (both in one unit, ``per_day`` of
    it a day)."""
    if not len(axis):
        return np.zeros(len(stamps), dtype=np.int64), np.zeros(len(stamps), dtype=bool)
    first = axis[0] - axis[0] % per_day
    table = np.full(int((axis[-1] - first) // per_day) + 2, -1, dtype=np.int64)  # the last slot: beyond the axis
    table[(axis - first) // per_day] = np.arange(len(axis))
    day = (stamps - first) // per_day
    np.clip(day, -1, len(table) - 1, out=day)
    pos = table[day]  # day -1 (before the axis) reads the last slot: -1
    # position -1 reads the sentinel after the axis, which no date equals
    on = np.r_[axis, np.iinfo(np.int64).min][pos] == stamps
    return pos, on


def segment_any(mask: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Per ticker (rows ``bounds[k]:bounds[k + 1]``), whether ``mask`` holds on any of its rows."""
    counts = np.r_[0, np.cumsum(mask, dtype=np.int64)]
    return counts[bounds[1:]] > counts[bounds[:-1]]


def segment_first(mask: np.ndarray, bounds: np.ndarray, k: int) -> int:
    """The first row of ticker ``k`` where ``mask`` holds (-1: none)."""
    hits = np.flatnonzero(mask[bounds[k] : bounds[k + 1]])
    return int(bounds[k] + hits[0]) if len(hits) else -1


class PriceHistories(Mapping[str, pd.DataFrame]):
    """Price histories of several tickers (see the module docstring): ticker ``k``'s rows are
    ``lo[k]:hi[k]`` of ``blocks[block[k]]``. ``failed``: tickers asked for that the source could not give, with
    the error saying why."""

    def __init__(
        self,
        tickers: Sequence[str],
        block: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        blocks: Sequence[Columns],
        exchange: np.ndarray,
        frames: Mapping[str, pd.DataFrame] | None = None,
        failed: Mapping[str, DataError] | None = None,
    ) -> None:
        self._tickers = tuple(tickers)
        self._where = {t: k for k, t in enumerate(self._tickers)}
        self._block = np.asarray(block, dtype=np.int64)
        self._lo, self._hi = np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64)
        self._blocks = tuple(blocks)
        self._exchange = np.asarray(exchange, dtype=bool)
        self._frames: dict[str, pd.DataFrame] = dict(frames or {})
        self.failed: dict[str, DataError] = dict(failed or {})

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> PriceHistories:
        """Stack histories given one frame per ticker (each in the provider contract); the mapping returns the
        frames themselves."""
        if isinstance(frames, PriceHistories):
            return frames
        tickers = list(frames)
        bounds = np.r_[0, np.cumsum([len(frames[t]) for t in tickers], dtype=np.int64)].astype(np.int64)

        def column(name: str, dtype: type) -> np.ndarray:
            parts = [frames[t][name].to_numpy(dtype=dtype) for t in tickers]
            return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

        dates = [frames[t].index.to_numpy() for t in tickers]
        columns = {
            "date": np.concatenate(dates) if dates else np.empty(0, dtype="datetime64[ns]"),
            "close": column("close", float),
            "prev_close": column("prev_close", float),
            "volume": column("volume", float),
            "traded": column("traded", bool),
        }
        exchange = [frames[t].attrs.get("prev_close") == EXCHANGE_PREV_CLOSE for t in tickers]
        zeros = np.zeros(len(tickers), dtype=np.int64)
        return cls(tickers, zeros, bounds[:-1], bounds[1:], [columns], np.array(exchange, dtype=bool), frames)

    # -- the mapping -------------------------------------------------------------------------------------------
    def __getitem__(self, ticker: str) -> pd.DataFrame:
        frame = self._frames.get(ticker)
        if frame is None:
            k = self._where[ticker]  # KeyError for a ticker not held, as a dict
            rows, c = slice(int(self._lo[k]), int(self._hi[k])), self._blocks[self._block[k]]
            frame = pd.DataFrame(
                {name: c[name][rows] for name in FIELDS[1:]}, index=pd.DatetimeIndex(c["date"][rows], name="date")
            )
            if self._exchange[k]:
                frame.attrs["prev_close"] = EXCHANGE_PREV_CLOSE
            self._frames[ticker] = frame
        return frame

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._tickers)

    def __len__(self) -> int:
        return len(self._tickers)

    def attrs(self, ticker: str) -> Mapping[str, Any]:
        """``self[ticker].attrs`` without building the frame: those of a frame given, else the prev_close flag."""
        frame = self._frames.get(ticker)
        if frame is not None:
            return frame.attrs
        return {"prev_close": EXCHANGE_PREV_CLOSE} if self._exchange[self._where[ticker]] else {}

    def length(self, ticker: str) -> int:
        """Rows held for ``ticker``."""
        k = self._where[ticker]
        return int(self._hi[k] - self._lo[k])

    def last_row(self, name: str) -> np.ndarray:
        """Each ticker's value of column ``name`` on its last row (a ticker without rows: the column's zero)."""
        out = np.zeros(len(self._tickers), dtype=self._blocks[0][name].dtype if self._blocks else float)
        for b, columns in enumerate(self._blocks):
            on = np.flatnonzero((self._block == b) & (self._hi > self._lo))
            out[on] = columns[name][self._hi[on] - 1]
        return out

    # -- views -------------------------------------------------------------------------------------------------
    def _view(self, keep: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> PriceHistories:
        tickers = [self._tickers[k] for k in keep]
        frames = {}  # a history already built is kept where its rows stay the same
        for j, (k, t) in enumerate(zip(keep, tickers, strict=True)):
            if t in self._frames and self._lo[k] == lo[j] and self._hi[k] == hi[j]:
                frames[t] = self._frames[t]
        return PriceHistories(tickers, self._block[keep], lo, hi, self._blocks, self._exchange[keep], frames)

    def select(self, tickers: Sequence[str]) -> PriceHistories:
        """These tickers' histories (each must be held), in this order."""
        if tuple(tickers) == self._tickers:
            return self
        keep = np.array([self._where[t] for t in tickers], dtype=np.int64)
        return self._view(keep, self._lo[keep], self._hi[keep])

    def clip(self, start: date | None, end: date | None) -> PriceHistories:
        """Each history's rows with ``start <= date <= end`` (either bound may be None), as
        :func:`eventstudy.data.base.clip` cuts one history; itself when no history reaches beyond."""
        lo, hi = self._lo.copy(), self._hi.copy()
        first = np.full(len(lo), np.iinfo(np.int64).max)
        last = np.full(len(lo), np.iinfo(np.int64).min)
        for b, columns in enumerate(self._blocks):  # each history's first and last date
            on = np.flatnonzero((self._block == b) & (hi > lo))
            dates = columns["date"]  # (only the end rows' dates converted to ns, not the block's)
            first[on] = dates[lo[on]].astype("datetime64[ns]").view(np.int64)
            last[on] = dates[hi[on] - 1].astype("datetime64[ns]").view(np.int64)
        a = pd.Timestamp(start).as_unit("ns").value if start is not None else np.iinfo(np.int64).min
        z = pd.Timestamp(end).as_unit("ns").value if end is not None else np.iinfo(np.int64).max
        for k in np.flatnonzero((first < a) | (last > z)):  # only the histories that reach beyond
            dates = self._blocks[self._block[k]]["date"][lo[k] : hi[k]]
            cut_lo = np.searchsorted(dates, np.datetime64(pd.Timestamp(start)), "left") if start is not None else 0
            cut_hi = (
                np.searchsorted(dates, np.datetime64(pd.Timestamp(end)), "right") if end is not None else len(dates)
            )
            lo[k], hi[k] = lo[k] + cut_lo, lo[k] + max(cut_hi, cut_lo)
        if np.array_equal(lo, self._lo) and np.array_equal(hi, self._hi):
            return self
        return self._view(np.arange(len(lo)), lo, hi)

    @cached_property
    def rows(self) -> StackedRows:
        """Every ticker's rows one after another (copied unless they already lie so in one block)."""
        sizes = self._hi - self._lo
        bounds = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        total = int(bounds[-1])
        if not len(sizes):
            columns = dict(self._empty())
        elif (self._block == self._block[0]).all() and np.array_equal(self._lo[1:], self._hi[:-1]):
            c, at = self._blocks[self._block[0]], int(self._lo[0])  # one block, rows in order: a slice
            columns = {n: c[n][at : at + total] for n in FIELDS}
        else:  # each ticker's run of rows, one after another (no index arrays: runs are long)
            first = self._blocks[self._block[0]]
            runs = list(zip(self._block.tolist(), self._lo.tolist(), self._hi.tolist(), strict=True))
            columns = {
                n: np.concatenate([self._blocks[b][n][lo:hi].astype(first[n].dtype, copy=False) for b, lo, hi in runs])
                for n in FIELDS
            }
        return StackedRows.of(self._tickers, bounds, columns, self._exchange)

    @staticmethod
    def _empty() -> Columns:
        return {
            "date": np.empty(0, "datetime64[ns]"), "close": np.empty(0), "prev_close": np.empty(0),
            "volume": np.empty(0), "traded": np.empty(0, bool),
        }  # fmt: skip


def stacked(histories: Mapping[str, pd.DataFrame]) -> PriceHistories:
    """``histories`` as a :class:`PriceHistories` (itself if it is one)."""
    return histories if isinstance(histories, PriceHistories) else PriceHistories.from_frames(histories)


def combine(parts: Sequence[PriceHistories], order: Sequence[str]) -> PriceHistories:
    """One mapping of the tickers in ``order``, each from the last part that holds it (a re-read replaces the
    first read); ``failed`` of the tickers no part holds. No row is copied."""
    blocks: list[Columns] = []
    index: dict[int, int] = {}
    for p in parts:
        for c in p._blocks:
            if id(c) not in index:
                index[id(c)] = len(blocks)
                blocks.append(c)
    tickers, block, lo, hi, exchange, frames, failed = [], [], [], [], [], {}, {}
    for t in order:
        holder = next((p for p in reversed(parts) if t in p), None)
        if holder is None:
            error = next((p.failed[t] for p in reversed(parts) if t in p.failed), None)
            if error is not None:
                failed[t] = error
            continue
        k = holder._where[t]
        tickers.append(t)
        block.append(index[id(holder._blocks[holder._block[k]])])
        lo.append(holder._lo[k])
        hi.append(holder._hi[k])
        exchange.append(holder._exchange[k])
        if t in holder._frames:
            frames[t] = holder._frames[t]
    return PriceHistories(tickers, np.array(block), np.array(lo), np.array(hi), blocks, np.array(exchange, bool),
                          frames, failed)  # fmt: skip


def price_digest(digest: Any, histories: Mapping[str, pd.DataFrame]) -> None:
    """Feed every price row of ``histories`` to ``digest`` (a ``hashlib`` object), tickers in sorted order: each
    ticker's name and row count, then all rows' dates (days since 1970), close, prev_close, volume and traded as
    little-endian numbers (one NaN pattern), so the same prices give the same bytes on every machine."""
    held = stacked(histories)
    order = sorted(held)
    rows = held.select(order).rows
    sizes = np.diff(rows.bounds)
    digest.update("".join(f"{t}\n{n}\n" for t, n in zip(order, sizes.tolist(), strict=True)).encode())
    digest.update(rows.date.astype("datetime64[D]").astype("<i8").tobytes())
    for values in (rows.close, rows.prev_close, rows.volume):
        digest.update(np.where(np.isnan(values), np.nan, values).astype("<f8").tobytes())
    digest.update(rows.traded.astype("u1").tobytes())
