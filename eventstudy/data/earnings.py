"""Earnings release dates: Yahoo's through yfinance, cached on disk beside the prices.

The network boundary is one function of a ticker returning what ``yfinance.Ticker(t).get_earnings_dates(limit)``
returns (:func:`yfinance_earnings`): a DataFrame indexed by the release instant — index name ``Earnings Date``,
tz-aware (the exchange's zone, e.g. ``America/New_York``) — with the float columns ``EPS Estimate``,
``Reported EPS`` and ``Surprise(%)`` (NaN where Yahoo shows "-"; a future release has no reported EPS) and, from
some yfinance versions, ``Event Type`` (``Earnings``, ``Call``, ``Meeting``); or None when Yahoo lists no dates
for the ticker. Tests inject a fake function returning frames of exactly that shape.

:func:`convert_earnings` turns it into the tidy frame every earnings source returns (:data:`COLUMNS`):
``announced`` (the instant, UTC), ``eps_estimate``, ``reported_eps``, ``surprise_pct`` and ``event_type`` ('' when
not given), one row per instant, in time order. :class:`CachedEarnings` keeps one parquet file per ticker under
``<price cache>/earnings/`` with a JSON record (fetch time, rows, SHA-256), written atomically like the price cache,
and refreshes it after :data:`MAX_AGE_DAYS` (serving the old file, with a warning, when the refresh fails).

Which price sources have earnings dates (:func:`eventstudy.data.earnings_source.earnings_source`): Yahoo (``--source yahoo``, and ``auto`` while
Yahoo is reachable). The vendored snapshot, CSV folders and frames have none: the screen says so in
``confounders.csv`` instead of screening nothing silently.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from ..errors import DataError, DataUnavailable
from .cache import cache_paths, replace_file, utc_now
from .yfinance_log import one_line, route_yfinance_logging

#: yfinance's shape: the index name and the columns of ``get_earnings_dates``.
YF_INDEX = "Earnings Date"
YF_COLUMNS = ("EPS Estimate", "Reported EPS", "Surprise(%)")
YF_EVENT_TYPE = "Event Type"
COLUMNS = ("announced", "eps_estimate", "reported_eps", "surprise_pct", "event_type")
YF_LIMIT = 100  # rows asked of Yahoo (its cap): about 25 years of quarterly releases
MAX_AGE_DAYS = 30  # a cached file older than this is refreshed (new releases are added each quarter)

FetchEarnings = Callable[[str], pd.DataFrame | None]


def empty_earnings() -> pd.DataFrame:
    """The tidy earnings frame without rows."""
    return pd.DataFrame(
        {
            "announced": pd.Series([], dtype="datetime64[ns, UTC]"),
            "eps_estimate": pd.Series([], dtype=float),
            "reported_eps": pd.Series([], dtype=float),
            "surprise_pct": pd.Series([], dtype=float),
            "event_type": pd.Series([], dtype=object),
        }
    )


def yfinance_earnings(ticker: str, limit: int = YF_LIMIT) -> pd.DataFrame | None:
    """Yahoo's earnings dates of ``ticker`` as yfinance returns them (see the module docstring); the network call."""
    import yfinance  # imported lazily: only a real fetch needs it

    route_yfinance_logging()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's deprecation and parser warnings; failures raise
        return yfinance.Ticker(ticker).get_earnings_dates(limit=limit)


