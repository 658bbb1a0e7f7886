"""Day 0 on the real exchange calendar, and the session axis."""

from __future__ import annotations

import pandas as pd
import pytest

from eventstudy.calendar import day_zero, exchange_of_ticker, sessions
from eventstudy.errors import ConfigError

from .conftest import SNAPSHOT_CSV


def test_entity_list_day_zero_skips_national_day_holiday():
    dz = day_zero(pd.Timestamp("2019-10-07 18:00", tz="America/New_York"), "XSHE")
    assert dz.session == pd.Timestamp("2019-10-08")
    assert dz.previous_session == pd.Timestamp("2019-09-30")
    assert dz.closed_days == 5  # 1-7 October 2019, weekdays Tue 1 .. Mon 7
    text = dz.explain()
    assert "Tuesday 08 October 2019" in text and "closed on 5 weekday(s)" in text


def test_huawei_day_zero_is_next_shanghai_morning():
    assert day_zero(pd.Timestamp("2019-05-15 18:00", tz="America/New_York"), "XSHE").session == pd.Timestamp(
        "2019-05-16"
    )


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        ("2019-10-08 09:29", "2019-10-08"),  # before the open: same day
        ("2019-10-08 09:30", "2019-10-08"),  # exactly at the open counts ("at or after")
        ("2019-10-08 09:31", "2019-10-09"),  # during the session: the next session
        ("2019-10-05 12:00", "2019-10-08"),  # a holiday Saturday
    ],
)
def test_open_at_or_after_rule(local_time, expected):
    stamp = pd.Timestamp(local_time, tz="Asia/Shanghai")
    assert day_zero(stamp, "XSHG").session == pd.Timestamp(expected)


def test_calendar_matches_the_snapshot_sessions():
    dates = pd.read_csv(SNAPSHOT_CSV / "000300.SS.csv", usecols=["date"], parse_dates=["date"])["date"]
    axis = sessions("XSHG", dates.min(), dates.max())
    assert list(axis) == list(dates)


def test_exchange_from_suffix():
    assert exchange_of_ticker("000300.SS") == "XSHG"
    assert exchange_of_ticker("002415.SZ") == "XSHE"
    assert exchange_of_ticker("AAPL") == "XNYS"
    with pytest.raises(ConfigError, match=r"unknown exchange suffix \.ZZ"):
        exchange_of_ticker("ABC.ZZ")
