"""Prices → a trade-to-trade returns panel on the exchange-session axis.

On a traded session ``t`` the return is ``close_t / prev_close_t - 1``: the total (distribution-inclusive)
simple return since the firm's previous trade ``s``. A history's first trade is its base and has no return:
the trade before it lies outside the data (for a new listing it is the offer price, whose "return" must not
enter an estimation window). It *spans* ``k = t - s`` sessions (``k > 1`` after a
halt) and sits on session ``t``. A suspended session has no return (NaN, span 0) — never a zero return.
This is the trade-to-trade convention of Maynes & Rumsey (1993, *J. Banking & Finance* 17, 145–157).

Each security also gets a *level*: its total-return index (product of ``1 + r`` over its trades), carried
flat through halts, so the market's return over any span ``(s, t]`` is ``level_t / level_s - 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import DataError
from .histories import session_positions, stacked

NOT_TRADED, TRADED, NO_DATA = "suspended", "traded", "no data"
PANEL_FIELDS = ("returns", "span", "traded", "covered", "level", "present")
PANEL_DTYPES = {"returns": np.float64, "span": np.int64, "traded": np.bool_, "covered": np.bool_,
                "level": np.float64, "present": np.bool_}  # fmt: skip
CHUNK_ROWS = 1 << 18  # rows of the tickers placed on the panel at a time (returns_panel)


@dataclass(frozen=True)
class ReturnsPanel:
    """Sessions × tickers matrices of trade-to-trade returns.

    ``returns``  simple return ending on the session, NaN when there is none
    ``span``     sessions the return covers (0: no return on that session)
    ``traded``   True on sessions with a trade
    ``covered``  True on sessions inside the security's data range (False: no data at all)
    ``level``    total-return index, 1.0 before the first return, flat through halts, NaN outside the data
    ``present``  True on sessions with a row in the data (a traded or a suspended row); a covered session
                 without a row has *no data* (Yahoo-shaped data: the next return spans the gap). None: as
                 ``covered`` (panels built without row information)
    """

    sessions: pd.DatetimeIndex
    returns: pd.DataFrame
    span: pd.DataFrame
    traded: pd.DataFrame
    covered: pd.DataFrame
    level: pd.DataFrame
    present: pd.DataFrame | None = None

    def position(self, day: pd.Timestamp) -> int:
        """Index of a session on the axis (raises DataError if it is not a session)."""
        try:
            return int(self.sessions.get_loc(pd.Timestamp(day)))
        except KeyError:
            raise DataError(f"{pd.Timestamp(day).date()} is not a session of the study's calendar") from None

    def status(self, ticker: str) -> pd.Series:
        """'traded', 'suspended' (a row that says no trade) or 'no data' (no row) per session."""
        rows = self.present[ticker] if self.present is not None else self.covered[ticker]
        out = np.where(self.traded[ticker], TRADED, np.where(rows & self.covered[ticker], NOT_TRADED, NO_DATA))
        return pd.Series(out, index=self.sessions, name=ticker)


def security_returns(history: pd.DataFrame, sessions: pd.DatetimeIndex, ticker: str) -> pd.DataFrame:
    """One security's returns, span, traded, covered, level and present on ``sessions``.

    ``history`` follows the provider contract (:mod:`eventstudy.data.base`). A traded row dated off the
    calendar is an error; a non-traded one (a vendor's filler row on a holiday) is dropped.
    """
    off = ~history.index.isin(sessions)
    if off.any():
        bad = history.index[off & history["traded"].to_numpy()]
        if len(bad):
            raise DataError(f"{ticker}: traded on {bad[0].date()}, which is not an exchange session")
        history = history.loc[~off]
    out = pd.DataFrame(index=sessions)
    if history.empty:
        out["returns"], out["span"], out["traded"], out["covered"], out["level"] = np.nan, 0, False, False, np.nan
        out["present"] = False
        return out
    pos = sessions.get_indexer(history.index)
    first, last = pos[0], pos[-1]
    covered = np.zeros(len(sessions), dtype=bool)
    covered[first : last + 1] = True
    traded = np.zeros(len(sessions), dtype=bool)
    traded[pos[history["traded"].to_numpy()]] = True
    returns = np.full(len(sessions), np.nan)
    ratio = (history["close"] / history["prev_close"] - 1.0).to_numpy()
    returns[pos] = np.where(history["traded"].to_numpy(), ratio, np.nan)
    trade_pos = np.flatnonzero(traded)
    span = np.zeros(len(sessions), dtype=np.int64)
    if len(trade_pos):
        # The first trade is the base: the trade before it is outside the data (for a new listing, the offer
        # price), so neither its span nor its return is known and it has none.
        returns[trade_pos[0]] = np.nan
        span[trade_pos[1:]] = np.diff(trade_pos)
    growth = np.where(traded, 1.0 + np.nan_to_num(returns), 1.0)
    level = np.where(covered, np.cumprod(growth), np.nan)
    out["returns"], out["span"], out["traded"], out["covered"], out["level"] = returns, span, traded, covered, level
    present = np.zeros(len(sessions), dtype=bool)
    present[pos] = True
    out["present"] = present
    return out


def benchmark_returns(history: pd.DataFrame, sessions: pd.DatetimeIndex, foreign: bool = True) -> pd.DataFrame:
    """A benchmark index on a session axis: its level as of each session's date.

    ``foreign`` (a benchmark on another exchange's calendar, set on a firm): the level is carried forward from the
    index's last session on or before each date, so that it lines up with the firms' sessions. On its own
    calendar (``foreign`` False) nothing is carried: a session without a row is a session without data — a
    benchmark gap that the study names and leaves the firm-events it touches out for — not a day on which the
    index stood still. Every covered session counts as traded.
    """
    own = security_returns(history, pd.DatetimeIndex(history.index, name="date"), "benchmark")
    level = own["level"].reindex(sessions.union(own.index))
    level = (level.ffill() if foreign else level).reindex(sessions)
    level = level.where(sessions <= own.index[-1]) if len(own) else level
    out = pd.DataFrame(index=sessions)
    out["level"] = level
    out["covered"] = level.notna().to_numpy()
    out["traded"] = out["covered"]
    out["returns"] = (level / level.shift(1) - 1.0).where(out["covered"])
    out["span"] = np.where(out["returns"].notna(), 1, 0)
    out["present"] = out["covered"]
    return out


def trade_to_trade(
    s_pos: np.ndarray,
    t_code: np.ndarray,
    close: np.ndarray,
    prev: np.ndarray,
    traded_row: np.ndarray,
    n_sessions: int,
    n_tickers: int,
    order: Literal["C", "F"] = "C",
    out: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Scatter rows into session × ticker matrices with the conventions of :func:`security_returns`, for every
    ticker at once. Rows are grouped by ticker (``t_code``: its column; one group per column) and sorted by
    session within it (``s_pos``: the row's session on the axis; rows off the axis already dropped). Returns
    ``returns``, ``span``, ``traded``, ``covered``, ``level`` and ``present`` (in memory ``order``; "F": each
    ticker's series contiguous) and each column's ``first`` and ``last`` covered session (-1 and -2: no rows).
    ``out``: the six matrices to fill (contiguous in ``order``, of these shapes and dtypes) instead of new ones —
    column blocks of a larger panel's Fortran-ordered matrices."""
    shape = (n_sessions, n_tickers)
    if out is None:
        out = {"returns": np.empty(shape, order=order), "span": np.empty(shape, dtype=np.int64, order=order),
               "traded": np.empty(shape, dtype=bool, order=order), "covered": np.empty(shape, dtype=bool, order=order),
               "level": np.empty(shape, order=order), "present": np.empty(shape, dtype=bool, order=order)}  # fmt: skip
    if not all(a.flags.f_contiguous if order == "F" else a.flags.c_contiguous for a in out.values()):
        raise ValueError("trade_to_trade: out matrices must be contiguous in the order asked")  # (written flat)
    returns, traded, span, present = out["returns"], out["traded"], out["span"], out["present"]
    returns.fill(np.nan)
    traded.fill(False)
    span.fill(0)
    present.fill(False)

    # Each row's place in the matrices' memory (rows sorted by ticker, then session: in Fortran order, ascending).
    if order == "F":
        cell = np.multiply(t_code, n_sessions, dtype=np.int64) + s_pos
    else:
        cell = np.multiply(s_pos, n_tickers, dtype=np.int64) + t_code
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = close / prev
    ratio -= 1.0
    ratio[~traded_row] = np.nan
    returns.ravel(order="K")[cell] = ratio
    del ratio
    traded.ravel(order="K")[cell] = traded_row
    present.ravel(order="K")[cell] = True

    # Coverage: from each ticker's first row to its last (rows are grouped by ticker).
    first = np.full(n_tickers, -1, dtype=np.int64)
    last = np.full(n_tickers, -2, dtype=np.int64)
    if len(t_code):
        starts = np.flatnonzero(np.r_[True, t_code[1:] != t_code[:-1]])
        ends = np.r_[starts[1:], len(t_code)] - 1
        codes = t_code[starts]
        first[codes], last[codes] = s_pos[starts], s_pos[ends]
    axis = np.arange(n_sessions)[:, None]
    covered = out["covered"]
    np.logical_and(axis >= first[None, :], axis <= last[None, :], out=covered)

    # Spans: a trade's return starts at the ticker's previous trade. A ticker's first trade is its base: the
    # trade before it is outside the data (for a new listing, the offer price), so it has no return.
    trade_rows = np.flatnonzero(traded_row)
    tr_pos, tr_code = s_pos[trade_rows], t_code[trade_rows]
    if len(tr_pos):
        new_ticker = np.r_[True, tr_code[1:] != tr_code[:-1]]
        gap = np.zeros(len(tr_pos), dtype=np.int64)
        np.subtract(tr_pos[1:], tr_pos[:-1], out=gap[1:])
        gap[new_ticker] = 0
        span.ravel(order="K")[cell[trade_rows]] = gap
        returns.ravel(order="K")[cell[trade_rows[new_ticker]]] = np.nan

    level = out["level"]  # the growth 1 + r on trades (1 elsewhere; NaN r counts 0), then its running product
    np.add(returns, 1.0, out=level)
    odd = ~np.isfinite(level)
    if odd.any():
        level[odd] = np.nan_to_num(level[odd], nan=1.0)  # as 1 + nan_to_num(r), ±inf included
    level[~traded] = 1.0
    np.cumprod(level, axis=0, out=level)
    level[~covered] = np.nan
    return {"returns": returns, "span": span, "traded": traded, "covered": covered, "level": level,
            "present": present, "first": first, "last": last}  # fmt: skip


def returns_panel(
    histories: Mapping[str, pd.DataFrame],
    sessions: pd.DatetimeIndex,
    benchmarks: tuple[str, ...] = (),
    foreign: frozenset[str] | set[str] = frozenset(),
) -> ReturnsPanel:
    """Build the panel for several securities on one session axis (``benchmarks`` aligned as indices; those in
    ``foreign`` trade on another calendar, :func:`benchmark_returns`).

    Every security's column is :func:`security_returns` of its history, computed for all of them at once
    (:func:`trade_to_trade` on their stacked rows, :mod:`eventstudy.data.histories`)."""
    tickers = list(histories)
    rows = stacked(histories).rows  # the rows' tickers are the panel's columns, in order
    n_s, n_t = len(sessions), len(tickers)
    is_firm = np.array([t not in benchmarks for t in rows.tickers], dtype=bool)
    # Tickers in chunks of about CHUNK_ROWS rows: the temporaries stay small and are reused (exact: columns are
    # independent).
    starts = np.searchsorted(rows.bounds, np.arange(0, int(rows.bounds[-1]), CHUNK_ROWS), "right") - 1
    cuts = np.unique(np.r_[0, np.clip(starts, 0, n_t), n_t]).tolist()
    m: dict[str, np.ndarray] = {}
    for c0, c1 in zip(cuts[:-1], cuts[1:], strict=True):
        part = slice(int(rows.bounds[c0]), int(rows.bounds[c1]))
        at, on = session_positions(rows, sessions, part)
        firm, traded = is_firm[rows.code[part]], rows.traded[part]
        off_trade = np.flatnonzero(~on & traded & firm)
        if len(off_trade):  # the first firm (in order) with one, at its first such date
            i = part.start + int(off_trade[0])
            day = pd.Timestamp(rows.date[i]).date()
            raise DataError(f"{rows.tickers[rows.code[i]]}: traded on {day}, which is not an exchange session")
        keep = on & firm
        pos, code, close, prev = at, rows.code[part] - c0, rows.close[part], rows.prev_close[part]
        if not keep.all():
            pos, code, close, prev, traded = pos[keep], code[keep], close[keep], prev[keep], traded[keep]
        if not m:
            m = {name: np.empty((n_s, n_t), dtype=dtype, order="F") for name, dtype in PANEL_DTYPES.items()}
        # each chunk's columns are one contiguous block of the Fortran-ordered matrices: filled where they lie
        trade_to_trade(pos, code, close, prev, traded, n_s, c1 - c0, "F", {k: v[:, c0:c1] for k, v in m.items()})
    if not m:  # no tickers
        empty = np.empty(0, dtype=np.int64)
        m = trade_to_trade(empty, empty, np.empty(0), np.empty(0), np.empty(0, bool), n_s, n_t, "F")
    for j, t in enumerate(tickers):
        if t in benchmarks:
            index = benchmark_returns(histories[t], sessions, t in foreign)
            for name in PANEL_FIELDS:
                m[name][:, j] = index[name].to_numpy()
    names = pd.Index(tickers)

    def frame(name: str) -> pd.DataFrame:
        return pd.DataFrame(m[name], index=sessions, columns=names, copy=False)

    return ReturnsPanel(
        sessions=sessions,
        returns=frame("returns"),
        span=frame("span"),
        traded=frame("traded"),
        covered=frame("covered"),
        level=frame("level"),
        present=frame("present"),
    )
