"""What the data can support: windows that run past the data, benchmark coverage, shortened estimation windows.

These checks turn a missing session into a statement next to the number it affects (``car.csv``'s
``complete`` and ``note`` columns, the report's data section) instead of a silently different figure.
Definitions (also in ``docs/data-quality.md``):

* A firm-event's window ``[a, b]`` is **complete** when the firm has a trade on or after day ``b`` within the
  loaded data: the return that ends there covers session ``b`` (trade-to-trade), so every session of the window
  is inside some counted return. Otherwise its CAR stops where the data stop: "incomplete: data end at day +N".
* The **benchmark** must cover every session a firm-event needs: the sessions of its estimation window and of
  its event windows, each from the session before its first day (where its first return starts), on which the
  firm itself has data. On its own calendar a benchmark's missing row is such a gap, never a flat day
  (:func:`eventstudy.data.returns.benchmark_returns`). A firm-event whose benchmark lacks one of them is a data
  problem (not "not traded"): it is named with the missing dates and left out of the tests.
* The **estimation window actually used** runs from the first to the last session of the returns the model
  was fitted on; it is *shortened* when the requested window starts before the firm's or the benchmark's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data.returns import ReturnsPanel
from ..errors import DataError
from ..model.engine import AbnormalReturns, FirmEvent, halt_reaches


def day0_positions(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    """Session positions of the firm-events' day 0 on the panel's axis (a :class:`DataError` naming the first day 0
    that is not a session)."""
    if not len(firm_events):
        return np.zeros(0, dtype=np.int64)
    days = pd.DatetimeIndex([fe.day0 for fe in firm_events])
    pos = panel.sessions.get_indexer(days)
    if (pos < 0).any():
        panel.position(days[int(np.flatnonzero(pos < 0)[0])])  # raises, naming the day
    return pos.astype(np.int64)


def ticker_columns(frame: pd.DataFrame, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    """Column positions of the firm-events' tickers in one of the panel's frames (a :class:`DataError` naming the
    first ticker without prices)."""
    cols = frame.columns.get_indexer([fe.ticker for fe in firm_events])
    if (cols < 0).any():
        raise DataError(f"{firm_events[int(np.flatnonzero(cols < 0)[0])].ticker}: no prices loaded for this ticker")
    return cols.astype(np.int64)


def first_true(mask: np.ndarray) -> np.ndarray:
    """Per column of a 2-D boolean array, the first row where it is True (the number of rows where none is)."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), mask.shape[0])


def last_true(mask: np.ndarray) -> np.ndarray:
    """Per column of a 2-D boolean array, the last row where it is True (-1 where none is)."""
    return np.where(mask.any(axis=0), mask.shape[0] - 1 - mask[::-1].argmax(axis=0), -1)


def iso_dates(sessions: pd.DatetimeIndex) -> np.ndarray:
    """The sessions as ISO dates (``2019-10-08``), an object array of ``str``."""
    return np.asarray(sessions.strftime("%Y-%m-%d"), dtype=object)


def resumption_reaches(panel: ReturnsPanel, firm_events: Sequence[FirmEvent], rel_day: int) -> np.ndarray:
    """Per firm-event, sessions from ``rel_day`` to its first trade at or after it
    (:func:`eventstudy.model.engine.halt_reaches`, the rule the placebo follows too): 0 where the firm trades on
    ``rel_day`` or has no later trade.

    A window ending on ``rel_day`` counts the return that ends on that trade (its span overlaps the window), so
    the engine's relative days must reach it.
    """
    cols = ticker_columns(panel.traded, firm_events)
    return np.asarray(halt_reaches(panel, (day0_positions(panel, firm_events), cols), rel_day), dtype=np.int64)


