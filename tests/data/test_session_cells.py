"""Limit closes and data flags on a study's axes (eventstudy/data/session_cells.py): the sessions × tickers tables
and the firm-event grids, against the one-ticker functions of eventstudy/data/quality.py."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from eventstudy.data import open_provider
from eventstudy.data.calendar import sessions
from eventstudy.data.quality import LIMIT_WORDS, flagged_sessions, limit_closes, quality_table
from eventstudy.data.returns import returns_panel
from eventstudy.data.session_cells import (
    SessionCells,
    flag_cells,
    flag_frame,
    flag_grid,
    limit_cells,
    limit_frame,
    limit_grid,
)
from eventstudy.model.engine import FirmEvent


def test_frames_and_grids_of_all_tickers_are_those_of_one_ticker_at_a_time():
    provider = open_provider("snapshot")
    tickers = ["002415.SZ", "300188.SZ", "002230.SZ", "002236.SZ", "000001.SS", "399106.SZ"]
    axis = sessions("XSHG", pd.Timestamp("2019-01-02"), pd.Timestamp("2020-12-31"))
    histories = {t: provider.history(t, date(2019, 1, 2), date(2020, 12, 31)) for t in tickers}
    histories["002236.SZ"] = histories["002236.SZ"].copy()  # plant a spike: a close ×1.5 for one session
    histories["002236.SZ"].iloc[100, 0] *= 1.5
    histories["002236.SZ"].iloc[101, 1] *= 1.5
    panel = returns_panel(histories, axis, benchmarks=("399106.SZ",))
    limits, flags = limit_frame(histories, panel), flag_frame(histories, panel)
    assert (limits.to_numpy() != "").sum() > 0 and (flags.to_numpy() != "").sum() > 0
    backwards = {t: histories[t] for t in reversed(tickers)}  # the same tickers stacked in another order
    assert limit_frame(backwards, panel).equals(limits) and flag_frame(backwards, panel).equals(flags)
    assert quality_table(backwards, panel)["ticker"].tolist() == tickers  # the panel's order
    for t, h in histories.items():
        one = limit_closes(h, t)
        expected = one.reindex(axis, fill_value="").tolist() if one is not None else [""] * len(axis)
        assert limits[t].tolist() == expected
        words = {pd.Timestamp(d): f"{t}: {w}" for d, w in flagged_sessions(h).items()}
        assert flags[t].tolist() == [words.get(d, "") for d in axis]
    events = [FirmEvent("e", t, t, axis[k]) for t in [*tickers[:5], "ABSENT"] for k in (5, 130, len(axis) - 3)]
    rel = np.arange(-10, 6)
    closes, flagged = limit_cells(histories, panel), flag_cells(histories, panel)
    grid, cells = limit_grid(closes, panel, events, rel), flag_grid(flagged, panel, events, rel, "399106.SZ")
    words = cells.dense()
    assert (np.lexsort((cells.col, cells.row)) == np.arange(len(cells.row))).all()  # row-major, as documented
    assert (words != "").sum() == len(cells.row)  # each cell with words once
    for i, fe in enumerate(events):  # the reference: one firm-event and day at a time
        for j, r in enumerate(rel):
            p = axis.get_loc(fe.day0) + r
            firm = limits[fe.ticker].iloc[p] if 0 <= p < len(axis) and fe.ticker in limits else ""
            assert LIMIT_WORDS[grid[i, j]] == firm
            own, bench = (
                flags[c].iloc[p] if 0 <= p < len(axis) and c in flags else "" for c in (fe.ticker, "399106.SZ")
            )
            assert words[i, j] == "; ".join(w for w in (own, bench) if w)


def test_flag_grid_joins_the_firms_and_the_benchmarks_words_cell_by_cell():
    """Hand-placed flags (firm A and the benchmark on one session, firm B and the benchmark on another), read by
    firm-events of A, B and a ticker without flags of its own: each cell against the session it reads."""
    axis = pd.bdate_range("2020-01-06", periods=10, name="date")
    frame = pd.DataFrame({"close": 1.0, "prev_close": 1.0, "volume": 1.0, "traded": True}, index=axis)
    panel = returns_panel({t: frame for t in ("A", "B", "C", "BENCH")}, axis, benchmarks=("BENCH",))
    tickers = ("A", "B", "C", "BENCH")
    placed = {("A", 3): "A: spike", ("BENCH", 3): "BENCH: split", ("BENCH", 5): "BENCH: break", ("B", 5): "B: spike"}
    cells = SessionCells(tickers, np.array([s for _, s in placed]), np.array([tickers.index(t) for t, _ in placed]),
                         np.array(list(placed.values()), dtype=object))  # fmt: skip
    events = [FirmEvent("e", t, t, axis[d]) for t, d in (("B", 4), ("A", 4), ("C", 2), ("A", 8))]  # (not by column)
    rel = np.arange(-2, 3)
    got = flag_grid(cells, panel, events, rel, "BENCH")
    for i, fe in enumerate(events):
        for j, r in enumerate(rel):
            p = axis.get_loc(fe.day0) + r
            want = "; ".join(w for w in (placed.get((fe.ticker, p), ""), placed.get(("BENCH", p), "")) if w)
            assert got.dense()[i, j] == want
    assert got.dense()[1, 1] == "A: spike; BENCH: split" and got.dense()[0, 3] == "B: spike; BENCH: break"
    assert list(zip(got.row, got.col)) == sorted(zip(got.row, got.col)) and len(got.row) == 5  # counted by hand
