"""Cross-sectional regression of CARs (``cross_section:`` in the study file, ``cross_section.csv``).

For one event window ``W``, each firm-event with a CAR over ``W`` is one observation::

    car_i (or bhar_i) = x_i' b + e_i,

fitted by OLS (statsmodels) with a formula — the grammar of :mod:`eventstudy.spec.formula`, parsed as data and
never evaluated as code — over the columns ``car``, ``bhar`` (the window's CAR and
BHAR, as in ``car.csv``), ``alpha``, ``beta``, ``sigma``, ``n_est`` (``estimates.csv``), ``event_id``, ``ticker``,
``exchange`` (the firm's MIC) and the columns of an optional CSV of firm characteristics keyed by
``ticker, event_id``. Firm-events without a CAR (not traded in ``W``, or left out for a data problem) and rows
with a missing characteristic are dropped; ``n`` says how many remained.

Standard errors: firms that share an event date have correlated abnormal returns, so when the observations span
several event dates the covariance is clustered by event date (Liang & Zeger 1986; statsmodels CRV1 with the
small-sample factor ``G/(G−1)·(n−1)/(n−k)``, p-values from Student t with ``G − 1`` degrees of freedom); with a
single event date it is White's heteroskedasticity-robust HC1 (MacKinnon & White 1985; t with ``n − k`` d.f.),
which cannot correct for the common day 0. ``note`` says when the regression is too small to mean much
(``docs/cross-section.md``): fewer than 10 observations per parameter, fewer than 30 clusters (clustered standard
errors are then biased downwards; Cameron & Miller 2015), or a single event date. No residual degrees of
freedom, or a collinear design, is an error (exit 3): the coefficients would not be identified.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..spec.formula import parse_formula

if TYPE_CHECKING:
    from ..spec.config import Study
    from .results import StudyResults

COLUMNS = ["term", "coef", "se", "t", "p", "n", "r2", "cov_type", "clusters", "note"]
BUILT_IN = ("car", "bhar", "alpha", "beta", "sigma", "n_est", "event_id", "ticker", "exchange", "day0")
MIN_PER_PARAMETER = 10  # observations per parameter below which the note warns
MIN_CLUSTERS = 30  # clusters below which clustered standard errors are unreliable


@dataclass(frozen=True)
class CrossSectionSpec:
    """The ``cross_section:`` block: the window, the formula and the characteristics table (if any)."""

    window: tuple[int, int]
    formula: str
    characteristics: pd.DataFrame | None = None
    characteristics_file: str | None = None


def parse_cross_section(study: Study) -> CrossSectionSpec | None:
    """Validate ``study.extra["cross_section"]`` (None when the study file has no such block)."""
    raw = study.extra.get("cross_section")
    if raw is None:
        return None
    where = f"{study.path}: cross_section"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r:.60}")
    unknown = sorted(set(map(str, raw)) - {"window", "formula", "characteristics"})
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (allowed: characteristics, formula, window)")
    window = raw.get("window")
    if not (isinstance(window, list) and len(window) == 2 and all(type(v) is int for v in window)):
        raise ConfigError(f"{where}.window: expected [first, last] relative days, got {window!r:.60}")
    if tuple(window) not in study.event_windows:
        windows = ", ".join(f"[{a}, {b}]" for a, b in study.event_windows)
        raise ConfigError(f"{where}.window: {window} is not one of the event windows ({windows})")
    chars, name = None, raw.get("characteristics")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.characteristics: expected a CSV file name, got {name!r:.60}")
        chars = _characteristics(Path(study.path).parent / name, f"{where}.characteristics")
    columns = {*BUILT_IN, *(map(str, chars.columns) if chars is not None else ())}
    formula = parse_formula(raw.get("formula"), columns, f"{where}.formula")  # data, never code
    return CrossSectionSpec((window[0], window[1]), formula.text, chars, name)


def _characteristics(path: Path, where: str) -> pd.DataFrame:
    """The firm-characteristics CSV: columns ticker, event_id and any others; one row per firm-event."""
    try:
        frame = pd.read_csv(path, dtype={"ticker": str, "event_id": str})
    except FileNotFoundError:
        raise ConfigError(f"{where}: {path}: no such file") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: {path}: cannot read as CSV: {str(exc).splitlines()[0]}") from None
    missing = [c for c in ("ticker", "event_id") if c not in frame.columns]
    if missing:
        raise ConfigError(f"{where}: {path}: missing column {missing[0]!r} (columns: {', '.join(frame.columns)})")
    clash = [c for c in frame.columns if c in BUILT_IN and c not in ("ticker", "event_id")]
    if clash:
        raise ConfigError(f"{where}: {path}: column {clash[0]!r} would shadow the built-in column of that name")
    dup = frame.duplicated(["ticker", "event_id"])
    if dup.any():
        row = frame[dup].iloc[0]
        raise ConfigError(
            f"{where}: {path}: ticker {row.ticker!r}, event_id {row.event_id!r} appears more than once "
            f"(row {int(np.flatnonzero(dup)[0]) + 2})"
        )
    return frame


def regression_data(results: StudyResults, spec: CrossSectionSpec) -> pd.DataFrame:
    """One row per firm-event: the window's CAR and BHAR, the estimates, exchange, day 0 and characteristics."""
    lo, hi = spec.window
    car = results.car[(results.car["window_start"] == lo) & (results.car["window_end"] == hi)]
    data = car[["event_id", "ticker", "car", "bhar", "n_obs"]].merge(
        results.estimates[["event_id", "ticker", "alpha", "beta", "sigma", "n_est"]], on=["event_id", "ticker"]
    )
    exchange = {(ev.id, f.ticker): f.exchange for ev in results.study.events for f in ev.firms}
    day0 = {(fe.event_id, fe.ticker): fe.day0 for fe in results.abnormal.firm_events}
    keys = list(zip(data["event_id"], data["ticker"]))
    data["exchange"] = [exchange[k] for k in keys]
    data["day0"] = [day0[k] for k in keys]
    if spec.characteristics is not None:
        data = data.merge(spec.characteristics, on=["ticker", "event_id"], how="left")
    return data


