"""plan: day 0 per exchange, market groups and the sessions each reads, and the prices loaded for them."""

from __future__ import annotations

import pandas as pd

from eventstudy.data.calendar import sessions
from eventstudy.study.plan import SESSION_MARGIN, plan_study, prepare_inputs


def test_day0_and_groups_of_the_default_study(default_study):
    plan = plan_study(default_study)
    # the Entity List announcement, Monday 7 Oct 2019 at 18:00 in New York, is 06:00 on the 8th in Shenzhen: the
    # first close at or after it is Tuesday 8 October's
    key = ("us-entity-list-2019-10-07", "XSHE")
    assert plan.day_zero[key].session == pd.Timestamp("2019-10-08")
    assert len(plan.firm_events) == sum(len(ev.firms) for ev in default_study.events)
    # Shenzhen firms on the Shanghai calendar (one calendar for both exchanges), US firms on NYSE's
    assert [(g.calendar, g.benchmark, len(g.members)) for g in plan.groups] == [("XSHG", "000300.SS", 8),
                                                                                ("XNYS", "VONE", 20)]  # fmt: skip
    for g in plan.groups:  # each group's range covers its firms' windows plus the margin, on its own calendar
        axis = sessions(g.calendar)
        lo, hi = default_study.relative_span
        days = axis.get_indexer(pd.DatetimeIndex([plan.firm_events[i].day0 for i in g.members]))
        assert g.start == axis[days.min() + lo - SESSION_MARGIN] and g.end == axis[days.max() + hi + SESSION_MARGIN]
    assert plan.start == min(g.start for g in plan.groups) and plan.end == max(g.end for g in plan.groups)


def test_alternative_benchmarks_are_read_on_their_own_calendar(default_study):
    plan = plan_study(default_study)
    ranges = plan.ranges(default_study)
    china = [g for g in plan.groups if g.benchmark == "000300.SS"]
    us = [g for g in plan.groups if g.benchmark == "VONE"]
    assert ranges["000001.SS"] == (min(g.start for g in china), max(g.end for g in china))
    assert ranges["QQQ"] == (min(g.start for g in us), max(g.end for g in us))
    assert list(ranges)[: len(default_study.events[0].firms)] == [f.ticker for f in default_study.events[0].firms]


def test_prepare_inputs_cuts_at_the_as_of_date(default_study):
    from eventstudy.data import open_provider

    inputs = prepare_inputs(default_study, open_provider("snapshot"), as_of=pd.Timestamp("2019-12-31").date())
    assert inputs.end <= pd.Timestamp("2019-12-31")
    assert all(h.index.max() <= pd.Timestamp("2019-12-31") for h in inputs.histories.values())
    assert all(p.as_of is None or p.as_of <= pd.Timestamp("2019-12-31").date() for p in inputs.provenance.values())


def test_a_universe_read_at_once_gives_the_inputs_read_one_ticker_at_a_time(tmp_path, default_study):
    """The Chinese snapshot as a universe file (one read for all tickers, the US ones from the fallback) against
    the same files read one by one, with Hikvision suspended from day 0 for 80 sessions: past the planned range,
    so the range is read again up to the resumption."""
    import shutil

    from eventstudy.data.local_csv import CsvFolderProvider, read_price_csv
    from eventstudy.data.parquet import ParquetUniverseProvider

    from ..conftest import SNAPSHOT_CSV

    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV, folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder, ignore=shutil.ignore_patterns("*.md"), dirs_exist_ok=True)
    hik = pd.read_csv(folder / "002415.SZ.csv", dtype={"date": str})
    first = hik.index[hik["date"] == "2019-10-08"][0]
    last = hik.loc[first - 1, "close"]
    hik.loc[range(first, first + 80), ["open", "high", "low", "close", "prev_close", "volume", "traded"]] = [
        last
    ] * 5 + [0, 0]
    hik.loc[first + 80, "prev_close"] = last
    hik.to_csv(folder / "002415.SZ.csv", index=False, lineterminator="\n")
    chinese = [p.stem for p in SNAPSHOT_CSV.glob("*.csv")]
    long = pd.concat([read_price_csv(folder / f"{t}.csv").reset_index().assign(ticker=t) for t in chinese])
    long["date"] = long["date"].astype("datetime64[ms]")
    long.to_parquet(tmp_path / "universe.parquet", index=False)

    one_by_one = prepare_inputs(default_study, CsvFolderProvider(folder))
    at_once = prepare_inputs(
        default_study, ParquetUniverseProvider(tmp_path / "universe.parquet", fallback=CsvFolderProvider(folder))
    )
    assert [g.end for g in at_once.groups] == [g.end for g in one_by_one.groups]
    assert one_by_one.groups[0].end > plan_study(default_study).groups[0].end  # the halt was followed
    assert list(at_once.histories) == list(one_by_one.histories) and at_once.unavailable == one_by_one.unavailable
    for t, h in one_by_one.histories.items():
        pd.testing.assert_frame_equal(at_once.histories[t], h, check_index_type=False, check_freq=False)
    assert at_once.end == one_by_one.end
