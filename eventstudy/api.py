"""``eventstudy.run``: a study (file, dict or :class:`~eventstudy.config.Study`) and prices → :class:`Results`.

The same stages as ``eventstudy run`` (load prices, analyse, evaluate claims), without writing anything;
:meth:`Results.to_report` publishes the report afterwards through the command's atomic path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from .config import Study, load_study, parse_study
from .data import open_provider
from .data.base import PriceProvider
from .data.frames import FrameProvider
from .errors import ConfigError
from .rebuild import analyse_study
from .results import Results


def as_study(study: str | Path | Mapping[str, Any] | Study) -> Study:
    """A :class:`Study` from a study file's path, a dict with the file's structure, or a Study (returned as is)."""
    if isinstance(study, Study):
        return study
    if isinstance(study, (str, Path)):
        return load_study(study)
    if isinstance(study, Mapping):
        return parse_study(dict(study), "study dict")
    raise ConfigError(f"study: expected a path, a dict or a Study, got {type(study).__name__}")


def as_provider(
    source: str | PriceProvider | None,
    prices: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    cache: str | Path | None = None,
) -> PriceProvider:
    """The price provider for ``source`` (a ``--source`` value or a provider) or for ``prices`` (frames)."""
    if prices is not None:
        if source is not None:
            raise ConfigError("run: give either source= or prices=, not both")
        return FrameProvider(prices)
    if source is None:
        source = "auto"
    if isinstance(source, str):
        return open_provider(source, Path(cache) if cache is not None else None)
    if isinstance(source, PriceProvider):
        return source
    raise ConfigError(f"source: expected auto, snapshot, yahoo, csv:DIR or a PriceProvider, got {source!r}")


def run(
    study: str | Path | Mapping[str, Any] | Study,
    source: str | PriceProvider | None = None,
    *,
    prices: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    as_of: date | str | None = None,
    cache: str | Path | None = None,
) -> Results:
    """Run ``study`` and return its :class:`Results`; nothing is written (see :meth:`Results.to_report`).

    ``source``: ``"auto"`` (default: cache/Yahoo when reachable, else the vendored snapshot), ``"snapshot"``,
    ``"yahoo"``, ``"csv:DIR"`` or any :class:`~eventstudy.data.base.PriceProvider`. ``prices``: instead of a
    source, price frames in memory (``{ticker: frame}``, a long frame with a ``ticker`` column, or a wide frame
    of closes; :mod:`eventstudy.data.frames`), the benchmark included. ``as_of``: use only sessions up to
    this date. ``cache``: the price cache directory for ``yahoo``/``auto``. Bad input raises
    :class:`~eventstudy.errors.ConfigError`, missing prices :class:`~eventstudy.errors.DataError`.
    """
    spec = as_study(study)
    provider = as_provider(source, prices, cache)
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise ConfigError(f"as_of: {as_of!r} is not a date (YYYY-MM-DD)") from None
    return Results(analyse_study(spec, provider, as_of, progress=False))
