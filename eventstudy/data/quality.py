"""Per-ticker data quality: daily price limits, unadjusted splits, prev_close breaks, sessions without data.

**Price limits** (Shanghai and Shenzhen A-shares). A session that closes at its daily limit understates the
reaction: the price could not move further. The limit is a fraction of the reference price (``prev_close``):
±10 % on the main boards (Shanghai 600/601/603/605, Shenzhen 000/001/002/003), ±20 % on ChiNext (Shenzhen
300/301) from 24 August 2020 (±10 % before) and on STAR (Shanghai 688/689); the limit price is
``round(prev_close × (1 ± limit), 2)`` (to the cent, halves up). A traded session whose close equals its limit
price is ``up`` or ``down``. ST shares (±5 %) cannot be detected: the data carry no ST flag. Indices, other
exchanges, and data without the exchange's own ``prev_close`` (Yahoo-shaped adjusted closes, where the cent grid
is lost) are not checked (``limits_checked`` false). New listings' first sessions have no limit and never match.

**Beyond the limit.** A traded session of an A-share whose close lies outside its limit prices — by more than the
cent of rounding with the exchange's ``prev_close``, by more than one percentage point with adjusted closes,
whose adjustment blurs the cent grid — cannot have happened: :func:`check_limits` raises a :class:`DataError`
naming the file, the date and the return (a close typed ×10, a halved ``prev_close``, an unadjusted split).
The first row of a history, which yields no return, is not checked; nor are the first sessions of a new
listing, which have no limit, if a file starts with them (their return has no row before it).

**Unadjusted splits.** A one-session price ratio ``close / prev_close`` within 5 % of a common split ratio —
1/2, 2/3 (3:2), 1/3, 1/4, 1/5, 1/10 or a reverse split's 2, 3/2, 3, 4, 5, 10 — on ordinary volume (at most 3× the
median of the 20 traded sessions before; unknown volume counts as ordinary) looks like a split, bonus issue or
reverse split whose ex-date was not adjusted: flagged, not corrected. A split does not change how much trades;
a crash or a jump on news of the same size trades heavily (on the US suppliers' real data every ±27–41 % day
traded 4–30× its median volume, save one COVID-crash day 10 % away from 2/3). Where the board has a daily limit,
such a return is an error instead (above).

**One-session spikes.** A move of at least 20 % in one session that the next traded session undoes by at least
three quarters (in log terms: ``|log g_t + log g_t+1| ≤ ¼ |log g_t|``) is the shape of a mistyped price (a close
×10, a benchmark ×1.5 for one day), not of news: flagged.

Flags (splits, spikes, prev_close breaks) are listed in the data-quality table and on the console, noted next to
every CAR whose returns include a flagged session of the firm or of its benchmark (``car.csv``'s ``note``), and
``--strict`` turns any flag into exit 3.

**prev_close breaks** (data in the snapshot schema). On consecutive rows ``prev_close`` equals the previous
close, except on an ex-date, where the exchange lowers it for the distribution. A ``prev_close`` *above* the
previous close cannot be a distribution: it is listed as a break.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from ..errors import DataError
from .returns import ReturnsPanel

CHINEXT_20PCT_FROM = pd.Timestamp("2020-08-24")
SPLIT_RATIOS = (2.0, 1.5, 3.0, 4.0, 5.0, 10.0, 0.5, 2 / 3, 1 / 3, 0.25, 0.2, 0.1)  # new shares per old share
SPLIT_TOLERANCE = 0.05
SPLIT_VOLUME = 3.0  # a split day trades at most this multiple of the median volume of the sessions before
SPLIT_VOLUME_SESSIONS = 20
SPIKE_MOVE = np.log(1.20)  # a one-session move of at least 20 % ...
SPIKE_UNDONE = 0.75  # ... undone by at least three quarters the next traded session
EXCHANGE_PREV_CLOSE = "exchange"  # history.attrs["prev_close"] when prev_close is the exchange's reference price

COLUMNS = [
    "ticker", "first", "last", "rows", "no_data", "suspended", "limit_up", "limit_down", "limits_checked",
    "splits", "spikes", "prev_close_breaks",
]  # fmt: skip


def limit_rates(ticker: str, dates: pd.DatetimeIndex) -> np.ndarray | None:
    """The daily price limit of an A-share on each date (a fraction), or None when the ticker is not one."""
    code, _, suffix = ticker.upper().partition(".")
    if not (code.isdigit() and len(code) == 6):
        return None
    if suffix == "SS" and code[:3] in ("688", "689"):
        return np.full(len(dates), 0.20)
    if suffix == "SS" and code[:3] in ("600", "601", "603", "605"):
        return np.full(len(dates), 0.10)
    if suffix == "SZ" and code[:3] in ("300", "301"):
        return np.where(dates >= CHINEXT_20PCT_FROM, 0.20, 0.10)
    if suffix == "SZ" and code[:3] in ("000", "001", "002", "003"):
        return np.full(len(dates), 0.10)
    return None


ADJUSTED_SLACK = 0.01  # beyond-limit tolerance for adjusted closes (no exchange prev_close)


def check_limits(history: pd.DataFrame, ticker: str, where: str) -> None:
    """:class:`DataError` on the first traded session of an A-share beyond its daily limit (module docstring)."""
    rates = limit_rates(ticker, pd.DatetimeIndex(history.index))
    if rates is None or len(history) < 2:
        return
    prev, close = history["prev_close"].to_numpy(dtype=float), history["close"].to_numpy(dtype=float)
    traded = history["traded"].to_numpy(dtype=bool, copy=True)
    traded[0] = False  # the base row: no return
    if history.attrs.get("prev_close") == EXCHANGE_PREV_CLOSE:
        high, low = _cents(prev * (1.0 + rates)) + 0.005, _cents(prev * (1.0 - rates)) - 0.005
    else:
        high, low = prev * (1.0 + rates + ADJUSTED_SLACK), prev * (1.0 - rates - ADJUSTED_SLACK)
    bad = traded & ((close > high) | (close < low))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: {history.index[i].date()}: close {close[i]:g} is {close[i] / prev[i] - 1:+.1%} from prev_close "
            f"{prev[i]:g}, beyond the ±{rates[i]:.0%} daily limit of {ticker}'s board; such a price cannot be real "
            "(a typing error, or a split without its adjustment) — correct the row"
        )


def _cents(x: np.ndarray) -> np.ndarray:
    """Round to the cent, halves up (a tiny offset absorbs binary representation error, e.g. 10.005)."""
    return np.floor(x * 100.0 + 0.5 + 1e-7) / 100.0


def limit_closes(history: pd.DataFrame, ticker: str) -> pd.Series | None:
    """``"up"``, ``"down"`` or ``""`` per row of ``history``; None when limits cannot be checked (module doc)."""
    rates = limit_rates(ticker, pd.DatetimeIndex(history.index))
    if rates is None or history.attrs.get("prev_close") != EXCHANGE_PREV_CLOSE:
        return None
    prev, close = history["prev_close"].to_numpy(), history["close"].to_numpy()
    traded = history["traded"].to_numpy(dtype=bool)
    up = traded & (np.abs(close - _cents(prev * (1.0 + rates))) < 5e-4)
    down = traded & (np.abs(close - _cents(prev * (1.0 - rates))) < 5e-4)
    return pd.Series(np.where(up, "up", np.where(down, "down", "")), index=history.index, name=ticker)


def split_flags(history: pd.DataFrame) -> list[tuple[date, float, float]]:
    """``(date, return, k)`` of the traded sessions that look like an unadjusted split of ``k`` new shares per old
    one (``k`` < 1: a reverse split), module docstring."""
    ratio = (history["close"] / history["prev_close"]).to_numpy()
    traded = history["traded"].to_numpy(dtype=bool)
    volume = history["volume"].to_numpy(dtype=float)
    near = np.abs(np.outer(ratio, SPLIT_RATIOS) - 1.0) <= SPLIT_TOLERANCE  # (rows, ratios); NaN: False
    out = []
    for i in np.flatnonzero(traded & near.any(axis=1)):  # the few candidates only
        before = volume[:i][traded[:i]][-SPLIT_VOLUME_SESSIONS:]
        usual = np.nanmedian(before) if np.isfinite(before).any() else np.nan
        if np.isfinite(volume[i]) and usual > 0 and volume[i] > SPLIT_VOLUME * usual:
            continue  # heavy trading: news, not a split
        for k in SPLIT_RATIOS:
            if abs(ratio[i] * k - 1.0) <= SPLIT_TOLERANCE:
                out.append((history.index[i].date(), float(ratio[i] - 1.0), k))
                break
    return out


def split_words(k: float) -> str:
    """``≈1/2``, ``≈2/3`` (a 3:2 split), ``≈×2`` (a 1:2 reverse split) ..."""
    if k >= 1:
        return f"≈1/{k:g}" if k != 1.5 else "≈2/3"
    return f"≈×{1 / k:g}" if abs(1 / k - round(1 / k)) < 1e-9 else "≈×3/2"


def spike_flags(history: pd.DataFrame) -> list[tuple[date, float, float]]:
    """``(date, return, next return)`` of one-session spikes (module docstring); the next return is that of the
    next traded session."""
    traded = history["traded"].to_numpy(dtype=bool)
    rows = np.flatnonzero(traded)
    if len(rows) < 2:
        return []
    g = np.log((history["close"] / history["prev_close"]).to_numpy()[rows])
    first, second = g[:-1], g[1:]
    spike = (np.abs(first) >= SPIKE_MOVE) & (np.abs(first + second) <= (1 - SPIKE_UNDONE) * np.abs(first))
    return [
        (history.index[rows[j]].date(), float(np.expm1(first[j])), float(np.expm1(second[j])))
        for j in np.flatnonzero(spike)
    ]


def flagged_sessions(history: pd.DataFrame) -> dict[date, str]:
    """Every flagged session of one ticker, with its words (the notes next to the CARs that include it)."""
    out: dict[date, str] = {}
    for d, r, k in split_flags(history):
        out[d] = f"possible unadjusted split on {d} ({r:+.1%}, {split_words(k)})"
    for d, r, nxt in spike_flags(history):
        out[d] = f"one-session spike on {d} ({r:+.1%}, then {nxt:+.1%})"
    for d in prev_close_breaks(history):
        out.setdefault(d, f"prev_close above the previous close on {d}")
    return out


def prev_close_breaks(history: pd.DataFrame) -> list[date]:
    """Dates whose ``prev_close`` is above the previous row's close (module doc)."""
    if history.attrs.get("prev_close") != EXCHANGE_PREV_CLOSE or len(history) < 2:
        return []
    prev, close = history["prev_close"].to_numpy()[1:], history["close"].to_numpy()[:-1]
    return [d.date() for d in history.index[1:][prev > close * (1.0 + 1e-6) + 1e-9]]


