"""Dividends, rights and bonus issues, and splits, read from the price data itself (no corporate-actions feed).

A distribution leaves a mark in the prices on its ex-date, and the two data shapes carry it differently:

* **Exchange reference prices** (the snapshot schema, ``history.attrs["prev_close"] == "exchange"``): on an
  ex-date the exchange lowers the reference close ``prev_close`` below the previous session's close
  ``C_{t−1}`` by the distribution (cash dividend, rights, bonus shares). The ex-date's size is
  ``d = 1 − prev_close_t / C_{t−1}``. A ratio ``prev_close_t / C_{t−1}`` within 5 % of ``1/k`` for a common split
  ratio ``k`` (:data:`eventstudy.data.quality.SPLIT_RATIOS`, ``k > 1``: 2, 3/2, 3, 4, 5, 10 new shares per old)
  is a bonus issue or split (``split``); any other drop is a ``distribution``.
* **Yahoo's adjusted closes** (yfinance or Yahoo's CSV download): ``Close`` is adjusted for splits only, ``Adj
  Close`` for splits and dividends, so the adjustment factor ``f_t = AdjClose_t / Close_t`` steps up on an
  ex-date: ``f_{t−1} / f_t = 1 − D_t / Close_{t−1}`` (Yahoo's dividend multiplier). The ex-date's yield is
  ``d = 1 − f_{t−1} / f_t`` when it exceeds :data:`MIN_YIELD` (below it, the rounding of the published prices).
  yfinance's ``Stock Splits`` column (live downloads only: a CSV download's closes are already split-adjusted and
  carry no trace of a split) gives the splits. :func:`adjustment_record` computes both when the frame is
  converted and keeps them in ``history.attrs`` under :data:`DISTRIBUTIONS`, as ``[date, kind, value]``
  (``value``: ``d`` for a distribution, new shares per old for a split).

Also listed as ``split``: a possible unadjusted split the data-quality check flags
(:func:`eventstudy.data.quality.split_flags`). :func:`distribution_dates` gives every such date of one history;
``None`` when the data carry no record of distributions at all (a Yahoo-shaped frame built without the raw
closes), which the screen reports instead of listing nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .quality import EXCHANGE_PREV_CLOSE, SPLIT_RATIOS, SPLIT_TOLERANCE, split_flags, split_words

DISTRIBUTIONS = "distributions"  # history.attrs key of Yahoo-shaped data's record: [[date, kind, value], ...]
MIN_YIELD = 1e-4  # a step of the adjustment factor below 0.01 % is rounding of the published prices
MIN_DROP = 1e-6  # a reference close below the previous close by less than this fraction is rounding
FORWARD_SPLITS = tuple(k for k in SPLIT_RATIOS if k > 1)


def adjustment_record(raw: pd.DataFrame, adjusted: np.ndarray, close: np.ndarray) -> list[list[object]]:
    """The ex-dates of a Yahoo frame ``raw`` (rows in date order, ``adjusted`` its ``Adj Close`` and ``close`` its
    split-adjusted ``Close``): ``[date, "distribution", d]`` where the adjustment factor steps (module docstring)
    and ``[date, "split", k]`` from a ``Stock Splits`` column; the first row (no predecessor) has none."""
    out: list[list[object]] = []
    dates = pd.DatetimeIndex(raw.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = adjusted / close
        step = 1.0 - factor[:-1] / factor[1:]
    for j in np.flatnonzero(np.isfinite(step) & (step > MIN_YIELD)):
        out.append([dates[j + 1].date().isoformat(), "distribution", float(step[j])])
    if "Stock Splits" in raw.columns:
        splits = pd.to_numeric(raw["Stock Splits"], errors="coerce").to_numpy(dtype=float)
        for j in np.flatnonzero(np.isfinite(splits) & (splits > 0) & (splits != 1)):
            if j > 0:
                out.append([dates[j].date().isoformat(), "split", float(splits[j])])
    return sorted(out)


def distribution_dates(history: pd.DataFrame) -> tuple[list[tuple[pd.Timestamp, str, str]], bool]:
    """``(date, kind, detail)`` of every ex-date (``distribution`` / ``split``) and possible unadjusted split in
    ``history`` (module docstring), and whether the data carry a record of distributions at all (False: only the
    unadjusted-split check could be made)."""
    out: list[tuple[pd.Timestamp, str, str]] = []
    for d, r, k in split_flags(history):
        out.append((pd.Timestamp(d), "split", f"possible unadjusted split: return {r:+.1%} ({split_words(k)})"))
    recorded = True
    if history.attrs.get("prev_close") == EXCHANGE_PREV_CLOSE:
        out += _reference_drops(history)
    elif DISTRIBUTIONS in history.attrs:
        out += _recorded(history.attrs[DISTRIBUTIONS])
    else:
        recorded = False
    return sorted(out, key=lambda x: (x[0], x[1])), recorded


def _reference_drops(history: pd.DataFrame) -> list[tuple[pd.Timestamp, str, str]]:
    """Ex-dates from exchange reference closes below the previous close."""
    if len(history) < 2:
        return []
    prev, close = history["prev_close"].to_numpy(dtype=float)[1:], history["close"].to_numpy(dtype=float)[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = prev / close
    out = []
    for j in np.flatnonzero(np.isfinite(ratio) & (ratio < 1.0 - MIN_DROP)):
        day = pd.Timestamp(history.index[j + 1])
        split = next((k for k in FORWARD_SPLITS if abs(ratio[j] * k - 1.0) <= SPLIT_TOLERANCE), None)
        words = f"reference close {prev[j]:g} below the previous close {close[j]:g} ({ratio[j] - 1.0:+.2%})"
        if split is not None:
            out.append((day, "split", f"ex-date of a bonus issue or split (≈{1 / split:.3g}×): {words}"))
        else:
            out.append((day, "distribution", f"ex-date (cash dividend, rights or bonus shares): {words}"))
    return out


def _recorded(record: Sequence[Sequence[object]]) -> list[tuple[pd.Timestamp, str, str]]:
    """Ex-dates from a Yahoo frame's adjustment record (:func:`adjustment_record`)."""
    out = []
    for day, kind, value in record:
        v = float(value)  # type: ignore[arg-type]
        if kind == "split":
            out.append((pd.Timestamp(str(day)), "split", f"split: {v:g} new shares per old (yfinance Stock Splits)"))
        else:
            out.append((pd.Timestamp(str(day)), "distribution",
                        f"ex-date: Adj Close/Close steps by {v:.3%} of the previous close (dividend)"))  # fmt: skip
    return out
