"""The report's section per event on what else moved: abnormal volume, abnormal volatility, pre-event drift and
the estimation diagnostics (the frames of :mod:`eventstudy.study.reaction`; template ``reaction.html.j2``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..model.diagnostics import FLAG_LEVEL, LJUNG_BOX_LAGS
from ..study.results import StudyResults


def _cell(frame: pd.DataFrame, test: str, window: tuple[int, int]) -> dict[str, Any] | None:
    row = frame[(frame["test"] == test) & (frame["window_start"] == window[0]) & (frame["window_end"] == window[1])]
    return row.iloc[0].to_dict() if len(row) else None


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
    windows = list(results.study.event_windows)
    diag_cols = ["ticker", "lb_q", "lb_p", "jb", "jb_p", "chow_f", "chow_p", "diagnostics_flag"]
    views = {}
    for ev in results.study.events[:limit]:
        t = tests[tests["event_id"] == ev.id]
        vol = volume[volume["event_id"] == ev.id].set_index(["ticker", "window_start", "window_end"])
        var = volatility[volatility["event_id"] == ev.id].set_index(["ticker", "window_start", "window_end"])
        tickers = list(dict.fromkeys(volume.loc[volume["event_id"] == ev.id, "ticker"]))
        cav, u = vol[["cav", "cav_t"]].to_dict(orient="index"), var[["u", "u_p"]].to_dict(orient="index")
        firms = []
        for ticker in tickers:  # a table row per firm of the event: the report's own size, not the study's
            cells = [{**cav[(ticker, *w)], **u[(ticker, *w)]} for w in windows]
            firms.append({"ticker": ticker, "name": names.get(ticker, ticker), "cells": cells})
        notes = sorted({f"{key[0]}: {note}" for key, note in vol.loc[vol["note"] != "", "note"].items()})
        est = results.estimates[results.estimates["event_id"] == ev.id]
        diagnostics = est[diag_cols].to_dict(orient="records") if set(diag_cols) <= set(est.columns) else []
        for row in diagnostics:
            row["name"] = names.get(row["ticker"], row["ticker"])
        views[ev.id] = {
            "windows": [
                {
                    "window": w,
                    "cells": {
                        name: _cell(t, name, w) for name in ("cav_csect_t", "cav_bmp_t", "var_csect_t", "var_rank_t")
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
