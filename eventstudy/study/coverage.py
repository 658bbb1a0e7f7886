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
from ..model.engine import AbnormalReturns, FirmEvent, halt_reach


def _next_trade(traded: np.ndarray, start: int) -> int | None:
    """Position of the first trade at or after ``start`` in one ticker's ``traded`` column (None if none)."""
    if start >= len(traded):
        return None
    hits = np.flatnonzero(traded[max(start, 0) :])
    return int(hits[0]) + max(start, 0) if len(hits) else None


def day0_positions(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    return np.array([panel.position(fe.day0) for fe in firm_events], dtype=np.int64)


def resumption_reach(panel: ReturnsPanel, firm_events: Sequence[FirmEvent], rel_day: int) -> int:
    """Sessions from ``rel_day`` to the first trade at or after it, the maximum over the firm-events
    (:func:`eventstudy.model.engine.halt_reach`, the rule the placebo follows too).

    A window ending on ``rel_day`` counts the return that ends on that trade (its span overlaps the window), so
    the engine's relative days must reach it. 0 when every firm trades on ``rel_day`` or has no later trade.
    """
    cols = np.array([panel.traded.columns.get_loc(fe.ticker) for fe in firm_events], dtype=np.int64)
    return halt_reach(panel, (day0_positions(panel, firm_events), cols), rel_day)


def data_end(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    """Per firm-event, the last relative day the firm's data reach on the axis."""
    last = []
    for fe, d0 in zip(firm_events, day0_positions(panel, firm_events), strict=True):
        covered = np.flatnonzero(panel.covered[fe.ticker].to_numpy())
        last.append((int(covered[-1]) if len(covered) else -1) - int(d0))
    return np.array(last, dtype=np.int64)


def window_completeness(
    panel: ReturnsPanel, firm_events: Sequence[FirmEvent], window: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """``(complete, data_end)`` per firm-event for ``window``: whether a trade on or after the window's last day
    exists in the loaded data, and the last relative day the firm's data reach."""
    day0 = day0_positions(panel, firm_events)
    complete = np.zeros(len(firm_events), dtype=bool)
    for i, (fe, d0) in enumerate(zip(firm_events, day0, strict=True)):
        complete[i] = _next_trade(panel.traded[fe.ticker].to_numpy(), int(d0) + window[1]) is not None
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


def _suspended_from(panel: ReturnsPanel, fe: FirmEvent, data_end: int) -> int:
    """The relative day after the firm's last trade up to ``data_end``."""
    d0 = panel.position(fe.day0)
    trades = np.flatnonzero(panel.traded[fe.ticker].to_numpy()[: d0 + data_end + 1])
    return (int(trades[-1]) + 1 if len(trades) else 0) - d0


def completeness_columns(
    panel: ReturnsPanel, ab: AbnormalReturns, windows: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, list[str]]:
    """``complete`` and ``note`` for the rows of ``car.csv`` (windows outer, firm-events inner)."""
    complete, notes = [], []
    for window in windows:
        done, end = window_completeness(panel, ab.firm_events, window)
        complete.append(done)
        notes += [
            "" if ok else incomplete_note(int(e), _suspended_from(panel, fe, int(e)) if e >= window[1] else None)
            for ok, e, fe in zip(done, end, ab.firm_events, strict=True)
        ]
    return np.concatenate(complete) if complete else np.zeros(0, dtype=bool), notes


def estimation_span(
    ab: AbnormalReturns, panel: ReturnsPanel, benchmark: str
) -> tuple[list[str], list[str], np.ndarray]:
    """``est_start``, ``est_end`` (ISO dates of the first and last returns the model was fitted on; the requested
    window's bounds on the axis when none was) and ``shortened`` (the requested window starts before the firm's or
    the benchmark's data) per firm-event."""
    day0 = day0_positions(panel, ab.firm_events)
    n = len(panel.sessions)
    bench = np.flatnonzero(panel.covered[benchmark].to_numpy())
    starts, ends, short = [], [], []
    for i, fe in enumerate(ab.firm_events):
        used = ab.rel_days[ab.estimation[i]]
        lo, hi = ab.estimation_window
        if len(used):
            # A return on day t spanning one session covers t only: the first used session is t itself.
            first, last = int(day0[i] + used[0]), int(day0[i] + used[-1])
        else:
            first, last = int(np.clip(day0[i] + lo, 0, n - 1)), int(np.clip(day0[i] + hi, 0, n - 1))
        starts.append(panel.sessions[first].date().isoformat())
        ends.append(panel.sessions[last].date().isoformat())
        covered = np.flatnonzero(panel.covered[fe.ticker].to_numpy())
        data_start = max(int(covered[0]) if len(covered) else n, int(bench[0]) if len(bench) else n)
        # The firm's first row is a base without a return: the first usable return is one session later.
        short.append(bool(day0[i] + lo < data_start + 1))
    return starts, ends, np.array(short, dtype=bool)


@dataclass(frozen=True)
class BenchmarkGap:
    """A firm-event whose benchmark lacks sessions it needs."""

    event_id: str
    ticker: str
    benchmark: str
    missing: tuple[pd.Timestamp, ...]

    def describe(self) -> str:
        first, last = self.missing[0].date(), self.missing[-1].date()
        days = f"{first}" if first == last else f"{first} .. {last}"
        return f"benchmark {self.benchmark} has no data on {days} ({len(self.missing)} session(s))"


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
    bench = panel.covered[benchmark].to_numpy()
    w_lo, w_hi = min(w[0] for w in windows), max(w[1] for w in windows)
    out = []
    for fe, d0 in zip(firm_events, day0_positions(panel, firm_events), strict=True):
        firm = panel.covered[fe.ticker].to_numpy()
        need = np.zeros(n, dtype=bool)
        for lo, hi in (estimation_window, (w_lo, w_hi)):  # from the session before: the first return starts there
            need[max(int(d0) + lo - 1, 0) : max(min(int(d0) + hi + 1, n), 0)] = True
        missing = np.flatnonzero(need & firm & ~bench)
        if len(missing):
            out.append(BenchmarkGap(fe.event_id, fe.ticker, benchmark, tuple(panel.sessions[missing])))
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


def coverage_words(row: dict[str, Any], halts: pd.DataFrame) -> str:
    """ "covers 0..+2: suspended 0..+1" when the returns counted in a ``car.csv`` row's window span sessions outside
    it (a firm halted into or across the window), with the halts of ``halts`` (``StudyResults.halts``); else ''."""
    lo, hi = row.get("covered_start"), row.get("covered_end")
    if lo is None or hi is None or pd.isna(lo) or (lo >= row["window_start"] and hi <= row["window_end"]):
        return ""
    mine = halts[(halts["event_id"] == row["event_id"]) & (halts["ticker"] == row["ticker"])]
    runs = [
        f"{rel_label(h.first_rel)}..{rel_label(h.last_rel)}" if h.first_rel != h.last_rel else rel_label(h.first_rel)
        for h in mine.itertuples(index=False)
        if h.last_rel >= lo and h.first_rel <= hi
    ]
    return f"covers {rel_label(lo)}..{rel_label(hi)}" + (f": suspended {', '.join(runs)}" if runs else "")
