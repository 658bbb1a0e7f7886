"""The data-quality marks of :mod:`eventstudy.data.quality` on a study's axes: closes at the daily limit and data
flags as sessions × tickers tables (the returns panel's session axis) and as ``(N, W)`` grids over each firm-event's
relative days.

Few cells hold words (a limit close, a flagged session), so they are kept as those cells only
(:class:`SessionCells`): the tables are filled from them and the firm-event grids spread them to the firm-events
whose windows reach them, with no pass over every session × ticker or firm-event × day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .histories import StackedRows, session_positions, stacked
from .quality import LIMIT_WORDS, flag_words, limit_marks
from .returns import ReturnsPanel


@dataclass(frozen=True)
class SessionCells:
    """The cells of a sessions × tickers table of words (the panel's session axis, ``tickers`` its columns) that
    hold words, one entry each: ``session`` and ``column`` positions and ``words``. Every other cell is ``''``."""

    tickers: tuple[str, ...]
    session: np.ndarray
    column: np.ndarray
    words: np.ndarray  # object

    def frame(self, panel: ReturnsPanel) -> pd.DataFrame:
        """The table itself: sessions × tickers (in the order of the panel's columns when they are the same
        tickers), ``''`` where no words."""
        columns = panel.returns.columns
        place = columns.get_indexer(list(self.tickers))
        if len(columns) != len(self.tickers) or (place < 0).any():
            columns, place = pd.Index(list(self.tickers)), np.arange(len(self.tickers))
        grid = np.empty((len(panel.sessions), len(columns)), dtype=object)
        grid.fill("")
        grid[self.session, place[self.column]] = self.words
        return pd.DataFrame(grid, index=panel.sessions, columns=columns, dtype=object, copy=False)  # (its own grid)


def _cells(rows: StackedRows, panel: ReturnsPanel, hit: np.ndarray, words: np.ndarray) -> SessionCells:
    """The rows ``hit`` with their ``words`` (object array, one each) placed on the panel's axis: rows off the axis
    dropped; of two rows on one cell, the later one's (in the order of ``hit``) words."""
    at, on = session_positions(rows, panel.sessions)
    hit = np.asarray(hit, dtype=np.int64)
    keep = on[hit]
    hit, words = hit[keep], words[keep]
    session, column = at[hit], rows.code[hit].astype(np.int64)
    key = session * max(len(rows.tickers), 1) + column
    _, last = np.unique(key[::-1], return_index=True)
    if len(last) < len(key):  # (a cell written twice keeps the last words, as an assignment would)
        keep = np.sort(len(key) - 1 - last)
        session, column, words = session[keep], column[keep], words[keep]
    return SessionCells(rows.tickers, session, column, words)


def limit_cells(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> SessionCells:
    """The closes at the daily limit (:func:`limit_marks`), "up" or "down", on the panel's sessions."""
    rows = stacked(histories).rows
    marks, checked = limit_marks(rows)
    hit = np.flatnonzero(marks != 0)  # (the few rows at a limit: words for them only)
    hit = hit[checked[rows.code[hit]]]
    return _cells(rows, panel, hit, LIMIT_WORDS[marks[hit]])


def flag_cells(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> SessionCells:
    """The flags' words (:func:`flag_words`, each preceded by its ticker) on the panel's sessions."""
    rows = stacked(histories).rows
    flagged = flag_words(rows)
    words = np.array([f"{rows.tickers[rows.code[i]]}: {w}" for i, w in flagged.items()] + [None], dtype=object)
    return _cells(rows, panel, np.fromiter(flagged, dtype=np.int64, count=len(flagged)), words[:-1])


def limit_frame(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> pd.DataFrame:
    """Sessions × tickers of "up", "down" or "" (closes at the daily limit, :func:`limit_marks`)."""
    return limit_cells(histories, panel).frame(panel)


def flag_frame(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> pd.DataFrame:
    """Sessions × tickers of the flags' words ('' where none; :func:`flag_words`)."""
    return flag_cells(histories, panel).frame(panel)


def _day0(panel: ReturnsPanel, firm_events: Sequence) -> np.ndarray:
    """Each firm-event's day 0 on the panel's axis (:meth:`ReturnsPanel.position`'s error for one that is not)."""
    day0 = panel.sessions.get_indexer(pd.DatetimeIndex([fe.day0 for fe in firm_events]))
    if (day0 < 0).any():
        panel.position(firm_events[int(np.flatnonzero(day0 < 0)[0])].day0)  # raises: not a session
    return day0


def _spread(
    cells: SessionCells, column: np.ndarray, day0: np.ndarray, rel_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells as seen by firm-events: ``(i, j, word)`` for firm-event ``i`` (reading column ``column[i]``, -1:
    none) on its relative day ``rel_days[j]`` (sorted). A cell reaches only the firm-events of its column whose
    window holds its session: the work grows with the cells that hold words, not with firm-events × days."""
    order = np.argsort(column, kind="stable")
    ranked = column[order]
    first = np.searchsorted(ranked, cells.column, "left")
    counts = np.searchsorted(ranked, cells.column, "right") - first
    cell = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    i = order[np.repeat(first, counts) + within]
    rel = cells.session[cell] - day0[i]
    j = np.minimum(np.searchsorted(rel_days, rel), len(rel_days) - 1)
    keep = rel_days[j] == rel
    cell, i, j = cell[keep], i[keep], j[keep]
    return i, j, cells.words[cell]


def _blank(n: int, w: int) -> np.ndarray:
    out = np.empty((n, w), dtype=object)
    out.fill("")
    return out


def limit_grid(limits: SessionCells, panel: ReturnsPanel, firm_events: Sequence, rel_days: np.ndarray) -> np.ndarray:
    """``(N, W)`` limit marks for each firm-event's relative days (the engine's axis, increasing): int8 codes into
    :data:`~eventstudy.data.quality.LIMIT_WORDS` (0 "", ``UP`` "up", ``DOWN`` "down"); ``limits``:
    :func:`limit_cells` of the panel. Codes, not words: a grid of words held 8 bytes a cell (177 MB at 50,000
    firm-events)."""
    out = np.zeros((len(firm_events), len(rel_days)), dtype=np.int8)
    if not len(firm_events) or not len(rel_days):
        return out
    column = pd.Index(list(limits.tickers)).get_indexer([fe.ticker for fe in firm_events])
    i, j, words = _spread(limits, column, _day0(panel, firm_events), np.asarray(rel_days))
    code = {w: k for k, w in enumerate(LIMIT_WORDS)}
    out[i, j] = [code[w] for w in words]
    return out


@dataclass(frozen=True)
class GridCells:
    """The cells of an ``(N, W)`` firm-event × relative-day grid of words that hold words, in row-major order
    (firm-event, then day): ``row``, ``col`` and ``words``; every other cell is ``''``. Few cells hold words (a
    flagged session reaches only the firm-events whose days hold it), so they are kept without the grid."""

    shape: tuple[int, int]
    row: np.ndarray
    col: np.ndarray
    words: np.ndarray  # object

    def dense(self) -> np.ndarray:
        """The grid itself: ``(N, W)`` of words, ``''`` where none."""
        out = _blank(*self.shape)
        out[self.row, self.col] = self.words
        return out


def flag_grid(
    flags: SessionCells, panel: ReturnsPanel, firm_events: Sequence, rel_days: np.ndarray, benchmark: str
) -> GridCells:
    """The flags' words on each firm-event's relative days, the firm's and then its benchmark's (joined by
    ``; `` on a day both have), as the cells that hold words; ``flags``: :func:`flag_cells` of the panel."""
    n, w = len(firm_events), len(rel_days)
    empty = np.zeros(0, dtype=np.int64)
    if not n or not w:
        return GridCells((n, w), empty, empty, np.zeros(0, dtype=object))
    day0, rel = _day0(panel, firm_events), np.asarray(rel_days)
    column = pd.Index(list(flags.tickers)).get_indexer([fe.ticker for fe in firm_events])
    i, j, words = _spread(flags, column, day0, rel)  # the firm's own (one cell per firm-event and day)
    words = np.asarray(words, dtype=object)
    if benchmark in flags.tickers:
        mine = flags.column == flags.tickers.index(benchmark)
        column = SessionCells(flags.tickers, flags.session[mine], np.zeros(int(mine.sum()), dtype=np.int64),
                              flags.words[mine])  # fmt: skip
        bi, bj, bench = _spread(column, np.zeros(n, dtype=np.int64), day0, rel)
        own = i.astype(np.int64) * w + j
        order = np.argsort(own, kind="stable")
        at = np.minimum(np.searchsorted(own, bi.astype(np.int64) * w + bj, sorter=order), max(len(own) - 1, 0))
        both = np.zeros(len(bi), dtype=bool)
        if len(own):
            at = order[at]
            both = own[at] == bi.astype(np.int64) * w + bj
            words[at[both]] = words[at[both]] + "; " + np.asarray(bench, dtype=object)[both]
        i, j = np.r_[i, bi[~both]], np.r_[j, bj[~both]]
        words = np.r_[words, np.asarray(bench, dtype=object)[~both]]
    order = np.lexsort((j, i))
    return GridCells((n, w), i[order].astype(np.int64), j[order].astype(np.int64), words[order])
