"""Day 0 on the real exchange calendar (rules ``close`` and ``next_open``) and the session axis."""

from __future__ import annotations

import pandas as pd
import pytest

from eventstudy.data.calendar import day_zero, exchange_calendar, sessions
from eventstudy.errors import ConfigError

from ..conftest import SNAPSHOT_CSV


def test_entity_list_day_zero_skips_national_day_holiday():
    dz = day_zero(pd.Timestamp("2019-10-07 18:00", tz="America/New_York"), "XSHE")
    assert dz.session == pd.Timestamp("2019-10-08")
    assert dz.previous_session == pd.Timestamp("2019-09-30")
    assert dz.closed_days == 5  # 1-7 October 2019, weekdays Tue 1 .. Mon 7
    text = dz.explain()
    assert "Tuesday 08 October 2019" in text and "closed on 5 weekday(s)" in text
    assert "Rule “close”" in text and "before the next open" in text


@pytest.mark.parametrize("rule", ["close", "next_open"])
def test_default_study_day_zeros_do_not_depend_on_the_rule(rule):
    """Both Chinese events were announced after the US close, before the Shanghai open: same day 0 either way."""
    ny = "America/New_York"
    assert day_zero(pd.Timestamp("2019-10-07 18:00", tz=ny), "XSHE", rule).session == pd.Timestamp("2019-10-08")
    assert day_zero(pd.Timestamp("2019-05-15 18:00", tz=ny), "XSHE", rule).session == pd.Timestamp("2019-05-16")


@pytest.mark.parametrize(
    ("stamp", "zone", "mic", "expected"),
    [
        ("2019-10-08 14:00", "Asia/Shanghai", "XSHE", "2019-10-08"),  # during the afternoon session
        ("2019-10-08 12:00", "Asia/Shanghai", "XSHE", "2019-10-08"),  # lunch break 11:30-13:00: same session
        ("2019-10-08 15:00", "Asia/Shanghai", "XSHE", "2019-10-08"),  # exactly at the close counts ("at or after")
        ("2019-10-08 15:01", "Asia/Shanghai", "XSHE", "2019-10-09"),  # after the close: next session
        ("2019-10-07 18:00", "America/New_York", "XSHE", "2019-10-08"),
        ("2019-10-07 18:00", "America/New_York", "XNYS", "2019-10-08"),  # after the US close
        ("2019-10-07 10:00", "America/New_York", "XNYS", "2019-10-07"),  # during the US session
        ("2019-11-29 13:30", "America/New_York", "XNYS", "2019-12-02"),  # after the 13:00 early close
        ("2019-11-29 12:59", "America/New_York", "XNYS", "2019-11-29"),  # before it
        ("2019-10-05 12:00", "America/New_York", "XNYS", "2019-10-07"),  # a Saturday: next session
        ("2019-10-05 12:00", "Asia/Shanghai", "XSHG", "2019-10-08"),  # a holiday Saturday
        ("2019-10-08 12:30", "Asia/Hong_Kong", "XHKG", "2019-10-08"),  # Hong Kong lunch break 12:00-13:00
        ("2019-10-08 16:30", "Asia/Tokyo", "XTKS", "2019-10-09"),  # after the Tokyo close (15:00)
        ("2019-10-08 16:00", "Europe/London", "XLON", "2019-10-08"),  # before the 16:30 London close
    ],
)
def test_close_rule(stamp, zone, mic, expected):
    assert day_zero(pd.Timestamp(stamp, tz=zone), mic).session == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        ("2019-10-08 09:29", "2019-10-08"),  # before the open: same day
        ("2019-10-08 09:30", "2019-10-08"),  # exactly at the open counts ("at or after")
        ("2019-10-08 09:31", "2019-10-09"),  # during the session: the next session
        ("2019-10-05 12:00", "2019-10-08"),  # a holiday Saturday
    ],
)
def test_next_open_rule(local_time, expected):
    stamp = pd.Timestamp(local_time, tz="Asia/Shanghai")
    assert day_zero(stamp, "XSHG", "next_open").session == pd.Timestamp(expected)


def test_explanations_say_where_the_news_fell():
    ny = "America/New_York"
    assert "during the session of Monday 07 October 2019 (open 09:30, close 16:00)" in (
        day_zero(pd.Timestamp("2019-10-07 10:00", tz=ny), "XNYS").explain()
    )
    early = day_zero(pd.Timestamp("2019-11-29 13:30", tz=ny), "XNYS").explain()
    assert "closed early at 13:00" in early and "day 0 is Monday 02 December 2019" in early
    lunch = day_zero(pd.Timestamp("2019-10-08 12:00", tz="Asia/Shanghai"), "XSHG").explain()
    assert "lunch break (11:30–13:00)" in lunch
    saturday = day_zero(pd.Timestamp("2019-10-05 12:00", tz=ny), "XNYS").explain()
    assert "Saturday 05 October 2019, a day without a session" in saturday
    partial = day_zero(pd.Timestamp("2019-10-07 10:00", tz=ny), "XNYS", "next_open").explain()
    assert "Rule “next_open” (partial-day reactions excluded)" in partial and "Tuesday 08 October 2019" in partial


def test_unknown_rule_is_refused():
    with pytest.raises(ConfigError, match="day-0 rule 'open'"):
        day_zero(pd.Timestamp("2019-10-07 10:00", tz="UTC"), "XNYS", "open")


def test_calendar_matches_the_snapshot_sessions():
    dates = pd.read_csv(SNAPSHOT_CSV / "000300.SS.csv", usecols=["date"], parse_dates=["date"])["date"]
    axis = sessions("XSHG", dates.min(), dates.max())
    assert list(axis) == list(dates)


def test_every_exchange_calendars_mic_has_sessions():
    assert sessions("XTKS", pd.Timestamp("2019-10-07"), pd.Timestamp("2019-10-11")).size == 5


@pytest.mark.parametrize("mic", ["XSHG", "XNYS"])
def test_day_zero_is_the_first_session_whose_edge_is_at_or_after_the_news(mic):
    """Every quarter hour over a week with a holiday (and, in Shanghai, the lunch break), against a walk over the
    calendar's closes (rule close) and opens (rule next_open), and the weekdays between it and the session before."""
    cal = exchange_calendar(mic)
    start = pd.Timestamp("2019-09-26", tz=cal.tz) if mic == "XSHG" else pd.Timestamp("2019-11-25", tz=cal.tz)
    instants = pd.date_range(start, periods=4 * 24 * 14, freq="15min")  # two weeks: 2019-10-01.. / Thanksgiving
    near = abs(cal.sessions - start.tz_localize(None)) <= pd.Timedelta(days=21)
    for rule, edges in (("close", cal.closes[near]), ("next_open", cal.opens[near])):
        for announced in instants[::5]:
            expected = next(s for s, edge in edges.items() if edge >= announced)
            got = day_zero(announced, mic, rule)
            assert got.session == expected, (rule, announced)
            previous = cal.sessions[cal.sessions.get_loc(expected) - 1]
            assert got.previous_session == previous
            assert got.closed_days == len(
                pd.bdate_range(previous + pd.Timedelta(days=1), expected - pd.Timedelta(days=1))
            )
