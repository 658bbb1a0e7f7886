"""Factor files for the multi-factor model (``model: factor``).

Schema (CSV, UTF-8, one header row; documented in ``docs/factors.md``):

============  =======================================================================================
column        meaning
============  =======================================================================================
``date``      session date, ``YYYY-MM-DD`` (exchange-local); unique, any order
*any other*   one column per factor: the factor's **daily simple return as a decimal** on that session
              (``0.0123`` = 1.23 %), e.g. ``smb``, ``hml``, ``umd``; names are free (letters, digits, ``_``)
============  =======================================================================================

The study's benchmark is always the model's market factor, so the file holds the *other* factors; a column
named ``mkt``/``mkt_rf``/``market`` is rejected to avoid entering the market twice. Empty cells are missing
values: a firm return whose span covers a session with a missing factor value is left out of the estimation
and gets no AR. Factor returns over a k-session trade-to-trade span are the **sum** of the daily factor
returns of those sessions (factors are returns of zero-investment portfolios, for which summing is the
usual additive approximation). Dates that are not sessions of the study's calendar are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..spec.exchanges import calendar_name
from ..spec.factor_models import LIBRARY_MODELS, region_for

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MARKET_NAMES = {"mkt", "mkt_rf", "market", "mktrf"}


def load_factors(path: str | Path) -> pd.DataFrame:
    """Read and validate a factor file; returns a float frame indexed by date (sorted), one column per factor."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such factor file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ConfigError(f"{path}: cannot read factor file: {exc}") from None
    if "date" not in frame.columns:
        raise ConfigError(f"{path}: factor file needs a 'date' column")
    factors = [c for c in frame.columns if c != "date"]
    if not factors:
        raise ConfigError(f"{path}: factor file has no factor columns besides 'date'")
    for c in factors:
        if not _NAME.match(c):
            raise ConfigError(f"{path}: factor column {c!r} is not a valid name (letters, digits, _)")
        if c.lower() in _MARKET_NAMES:
            raise ConfigError(f"{path}: column {c!r}: the study benchmark is the market factor; leave it out")
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna())[0]) + 2
        raise ConfigError(f"{path}: line {row}: date {frame['date'].iloc[row - 2]!r} is not YYYY-MM-DD")
    if dates.duplicated().any():
        raise ConfigError(f"{path}: duplicate date {dates[dates.duplicated()].iloc[0].date()}")
    values = frame[factors].replace("", np.nan).apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & frame[factors].ne("")
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise ConfigError(f"{path}: line {r + 2}: {factors[c]} = {frame[factors[c]].iloc[r]!r} is not a number")
    values.index = pd.DatetimeIndex(dates, name="date")
    return values.sort_index().astype(float)


def model_options(study: object, calendar: str | None = None, library: Any = None) -> dict[str, Any]:
    """Keyword arguments of :func:`eventstudy.model.engine.abnormal_returns` for a study's model settings.

    A relative ``factor_file`` is resolved against the study file's folder. For a factor-library model (``ff3``,
    ``ff5``, ``carhart``) the factors of the region of the market group on exchange ``calendar``
    (:func:`eventstudy.data.french.library_factors`, from ``library``, default the factor cache in
    :func:`eventstudy.data.default_cache_dir` and the vendored files); without ``calendar`` only the settings are
    checked (every firm's market has a region with daily factor files) and nothing is returned.
    """
    model = getattr(study, "model", "market_model")
    if model in LIBRARY_MODELS:
        return _library_options(study, model, calendar, library)
    if model == "dimson":
        return {"dimson_lags": int(getattr(study, "dimson_lags", 1))}
    if model == "factor":
        file = getattr(study, "factor_file", None)
        if not file:
            raise ConfigError(f"{getattr(study, 'path', 'study')}: model 'factor' needs study.factor_file")
        file = Path(file)
        if not file.is_absolute():
            file = Path(getattr(study, "path", Path("."))).parent / file
        return {"factors": load_factors(file)}
    return {}


def _library_options(study: object, model: str, calendar: str | None, library: Any) -> dict[str, Any]:
    from .french import FactorLibrary, library_factors, model_files

    regions: dict[str, str] = getattr(study, "factor_region", {}) or {}
    where = str(getattr(study, "path", "study"))
    if calendar is None:
        for event in getattr(study, "events", ()):
            for firm in event.firms:
                region = region_for(regions, calendar_name(firm.exchange), where)
                try:
                    model_files(model, region)
                except ConfigError as exc:
                    raise ConfigError(f"{where}: study.model {model}, {firm.ticker} ({firm.exchange}): {exc}") from None
        return {}
    if library is None:
        from . import default_cache_dir

        library = FactorLibrary(default_cache_dir())
    return {"factors": library_factors(model, region_for(regions, calendar, where), library)}


def library_files(study: object) -> list[str]:
    """The data-library files (stems) a factor-library study reads: its model's, for the region of every firm's
    market (empty for any other model). What ``eventstudy fetch`` downloads."""
    from .french import model_files

    model = getattr(study, "model", "market_model")
    if model not in LIBRARY_MODELS:
        return []
    regions: dict[str, str] = getattr(study, "factor_region", {}) or {}
    where = str(getattr(study, "path", "study"))
    stems = [
        stem
        for event in getattr(study, "events", ())
        for firm in event.firms
        for stem in model_files(model, region_for(regions, calendar_name(firm.exchange), where))
    ]
    return list(dict.fromkeys(stems))
