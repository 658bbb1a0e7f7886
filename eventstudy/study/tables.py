"""The per-firm-event tables of a study (``car.csv``, ``ar.csv``, the suspensions), built from the engine's
abnormal returns and the returns panel of one market group; :mod:`eventstudy.study.analysis` sequences them.

Every table is built over ``(N, W)`` arrays (firm-events × relative days) at once; Python touches a row only to
write the words of a note that applies to it (a data flag, an incomplete window, a suspension).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.quality import DOWN, LIMIT_WORDS, UP
from ..data.returns import ReturnsPanel
from ..data.session_cells import GridCells
from ..model.engine import AbnormalReturns
from .coverage import BenchmarkGap, completeness_columns, day0_positions, iso_dates, ticker_columns

HALT_COLUMNS = ["event_id", "ticker", "first", "last", "first_rel", "last_rel", "sessions", "resumed", "span"]


def flagged(cells: np.ndarray) -> str:
    """The words of the data flags in ``cells`` (a firm-event's flag cells, :func:`~eventstudy.data.session_cells.flag_grid`;
    each ``''`` or words joined by ``; ``), each once, in order, joined by ``; ``."""
    return "; ".join(dict.fromkeys(w for cell in cells for w in str(cell).split("; ") if w))


def flag_words(flags: GridCells, days: np.ndarray) -> np.ndarray:
    """Per firm-event (row of the grid ``flags``, :func:`~eventstudy.data.session_cells.flag_grid`),
    :func:`flagged` over its cells in ``days`` (``(N, W)`` boolean); ``''`` for the many firm-events without a
    flag there. Only the cells that hold words are read."""
    out = np.full(flags.shape[0], "", dtype=object)
    keep = days[flags.row, flags.col]
    rows, words = flags.row[keep], flags.words[keep]  # (row-major: each firm-event's days in order)
    if len(rows):
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(rows)], strict=True):  # the flagged firm-events only
            out[rows[a]] = flagged(words[a:b])
    return out


def _join_notes(*columns: np.ndarray) -> list[str]:
    """Row by row, the non-empty strings of ``columns`` joined by ``; `` (a row whose strings are all empty: ``''``)."""
    out = np.asarray(columns[0], dtype=object).copy()
    if len(columns) > 1:
        rest = np.column_stack(columns[1:])
        for i in np.flatnonzero((rest != "").any(axis=1)):  # only the rows with more to say
            out[i] = "; ".join(x for x in (out[i], *rest[i]) if x)
    return out.tolist()


def car_table(
    ab: AbnormalReturns,
    panel: ReturnsPanel,
    windows: tuple[tuple[int, int], ...],
    gaps: list[BenchmarkGap],
    limits: np.ndarray,
    flags: GridCells | None = None,
) -> pd.DataFrame:
    """``car.csv``: per firm-event and window the CAR over the returns overlapping the window, ``complete``, the
    closes at the daily price limit among those returns (``limit_up``, ``limit_down``; ``limits`` is the
    :func:`~eventstudy.data.session_cells.limit_grid`) and a ``note`` saying why a figure is missing or partial (benchmark
    gap, data ending inside the window) or rests on a flagged session of the firm or its benchmark (``flags``,
    :func:`~eventstudy.data.session_cells.flag_grid`: a possible unadjusted split, a one-session spike)."""
    car = pd.concat([ab.car(w) for w in windows], ignore_index=True)
    complete, notes = completeness_columns(panel, ab, windows)
    car["complete"] = complete
    has_ar = np.isfinite(ab.ar)
    counted = [ab.overlap(w) & has_ar for w in windows]
    # Only the relative days some window counts can hold its limit closes and flags: compare those columns only.
    some = np.flatnonzero(np.logical_or.reduce([c.any(axis=0) for c in counted])) if counted else np.zeros(0, int)
    near = slice(int(some[0]), int(some[-1]) + 1) if len(some) else slice(0, 0)
    up, down = limits[:, near] == UP, limits[:, near] == DOWN
    car["limit_up"] = np.concatenate([(c[:, near] & up).sum(axis=1) for c in counted])
    car["limit_down"] = np.concatenate([(c[:, near] & down).sum(axis=1) for c in counted])
    car["note"] = notes
    if flags is not None and len(flags.row):  # data flags (a possible unadjusted split, a spike) among the
        # returns the CAR counts, and among the estimation returns, which set the normal return and the CAR's
        # standard error
        in_fit = flag_words(flags, ab.estimation & has_ar)
        words = np.concatenate([flag_words(flags, c) for c in counted])
        fit = np.tile(in_fit, len(windows))
        car["note"] = _join_notes(
            np.asarray(notes, dtype=object),
            np.where(words != "", "data flag: " + words, ""),
            np.where(fit != "", "data flag in the estimation window: " + fit, ""),
        )
    if gaps:
        keys = pd.MultiIndex.from_arrays([car["event_id"], car["ticker"]])
        described = {(g.event_id, g.ticker): g.describe() for g in gaps}  # the last gap of a firm-event says it
        rows = keys.isin(list(described))
        car.loc[rows, ["car", "car_se", "car_t", "car_p", "bhar"]] = np.nan
        # the gap first (why the row has no figure), then what else the row's own note says: a window the firm's
        # own data do not reach (an event past the end of its prices) is not only the benchmark's problem
        own = car.loc[rows, "note"].to_numpy(dtype=object)
        car.loc[rows, "note"] = [
            f"{described[k]}; {n}" if n else described[k] for k, n in zip(keys[rows], own, strict=True)
        ]
    return car


def halts_table(ab: AbnormalReturns, panel: ReturnsPanel, window: tuple[int, int]) -> pd.DataFrame:
    """Suspensions (runs of covered, non-traded sessions) of each firm-event within ``window``: a run that starts
    before the window is cut at its first day; one that runs past it is followed to its end."""
    n = len(panel.sessions)
    day0 = day0_positions(panel, ab.firm_events)
    if not len(day0) or not n:
        return pd.DataFrame([], columns=HALT_COLUMNS)
    cols = ticker_columns(panel.traded, ab.firm_events)
    tickers, column = np.unique(cols, return_inverse=True)
    traded = panel.traded.to_numpy(dtype=bool)[:, tickers]
    # A suspension is a row that says no trade; a session without a row is "no data", not a suspension.
    rows = (panel.present if panel.present is not None else panel.covered).to_numpy(dtype=bool)[:, tickers]
    halted = rows & ~traded
    lo, hi = np.maximum(day0 + window[0], 0), np.minimum(day0 + window[1], n - 1)
    width = window[1] - window[0] + 1
    pos = lo[:, None] + np.arange(max(width, 0))[None, :]
    inside = pos <= hi[:, None]
    safe = np.minimum(pos, n - 1)
    here = inside & halted[safe, column[:, None]]
    before = np.where(pos > lo[:, None], halted[np.maximum(safe - 1, 0), column[:, None]], False)
    event, k = np.nonzero(here & ~before)  # a run starts here: at the window's first day or after a non-halt
    if not len(event):
        return pd.DataFrame([], columns=HALT_COLUMNS)
    start = safe[event, k]
    # Each run ends before the ticker's next session that is not a halt (followed past the window): searched among
    # the cells that are not halts, numbered column by column (cell = column·n + session), from the run's start.
    opens = np.flatnonzero(~halted.ravel(order="F"))
    base = column[event].astype(np.int64) * n
    found = np.searchsorted(opens, base + start)
    nxt = opens[np.minimum(found, len(opens) - 1)] if len(opens) else np.zeros(len(start), dtype=np.int64)
    end = np.where((found < len(opens)) & (nxt < base + n), nxt - base, n) - 1
    resumed = end + 1
    has_resumed = resumed < n
    has_resumed[has_resumed] = traded[resumed[has_resumed], column[event][has_resumed]]
    dates = np.asarray(panel.sessions.date, dtype=object)
    spans = panel.span.to_numpy()
    firm_events = ab.firm_events
    return pd.DataFrame(
        {
            "event_id": [firm_events[int(i)].event_id for i in event],
            "ticker": [firm_events[int(i)].ticker for i in event],
            "first": dates[start].tolist(),
            "last": dates[end].tolist(),
            "first_rel": (start - day0[event]).tolist(),
            "last_rel": (end - day0[event]).tolist(),
            "sessions": (end - start + 1).tolist(),
            "resumed": [dates[r] if ok else None for r, ok in zip(resumed, has_resumed, strict=True)],
            "span": [
                int(spans[r, cols[i]]) if ok else None for r, i, ok in zip(resumed, event, has_resumed, strict=True)
            ],
        },
        columns=HALT_COLUMNS,
    )


def string_column(values: object) -> pd.api.extensions.ExtensionArray:
    """``values`` as the column pandas makes of them (its string dtype): converted once, then taken by position."""
    return pd.Series(np.asarray(values, dtype=object)).array


def label_column(values: object, at: np.ndarray) -> pd.Categorical:
    """The texts ``values`` taken at the positions ``at``, as a categorical column: the labels a long table repeats
    (event ids, tickers, dates) held once each with a small integer code per row, not a string per row (a
    50,000-firm-event study's ar.csv and volume.csv rows: ~0.25 GB of strings). The categories are the distinct
    texts taken, in text order, so the column sorts, compares and is written (CSV, JSON) as the texts themselves."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object).astype(str), sort=True)  # (the distinct sorted)
    labels = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
    return pd.Categorical.from_codes(codes[np.asarray(at)], categories=labels).remove_unused_categories()


def as_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its :func:`label_column` columns as text columns: what the Python API hands out, a
    table a user may write any text into (a categorical column refuses a text that is not one of its labels)."""
    labelled = {c: "str" for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    return frame.astype(labelled) if labelled else frame.copy()


def concat_labelled(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``frames`` (tables of the same columns, one per market group) one after the other; a
    :func:`label_column` stays categorical, on the union of the parts' labels (pandas would make texts of the
    labels of parts whose categories differ)."""
    labelled = [c for c in frames[0].columns if isinstance(frames[0][c].dtype, pd.CategoricalDtype)] if frames else []
    if len(frames) > 1 and labelled:
        union = {c: sorted(set().union(*(f[c].cat.categories for f in frames))) for c in labelled}
        frames = [f.assign(**{c: f[c].cat.set_categories(union[c]) for c in labelled}) for f in frames]
    return pd.concat(frames, ignore_index=True)


def python_texts(values, n: int | None = None) -> pd.Series:
    """A text column kept as Python strings (``values``, or one value ``n`` times) in a table built of parts (the
    confounder screen's rows) until the whole is made: pandas 3 would make each part's texts Arrow strings, and the
    parts' concatenation and sort then convert and take them again (~0.5 s at 50,000 firm-events, 265,000 rows)."""
    return pd.Series([values] * n if n is not None else values, dtype=object)


def ar_table(ab: AbnormalReturns, panel: ReturnsPanel, path: tuple[int, int], limits: np.ndarray) -> pd.DataFrame:
    """``ar.csv``: per firm-event and day of the daily ``path``, its date, abnormal return, ``traded`` (0 on a
    session without a trade) and ``limit`` (a close at the daily price limit: ``up`` / ``down``; ``limits`` the
    codes of :func:`~eventstudy.data.session_cells.limit_grid`)."""
    days = ab.days(path)
    rel = ab.rel_days[days]
    n_fe, n = len(ab.firm_events), len(panel.sessions)
    day0 = day0_positions(panel, ab.firm_events)
    pos = day0[:, None] + rel[None, :]
    inside = (pos >= 0) & (pos < n)
    safe = np.clip(pos, 0, max(n - 1, 0))
    iso = np.append(iso_dates(panel.sessions), "")  # the last: a day off the axis
    traded = panel.traded.to_numpy(dtype=bool)[safe, ticker_columns(panel.traded, ab.firm_events)[:, None]] & inside
    each = np.repeat(np.arange(n_fe), len(rel))  # (the strings converted once per firm-event or date, then taken)
    return pd.DataFrame(
        {
            "event_id": label_column([fe.event_id for fe in ab.firm_events], each),
            "ticker": label_column([fe.ticker for fe in ab.firm_events], each),
            "rel_day": np.tile(rel, n_fe),
            "date": label_column(iso, np.where(inside, safe, n).ravel()),
            "ar": ab.ar[:, days].ravel(),
            "traded": traded.astype(int).ravel(),
            "limit": label_column(LIMIT_WORDS, limits[:, days].ravel()),
        },
        copy=False,  # (each column an array made here, `ab.ar`'s days taken by a mask: a copy; not copied again)
    )  # fmt: skip
