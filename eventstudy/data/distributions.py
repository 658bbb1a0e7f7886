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
(:func:`eventstudy.data.quality.split_flags`). :func:`ex_dates` finds every such date of many tickers at once (on
their stacked rows), :func:`ex_date_words` words them, :func:`distribution_dates` gives those of one history; it
says so when the data carry no record of distributions at all (a Yahoo-shaped frame built without the raw
closes), which the screen reports instead of listing nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .histories import stacked
from .quality import SPLIT_RATIOS, SPLIT_TOLERANCE, split_rows, split_words

DISTRIBUTIONS = "distributions"  # history.attrs key of Yahoo-shaped data's record: [[date, kind, value], ...]
MIN_YIELD = 1e-4  # a step of the adjustment factor below 0.01 % is rounding of the published prices
MIN_DROP = 1e-6  # a reference close below the previous close by less than this fraction is rounding
FORWARD_SPLITS = tuple(k for k in SPLIT_RATIOS if k > 1)
DISTRIBUTION, SPLIT = "distribution", "split"
FLAGGED, REFERENCE, RECORDED = 0, 1, 2  # where an ex-date was read: a possible unadjusted split, a reference close
# below the previous close, the Yahoo frame's adjustment record


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
    found, unrecorded = ex_dates(stacked({"": history}), [""])
    days = pd.DatetimeIndex(found["day"])
    out = list(zip(days, found["kind"].tolist(), ex_date_words(found), strict=True))
    return out, not unrecorded


def ex_dates(histories: Mapping[str, pd.DataFrame], tickers: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Every ex-date and possible unadjusted split of ``tickers`` (each held in ``histories``) at once, and the
    tickers whose data carry no record of distributions (only the unadjusted-split check could be made).

    The frame has one row per date found: ``ticker``, ``day``, ``kind`` (``distribution`` / ``split``), each
    ticker's rows by date and kind (the possible unadjusted splits first on a tie), and the figures its words
    need (:func:`ex_date_words`): ``source`` (:data:`FLAGGED`, :data:`REFERENCE` or :data:`RECORDED`),
    ``value`` (the flagged return, the reference ratio ``prev_close_t / C_{t−1}`` or the recorded value),
    ``prev_close``, ``close`` (the reference drop's) and ``split`` (the split ratio ``k``; NaN: none). One pass
    over the stacked rows (:mod:`eventstudy.data.histories`), no per-ticker frame."""
    held = stacked(histories)
    rows = held.rows
    wanted = np.zeros(len(rows.tickers), dtype=bool)
    where = {t: k for k, t in enumerate(rows.tickers)}
    wanted[[where[t] for t in tickers]] = True
    parts: list[dict[str, np.ndarray]] = []

    flagged = [(i, k) for i, k in split_rows(rows) if wanted[rows.code[i]]]
    at = np.array([i for i, _ in flagged], dtype=np.int64)
    parts.append({"code": rows.code[at], "day": rows.date[at], "kind": np.full(len(at), SPLIT, dtype=object),
                  "source": np.full(len(at), FLAGGED), "value": rows.close[at] / rows.prev_close[at] - 1.0,
                  "prev_close": np.full(len(at), np.nan), "close": np.full(len(at), np.nan),
                  "split": np.array([k for _, k in flagged], dtype=float)})  # fmt: skip

    code = rows.code
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = rows.prev_close[1:] / rows.close[:-1]  # row t + 1's reference close over row t's close
    at = np.flatnonzero(ratio < 1.0 - MIN_DROP)  # the drops (few), then those within a ticker of the exchange's
    at = at[np.isfinite(ratio[at]) & (code[at + 1] == code[at]) & rows.exchange[code[at + 1]] & wanted[code[at + 1]]]
    ratio, at = ratio[at], at + 1
    split = np.full(len(at), np.nan)
    for k in FORWARD_SPLITS[::-1]:  # the first ratio that matches wins
        split[np.abs(ratio * k - 1.0) <= SPLIT_TOLERANCE] = k
    parts.append({"code": code[at], "day": rows.date[at],
                  "kind": np.where(np.isnan(split), DISTRIBUTION, SPLIT).astype(object),
                  "source": np.full(len(at), REFERENCE), "value": ratio, "prev_close": rows.prev_close[at],
                  "close": rows.close[at - 1], "split": split})  # fmt: skip

    unrecorded = []
    for t in tickers:  # Yahoo-shaped data: the record kept with the history (tickers with the exchange's: none)
        k = where[t]
        if rows.exchange[k]:
            continue
        record = held.attrs(t).get(DISTRIBUTIONS)
        if record is None:
            unrecorded.append(t)
        elif len(record):
            values = np.array([float(v) for _, _, v in record])
            parts.append({"code": np.full(len(record), k), "day": pd.DatetimeIndex([str(d) for d, _, _ in record]),
                          "kind": np.array([SPLIT if kind == SPLIT else DISTRIBUTION for _, kind, _ in record],
                                           dtype=object),
                          "source": np.full(len(record), RECORDED), "value": values,
                          "prev_close": np.full(len(record), np.nan), "close": np.full(len(record), np.nan),
                          "split": np.where([kind == SPLIT for _, kind, _ in record], values, np.nan)})  # fmt: skip
    columns = {c: np.concatenate([np.asarray(p[c]) for p in parts]) for c in parts[0]}
    day = columns["day"].astype("datetime64[ns]")
    # each ticker's rows by (date, kind) — a stable sort: the flagged splits, listed first, stay first on a tie
    order = np.lexsort((columns["kind"] == SPLIT, day, columns["code"]))
    frame = pd.DataFrame(
        {
            "ticker": np.array(rows.tickers, dtype=object)[columns["code"][order]],
            "day": day[order],
            **{c: columns[c][order] for c in ("kind", "source", "value", "prev_close", "close", "split")},
        }
    )
    return frame, unrecorded


def ex_date_words(found: pd.DataFrame) -> list[str]:
    """The ``detail`` of each row of :func:`ex_dates`' frame (or of some of its rows)."""
    out = []
    columns = ("source", "kind", "value", "prev_close", "close", "split")
    for source, kind, value, prev, close, split in zip(*(found[c].tolist() for c in columns), strict=True):
        if source == FLAGGED:
            out.append(f"possible unadjusted split: return {value:+.1%} ({split_words(split)})")
        elif source == REFERENCE:
            words = f"reference close {prev:g} below the previous close {close:g} ({value - 1.0:+.2%})"
            if kind == SPLIT:
                out.append(f"ex-date of a bonus issue or split (≈{1 / split:.3g}×): {words}")
            else:
                out.append(f"ex-date (cash dividend, rights or bonus shares): {words}")
        elif kind == SPLIT:
            out.append(f"split: {value:g} new shares per old (yfinance Stock Splits)")
        else:
            out.append(f"ex-date: Adj Close/Close steps by {value:.3%} of the previous close (dividend)")
    return out
