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

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from ..errors import DataError
from .histories import EXCHANGE_PREV_CLOSE, StackedRows, stacked
from .returns import ReturnsPanel

CHINEXT_20PCT_FROM = pd.Timestamp("2020-08-24")
SPLIT_RATIOS = (2.0, 1.5, 3.0, 4.0, 5.0, 10.0, 0.5, 2 / 3, 1 / 3, 0.25, 0.2, 0.1)  # new shares per old share
SPLIT_TOLERANCE = 0.05
SPLIT_VOLUME = 3.0  # a split day trades at most this multiple of the median volume of the sessions before
SPLIT_VOLUME_SESSIONS = 20
SPIKE_MOVE = np.log(1.20)  # a one-session move of at least 20 % ...
SPIKE_UNDONE = 0.75  # ... undone by at least three quarters the next traded session

COLUMNS = [
    "ticker", "first", "last", "rows", "no_data", "suspended", "limit_up", "limit_down", "limits_checked",
    "splits", "spikes", "prev_close_breaks",
]  # fmt: skip
UP, DOWN = 1, 2  # limit marks (0: neither)
LIMIT_WORDS = np.array(["", "up", "down"], dtype=object)


def _board(ticker: str) -> tuple[float, float] | None:
    """An A-share's daily limit before and from :data:`CHINEXT_20PCT_FROM` (module docstring); None: not one."""
    code, _, suffix = ticker.upper().partition(".")
    if not (code.isdigit() and len(code) == 6):
        return None
    if suffix == "SS" and code[:3] in ("688", "689"):
        return 0.20, 0.20
    if suffix == "SS" and code[:3] in ("600", "601", "603", "605"):
        return 0.10, 0.10
    if suffix == "SZ" and code[:3] in ("300", "301"):
        return 0.10, 0.20
    if suffix == "SZ" and code[:3] in ("000", "001", "002", "003"):
        return 0.10, 0.10
    return None


def limit_rates(ticker: str, dates: pd.DatetimeIndex) -> np.ndarray | None:
    """The daily price limit of an A-share on each date (a fraction), or None when the ticker is not one."""
    board = _board(ticker)
    if board is None:
        return None
    return np.where(pd.DatetimeIndex(dates) >= CHINEXT_20PCT_FROM, board[1], board[0])


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


def _one(history: pd.DataFrame, ticker: str = "") -> StackedRows:
    return stacked({ticker: history}).rows


# -- the rules, on every ticker's rows at once (StackedRows, eventstudy.data.histories) ---------------------------
def limit_marks(rows: StackedRows) -> tuple[np.ndarray, np.ndarray]:
    """Per row, :data:`UP` / :data:`DOWN` for a traded close at the daily limit price (else 0), and per ticker
    whether its limits are checked (an A-share whose ``prev_close`` is the exchange's; module docstring)."""
    if "limits" in rows.memo:
        return rows.memo["limits"]  # type: ignore[return-value]
    boards = [_board(t) for t in rows.tickers]
    checked = np.array([b is not None for b in boards], dtype=bool) & rows.exchange
    if not checked.any():
        rows.memo["limits"] = np.zeros(len(rows.code), dtype=np.int8), checked
        return rows.memo["limits"]  # type: ignore[return-value]
    before = np.array([b[0] if b is not None else np.nan for b in boards])
    after = np.array([b[1] if b is not None else np.nan for b in boards])
    code = rows.code
    late = rows.stamps >= rows.stamp(CHINEXT_20PCT_FROM)[0]
    rates = np.where(late, after[code], before[code])
    on = rows.traded & checked[code]
    prev, close = rows.prev_close, rows.close
    up = on & (np.abs(close - _cents(prev * (1.0 + rates))) < 5e-4)
    down = on & (np.abs(close - _cents(prev * (1.0 - rates))) < 5e-4)
    rows.memo["limits"] = np.where(up, UP, np.where(down, DOWN, 0)).astype(np.int8), checked
    return rows.memo["limits"]  # type: ignore[return-value]


