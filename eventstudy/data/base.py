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

from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..errors import DataError

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


def validate_history(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Check a price history against the contract and return it normalised.

    ``where`` names the file or ticker in error messages. Raises :class:`DataError` on the first problem:
    missing columns, duplicated or unsorted dates, non-finite or non-positive prices on traded sessions.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)}")
    out = frame.loc[:, list(COLUMNS)].copy()
    idx = pd.DatetimeIndex(out.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    out.index = idx.normalize().rename("date")
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()][0]
        raise DataError(f"{where}: date {dup.date()} appears more than once")
    if not out.index.is_monotonic_increasing:
        raise DataError(f"{where}: dates are not in increasing order")
    out["traded"] = out["traded"].astype(bool)
    for col in ("close", "prev_close", "volume"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    traded = out["traded"].to_numpy()
    for col in ("close", "prev_close"):
        values = out[col].to_numpy()
        bad = traded & ~(np.isfinite(values) & (values > 0))
        if bad.any():
            day = out.index[bad][0].date()
            raise DataError(f"{where}: {col} on {day} is {float(values[bad][0])!r}; prices must be positive numbers")
    check_suspensions(out, where)
    return out


def check_suspensions(history: pd.DataFrame, where: str) -> None:
    """A row marked ``traded`` 0 is a suspension: no volume and no price change (``close == prev_close``). A row
    that says both — suspended, yet with shares traded or a new price — contradicts itself, and no return can be
    read from it: :class:`DataError` naming the file, the date and the values."""
    halted = ~history["traded"].to_numpy(dtype=bool)
    volume = history["volume"].to_numpy(dtype=float)
    close, prev = history["close"].to_numpy(dtype=float), history["prev_close"].to_numpy(dtype=float)
    traded_volume = halted & (volume > 0)
    moved = halted & np.isfinite(close) & np.isfinite(prev) & ~np.isclose(close, prev, rtol=1e-9, atol=0.0)
    bad = traded_volume | moved
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = f"volume {volume[i]:g}" if traded_volume[i] else f"close {close[i]:g} against prev_close {prev[i]:g}"
        raise DataError(
            f"{where}: {history.index[i].date()}: traded=0 (suspended) but {what}; a suspended session has no "
            "volume and close = prev_close — correct the row"
        )


def clip(frame: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """Rows of ``frame`` with start <= date <= end (either bound may be None)."""
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) if end is not None else None
    return frame.loc[lo:hi]
