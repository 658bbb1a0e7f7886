"""The earnings source that goes with a price source (:func:`earnings_source`), and the earnings dates of a study's
firms from it (:func:`load_earnings`): Yahoo's, cached beside the prices, for ``--source yahoo`` and for ``auto``
while Yahoo is reachable; none for the vendored snapshot, CSV folders and frames, which the screen reports."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import DataError, DataUnavailable
from . import AsOfProvider, AutoProvider
from .base import PriceProvider
from .cache import CachedProvider
from .earnings import CachedEarnings, EarningsDates, EarningsSource


def earnings_source(provider: PriceProvider) -> tuple[EarningsSource | None, str]:
    """The earnings source that goes with a price provider, or None and why there is none: Yahoo's (cached beside
    the prices) for Yahoo-backed providers, none for the snapshot, CSV folders and frames, nor for ``auto`` once it
    has fallen back to the snapshot. A provider offers one through an ``earnings`` attribute."""
    if isinstance(provider, AsOfProvider):
        return earnings_source(provider.inner)
    if isinstance(provider, AutoProvider):
        if provider.fallback_reason:
            return None, f"the live source was unreachable and the fallback {provider.fallback.name} has none"
        return earnings_source(provider.live)
    if isinstance(provider, CachedProvider):
        inner, why = earnings_source(provider.inner)
        return (CachedEarnings(inner, provider.directory / "earnings") if inner is not None else None), why
    offered = getattr(provider, "earnings", None)
    if offered is not None:
        return offered, ""
    return None, f"source {provider.name} has none"


def load_earnings(provider: PriceProvider, tickers: Iterable[str]) -> EarningsDates:
    """The earnings dates of ``tickers`` from ``provider``'s earnings source (:func:`earnings_source`); a ticker the
    source cannot give is listed in ``missing`` with the reason (never an error: the screen says so)."""
    tickers = list(dict.fromkeys(tickers))
    source, why = earnings_source(provider)
    if source is None:
        return EarningsDates({}, dict.fromkeys(tickers, why))
    dates, missing = {}, {}
    for ticker in tickers:
        try:
            dates[ticker] = source.earnings_dates(ticker)
        except (DataUnavailable, DataError) as exc:
            missing[ticker] = str(exc).removeprefix(f"{ticker}: ")
    return EarningsDates(dates, missing)