def convert_earnings(raw: pd.DataFrame | None, ticker: str) -> pd.DataFrame:
    """yfinance's ``get_earnings_dates`` frame → the tidy frame (:data:`COLUMNS`); None or no rows → no rows.

    :class:`DataError` when the frame is not in yfinance's shape: an index other than ``Earnings Date``, instants
    without a time zone (a release cannot then be placed before or after a close), a missing column."""
    if raw is None or len(raw) == 0:
        return empty_earnings()
    where = f"{ticker}: Yahoo earnings dates"
    if raw.index.name != YF_INDEX:
        raise DataError(f"{where}: index {raw.index.name!r}, expected {YF_INDEX!r}")
    index = pd.DatetimeIndex(raw.index)
    if index.tz is None:
        raise DataError(f"{where}: release instants without a time zone (first {index[0]})")
    missing = [c for c in YF_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{where}: lacks column(s) {', '.join(missing)}")
    numbers = {c: pd.to_numeric(raw[c], errors="coerce").to_numpy(dtype=float) for c in YF_COLUMNS}
    kinds = raw[YF_EVENT_TYPE].astype(str).to_numpy() if YF_EVENT_TYPE in raw.columns else np.full(len(raw), "")
    frame = pd.DataFrame(
        {
            "announced": index.tz_convert(UTC).as_unit("ns"),
            "eps_estimate": numbers["EPS Estimate"],
            "reported_eps": numbers["Reported EPS"],
            "surprise_pct": numbers["Surprise(%)"],
            "event_type": kinds.astype(object),
        }
    )
    frame = frame[frame["announced"].notna()]
    return frame.drop_duplicates("announced").sort_values("announced", kind="stable").reset_index(drop=True)


class EarningsSource(Protocol):
    """Anything that gives a ticker's earnings dates as the tidy frame (:class:`DataUnavailable` when it cannot)."""

    name: str

    def earnings_dates(self, ticker: str) -> pd.DataFrame: ...


class YahooEarnings:
    """Earnings dates from Yahoo through yfinance (``fetch``: the network boundary, injected by tests)."""

    name = "yahoo"

    def __init__(self, fetch: FetchEarnings | None = None) -> None:
        self._fetch: FetchEarnings = fetch if fetch is not None else yfinance_earnings
        self.warnings: list[str] = []

    def earnings_dates(self, ticker: str) -> pd.DataFrame:
        try:
            raw = self._fetch(ticker)
        except Exception as exc:  # the boundary: network, throttling, yfinance's own errors
            raise DataUnavailable(f"{ticker}: Yahoo earnings dates failed: {one_line(exc)}") from exc
        if raw is None:
            raise DataUnavailable(f"{ticker}: Yahoo lists no earnings dates")
        return convert_earnings(raw, ticker)


class CachedEarnings:
    """``inner``'s earnings dates kept as ``<directory>/<ticker>.parquet`` and ``.json`` (module docstring)."""

    def __init__(self, inner: EarningsSource, directory: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.inner, self.directory, self._clock = inner, Path(directory), clock
        self.name = f"cache+{inner.name}"
        self.warnings: list[str] = []

    def _load(self, ticker: str) -> tuple[pd.DataFrame, datetime] | None:
        parquet, meta_path = cache_paths(self.directory, ticker)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = parquet.read_bytes()
            if not isinstance(meta, dict) or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
                return None
            frame = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
            fetched = datetime.fromisoformat(str(meta["fetched_at"]))
        except Exception:  # absent, unreadable or damaged: as if not cached  # noqa: BLE001
            return None
        if list(frame.columns) != list(COLUMNS):
            return None
        return frame, fetched if fetched.tzinfo is not None else fetched.replace(tzinfo=UTC)

    def _store(self, ticker: str, frame: pd.DataFrame, fetched_at: str) -> None:
        parquet, meta_path = cache_paths(self.directory, ticker)
        self.directory.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, engine="pyarrow")
        data = buffer.getvalue()
        replace_file(parquet, data)
        meta = {"ticker": ticker, "source": self.inner.name, "fetched_at": fetched_at, "rows": len(frame),
                "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
        replace_file(meta_path, (json.dumps(meta, indent=2) + "\n").encode())

    def earnings_dates(self, ticker: str) -> pd.DataFrame:
        now = self._clock()
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        cached = self._load(ticker)
        if cached is not None and now - cached[1] <= timedelta(days=MAX_AGE_DAYS):
            return cached[0]
        try:
            frame = self.inner.earnings_dates(ticker)
        except DataUnavailable as exc:
            if cached is None:
                raise
            self.warnings.append(f"{exc}; using the earnings dates cached {cached[1].date()}")
            return cached[0]
        self._store(ticker, frame, now.isoformat(timespec="seconds"))
        return frame


@dataclass(frozen=True)
class EarningsDates:
    """The earnings dates a study's screen uses: per ticker the tidy frame, or why there is none."""

    dates: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # ticker → why its earnings dates were not screened

    def as_bytes(self) -> bytes:
        """Every row, ticker by ticker, for the rebuild's input hash."""
        parts = [f"earnings {t}\n{self.dates[t].to_csv(lineterminator=chr(10))}" for t in sorted(self.dates)]
        parts += [f"no earnings {t}: {self.missing[t]}\n" for t in sorted(self.missing)]
        return "".join(parts).encode()