def split_rows(rows: StackedRows) -> list[tuple[int, float]]:
    """``(row, k)`` of the traded sessions that look like an unadjusted split of ``k`` new shares per old one
    (module docstring), in row order."""
    if "splits" in rows.memo:
        return rows.memo["splits"]  # type: ignore[return-value]
    ratio = rows.close / rows.prev_close
    # Every split ratio lies below 1.05 / 1.5 or above 0.95 / (2/3): the others cannot be near one.
    candidates = np.flatnonzero((ratio < 0.71) | (ratio > 1.42))
    candidates = candidates[rows.traded[candidates]]
    near = np.zeros(len(candidates), dtype=bool)
    for k in SPLIT_RATIOS:  # NaN: False
        near |= np.abs(ratio[candidates] * k - 1.0) <= SPLIT_TOLERANCE
    out = []
    for i in candidates[near]:  # the few candidates only
        lo = rows.bounds[rows.code[i]]
        trades = lo + np.flatnonzero(rows.traded[lo:i])  # the ticker's traded sessions before this one
        before = rows.volume[trades][-SPLIT_VOLUME_SESSIONS:]
        usual = np.nanmedian(before) if np.isfinite(before).any() else np.nan
        if np.isfinite(rows.volume[i]) and usual > 0 and rows.volume[i] > SPLIT_VOLUME * usual:
            continue  # heavy trading: news, not a split
        for k in SPLIT_RATIOS:
            if abs(ratio[i] * k - 1.0) <= SPLIT_TOLERANCE:
                out.append((int(i), k))
                break
    rows.memo["splits"] = out
    return out


def spike_rows(rows: StackedRows) -> list[tuple[int, float, float]]:
    """``(row, return, next return)`` of one-session spikes (module docstring); the next return is that of the
    ticker's next traded session."""
    if "spikes" in rows.memo:
        return rows.memo["spikes"]  # type: ignore[return-value]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = rows.close / rows.prev_close
    # |log r| ≥ SPIKE_MOVE only where r lies outside (e^−m, e^m): the logs are taken of those few trades (the band
    # narrowed by a margin, so that the exact test below decides every case at the bound) and of the trade after each.
    bound = np.exp(SPIKE_MOVE) * (1.0 - 1e-9)
    at = np.flatnonzero(~((ratio > 1.0 / bound) & (ratio < bound)))  # (NaN among them: the test says no)
    at = at[rows.traded[at]]
    trades = np.flatnonzero(rows.traded)
    after = np.searchsorted(trades, at) + 1  # the next trade's place among the trades
    at, nxt = at[after < len(trades)], trades[after[after < len(trades)]]
    first, second = np.log(ratio[at]), np.log(ratio[nxt])
    same = rows.code[at] == rows.code[nxt]
    spike = same & (np.abs(first) >= SPIKE_MOVE) & (np.abs(first + second) <= (1 - SPIKE_UNDONE) * np.abs(first))
    out = [(int(at[k]), float(np.expm1(first[k])), float(np.expm1(second[k]))) for k in np.flatnonzero(spike)]
    rows.memo["spikes"] = out
    return out


def break_rows(rows: StackedRows) -> np.ndarray:
    """Rows whose ``prev_close`` is above the previous row's close, of tickers with the exchange's prev_close."""
    if "breaks" in rows.memo:
        return rows.memo["breaks"]  # type: ignore[return-value]
    code = rows.code
    if len(code) < 2:
        return np.empty(0, dtype=np.int64)
    at = np.flatnonzero(rows.prev_close[1:] > rows.close[:-1] * (1.0 + 1e-6) + 1e-9) + 1  # (few) the rows above
    rows.memo["breaks"] = at[(code[at] == code[at - 1]) & rows.exchange[code[at]]]  # ... within a ticker
    rows.memo["breaks"].setflags(write=False)  # type: ignore[attr-defined]
    return rows.memo["breaks"]  # type: ignore[return-value]


def flag_words(rows: StackedRows) -> dict[int, str]:
    """Every flagged row, with its words (the notes next to the CARs that include it): a possible unadjusted
    split, a one-session spike (which wins on the same day), a prev_close break."""
    out: dict[int, str] = {}
    for i, k in split_rows(rows):
        out[i] = (
            f"possible unadjusted split on {_day(rows, i)} ({rows.close[i] / rows.prev_close[i] - 1.0:+.1%}, {split_words(k)})"
        )
    for i, r, nxt in spike_rows(rows):
        out[i] = f"one-session spike on {_day(rows, i)} ({r:+.1%}, then {nxt:+.1%})"
    for i in break_rows(rows):
        out.setdefault(int(i), f"prev_close above the previous close on {_day(rows, i)}")
    return out


def _day(rows: StackedRows, i: int) -> date:
    return pd.Timestamp(rows.date[i]).date()


# -- one ticker ---------------------------------------------------------------------------------------------------
def limit_closes(history: pd.DataFrame, ticker: str) -> pd.Series | None:
    """``"up"``, ``"down"`` or ``""`` per row of ``history``; None when limits cannot be checked (module doc)."""
    marks, checked = limit_marks(_one(history, ticker))
    if not checked[0]:
        return None
    return pd.Series(LIMIT_WORDS[marks].astype(str), index=history.index, name=ticker)


