"""The per-firm results of one event as a matrix: a row per firm, a column per event window, each cell the firm's
CAR over the window with its t (``car.csv``: forecast-error variance, Campbell, Lo & MacKinlay 1997, eq. 4.4.13)
and its caveat marks.

Emphasis: a cell is bold when its CAR's p-value, Holm-adjusted (Holm 1979;
:func:`eventstudy.study.summary.holm`) across the family of every firm × window cell of the event that has a
return, is below :data:`eventstudy.study.summary.ALPHA`. Marks: :data:`MARKS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.quality import limit_words
from ..study.coverage import coverage_words_of
from ..study.results import StudyResults
from ..study.summary import ALPHA, holm
from .per_event import EventRows

MARKS = {
    "s": "the CAR's returns span sessions outside the window (a suspension into or across it)",
    "L": "the returns include closes at the daily price limit: the reaction may be understated",
    "i": "incomplete: the data end before the window does",
}
"""Caveat marks of a matrix cell, each explained in full in the cell's tooltip and under the table."""

MATRIX_ROWS = 20
"""An event with more firms shows the :data:`EXTREME_ROWS` lowest and highest CARs, a histogram, and the whole
matrix folded."""
EXTREME_ROWS = 5


@dataclass(frozen=True)
class FirmMatrix:
    """``windows``; ``rows``: ``{"name", "ticker", "cells": [cell per window]}`` with a cell
    ``{"car", "t", "p", "p_holm", "sig", "marks", "words", "missing"}``; ``family``: cells in the Holm family."""

    windows: list[tuple[int, int]]
    rows: list[dict[str, Any]]
    family: int
    marks_used: list[str]
    main_window: tuple[int, int]


def _cell(r: dict[str, Any], coverage: str) -> dict[str, Any]:
    """A matrix cell of the ``car.csv`` row ``r``; ``coverage``: the row's :func:`coverage_words_of` ('' when its
    returns stay inside the window)."""
    words, marks = [], ""
    if coverage:
        words.append(coverage)
        marks += "s"
    limit = limit_words(int(r["limit_up"]), int(r["limit_down"]))
    if limit:
        words.append(limit)
        marks += "L"
    note = r["note"] if isinstance(r["note"], str) else ""
    if not bool(r["complete"]):  # car.csv's note says where the data end
        words.append(note if note.startswith("incomplete") else "incomplete: the data end before the window does")
        marks += "i"
    missing = ""
    if not np.isfinite(r["car"]):
        missing = "no benchmark data" if note and not note.startswith("incomplete") else "not traded"
    if note and note not in words and not note.startswith("incomplete"):
        words.append(note)
    return {"car": float(r["car"]), "t": float(r["car_t"]), "p": float(r["car_p"]), "p_holm": float("nan"),
            "sig": False, "marks": marks, "words": "; ".join(words), "missing": missing}  # fmt: skip


def firm_matrix(results: StudyResults, event_id: str) -> FirmMatrix:
    """The event's firm × window matrix (firms in the study file's order, windows in the study's order)."""
    return firm_matrices(results, [event_id])[event_id]


def firm_matrices(results: StudyResults, event_ids: Sequence[str]) -> dict[str, FirmMatrix]:
    """:func:`firm_matrix` of each event of ``event_ids``, ``car.csv``'s rows and the halts read once for all."""
    car = EventRows(results.car)
    frame = results.car.iloc[np.concatenate([car.positions(e) for e in event_ids])] if event_ids else results.car[:0]
    coverage = coverage_words_of(frame, results.halts)  # the halts looked up once per firm-event, not per cell
    rows_of: dict[str, list[tuple[dict[str, Any], str]]] = {e: [] for e in event_ids}
    for r, words in zip(frame.to_dict(orient="records"), coverage, strict=True):
        rows_of[r["event_id"]].append((r, words))
    names = {(fe.event_id, fe.ticker): fe.name for fe in results.abnormal.firm_events}
    windows = [(int(a), int(b)) for a, b in results.study.event_windows]
    return {e: _matrix(windows, rows_of[e], {t: n for (ev, t), n in names.items() if ev == e}) for e in event_ids}


def _matrix(
    windows: list[tuple[int, int]], records: list[tuple[dict[str, Any], str]], names: dict[str, str]
) -> FirmMatrix:
    """The matrix of one event's ``car.csv`` rows (each with its coverage words)."""
    by = {(r["ticker"], int(r["window_start"]), int(r["window_end"])): (r, words) for r, words in records}
    tickers = list(dict.fromkeys(r["ticker"] for r, _ in records))
    rows: list[dict[str, Any]] = []
    family: list[dict[str, Any]] = []  # the cells with a p-value, in table order
    for ticker in tickers:
        cells = [_cell(*by[(ticker, *w)]) if (ticker, *w) in by else None for w in windows]
        rows.append({"name": names.get(ticker, ticker), "ticker": ticker, "cells": cells})
        family += [c for c in cells if c is not None and np.isfinite(c["p"])]
    adjusted = holm(np.array([c["p"] for c in family], dtype=float))
    for c, p in zip(family, adjusted, strict=True):
        c["p_holm"] = float(p)
        c["sig"] = bool(p < ALPHA)
    used = sorted({m for r in rows for c in r["cells"] if c is not None for m in c["marks"]}, key=list(MARKS).index)
    return FirmMatrix(windows, rows, len(family), used, windows[-1])


def extreme_rows(matrix: FirmMatrix, k: int = EXTREME_ROWS) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``k`` firms with the lowest and the ``k`` with the highest CAR over the matrix's main window (the study's
    last event window), lowest first and highest first; firms without a CAR there are in neither."""
    j = matrix.windows.index(matrix.main_window)
    ranked = [r for r in matrix.rows if r["cells"][j] is not None and np.isfinite(r["cells"][j]["car"])]
    ranked.sort(key=lambda r: r["cells"][j]["car"])
    k = min(k, len(ranked) // 2)
    return ranked[:k], ranked[len(ranked) - k :][::-1]