def quality_table(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> pd.DataFrame:
    """One row per ticker over the rows the study loaded (columns :data:`COLUMNS`)."""
    rows = []
    for ticker, history in histories.items():
        limits = limit_closes(history, ticker)
        covered, traded = panel.covered[ticker].to_numpy(), panel.traded[ticker].to_numpy()
        present = (panel.present if panel.present is not None else panel.covered)[ticker].to_numpy()
        rows.append(
            {
                "ticker": ticker,
                "first": history.index[0].date() if len(history) else None,
                "last": history.index[-1].date() if len(history) else None,
                "rows": len(history),
                "no_data": int((covered & ~present).sum()),
                "suspended": int((present & covered & ~traded).sum()),
                "limit_up": int((limits == "up").sum()) if limits is not None else 0,
                "limit_down": int((limits == "down").sum()) if limits is not None else 0,
                "limits_checked": limits is not None,
                "splits": "; ".join(f"{d} {r:+.1%} ({split_words(k)})" for d, r, k in split_flags(history)),
                "spikes": "; ".join(f"{d} {r:+.1%} then {n:+.1%}" for d, r, n in spike_flags(history)),
                "prev_close_breaks": "; ".join(str(d) for d in prev_close_breaks(history)),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def quality_warnings(table: pd.DataFrame) -> list[str]:
    """Console lines for what the table flags (unadjusted splits, spikes, prev_close breaks)."""
    out = []
    for row in table.itertuples(index=False):
        if row.splits:
            out.append(f"{row.ticker}: possible unadjusted split (prev_close not adjusted): {row.splits}")
        if row.spikes:
            out.append(f"{row.ticker}: one-session spike, undone the next session (a mistyped price?): {row.spikes}")
        if row.prev_close_breaks:
            out.append(f"{row.ticker}: prev_close above the previous close (not an ex-date) on {row.prev_close_breaks}")
    return out


def limit_frame(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> pd.DataFrame:
    """Sessions × tickers of "up", "down" or "" (closes at the daily limit, :func:`limit_closes`)."""
    columns = {}
    for ticker, history in histories.items():
        series = limit_closes(history, ticker)
        columns[ticker] = (
            series.reindex(panel.sessions, fill_value="").to_numpy(dtype=object)
            if series is not None
            else np.full(len(panel.sessions), "", dtype=object)
        )
    return pd.DataFrame(columns, index=panel.sessions)


def limit_grid(limits: pd.DataFrame, panel: ReturnsPanel, firm_events: Sequence, rel_days: np.ndarray) -> np.ndarray:
    """``(N, W)`` of "up", "down" or "" for each firm-event's relative days (the engine's axis)."""
    n = len(panel.sessions)
    out = np.full((len(firm_events), len(rel_days)), "", dtype=object)
    for i, fe in enumerate(firm_events):
        pos = panel.position(fe.day0) + rel_days
        inside = (pos >= 0) & (pos < n)
        if fe.ticker in limits:
            out[i, inside] = limits[fe.ticker].to_numpy()[pos[inside]]
    return out


def flag_frame(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> pd.DataFrame:
    """Sessions × tickers of the flags' words ('' where none; :func:`flagged_sessions`)."""
    columns = {}
    for ticker, history in histories.items():
        column = np.full(len(panel.sessions), "", dtype=object)
        for d, words in flagged_sessions(history).items():
            at = panel.sessions.get_indexer([pd.Timestamp(d)])[0]
            if at >= 0:
                column[at] = f"{ticker}: {words}"
        columns[ticker] = column
    return pd.DataFrame(columns, index=panel.sessions)


def flag_grid(
    flags: pd.DataFrame, panel: ReturnsPanel, firm_events: Sequence, rel_days: np.ndarray, benchmark: str
) -> np.ndarray:
    """``(N, W)`` of the flags' words on each firm-event's relative days, the firm's and its benchmark's."""
    grid = limit_grid(flags, panel, firm_events, rel_days)
    if benchmark not in flags:
        return grid
    n = len(panel.sessions)
    column = flags[benchmark].to_numpy()
    for i, fe in enumerate(firm_events):
        pos = panel.position(fe.day0) + rel_days
        inside = np.flatnonzero((pos >= 0) & (pos < n))
        for j in inside[column[pos[inside]] != ""]:
            grid[i, j] = "; ".join(w for w in (grid[i, j], column[pos[j]]) if w)
    return grid


def limit_words(n_up: int, n_down: int) -> str:
    """The report's note on a CAR whose returns include closes at the daily limit."""
    parts = [f"{n} limit-{kind} close{'s' if n != 1 else ''}" for n, kind in ((n_up, "up"), (n_down, "down")) if n]
    return f"includes {' and '.join(parts)}: the reaction may be understated" if parts else ""
