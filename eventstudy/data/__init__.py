"""Price providers behind one small interface (:class:`~eventstudy.data.base.PriceProvider`).

``open_provider`` turns a ``--source`` value into a provider:

``snapshot``   the vendored default-study files (offline, reproducible)
``csv:DIR``    a folder of ``<TICKER>.csv`` files in the snapshot schema
``yahoo``      yfinance (adjusted prices), through the parquet cache
``auto``       cache/Yahoo when reachable, otherwise the snapshot; the fallback is recorded and reported

The price cache lives in ``$EVENTSTUDY_CACHE`` when that is set, else in the platform's user cache directory
(``platformdirs.user_cache_dir("eventstudy")``: ``~/.cache/eventstudy`` on Linux, ``~/Library/Caches/eventstudy``
on macOS, ``%LOCALAPPDATA%\\eventstudy\\Cache`` on Windows); ``--cache DIR`` overrides both.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, DataUnavailable
from .base import PriceProvider, Provenance
from .local_csv import CsvFolderProvider
from .snapshot import SnapshotProvider

CACHE_ENV = "EVENTSTUDY_CACHE"


def default_cache_dir() -> Path:
    """``$EVENTSTUDY_CACHE``, else the user cache directory of the platform (see the module docstring)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("eventstudy", appauthor=False))


class AutoProvider:
    """Try a live provider; once it is unreachable, use the fallback for every ticker and say why."""

    def __init__(self, live: PriceProvider, fallback: PriceProvider) -> None:
        self.live, self.fallback = live, fallback
        self.name = "auto"
        self.fallback_reason: str | None = None
        self._used: dict[str, PriceProvider] = {}

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        if self.fallback_reason is None:
            try:
                frame = self.live.history(ticker, start, end)
                self._used[ticker] = self.live
                return frame
            except DataUnavailable as exc:
                self.fallback_reason = str(exc)
        self._used[ticker] = self.fallback
        return self.fallback.history(ticker, start, end)

    def provenance(self, ticker: str) -> Provenance:
        used = self._used.get(ticker, self.live)
        base = used.provenance(ticker)
        if used is self.fallback and self.fallback_reason:
            warning = f"live source unavailable ({self.fallback_reason}); used {base.source} data as of {base.as_of}"
            return dataclasses.replace(base, warning=warning, fell_back=f"first failure: {self.fallback_reason}")
        return base


def fallback_notes(provenance: Mapping[str, Provenance], as_of: date | None) -> list[str]:
    """The report banner and console line: for each source fallen back to and reason, every ticker it served,
    with the study's one data as-of date. Empty when no ticker fell back."""
    groups: dict[tuple[str, str], list[str]] = {}
    for ticker, p in provenance.items():
        if p.fell_back:
            groups.setdefault((p.source, p.fell_back), []).append(ticker)
    return [
        f"live prices unavailable ({reason}); used {source} data for {', '.join(tickers)}; data as of {as_of}"
        for (source, reason), tickers in groups.items()
    ]


class AsOfProvider:
    """Another provider's histories cut at ``as_of``: only sessions up to that date exist."""

    def __init__(self, inner: PriceProvider, as_of: date) -> None:
        self.inner, self.as_of, self.name = inner, as_of, inner.name

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        return self.inner.history(ticker, start, min(end, self.as_of) if end is not None else self.as_of)

    def provenance(self, ticker: str) -> Provenance:
        base = self.inner.provenance(ticker)
        return dataclasses.replace(base, as_of=min(base.as_of, self.as_of) if base.as_of else None)


def open_provider(source: str, cache_dir: Path | None = None) -> PriceProvider:
    """The provider named by a ``--source`` value (see the module docstring)."""
    if source == "snapshot":
        return SnapshotProvider()
    if source.startswith("csv:"):
        folder = Path(source[4:])
        if not folder.is_dir():
            raise ConfigError(f"--source: {source!r}: {folder} is not a directory")
        return CsvFolderProvider(folder)
    if source in ("yahoo", "auto"):
        from .cache import CachedProvider
        from .yahoo import YahooProvider

        live = CachedProvider(YahooProvider(), cache_dir or default_cache_dir())
        return live if source == "yahoo" else AutoProvider(live, SnapshotProvider())
    raise ConfigError(f"--source: {source!r} is not one of auto, snapshot, yahoo, csv:DIR")
