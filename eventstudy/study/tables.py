"""The per-firm-event tables of a study (``car.csv``, ``ar.csv``, the suspensions), built from the engine's
abnormal returns and the returns panel of one market group; :mod:`eventstudy.study.analysis` sequences them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.returns import ReturnsPanel
from ..model.engine import AbnormalReturns
from .coverage import BenchmarkGap, completeness_columns


def car_table(
    ab: AbnormalReturns,
    panel: ReturnsPanel,
    windows: tuple[tuple[int, int], ...],
    gaps: list[BenchmarkGap],
    limits: np.ndarray,
    flags: np.ndarray | None = None,
) -> pd.DataFrame:
    """``car.csv``: per firm-event and window the CAR over the returns overlapping the window, ``complete``, the
    closes at the daily price limit among those returns (``limit_up``, ``limit_down``; ``limits`` is the
    :func:`~eventstudy.data.quality.limit_grid`) and a ``note`` saying why a figure is missing or partial (benchmark
    gap, data ending inside the window) or rests on a flagged session of the firm or its benchmark (``flags``,
    :func:`~eventstudy.data.quality.flag_grid`: a possible unadjusted split, a one-session spike)."""
    car = pd.concat([ab.car(w) for w in windows], ignore_index=True)
    complete, notes = completeness_columns(panel, ab, windows)
    car["complete"] = complete
    counted = [ab.overlap(w) & np.isfinite(ab.ar) for w in windows]
    car["limit_up"] = np.concatenate([(c & (limits == "up")).sum(axis=1) for c in counted])
    car["limit_down"] = np.concatenate([(c & (limits == "down")).sum(axis=1) for c in counted])
    car["note"] = notes
    if flags is not None:  # data flags (a possible unadjusted split, a spike) among the returns the CAR counts,
        # and among the estimation returns, which set the normal return and the CAR's standard error

        def flagged(i: int, days: np.ndarray) -> str:
            return "; ".join(dict.fromkeys(w for cell in flags[i][days] for w in str(cell).split("; ") if w))

        n = len(ab.firm_events)
        fitted = ab.estimation & np.isfinite(ab.ar)
        in_fit = [flagged(i, fitted[i]) for i in range(n)] * len(windows)
        words = [flagged(i, c[i]) for c in counted for i in range(n)]
        car["note"] = [
            "; ".join(x for x in (note, f"data flag: {w}" if w else "",
                                  f"data flag in the estimation window: {e}" if e else "") if x)
            for note, w, e in zip(car["note"], words, in_fit, strict=True)
        ]  # fmt: skip
    for gap in gaps:
        rows = (car["event_id"] == gap.event_id) & (car["ticker"] == gap.ticker)
        car.loc[rows, ["car", "car_se", "car_t", "car_p", "bhar"]] = np.nan
        car.loc[rows, "note"] = gap.describe()
    return car


def halts_table(ab: AbnormalReturns, panel: ReturnsPanel, window: tuple[int, int]) -> pd.DataFrame:
    """Suspensions (runs of covered, non-traded sessions) of each firm-event within ``window``."""
    rows = []
    for fe in ab.firm_events:
        day0 = panel.position(fe.day0)
        lo, hi = max(day0 + window[0], 0), min(day0 + window[1], len(panel.sessions) - 1)
        traded = panel.traded[fe.ticker].to_numpy()
        # A suspension is a row that says no trade; a session without a row is "no data", not a suspension.
        covered = (panel.present if panel.present is not None else panel.covered)[fe.ticker].to_numpy()
        pos = lo
        while pos <= hi:
            if covered[pos] and not traded[pos]:
                start = pos
                while pos + 1 < len(traded) and covered[pos + 1] and not traded[pos + 1]:
                    pos += 1
                resumed = pos + 1 if pos + 1 < len(traded) and traded[pos + 1] else None
                rows.append(
                    {
                        "event_id": fe.event_id,
                        "ticker": fe.ticker,
                        "first": panel.sessions[start].date(),
                        "last": panel.sessions[pos].date(),
                        "first_rel": start - day0,
                        "last_rel": pos - day0,
                        "sessions": pos - start + 1,
                        "resumed": panel.sessions[resumed].date() if resumed is not None else None,
                        "span": int(panel.span[fe.ticker].iloc[resumed]) if resumed is not None else None,
                    }
                )
            pos += 1
    return pd.DataFrame(
        rows, columns=["event_id", "ticker", "first", "last", "first_rel", "last_rel", "sessions", "resumed", "span"]
    )


def ar_table(ab: AbnormalReturns, panel: ReturnsPanel, path: tuple[int, int], limits: np.ndarray) -> pd.DataFrame:
    """``ar.csv``: per firm-event and day of the daily ``path``, its date, abnormal return, ``traded`` (0 on a
    session without a trade) and ``limit`` (a close at the daily price limit: ``up`` / ``down``)."""
    days = ab.days(path)
    rel = ab.rel_days[days]
    frames = []
    for i, fe in enumerate(ab.firm_events):
        pos = panel.position(fe.day0) + rel
        inside = (pos >= 0) & (pos < len(panel.sessions))
        dates = [panel.sessions[p].date().isoformat() if ok else "" for p, ok in zip(pos, inside, strict=True)]
        traded = np.where(inside, panel.traded[fe.ticker].to_numpy()[np.clip(pos, 0, len(panel.sessions) - 1)], False)
        frames.append(
            pd.DataFrame(
                {
                    "event_id": fe.event_id,
                    "ticker": fe.ticker,
                    "rel_day": rel,
                    "date": dates,
                    "ar": ab.ar[i, days],
                    "traded": traded.astype(int),
                    "limit": limits[i, days],
                }
            )  # fmt: skip
        )
    return pd.concat(frames, ignore_index=True)