def fit_cross_section(data: pd.DataFrame, formula: str, where: str = "cross_section") -> pd.DataFrame:
    """OLS of ``formula`` on ``data`` (rows with a missing value in a variable it uses are dropped), clustered by
    ``day0`` when the rows span several event dates, else HC1; the rows of ``cross_section.csv``."""
    import statsmodels.api as sm
    from patsy import EvalEnvironment, PatsyError, dmatrices

    formula = parse_formula(formula, set(map(str, data.columns)), f"{where}.formula").text  # data, never code
    usable = data[np.isfinite(data["car"].to_numpy(dtype=float))]  # no CAR: not traded or a data problem
    # ``formula`` passed eventstudy.spec.formula's grammar (column names, C(), the allowed transforms): patsy
    # evaluates nothing else, and sees no namespace but numpy's
    try:
        y, x = dmatrices(
            formula, usable, return_type="dataframe", NA_action="drop", eval_env=EvalEnvironment([{"np": np}])
        )
    except PatsyError as exc:
        raise ConfigError(f"{where}.formula: {formula!r}: {str(exc).splitlines()[0]}") from None
    n, k = x.shape
    if n <= k:
        raise DataError(f"{where}: {n} firm-events with data for {k} parameters of {formula!r}: nothing left to test")
    rank = np.linalg.matrix_rank(x.to_numpy())
    if rank < k:
        raise DataError(
            f"{where}: the design of {formula!r} is collinear on these {n} firm-events (rank {rank} of {k} "
            "columns), so the coefficients are not identified; drop or merge terms"
        )
    dates = usable.loc[y.index, "day0"]
    clusters = int(dates.nunique())
    model = sm.OLS(y.iloc[:, 0], x)
    if clusters > 1:
        codes = pd.factorize(dates)[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        cov_type = "cluster(event date)"
    else:
        fit = model.fit(cov_type="HC1", use_t=True)
        cov_type = "HC1"
    table = pd.DataFrame(
        {
            "term": list(x.columns), "coef": fit.params.to_numpy(), "se": fit.bse.to_numpy(),
            "t": fit.tvalues.to_numpy(), "p": fit.pvalues.to_numpy(), "n": n, "r2": float(fit.rsquared),
            "cov_type": cov_type, "clusters": clusters,
            "note": size_note(n, k, clusters, len(data) - len(usable), len(usable) - n, _between(x, dates)),
        }
    )  # fmt: skip
    return table[COLUMNS]


def _between(x: pd.DataFrame, dates: pd.Series) -> list[str]:
    """Terms (but the intercept) constant within every event date: with clustering by event date they are
    identified only from the differences between the few dates."""
    if dates.nunique() < 2:
        return []
    spread = x.groupby(dates.to_numpy()).std(ddof=0).fillna(0.0).max(axis=0)
    return [str(c) for c in x.columns if c != "Intercept" and spread[c] == 0.0]


def size_note(
    n: int, k: int, clusters: int, no_car: int = 0, missing: int = 0, between: list[str] | None = None
) -> str:
    """What makes the regression too small to mean much (empty when nothing does); see docs/cross-section.md."""
    parts = []
    if n < MIN_PER_PARAMETER * k:
        parts.append(f"n = {n} for {k} parameters (< {MIN_PER_PARAMETER} per parameter): too small to mean much")
    if clusters > 1 and clusters < MIN_CLUSTERS:
        parts.append(
            f"{clusters} event-date clusters (< {MIN_CLUSTERS}): clustered standard errors are unreliable "
            f"(t with {clusters - 1} d.f.)"
        )
    if between and clusters < MIN_CLUSTERS:
        parts.append(
            f"{', '.join(between)} constant within each event date: identified from {clusters} dates only, "
            "its standard error is meaningless"
        )
    if clusters == 1:
        parts.append("one event date: HC1 errors treat the firms as independent although they share day 0")
    if no_car:
        parts.append(f"{no_car} firm-event(s) without a CAR left out")
    if missing:
        parts.append(f"{missing} firm-event(s) with a missing variable left out")
    return "; ".join(parts)


def cross_section_table(results: StudyResults) -> pd.DataFrame | None:
    """The study's cross-sectional regression (None without a ``cross_section:`` block)."""
    spec = parse_cross_section(results.study)
    if spec is None:
        return None
    return fit_cross_section(regression_data(results, spec), spec.formula, f"{results.study.path}: cross_section")
