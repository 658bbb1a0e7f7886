"""Many tickers' histories in shared row arrays (eventstudy/data/histories.py): the mapping returns what one
history at a time would, and its views cut rows as eventstudy.data.base.clip does."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from eventstudy.data import open_provider
from eventstudy.data.base import clip
from eventstudy.data.histories import PriceHistories, combine, session_positions

SNAPSHOT = open_provider("snapshot")
TICKERS = ["002415.SZ", "300188.SZ", "399106.SZ", "000300.SS"]


def frames() -> dict[str, pd.DataFrame]:
    return {t: SNAPSHOT.history(t) for t in TICKERS}


def test_a_stack_of_frames_returns_the_frames_and_their_rows_one_after_another():
    given = frames()
    held = PriceHistories.from_frames(given)
    assert list(held) == TICKERS and len(held) == 4 and "AAPL" not in held
    assert all(held[t] is given[t] for t in TICKERS)
    rows = held.rows
    assert list(np.diff(rows.bounds)) == [len(given[t]) for t in TICKERS]
    k = TICKERS.index("300188.SZ")
    lo, hi = rows.bounds[k], rows.bounds[k + 1]
    np.testing.assert_array_equal(rows.close[lo:hi], given["300188.SZ"]["close"].to_numpy())
    assert (rows.code[lo:hi] == k).all()
    assert rows.exchange.all()  # the snapshot carries the exchange's prev_close


def test_select_and_clip_cut_as_clip_does_and_rebuild_identical_frames():
    given = frames()
    held = PriceHistories.from_frames(given)
    start, end = date(2019, 9, 2), date(2019, 10, 31)
    view = held.select(["399106.SZ", "002415.SZ"]).clip(start, end)
    assert list(view) == ["399106.SZ", "002415.SZ"]
    for t in view:
        pd.testing.assert_frame_equal(view[t], clip(given[t], start, end), check_freq=False)
        assert view[t].attrs == given[t].attrs
    assert held.clip(None, None) is held  # nothing beyond: the same histories


def test_combine_takes_each_ticker_from_the_last_part_that_holds_it():
    given = frames()
    first = PriceHistories.from_frames({t: clip(given[t], None, date(2019, 6, 28)) for t in TICKERS})
    again = PriceHistories.from_frames({t: given[t] for t in TICKERS[:2]})
    both = combine([first, again], TICKERS)
    assert list(both) == TICKERS
    assert both.length("002415.SZ") == len(given["002415.SZ"])
    assert both.length("399106.SZ") == len(clip(given["399106.SZ"], None, date(2019, 6, 28)))
    k = TICKERS.index("399106.SZ")
    np.testing.assert_array_equal(
        both.rows.close[both.rows.bounds[k] : both.rows.bounds[k + 1]], first["399106.SZ"]["close"].to_numpy()
    )


def test_session_positions_find_each_date_on_the_axis_and_only_those():
    frame = pd.DataFrame(
        {"close": 1.0, "prev_close": 1.0, "volume": 0.0, "traded": True},
        index=pd.DatetimeIndex(["2020-01-03", "2020-01-04", "2020-01-06", "2020-01-31"], name="date"),
    )
    axis = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"])  # no 4th (Saturday), no 31st
    pos, on = session_positions(PriceHistories.from_frames({"X": frame}).rows, axis)
    assert list(on) == [True, False, True, False]
    assert list(pos[on]) == [1, 2]


def test_session_positions_of_all_the_rows_are_kept_per_axis_and_read_only():
    rows = PriceHistories.from_frames(frames()).rows
    axis = pd.DatetimeIndex(sorted(set(rows.date.astype("datetime64[ns]"))))
    pos, on = session_positions(rows, axis)
    assert session_positions(rows, axis)[0] is pos  # the same rows on the same axis: kept
    assert not pos.flags.writeable and not on.flags.writeable
    assert on.all() and (axis[pos] == pd.DatetimeIndex(rows.date)).all()
    shorter = axis[: len(axis) // 2]  # another axis: its own positions
    pos2, on2 = session_positions(rows, shorter)
    assert on2.sum() == np.isin(rows.date.astype("datetime64[ns]"), shorter.to_numpy()).sum()
    part = slice(3, 40)  # a part of the rows: computed, not kept, and the same numbers
    p3, o3 = session_positions(rows, shorter, part)
    assert (p3[o3] == pos2[part][on2[part]]).all() and (o3 == on2[part]).all()


def test_the_price_digest_follows_every_row_and_not_how_the_rows_are_held():
    import hashlib

    from eventstudy.data.histories import price_digest

    def digest(histories) -> str:
        d = hashlib.sha256()
        price_digest(d, histories)
        return d.hexdigest()

    given = frames()
    base = digest(given)
    coarser = {t: f.set_axis(f.index.astype("datetime64[ms]"), axis=0) for t, f in given.items()}
    assert digest(PriceHistories.from_frames(coarser)) == base  # other date unit, stacked: the same prices
    assert digest(dict(reversed(list(given.items())))) == base  # tickers are hashed in sorted order
    moved = {**given, "300188.SZ": given["300188.SZ"].copy()}
    moved["300188.SZ"].iloc[7, 0] += 0.01
    dropped = {**given, "300188.SZ": given["300188.SZ"].drop(given["300188.SZ"].index[7])}
    halted = {**given, "300188.SZ": given["300188.SZ"].assign(traded=False)}
    assert len({base, digest(moved), digest(dropped), digest(halted)}) == 4