def data_end(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    """Per firm-event, the last relative day the firm's data reach on the axis."""
    last = last_true(panel.covered.to_numpy(dtype=bool))
    return (last[ticker_columns(panel.covered, firm_events)] - day0_positions(panel, firm_events)).astype(np.int64)


def window_completeness(
    panel: ReturnsPanel, firm_events: Sequence[FirmEvent], window: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """``(complete, data_end)`` per firm-event for ``window``: whether a trade on or after the window's last day
    exists in the loaded data, and the last relative day the firm's data reach."""
    last_trade = last_true(panel.traded.to_numpy(dtype=bool))[ticker_columns(panel.traded, firm_events)]
    complete = last_trade >= np.maximum(day0_positions(panel, firm_events) + window[1], 0)
    return complete, data_end(panel, firm_events)


def rel_label(day: int) -> str:
    """A relative day as the outputs write it: 0, +2, -1."""
    return "0" if int(day) == 0 else f"{int(day):+d}"


def incomplete_note(data_end: int, suspended_from: int | None = None) -> str:
    """The words every output uses for a window the data do not reach (``suspended_from``: the firm is suspended
    from that day to the end of its data, so the return that ends the halt is not in the data yet)."""
    if suspended_from is not None:
        return f"incomplete: suspended from day {rel_label(suspended_from)} to the end of the data (day {rel_label(data_end)})"
    return f"incomplete: data end at day {rel_label(data_end)}"


def _suspended_from(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    """Per firm-event, the relative day after the firm's last trade up to the end of its data (:func:`data_end`)."""
    traded, covered = panel.traded.to_numpy(dtype=bool), panel.covered.to_numpy(dtype=bool)
    in_data = np.arange(len(traded))[:, None] <= last_true(covered)[None, :]  # a trade after the data's end: none
    cols = ticker_columns(panel.traded, firm_events)
    return last_true(traded & in_data)[cols] + 1 - day0_positions(panel, firm_events)


def completeness_columns(
    panel: ReturnsPanel, ab: AbnormalReturns, windows: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, list[str]]:
    """``complete`` and ``note`` for the rows of ``car.csv`` (windows outer, firm-events inner): per window,
    :func:`window_completeness` and, where incomplete, :func:`incomplete_note`."""
    if not windows:
        return np.zeros(0, dtype=bool), []
    day0 = day0_positions(panel, ab.firm_events)
    last_trade = last_true(panel.traded.to_numpy(dtype=bool))[ticker_columns(panel.traded, ab.firm_events)]
    end = data_end(panel, ab.firm_events)
    complete, notes = [], []
    suspended: np.ndarray | None = None
    for window in windows:
        done = last_trade >= np.maximum(day0 + window[1], 0)  # as window_completeness
        complete.append(done)
        note = np.full(len(done), "", dtype=object)
        late = np.flatnonzero(~done)
        if len(late):  # only the firm-events whose data end inside the window get words
            if suspended is None:
                suspended = _suspended_from(panel, ab.firm_events)
            note[late] = [
                incomplete_note(int(e), int(s) if e >= window[1] else None)
                for e, s in zip(end[late], suspended[late], strict=True)
            ]
        notes += note.tolist()
    return np.concatenate(complete), notes


def estimation_span(
    ab: AbnormalReturns, panel: ReturnsPanel, benchmark: str
) -> tuple[list[str], list[str], np.ndarray]:
    """``est_start``, ``est_end`` (ISO dates of the first and last returns the model was fitted on; the requested
    window's bounds on the axis when none was) and ``shortened`` (the requested window starts before the firm's or
    the benchmark's data) per firm-event."""
    day0 = day0_positions(panel, ab.firm_events)
    n, w = len(panel.sessions), len(ab.rel_days)
    lo, hi = ab.estimation_window
    fitted = np.asarray(ab.estimation, dtype=bool).reshape(len(day0), w)
    used = fitted.any(axis=1)
    # A return on day t spanning one session covers t only: the first used session is t itself.
    first = np.where(used, day0 + ab.rel_days[fitted.argmax(axis=1)] if w else 0, np.clip(day0 + lo, 0, n - 1))
    last = np.where(used, day0 + ab.rel_days[w - 1 - fitted[:, ::-1].argmax(axis=1)] if w else 0,
                    np.clip(day0 + hi, 0, n - 1))  # fmt: skip
    iso = iso_dates(panel.sessions)
    covered = panel.covered.to_numpy(dtype=bool)
    bench = np.flatnonzero(panel.covered[benchmark].to_numpy())
    data_start = np.maximum(first_true(covered)[ticker_columns(panel.covered, ab.firm_events)],
                            int(bench[0]) if len(bench) else n)  # fmt: skip
    # The firm's first row is a base without a return: the first usable return is one session later.
    short = day0 + lo < data_start + 1
    return iso[first].tolist(), iso[last].tolist(), np.asarray(short, dtype=bool)


@dataclass(frozen=True)
class BenchmarkGap:
    """A firm-event whose benchmark lacks sessions it needs."""

    event_id: str
    ticker: str
    benchmark: str
    missing: tuple[pd.Timestamp, ...]
    data_end: pd.Timestamp | None = None  # the benchmark's last session with data, when every missing one is later

    def describe(self) -> str:
        """The words of ``car.csv``'s note for the firm-event (:func:`is_gap_note` recognises them)."""
        first, last = self.missing[0].date(), self.missing[-1].date()
        days = f"{first}" if first == last else f"{first} .. {last}"
        if self.data_end is not None:  # not a hole in the benchmark: its data end before the firm-event's sessions
            return (f"benchmark {self.benchmark} has no data after {self.data_end.date()} "
                    f"({len(self.missing)} session(s) of the firm's data needed: {days})")  # fmt: skip
        return f"benchmark {self.benchmark} has no data on {days} ({len(self.missing)} session(s))"


def is_gap_note(notes: pd.Series) -> np.ndarray:
    """Which of ``car.csv``'s notes say a benchmark gap left the firm-event out (:meth:`BenchmarkGap.describe`),
    as a boolean array."""
    return notes.fillna("").astype(str).str.match(r"benchmark \S+ has no data (on|after) ").to_numpy(dtype=bool)


def benchmark_gaps(
    panel: ReturnsPanel,
    firm_events: Sequence[FirmEvent],
    benchmark: str,
    estimation_window: tuple[int, int],
    windows: Sequence[tuple[int, int]],
) -> list[BenchmarkGap]:
    """Firm-events whose benchmark lacks a session of their estimation or event windows on which the firm has data
    (see the module docstring)."""
    n = len(panel.sessions)
    if not len(firm_events) or not n:
        return []
    bench = panel.covered[benchmark].to_numpy(dtype=bool)
    covered = panel.covered.to_numpy(dtype=bool)
    day0, cols = day0_positions(panel, firm_events), ticker_columns(panel.covered, firm_events)
    w_lo, w_hi = min(w[0] for w in windows), max(w[1] for w in windows)
    # From the session before each window's first day: the first return starts there.
    spans = [
        (np.clip(day0 + lo - 1, 0, n), np.clip(day0 + hi + 1, 0, n)) for lo, hi in (estimation_window, (w_lo, w_hi))
    ]
    tickers, column = np.unique(cols, return_inverse=True)
    # Per ticker, how many of the benchmark's missing sessions before each of them the firm has data on; the
    # sessions of a span [a, b) among the missing ones are those from the first at or after a to the first at or
    # after b (only the missing sessions' rows are read: few, or none).
    missing = np.flatnonzero(~bench)
    gaps = np.zeros((len(missing) + 1, len(tickers)), dtype=np.int32)
    np.cumsum(covered[missing][:, tickers], axis=0, out=gaps[1:])
    hit = np.zeros(len(day0), dtype=bool)
    for a, b in spans:
        hit |= gaps[np.searchsorted(missing, b), column] > gaps[np.searchsorted(missing, a), column]
    held = np.flatnonzero(bench)
    last = int(held[-1]) if len(held) else None  # the benchmark's last session with data
    out = []
    for i in np.flatnonzero(hit):  # only the firm-events with a gap
        need = np.zeros(n, dtype=bool)
        for a, b in spans:
            need[a[i] : b[i]] = True
        missing = np.flatnonzero(need & covered[:, cols[i]] & ~bench)
        fe = firm_events[int(i)]
        ended = panel.sessions[last] if last is not None and missing[0] > last else None
        out.append(BenchmarkGap(fe.event_id, fe.ticker, benchmark, tuple(panel.sessions[missing]), ended))
    return out


def car_words(row: Any) -> str:
    """One CAR row of ``car.csv`` as the console and report say it: the figure, the sessions its returns cover
    when they reach outside the window, and why it is missing or partial."""
    get = row.get
    note = str(get("note") or "")
    car = get("car")
    if car is None or not np.isfinite(car):
        text = note if note and not note.startswith("incomplete") else "not traded"
        return text + (f" ({note})" if note.startswith("incomplete") else "")
    text = f"{car:+.2%} (t {get('car_t'):+.2f})"
    lo, hi = get("covered_start"), get("covered_end")
    if pd.notna(lo) and (int(lo) < int(row["window_start"]) or int(hi) > int(row["window_end"])):
        text += f", covers {rel_label(int(lo))}..{rel_label(int(hi))}"
    return text + (f" — {note}" if note else "")


def _covers(lo: int, hi: int, runs: list[tuple[int, int]]) -> str:
    """ "covers lo..hi: suspended a..b, c" from the halts ``runs`` (first_rel, last_rel) that reach into lo..hi."""
    words = [
        f"{rel_label(first)}..{rel_label(last)}" if first != last else rel_label(first)
        for first, last in runs
        if last >= lo and first <= hi
    ]
    return f"covers {rel_label(lo)}..{rel_label(hi)}" + (f": suspended {', '.join(words)}" if words else "")


def coverage_words(row: dict[str, Any], halts: pd.DataFrame) -> str:
    """ "covers 0..+2: suspended 0..+1" when the returns counted in a ``car.csv`` row's window span sessions outside
    it (a firm halted into or across the window), with the halts of ``halts`` (``StudyResults.halts``); else ''."""
    lo, hi = row.get("covered_start"), row.get("covered_end")
    if lo is None or hi is None or pd.isna(lo) or (lo >= row["window_start"] and hi <= row["window_end"]):
        return ""
    mine = halts[(halts["event_id"] == row["event_id"]) & (halts["ticker"] == row["ticker"])]
    return _covers(lo, hi, list(zip(mine["first_rel"], mine["last_rel"], strict=True)))


def coverage_words_of(rows: pd.DataFrame, halts: pd.DataFrame) -> list[str]:
    """:func:`coverage_words` of each row of a ``car.csv`` frame, the halts looked up by firm-event once."""
    lo = pd.to_numeric(rows["covered_start"]).to_numpy(dtype=float, na_value=np.nan)
    hi = pd.to_numeric(rows["covered_end"]).to_numpy(dtype=float, na_value=np.nan)
    outside = np.isfinite(lo) & np.isfinite(hi)
    outside &= (lo < rows["window_start"].to_numpy()) | (hi > rows["window_end"].to_numpy())
    out = [""] * len(rows)
    if not outside.any():
        return out
    runs: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for h in halts[["event_id", "ticker", "first_rel", "last_rel"]].itertuples(index=False):
        runs.setdefault((h.event_id, h.ticker), []).append((h.first_rel, h.last_rel))
    events, tickers = rows["event_id"].to_numpy(), rows["ticker"].to_numpy()
    for i in np.flatnonzero(outside):  # only the CARs whose returns reach outside their window
        out[i] = _covers(int(lo[i]), int(hi[i]), runs.get((events[i], tickers[i]), []))
    return out
