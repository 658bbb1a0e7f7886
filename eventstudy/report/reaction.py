"""The report's section per event on what else moved: abnormal volume, abnormal volatility, pre-event drift and
the estimation diagnostics (the frames of :mod:`eventstudy.study.reaction`; template ``reaction.html.j2``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..model.diagnostics import FLAG_LEVEL, LJUNG_BOX_LAGS
from ..study.results import StudyResults
from .per_event import EventRows


def _cells(tests: pd.DataFrame) -> dict[tuple[str, int, int], dict[str, Any]]:
    """The event's test rows by (test, window start, window end), the first row of each."""
    cells: dict[tuple[str, int, int], dict[str, Any]] = {}
    for row in tests.to_dict(orient="records"):
        cells.setdefault((row["test"], row["window_start"], row["window_end"]), row)
    return cells


def _by_firm_window(frame: pd.DataFrame, columns: list[str]) -> dict[tuple[str, int, int], dict[str, Any]]:
    """``{(ticker, window start, window end): {column: value}}`` of ``frame``'s rows (the last of duplicates)."""
    keys = zip(frame["ticker"].tolist(), frame["window_start"].tolist(), frame["window_end"].tolist(), strict=True)
    values = zip(*(frame[c].tolist() for c in columns), strict=True)
    return {key: dict(zip(columns, row, strict=True)) for key, row in zip(keys, values, strict=True)}


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
    by_tests, by_volume, by_volatility = EventRows(tests), EventRows(volume), EventRows(volatility)
    by_estimates = EventRows(results.estimates)
    views = {}
    for ev in results.study.events[:limit]:
        t, vol, var = by_tests[ev.id], by_volume[ev.id], by_volatility[ev.id]
        cells = _cells(t)
        tickers = list(dict.fromkeys(vol["ticker"].tolist()))
        cav, u = _by_firm_window(vol, ["cav", "cav_t"]), _by_firm_window(var, ["u", "u_p"])
        firms = []
        for ticker in tickers:  # a table row per firm of the event: the report's own size, not the study's
            firm_cells = [{**cav[(ticker, *w)], **u[(ticker, *w)]} for w in windows]
            firms.append({"ticker": ticker, "name": names.get(ticker, ticker), "cells": firm_cells})
        noted = vol[vol["note"] != ""]
        notes = sorted({f"{ticker}: {note}" for ticker, note in zip(noted["ticker"], noted["note"], strict=True)})
        est = by_estimates[ev.id]
        diagnostics = est[diag_cols].to_dict(orient="records") if set(diag_cols) <= set(est.columns) else []
        for row in diagnostics:
            row["name"] = names.get(row["ticker"], row["ticker"])
        views[ev.id] = {
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
            "pretrend": t[t["measure"] == "pretrend"].to_dict(orient="records"),
            "diagnostics": diagnostics,
            "flagged": int(sum(bool(r["diagnostics_flag"]) for r in diagnostics)),
            "flag_level": FLAG_LEVEL,
            "lags": LJUNG_BOX_LAGS,
        }
    return views
