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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError

NOT_TRADED, TRADED, NO_DATA = "suspended", "traded", "no data"


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


def returns_panel(
    histories: dict[str, pd.DataFrame],
    sessions: pd.DatetimeIndex,
    benchmarks: tuple[str, ...] = (),
    foreign: frozenset[str] | set[str] = frozenset(),
) -> ReturnsPanel:
    """Build the panel for several securities on one session axis (``benchmarks`` aligned as indices; those in
    ``foreign`` trade on another calendar, :func:`benchmark_returns`)."""
    parts = {
        t: benchmark_returns(h, sessions, t in foreign) if t in benchmarks else security_returns(h, sessions, t)
        for t, h in histories.items()
    }

    def matrix(column: str) -> pd.DataFrame:
        return pd.DataFrame({t: p[column] for t, p in parts.items()}, index=sessions)

    return ReturnsPanel(
        sessions=sessions,
        returns=matrix("returns"),
        span=matrix("span").astype(np.int64),
        traded=matrix("traded").astype(bool),
        covered=matrix("covered").astype(bool),
        level=matrix("level"),
        present=matrix("present").astype(bool),
    )
