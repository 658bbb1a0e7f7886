"""Each firm-event's trade-to-trade returns over its relative days, with the benchmark's return over the same
spans (:func:`gather`), and how far past a window a firm suspended on its last day is followed to its next trade
(:func:`halt_reaches`, one rule for studies and the placebo). Definitions: :mod:`eventstudy.model.engine`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.returns import ReturnsPanel
from ..errors import DataError
from .abnormal import FirmEvent
from .jit import compiled, over_rows


def _positions(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> np.ndarray:
    """Session positions of every firm-event's day 0 in one lookup (DataError, as ``position``, if one is off)."""
    day0 = panel.sessions.get_indexer(pd.DatetimeIndex([fe.day0 for fe in firm_events]))
    if (day0 < 0).any():
        panel.position(firm_events[int(np.flatnonzero(day0 < 0)[0])].day0)  # raises with the offending date
    return day0.astype(np.int64)


@compiled
def _trade_to_trade(
    returns, span, level, session, day0, cols, rel_days, last, out_r, out_s, out_m, out_u
):  # pragma: no cover
    """Fill ``out_r``/``out_s``/``out_m`` ``(N, W)``: each firm-event's return, span and the benchmark's return
    over the same span, ``level[t] / level[t − k] − 1``, on each relative day — NaN, 0, NaN off the panel, after
    the firm-event's ``last`` relative day, and (the benchmark) where the span is empty or starts before it —
    and ``out_u``: both returns finite (a usable return; the span is then one session or more).
    ``session[t]``: the quotient for ``k = 1`` (computed once per session)."""
    n_sessions = returns.shape[0]
    for i in range(day0.shape[0]):
        c = cols[i]
        for j in range(rel_days.shape[0]):
            t = day0[i] + rel_days[j]
            r, k, m = np.nan, 0, np.nan
            if 0 <= t < n_sessions and rel_days[j] <= last[i]:
                r, k = returns[t, c], span[t, c]
                if k == 1:
                    m = session[t]
                elif k > 1 and t - k >= 0:
                    if level[t - k] != 0.0:
                        m = level[t] / level[t - k] - 1.0
                    elif level[t] != 0.0 and not np.isnan(level[t]):  # (numpy's x / 0: ±inf; 0 / 0 is NaN)
                        m = np.sign(level[t]) * np.inf
            out_r[i, j] = r
            out_s[i, j] = k
            out_m[i, j] = m
            out_u[i, j] = np.isfinite(r) and np.isfinite(m)


def _locate(panel: ReturnsPanel, firm_events: Sequence[FirmEvent]) -> tuple[np.ndarray, np.ndarray]:
    """Day-0 session positions and panel columns of the firm-events (DataError naming the first missing one)."""
    day0 = _positions(panel, firm_events)
    cols = panel.returns.columns.get_indexer([fe.ticker for fe in firm_events])
    if (cols < 0).any():
        missing = firm_events[int(np.flatnonzero(cols < 0)[0])].ticker
        raise DataError(f"{missing}: no prices loaded for this ticker")
    return day0, cols


HALT_LOOKAHEAD_DAYS = 366
"""How far (calendar days) past a window's last day a firm suspended there is followed to its next trade: the
return that ends the halt spans the window's last sessions, so the window counts it (the overlap rule of
:meth:`AbnormalReturns.overlap`). A longer halt is not followed: the window has no such return."""


def next_trades(panel: ReturnsPanel) -> np.ndarray:
    """``(sessions, tickers)``: the position of each ticker's first trade at or after each session (``len(sessions)``
    when there is none)."""
    traded = panel.traded.to_numpy(dtype=bool)
    n = traded.shape[0]
    first = np.where(traded, np.arange(n)[:, None], n)
    return np.minimum.accumulate(first[::-1], axis=0)[::-1]


def halt_reaches(
    panel: ReturnsPanel,
    located: tuple[np.ndarray, np.ndarray],
    rel_day: int,
    *,
    next_trade: np.ndarray | None = None,
    lookahead_days: int = HALT_LOOKAHEAD_DAYS,
) -> np.ndarray:
    """Per firm-event located at ``(day-0 positions, panel columns)``: sessions from ``rel_day`` to its first trade
    at or after it — how far past ``rel_day`` the engine's relative days must reach for that firm so that a window
    ending on ``rel_day`` counts the return that ends a halt (one rule for studies and the placebo) (0 if it trades on ``rel_day``, or if that trade is more than ``lookahead_days`` calendar days
    after the session of ``rel_day``, or outside the panel: not followed). ``next_trade``: :func:`next_trades` of
    ``panel`` when the caller keeps it."""
    day0, cols = located
    out = np.zeros(len(day0), dtype=np.int64)
    if len(day0) == 0:
        return out
    nxt = next_trades(panel) if next_trade is None else next_trade
    n = len(panel.sessions)
    at = day0 + rel_day
    inside = (at >= 0) & (at < n)
    found = np.full(len(at), n)
    found[inside] = nxt[at[inside], cols[inside]]
    ok = inside & (found < n)
    if ok.any():
        days = panel.sessions.as_unit("ns").asi8 // 86_400_000_000_000  # (calendar days, whatever the index's unit)
        ok &= days[np.minimum(found, n - 1)] - days[np.clip(at, 0, n - 1)] <= lookahead_days
        out[ok] = (found - at)[ok]
    return out


def gather(
    panel: ReturnsPanel,
    benchmark: str,
    firm_events: Sequence[FirmEvent],
    rel_days: np.ndarray,
    located: tuple[np.ndarray, np.ndarray] | None = None,
    last: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Firm returns, benchmark returns over the same spans, spans and session positions, ``(N, W)`` each.
    ``located``: the firm-events' day-0 session positions and panel columns, when the caller has them.
    ``last``: per firm-event, the last relative day read; later days hold no return (as off the panel)."""
    day0, cols = _locate(panel, firm_events) if located is None else located
    returns, market, span, _ = _gathered(panel, benchmark, rel_days, day0, cols, last)
    return returns, market, span, day0[:, None] + rel_days[None, :]


def _gathered(
    panel: ReturnsPanel, benchmark: str, rel_days: np.ndarray, day0: np.ndarray, cols: np.ndarray,
    last: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`gather` without the session positions (the models that read them compute them), and where both
    returns are finite (usable)."""
    shape = (len(day0), len(rel_days))
    returns, market, span = np.empty(shape), np.empty(shape), np.empty(shape, dtype=np.int32)
    usable = np.empty(shape, dtype=bool)
    never = np.full(len(day0), np.iinfo(np.int64).max)
    level = panel.level[benchmark].to_numpy(dtype=float)
    session = np.full(len(level), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        session[1:] = level[1:] / level[:-1] - 1.0
    panel_returns, panel_span = panel.returns.to_numpy(dtype=float), panel.span.to_numpy(dtype=np.int64)
    day0, cols = np.asarray(day0, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    days, last = rel_days.astype(np.int64), never if last is None else np.asarray(last, dtype=np.int64)

    def run(at: slice) -> None:
        _trade_to_trade(panel_returns, panel_span, level, session, day0[at], cols[at], days, last[at], returns[at],
                        span[at], market[at], usable[at])  # fmt: skip

    over_rows(run, len(day0), returns.size)
    return returns, market, span, usable
