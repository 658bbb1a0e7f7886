"""Events as a CSV table (``events: file.csv``): parsing, one-line errors, and a 5,000-firm-event study."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import ConfigError
from eventstudy.spec.config import load_study

from ..conftest import SHARED

TABLE = """\
event_id,ticker,announced,timezone,exchange,name,title,benchmark
ev-a,002415.SZ,2019-10-07T18:00:00,America/New_York,,Hikvision,Entity List,
ev-a,AMBA,2019-10-07T18:00:00,America/New_York,XNAS,,,SOXX
ev-b,0700.HK,2019-10-08T12:30:00+08:00,,,,,
"""


def study(tmp_path, table=TABLE, extra=""):
    (tmp_path / "t.csv").write_text(table, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(
        textwrap.dedent(f"""\
        study: {{id: t, title: T, benchmark: {{XSHE: 000300.SS, XNYS: VONE, XHKG: ^HSI}}{extra}}}
        events: t.csv
        """),
        encoding="utf-8",
    )
    return path


def test_rows_become_events_with_inferred_exchanges(tmp_path):
    s = load_study(study(tmp_path))
    a, b = s.events
    assert (a.id, a.title, b.id, b.title) == ("ev-a", "Entity List", "ev-b", "ev-b")
    assert a.announced == pd.Timestamp("2019-10-07 22:00", tz="UTC") and a.day0_rule == "close"
    assert [(f.ticker, f.name, f.exchange, f.benchmark) for f in a.firms] == [
        ("002415.SZ", "Hikvision", "XSHE", None),
        ("AMBA", "AMBA", "XNAS", "SOXX"),
    ]
    assert [s.benchmark_of(f) for f in (*a.firms, *b.firms)] == ["000300.SS", "SOXX", "^HSI"]
    assert b.firms[0].exchange == "XHKG" and b.announced == pd.Timestamp("2019-10-08 04:30", tz="UTC")


def test_study_day0_rule_applies_to_the_table(tmp_path):
    assert {e.day0_rule for e in load_study(study(tmp_path, extra=", day0: next_open")).events} == {"next_open"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ev-a,AMBA,2019-10-07T18:00:00", "ev-a,AMBA,2019-10-07T19:00:00",
         "t.csv: line 3.announced: '2019-10-07T19:00:00' differs from '2019-10-07T18:00:00' on line 2 of event 'ev-a'"),
        ("ev-b,0700.HK,2019-10-08T12:30:00+08:00", "ev-b,0700.HK,2019-10-08",
         "t.csv: line 4.announced: '2019-10-08' is a date without a time of day"),
        ("New_York,,Hikvision", "New_York,XSHG,Hikvision",
         "t.csv: line 2.exchange: ticker '002415.SZ' has suffix .SZ, which means XSHE, not XSHG"),
        ("ev-b,0700.HK,2019-10-08T12:30:00+08:00,,", "ev-a,002415.SZ,2019-10-07T18:00:00,America/New_York,",
         "t.csv: line 4.ticker: ticker '002415.SZ' is listed twice for event 'ev-a'"),
        ("event_id,", "event,", "t.csv: line 1: missing column(s) event_id"),
        ("ev-b,0700.HK", "ev b,0700.HK", "t.csv: line 4.event_id: 'ev b' is not allowed here"),
        (",Hikvision,Entity List,", ",Hikvision,Entity List", "t.csv: line 2: 7 fields, the header has 8"),
    ],
)  # fmt: skip
def test_errors_name_file_line_column_and_value(tmp_path, old, new, message):
    assert old in TABLE
    with pytest.raises(ConfigError) as err:
        load_study(study(tmp_path, TABLE.replace(old, new, 1)))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_rows_that_repeat_an_instant_still_check_a_different_time_zone_on_their_own_line(tmp_path):
    # each distinct (announced, timezone) pair is parsed once: a row repeating an announced cell of an earlier row
    # with another (bad) time zone is still checked, and named
    table = TABLE.replace("ev-b,0700.HK,2019-10-08T12:30:00+08:00,,", "ev-c,0700.HK,2019-10-07T18:00:00,Mars/Base,")
    with pytest.raises(ConfigError) as err:
        load_study(study(tmp_path, table))
    assert "t.csv: line 4.timezone: 'Mars/Base' is not an IANA time zone name" in str(err.value)
    table = TABLE.replace("ev-b,0700.HK,2019-10-08T12:30:00+08:00,,", "ev-c,0700.HK,2019-10-07T18:00:00,Asia/Tokyo,")
    c = load_study(study(tmp_path, table)).events[1]
    assert c.announced == pd.Timestamp("2019-10-07 09:00", tz="UTC")  # 18:00 in Tokyo, not in New York


def test_missing_table_names_the_study_field(tmp_path):
    path = study(tmp_path)
    (tmp_path / "t.csv").unlink()
    with pytest.raises(ConfigError, match=r"s.yaml: events: 't.csv': no such events file"):
        load_study(path)


UNIVERSE = SHARED / "data" / "szse-universe-2015-2022.parquet"


@pytest.mark.slow
@pytest.mark.skipif(not UNIVERSE.is_file(), reason="the Shenzhen universe is not beside the repo")
def test_a_5000_firm_event_study_from_the_shenzhen_universe_runs_end_to_end(tmp_path):
    from bench.study_table import events_table, write_study
    from eventstudy.data.parquet import ParquetUniverseProvider
    from eventstudy.data.snapshot import SnapshotProvider
    from eventstudy.study.run import run_study

    table = events_table(UNIVERSE, firm_events=5000, events=50, seed=0)
    assert len(table) == 5000 and table["event_id"].nunique() == 50
    s = load_study(write_study(tmp_path, table))
    assert sum(len(e.firms) for e in s.events) == 5000
    res = run_study(s, ParquetUniverseProvider(UNIVERSE, fallback=SnapshotProvider()))
    assert len(res.estimates) == 5000 and (res.estimates["n_est"] >= 120).all()
    assert (res.estimates["day0"] == [d[:10] for d in table["announced"]]).all()  # 08:00, before the open
    car = res.car.query("window_start == 0 and window_end == 5")
    assert len(car) == 5000 and np.isfinite(car["car"]).mean() > 0.95
    tests = res.tests.query("window_start == 0 and window_end == 5 and test == 'bmp_t'")
    assert len(tests) == 50 and tests["n_firms"].sum() == (car["n_obs"] > 0).sum()


def test_a_value_checked_once_is_still_checked_on_every_row_that_differs(tmp_path):
    # each distinct cell is checked where it first appears and taken on the rows that repeat it: a row that repeats
    # a ticker with another exchange, name or benchmark is checked on its own, and named
    rows = "".join(f"ev-{k},002415.SZ,2019-10-07T18:00:00,America/New_York,,Hikvision,,\n" for k in range(3))
    table = TABLE + rows + "ev-9,002415.SZ,2019-10-07T18:00:00,America/New_York,XSHG,Hikvision,,\n"
    with pytest.raises(ConfigError) as err:
        load_study(study(tmp_path, table))
    assert "t.csv: line 8.exchange: ticker '002415.SZ' has suffix .SZ, which means XSHE, not XSHG" in str(err.value)
    table = TABLE + rows + "ev-9,002415.SZ,2019-10-07T18:00:00,America/New_York,,Hikvision,,bad ticker\n"
    with pytest.raises(ConfigError, match=r"t.csv: line 8.benchmark: 'bad ticker' is not allowed here"):
        load_study(study(tmp_path, table))
    table = TABLE + rows + "ev-9,002415.SZ,2019-10-07T18:00:00,America/New_York,,Haikang,,\n"
    events = load_study(study(tmp_path, table)).events
    assert [(e.id, e.firms[0].name) for e in events[2:]] == [
        ("ev-0", "Hikvision"), ("ev-1", "Hikvision"), ("ev-2", "Hikvision"), ("ev-9", "Haikang"),
    ]  # fmt: skip


def test_rows_given_in_python_are_each_checked_for_unknown_columns(tmp_path):
    from eventstudy.spec.config import Study

    good = {"event_id": "ev-a", "ticker": "002415.SZ", "announced": "2019-10-08T08:00:00+08:00"}
    rows = [good, {**good, "ticker": "002236.SZ"}, {**good, "ticker": "002230.SZ", "tickr": "x"}]
    with pytest.raises(ConfigError, match=r"events table: row 3.tickr: unknown column 'tickr'"):
        Study.from_events(rows, benchmark="000300.SS")
    rows[2] = {**good, "ticker": "002230.SZ", "exchange": ["XSHE"]}  # a cell that cannot be hashed: checked as such
    with pytest.raises(ConfigError, match=r"events table: row 3.exchange: expected text, got \['XSHE'\]"):
        Study.from_events(rows, benchmark="000300.SS")
    rows[2] = {**good, "ticker": "002230.SZ", "exchange": "XSHE"}
    assert [f.exchange for f in Study.from_events(rows, benchmark="000300.SS").events[0].firms] == ["XSHE"] * 3


def test_rows_given_in_python_with_equal_but_different_names_keep_their_own():
    from eventstudy.spec.config import Study

    good = {"ticker": "002415.SZ", "announced": "2019-10-08T08:00:00+08:00"}
    rows = [{**good, "event_id": "ev-a", "name": True}, {**good, "event_id": "ev-b", "name": 1}]  # True == 1
    assert [e.firms[0].name for e in Study.from_events(rows, benchmark="000300.SS").events] == ["True", "1"]
