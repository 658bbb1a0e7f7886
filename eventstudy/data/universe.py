"""A whole exchange's daily bars → one sessions × tickers :class:`~eventstudy.data.returns.ReturnsPanel`.

The universe file (``szse-universe-2015-2022.parquet``: date, ticker, close, prev_close, volume, traded, sorted
by ticker then date) is read with column pruning — ``volume`` is never loaded — and scattered into matrices
with numpy index arithmetic; there is no per-ticker Python loop. The result follows exactly the conventions of
:func:`eventstudy.data.returns.security_returns` (trade-to-trade returns, spans, traded / covered masks, levels),
column by column, so the engine treats it like any study panel.

The session axis is the set of dates present in the file (every listed stock shares the exchange calendar).
An equal-weighted index of the stocks traded on each session is added as the benchmark column ``EW_SZSE``:
its return on session ``t`` is the mean of the single-session returns (span 1) ending on ``t`` — multi-session
returns after a halt are left out, since they do not belong to one session — and its level is their compounded
product, with every session covered, traded and of span 1. New listings are left out of the index for their
first ``NEW_LISTING_SESSIONS`` (60) sessions: on the SZSE a new stock rises by the daily limit for days or
weeks, which lifts an equal-weighted index that the placebo's firms (which need a year of history) never
share, and biases their BHARs down (Lyon, Barber & Tsai 1999, sec. I.A: new-listing bias). A stock whose first
row is the file's first session is not a new listing.

There is no default file: the package does not know where a universe lives (``eventstudy placebo`` takes
``--universe`` or ``$EVENTSTUDY_UNIVERSE``). A file that is not parquet, or lacks a column or has one of the
wrong type, is refused with a one-line :class:`~eventstudy.errors.DataError` naming the file and the column.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .free_memory import release_free_memory
from .returns import ReturnsPanel, trade_to_trade

EW_BENCHMARK = "EW_SZSE"
COLUMNS = ["date", "ticker", "close", "prev_close", "traded"]
NEW_LISTING_SESSIONS = 60  # sessions after listing during which a stock is left out of EW_SZSE


def __getattr__(name: str) -> Any:
    if name == "DEFAULT_UNIVERSE":  # removed: it pointed into the source checkout's parent, not a place an install has
        raise ImportError(
            "eventstudy.data.universe.DEFAULT_UNIVERSE was removed: pass the file (bench.SZSE_UNIVERSE in the repository, "
            "or $EVENTSTUDY_UNIVERSE)"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_schema(path: Path) -> None:
    """Refuse, in one line, a file that is not parquet or whose columns are not a universe's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: not a parquet universe file ({reason})") from None
    types = pa.types
    expected = {
        "date": ("a date or timestamp", lambda t: types.is_timestamp(t) or types.is_date(t)),
        "ticker": ("strings", lambda t: types.is_string(t) or types.is_large_string(t)
                   or (types.is_dictionary(t) and (types.is_string(t.value_type) or types.is_large_string(t.value_type)))),
        "close": ("numbers", lambda t: types.is_floating(t) or types.is_integer(t)),
        "prev_close": ("numbers", lambda t: types.is_floating(t) or types.is_integer(t)),
        "traded": ("booleans or 0/1 integers", lambda t: types.is_boolean(t) or types.is_integer(t)),
    }  # fmt: skip
    for column, (wanted, ok) in expected.items():
        index = schema.get_field_index(column)
        if index < 0:
            raise DataError(f"{path}: column {column!r} missing (a universe has {', '.join(COLUMNS)})")
        if not ok(schema.field(index).type):
            raise DataError(f"{path}: column {column!r} has type {schema.field(index).type}, expected {wanted}")


@dataclass(frozen=True)
class Universe:
    """The panel (firms plus the ``EW_SZSE`` column) with numpy views of its matrices for fast indexing."""

    panel: ReturnsPanel
    tickers: pd.Index  # firm tickers (benchmark excluded), in panel column order
    first: np.ndarray  # (T,) first covered session position per firm
    last: np.ndarray  # (T,) last covered session position per firm
    rows: int  # rows read from the file
    load_seconds: float

    @property
    def sessions(self) -> pd.DatetimeIndex:
        return self.panel.sessions

    @property
    def nbytes(self) -> int:
        """Bytes held by the panel's matrices."""
        p = self.panel
        return int(sum(f.to_numpy().nbytes for f in (p.returns, p.span, p.traded, p.covered, p.level)))


