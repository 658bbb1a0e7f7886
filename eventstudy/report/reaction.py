"""The report's section per event on what else moved: abnormal volume, abnormal volatility, pre-event drift and
the estimation diagnostics (the frames of :mod:`eventstudy.study.reaction`; template ``reaction.html.j2``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..model.diagnostics import FLAG_LEVEL, LJUNG_BOX_LAGS
from ..study.results import StudyResults
from .per_event import EventRows, in_windows


def _cells(tests: list[dict[str, Any]]) -> dict[tuple[str, int, int], dict[str, Any]]:
    """The event's test rows by (test, window start, window end), the first row of each."""
    cells: dict[tuple[str, int, int], dict[str, Any]] = {}
    for row in tests:
        cells.setdefault((row["test"], row["window_start"], row["window_end"]), row)
    return cells


class _FirmWindows:
    """A per-firm-and-window table (volume.csv, volatility.csv) read once into lists; per event, ``{(ticker, window
    start, window end): {column: value}}`` of its rows (the last of duplicates)."""

    def __init__(self, frame: pd.DataFrame, columns: list[str]) -> None:
        self.rows = EventRows(frame)
        self.keys = [frame[c].to_numpy(dtype=object) for c in ("ticker", "window_start", "window_end")]
        self.columns = columns
        self.values = [frame[c].to_numpy(dtype=object) for c in columns]

    def of(self, event_id: str) -> dict[tuple[str, int, int], dict[str, Any]]:
        at = self.rows.positions(event_id)
        keys = zip(*(k[at].tolist() for k in self.keys), strict=True)
        values = zip(*(v[at].tolist() for v in self.values), strict=True)
        return {key: dict(zip(self.columns, row, strict=True)) for key, row in zip(keys, values, strict=True)}


def reaction_views(results: StudyResults, limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Per event id: ``windows`` (each with its volume and volatility test rows), ``firms`` (per firm and window
    the CAV with its t and Beaver's U with its p), ``notes`` (why a firm's volume model is mean-adjusted or
    missing), ``pretrend`` (the pre-window rows) and ``diagnostics`` (per firm, flagged where p < 1 %). Empty when
    the study was run without these frames."""
    tests, volume, volatility = (results.extra.get(k) for k in ("reaction_tests", "volume", "volatility"))
    if not all(isinstance(f, pd.DataFrame) for f in (tests, volume, volatility)):
        return {}
    assert isinstance(tests, pd.DataFrame) and isinstance(volume, pd.DataFrame) and isinstance(volatility, pd.DataFrame)
    names = {fe.ticker: fe.name for fe in results.abnormal.firm_events}
    windows = [(int(a), int(b)) for a, b in results.study.event_windows]
    diag_cols = ["ticker", "lb_q", "lb_p", "jb", "jb_p", "chow_f", "chow_p", "diagnostics_flag"]
    events = [ev.id for ev in results.study.events[:limit]]
    test_rows = EventRows(tests).records(events)
    has_diagnostics = set(diag_cols) <= set(results.estimates.columns)
    diagnostic_rows = EventRows(results.estimates).records(events, diag_cols) if has_diagnostics else {}
    # the per-firm table's windows only (the files also hold each day of the daily path)
    cav = _FirmWindows(in_windows(volume, windows), ["cav", "cav_t"])
    u = _FirmWindows(in_windows(volatility, windows), ["u", "u_p"])
    volume_rows = EventRows(volume)
    tickers_of, notes_of = volume["ticker"].to_numpy(dtype=object), volume["note"].to_numpy(dtype=object)
    views = {}
    for event_id in events:
        t = test_rows[event_id]
        cells = _cells(t)
        tickers = list(dict.fromkeys(cav.keys[0][cav.rows.positions(event_id)].tolist()))
        cav_of, u_of = cav.of(event_id), u.of(event_id)
        at = volume_rows.positions(event_id)  # every row of the event: a note on any window is listed
        firms = []
        for ticker in tickers:  # a table row per firm of the event: the report's own size, not the study's
            firm_cells = [{**cav_of[(ticker, *w)], **u_of[(ticker, *w)]} for w in windows]
            firms.append({"ticker": ticker, "name": names.get(ticker, ticker), "cells": firm_cells})
        notes = sorted(
            {
                f"{ticker}: {note}"
                for ticker, note in zip(tickers_of[at].tolist(), notes_of[at].tolist(), strict=True)
                if note != ""
            }
        )
        diagnostics = diagnostic_rows.get(event_id, [])
        for row in diagnostics:
            row["name"] = names.get(row["ticker"], row["ticker"])
        views[event_id] = {
            "windows": [
                {
                    "window": w,
                    "cells": {
                        name: cells.get((name, *w))
                        for name in ("cav_csect_t", "cav_bmp_t", "var_csect_t", "var_rank_t")
                    },
                }
                for w in windows
            ],  # fmt: skip
            "firms": firms,
            "notes": notes,
            "pretrend": [r for r in t if r["measure"] == "pretrend"],
            "diagnostics": diagnostics,
            "flagged": int(sum(bool(r["diagnostics_flag"]) for r in diagnostics)),
            "flag_level": FLAG_LEVEL,
            "lags": LJUNG_BOX_LAGS,
        }
    return views
