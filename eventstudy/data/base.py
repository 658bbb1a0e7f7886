"""The provider contract: what every price source returns.

A *price history* is a ``pandas.DataFrame`` indexed by ``date`` (tz-naive, normalised exchange session
dates, strictly increasing) with the columns

``close``       float, the session's close (for Yahoo: the adjusted close)
``prev_close``  float, the reference close of the last *traded* session, already adjusted for
                distributions, so that ``close / prev_close - 1`` is the total return since that trade
``volume``      float, shares traded (0 on a suspended session)
``traded``      bool, False on a suspended session (then close == prev_close and there was no trade)

Rows may be missing for sessions on which a security did not trade; the returns stage treats a missing
session inside the data's range as not traded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..errors import DataError
from .histories import PriceHistories, StackedRows, segment_any, segment_first

COLUMNS = ("close", "prev_close", "volume", "traded")


@dataclass(frozen=True)
class Provenance:
    """Where a price history came from, for the report header and study.json."""

    source: str  # "snapshot", "csv:<dir>", "yahoo", "cache"
    as_of: date | None  # last session in the data used
    detail: str = ""  # free text without wall-clock times (it is published in reports)
    fetched_at: str | None = None  # when the data was fetched live (kept out of the report files)
    warning: str | None = None  # set when a live source failed and older data was used instead
    fell_back: str | None = None  # why the live source failed (without the ticker), when older data was used


def without_ticker(message: str, ticker: str) -> str:
    """``message`` without a leading ``"<ticker>: "`` (so that a line naming the ticker does not name it twice)."""
    return message.removeprefix(f"{ticker}: ")


@runtime_checkable
class PriceProvider(Protocol):
    """A source of daily price histories."""

    name: str

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        """Return the price history of ``ticker`` between ``start`` and ``end`` inclusive.

        Raises :class:`~eventstudy.errors.DataUnavailable` when the ticker has no data.
        """
        ...

    def provenance(self, ticker: str) -> Provenance:
        """Describe the data last returned for ``ticker``."""
        ...


HistoryRequests = Mapping[str, tuple[date | None, date | None]]  # ticker → (start, end), both inclusive


@runtime_checkable
class BulkPriceProvider(PriceProvider, Protocol):
    """A price source that can read many tickers at once, faster than one :meth:`~PriceProvider.history` each
    (e.g. a universe file read once). A provider without it is read one ticker at a time
    (:func:`eventstudy.study.plan.load_histories`); the histories are the same either way."""

    def histories(self, requests: HistoryRequests) -> PriceHistories:
        """The validated histories of the tickers in ``requests``, each over its (start, end), in that order;
        a ticker that cannot be given is in ``failed`` with the :class:`DataError` that ``history`` raises."""
        ...


def _normalised(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """``frame``'s contract columns with tz-naive, normalised dates and the contract's dtypes (values unchecked)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)}")
    out = frame.loc[:, list(COLUMNS)].copy()
    idx = pd.DatetimeIndex(out.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    out.index = idx.normalize().rename("date")
    out["traded"] = out["traded"].astype(bool)
    for col in ("close", "prev_close", "volume"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out


def validate_history(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Check a price history against the contract and return it normalised.

    ``where`` names the file or ticker in error messages. Raises :class:`DataError` on the first problem:
    missing columns, duplicated or unsorted dates, non-finite or non-positive prices on traded sessions, a
    suspension that contradicts itself (:func:`check_suspensions`); the rules are those of :func:`history_faults`.
    """
    out = _normalised(frame, where)
    faults = history_faults(PriceHistories.from_frames({where: out}).rows, lambda _: where)
    if faults:
        raise DataError(faults[where])
    return out


def fault_rows(rows: StackedRows) -> dict[str, np.ndarray]:
    """Per row, each rule of the contract it breaks: ``disorder`` (its date is not after the row before, of the
    same ticker), ``close`` / ``prev_close`` (traded, but not a positive number), ``traded_volume`` / ``moved``
    (:func:`suspension_faults`)."""
    stamps, code = rows.stamps, rows.code
    disorder = np.zeros(len(stamps), dtype=bool)
    disorder[1:] = (code[1:] == code[:-1]) & (stamps[1:] <= stamps[:-1])
    out = {"disorder": disorder}
    for col in ("close", "prev_close"):
        values = getattr(rows, col)
        out[col] = rows.traded & ~(np.isfinite(values) & (values > 0))
    out["traded_volume"], out["moved"] = suspension_faults(rows.traded, rows.volume, rows.close, rows.prev_close)
    return out


def history_faults(rows: StackedRows, where: Callable[[str], str]) -> dict[str, str]:
    """The first problem of every ticker's rows that breaks the contract, as the one-line message of
    :func:`validate_history` (``where(ticker)`` names the file or ticker); tickers without one are left out.

    In order: duplicated or unsorted dates, a traded session whose close or prev_close is not a positive
    number, a suspension that contradicts itself. The rules (:func:`fault_rows`) are tested on all tickers'
    rows at once; only a failing ticker's rows are looked at on their own, to name its first problem."""
    bounds = rows.bounds
    bad = fault_rows(rows)
    traded_volume, moved = bad["traded_volume"], bad["moved"]
    failing = np.flatnonzero(segment_any(np.logical_or.reduce(list(bad.values()), axis=0), bounds))
    out = {}
    for k in failing:  # the few tickers with a problem: name the first
        ticker, lo, hi = rows.tickers[k], int(bounds[k]), int(bounds[k + 1])
        dates = pd.DatetimeIndex(rows.date[lo:hi])
        if dates.has_duplicates:
            out[ticker] = f"{where(ticker)}: date {dates[dates.duplicated()][0].date()} appears more than once"
            continue
        if not dates.is_monotonic_increasing:
            out[ticker] = f"{where(ticker)}: dates are not in increasing order"
            continue
        for col in ("close", "prev_close"):
            i = segment_first(bad[col], bounds, int(k))
            if i >= 0:
                value = float(getattr(rows, col)[i])
                out[ticker] = (
                    f"{where(ticker)}: {col} on {pd.Timestamp(rows.date[i]).date()} is {value!r}; "
                    "prices must be positive numbers"
                )
                break
        else:
            i = segment_first(traded_volume | moved, bounds, int(k))
            out[ticker] = _suspension_message(
                where(ticker), pd.Timestamp(rows.date[i]), traded_volume[i], rows.volume[i], rows.close[i],
                rows.prev_close[i],
            )  # fmt: skip
    return out


def suspension_faults(
    traded: np.ndarray, volume: np.ndarray, close: np.ndarray, prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows marked suspended (``traded`` 0) that trade shares, and those whose close moved off prev_close."""
    halted = ~traded
    traded_volume = halted & (volume > 0)
    moved = halted & np.isfinite(close) & np.isfinite(prev) & ~np.isclose(close, prev, rtol=1e-9, atol=0.0)
    return traded_volume, moved


def _suspension_message(
    where: str, day: pd.Timestamp, by_volume: bool, volume: float, close: float, prev: float
) -> str:
    what = f"volume {volume:g}" if by_volume else f"close {close:g} against prev_close {prev:g}"
    return (
        f"{where}: {day.date()}: traded=0 (suspended) but {what}; a suspended session has no "
        "volume and close = prev_close — correct the row"
    )


def check_suspensions(history: pd.DataFrame, where: str) -> None:
    """A row marked ``traded`` 0 is a suspension: no volume and no price change (``close == prev_close``). A row
    that says both — suspended, yet with shares traded or a new price — contradicts itself, and no return can be
    read from it: :class:`DataError` naming the file, the date and the values."""
    volume = history["volume"].to_numpy(dtype=float)
    close, prev = history["close"].to_numpy(dtype=float), history["prev_close"].to_numpy(dtype=float)
    traded_volume, moved = suspension_faults(history["traded"].to_numpy(dtype=bool), volume, close, prev)
    bad = traded_volume | moved
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            _suspension_message(where, history.index[i], bool(traded_volume[i]), volume[i], close[i], prev[i])
        )


def clip(frame: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """Rows of ``frame`` with start <= date <= end (either bound may be None)."""
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) if end is not None else None
    return frame.loc[lo:hi]