def equal_weighted(
    returns: np.ndarray, span: np.ndarray, first: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean single-session return per session (NaN-free: 0 where no stock traded) and its level; with ``first``
    (each stock's first session), stocks listed after the first session are left out for their first
    :data:`NEW_LISTING_SESSIONS` sessions."""
    single = span == 1
    if first is not None:
        age = np.arange(span.shape[0])[:, None] - first[None, :]
        single &= ~((first[None, :] > 0) & (age < NEW_LISTING_SESSIONS))
    count = single.sum(axis=1)
    total = np.where(single, returns, 0.0).sum(axis=1)
    r = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return r, np.cumprod(1.0 + r)


def load_universe(path: str | Path, start=None, end=None) -> Universe:
    """Read the universe parquet (pruned to the needed columns) and build the panel with ``EW_SZSE``."""
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: universe file not found")
    _check_schema(path)
    filters = []
    if start is not None:
        filters.append(("date", ">=", pd.Timestamp(start)))
    if end is not None:
        filters.append(("date", "<=", pd.Timestamp(end)))
    table = pq.read_table(path, columns=COLUMNS, filters=filters or None)
    n_rows = table.num_rows
    if n_rows == 0:
        raise DataError(f"{path}: no rows")
    dates = table.column("date").to_numpy().astype("datetime64[ns]")
    ticker_col = table.column("ticker").combine_chunks()
    if hasattr(ticker_col, "dictionary"):
        names = np.asarray(ticker_col.dictionary.to_pylist(), dtype=object)
        codes = ticker_col.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        names, codes = np.unique(ticker_col.to_numpy(zero_copy_only=False), return_inverse=True)
    close = table.column("close").to_numpy()
    prev = table.column("prev_close").to_numpy()
    traded_row = table.column("traded").to_numpy().astype(bool)
    del table, ticker_col

    # Only tickers present, in sorted order; rows sorted by (ticker, date) whatever the file's order.
    used, t_code = np.unique(codes, return_inverse=True)
    tickers = pd.Index(names[used].astype(str), name="ticker")
    sessions, s_pos = np.unique(dates, return_inverse=True)
    order = np.lexsort((s_pos, t_code))
    if not (np.diff(order) == 1).all():
        t_code, s_pos, close, prev, traded_row = (a[order] for a in (t_code, s_pos, close, prev, traded_row))
    dup = (np.diff(t_code) == 0) & (np.diff(s_pos) == 0)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataError(f"{path}: duplicate row for {tickers[t_code[i]]} on {pd.Timestamp(sessions[s_pos[i]]).date()}")
    n_s, n_t = len(sessions), len(tickers)
    m = trade_to_trade(s_pos, t_code, close, prev, traded_row, n_s, n_t)
    del close, prev, traded_row, s_pos, t_code, dates

    bench_r, bench_level = equal_weighted(m["returns"], m["span"], m["first"])
    axis = pd.DatetimeIndex(sessions, name="date")
    columns = pd.Index([*tickers, EW_BENCHMARK], name="ticker")

    def frame(matrix: np.ndarray, extra: np.ndarray) -> pd.DataFrame:
        full = np.empty((n_s, n_t + 1), dtype=matrix.dtype, order="F")  # each series contiguous
        full[:, :n_t] = matrix
        full[:, n_t] = extra
        return pd.DataFrame(full, index=axis, columns=columns, copy=False)

    ones = np.ones(n_s, dtype=bool)
    m_first, m_last = m.pop("first"), m.pop("last")
    panel = ReturnsPanel(
        sessions=axis,
        returns=frame(m.pop("returns"), bench_r),
        span=frame(m.pop("span"), np.ones(n_s, dtype=np.int64)),
        traded=frame(m.pop("traded"), ones),
        covered=frame(m.pop("covered"), ones),
        level=frame(m.pop("level"), bench_level),
    )
    del m
    release_free_memory()  # the file's columns and the sort's copies: ~180 MB the process would keep (below)
    return Universe(panel, tickers, m_first, m_last, n_rows, time.perf_counter() - t0)


def write_synthetic_universe(
    path: str | Path, n_tickers: int = 40, n_sessions: int = 700, seed: int = 0, start: str = "2018-01-02"
) -> Path:
    """Write a small universe file in the SZSE layout (for tests and demos without the real data).

    One-factor returns (β around 1, idiosyncratic sd 2 %), staggered listings and delistings, and suspensions
    (close = prev_close, volume 0) after which the first traded row's ``prev_close`` is the last close.
    """
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_sessions)
    market = rng.normal(0.0003, 0.012, n_sessions)
    frames = []
    for i in range(n_tickers):
        lo = 0 if i % 4 else int(rng.integers(0, n_sessions // 3))
        hi = n_sessions if i % 5 else int(rng.integers(2 * n_sessions // 3, n_sessions))
        n = hi - lo
        r = 0.0002 + rng.uniform(0.6, 1.4) * market[lo:hi] + rng.normal(0.0, 0.02, n)
        traded = rng.random(n) > 0.03
        if n > 50:
            halt = int(rng.integers(10, n - 10))
            traded[halt : halt + int(rng.integers(1, 6))] = False
        traded[0] = True
        close = np.empty(n)
        prev = np.empty(n)
        last = 10.0 + i
        growth = 1.0
        for t in range(n):
            growth *= 1.0 + r[t]
            if traded[t]:
                prev[t], close[t] = last, last * growth
                last, growth = close[t], 1.0
            else:
                prev[t] = close[t] = last
        frames.append(
            pd.DataFrame(
                {
                    "date": dates[lo:hi],
                    "ticker": f"{i:06d}.SZ",
                    "close": close.round(6),
                    "prev_close": prev.round(6),
                    "volume": np.where(traded, 1000, 0).astype(np.int64),
                    "traded": traded.astype(np.int8),
                }
            )  # fmt: skip
        )
    data = pd.concat(frames, ignore_index=True)
    data["ticker"] = data["ticker"].astype("category")
    data["date"] = data["date"].astype("datetime64[ms]")
    path = Path(path)
    data.to_parquet(path, index=False)
    return path