def split_flags(history: pd.DataFrame) -> list[tuple[date, float, float]]:
    """``(date, return, k)`` of the traded sessions that look like an unadjusted split of ``k`` new shares per old
    one (``k`` < 1: a reverse split), module docstring."""
    rows = _one(history)
    return [(_day(rows, i), float(rows.close[i] / rows.prev_close[i] - 1.0), k) for i, k in split_rows(rows)]


def split_words(k: float) -> str:
    """``≈1/2``, ``≈2/3`` (a 3:2 split), ``≈×2`` (a 1:2 reverse split) ..."""
    if k >= 1:
        return f"≈1/{k:g}" if k != 1.5 else "≈2/3"
    return f"≈×{1 / k:g}" if abs(1 / k - round(1 / k)) < 1e-9 else "≈×3/2"


def spike_flags(history: pd.DataFrame) -> list[tuple[date, float, float]]:
    """``(date, return, next return)`` of one-session spikes (module docstring); the next return is that of the
    next traded session."""
    rows = _one(history)
    return [(_day(rows, i), r, nxt) for i, r, nxt in spike_rows(rows)]


def flagged_sessions(history: pd.DataFrame) -> dict[date, str]:
    """Every flagged session of one ticker, with its words (the notes next to the CARs that include it)."""
    rows = _one(history)
    return {_day(rows, i): words for i, words in sorted(flag_words(rows).items())}


def prev_close_breaks(history: pd.DataFrame) -> list[date]:
    """Dates whose ``prev_close`` is above the previous row's close (module doc)."""
    rows = _one(history)
    return [_day(rows, i) for i in break_rows(rows)]


# -- every ticker of a study: the data-quality table (the sessions × tickers frames and firm-event grids of the
# flags and limit closes: eventstudy.data.session_cells) -----------------------------------------------------------
def quality_table(histories: Mapping[str, pd.DataFrame], panel: ReturnsPanel) -> pd.DataFrame:
    """One row per ticker over the rows the study loaded (columns :data:`COLUMNS`), in the order of the panel's
    columns."""
    rows = stacked(histories).rows
    bounds, n = rows.bounds, len(rows.tickers)
    sizes = np.diff(bounds)
    columns = panel.covered.columns.get_indexer(list(rows.tickers))
    covered, traded = panel.covered.to_numpy()[:, columns], panel.traded.to_numpy()[:, columns]
    present = (panel.present if panel.present is not None else panel.covered).to_numpy()[:, columns]
    marks, checked = limit_marks(rows)
    count = {m: np.bincount(rows.code[marks == m], minlength=n) for m in (UP, DOWN)}
    texts: dict[str, list[list[str]]] = {c: [[] for _ in range(n)] for c in ("splits", "spikes", "prev_close_breaks")}
    for i, k in split_rows(rows):
        texts["splits"][rows.code[i]].append(
            f"{_day(rows, i)} {rows.close[i] / rows.prev_close[i] - 1.0:+.1%} ({split_words(k)})"
        )
    for i, r, nxt in spike_rows(rows):
        texts["spikes"][rows.code[i]].append(f"{_day(rows, i)} {r:+.1%} then {nxt:+.1%}")
    for i in break_rows(rows):
        texts["prev_close_breaks"][rows.code[i]].append(str(_day(rows, i)))
    days = rows.date.astype("datetime64[D]")
    return (
        pd.DataFrame(
            {
                "ticker": list(rows.tickers),
                "first": [days[bounds[k]].item() if sizes[k] else None for k in range(n)],
                "last": [days[bounds[k + 1] - 1].item() if sizes[k] else None for k in range(n)],
                "rows": sizes.tolist(),
                "no_data": (covered & ~present).sum(axis=0).tolist(),
                "suspended": (present & covered & ~traded).sum(axis=0).tolist(),
                "limit_up": np.where(checked, count[UP], 0).tolist(),
                "limit_down": np.where(checked, count[DOWN], 0).tolist(),
                "limits_checked": checked.tolist(),
                **{c: ["; ".join(parts) for parts in t] for c, t in texts.items()},
            },
            columns=COLUMNS,
        )
        .iloc[np.argsort(columns, kind="stable")]
        .reset_index(drop=True)
    )


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


def limit_words(n_up: int, n_down: int) -> str:
    """The report's note on a CAR whose returns include closes at the daily limit."""
    parts = [f"{n} limit-{kind} close{'s' if n != 1 else ''}" for n, kind in ((n_up, "up"), (n_down, "down")) if n]
    return f"includes {' and '.join(parts)}: the reaction may be understated" if parts else ""
