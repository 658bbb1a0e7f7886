"""events.yaml → Study: the default file, and one-line errors naming file, field and value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.config import load_study
from eventstudy.errors import ConfigError

GOOD = """
study:
  id: demo
  title: Demo
  benchmark: 000300.SS
events:
  - id: ev-1
    title: An event
    announced: "2019-10-07T18:00:00-04:00"
    firms:
      - {ticker: 002415.SZ, name: Hikvision, exchange: XSHE}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_default_study_file(default_study):
    assert default_study.id == "entity-list-2019"
    assert default_study.benchmark == "000300.SS"
    assert default_study.alternative_benchmarks == ("000001.SS", "399106.SZ")
    assert default_study.estimation_window == (-260, -11)
    assert default_study.event_windows == ((-1, 1), (0, 1), (0, 5), (0, 10))
    assert [e.id for e in default_study.events] == ["us-entity-list-2019-10-07", "us-entity-list-huawei-2019-05-15"]
    first = default_study.events[0]
    assert first.announced == pd.Timestamp("2019-10-07 22:00", tz="UTC")
    assert first.approximate is True
    assert [f.ticker for f in first.firms] == ["002415.SZ", "002236.SZ", "002230.SZ", "300188.SZ"]
    assert all(f.exchange == "XSHE" for f in first.firms)
    assert first.sources[0].document == "004_90ee84662eca269a.txt"


def test_defaults_apply(tmp_path):
    study = load_study(write(tmp_path, GOOD))
    assert study.model == "market_model"
    assert study.min_estimation_returns == 120
    assert study.daily_path == (-10, 20)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  title: Demo\n", "  title: Demo\n  titel: typo\n", "study.titel: unknown key 'titel'"),
        (
            '    announced: "2019-10-07T18:00:00-04:00"',
            "    announced: 2019-10-07",
            "events[0].announced: '2019-10-07' has no time zone",
        ),
        ("  benchmark: 000300.SS\n", "  benchmark: 000300.SS\n  model: capm\n", "study.model: 'capm' is not a model"),
        (
            "  benchmark: 000300.SS\n",
            "  benchmark: 000300.SS\n  event_windows: [[5, 1]]\n",
            "study.event_windows[0]: window [5, 1] is reversed",
        ),
        (
            "  benchmark: 000300.SS\n",
            "  benchmark: 000300.SS\n  event_windows: [[-20, 1]]\n",
            "study.event_windows[0]: window [-20, 1] overlaps the estimation window [-260, -11]",
        ),
        ("  id: demo\n", "  id: ../escape\n", "study.id: '../escape' is not allowed here"),
        ("exchange: XSHE", "exchange: NASDAQ", "events[0].firms[0].exchange: 'NASDAQ' is not a known exchange"),
        (
            "  benchmark: 000300.SS\n",
            "  benchmark: 000300.SS\n  min_estimation_returns: 300\n",
            "study.estimation_window: estimation window [-260, -11] has 250 sessions, fewer than min_estimation_returns=300",
        ),
        (
            '    announced: "2019-10-07T18:00:00-04:00"',
            '    announced: "2019-10-07T18:00"\n    timezone: Mars/Olympus',
            "events[0].timezone: 'Mars/Olympus' is not an IANA time zone name",
        ),
    ],
)
def test_bad_input_names_file_field_and_value(tmp_path, old, new, expected):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_study(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_duplicate_event_ids(tmp_path):
    event = GOOD.split("events:\n", 1)[1]
    path = write(tmp_path, GOOD + event)
    with pytest.raises(ConfigError, match=r"events\[1\]\.id: duplicate event id 'ev-1'"):
        load_study(path)


def test_duplicate_yaml_key_is_an_error(tmp_path):
    path = write(tmp_path, GOOD.replace("  title: Demo\n", "  title: Demo\n  title: Again\n"))
    with pytest.raises(ConfigError, match=r"line 5: duplicate key 'title'"):
        load_study(path)


def test_malformed_yaml_gives_line(tmp_path):
    path = write(tmp_path, GOOD + "  - [unclosed\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: malformed YAML"):
        load_study(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_study(tmp_path / "absent.yaml")


def test_timezone_field_localises_a_naive_time(tmp_path):
    path = write(
        tmp_path, GOOD.replace('"2019-10-07T18:00:00-04:00"', '"2019-10-07T18:00"\n    timezone: America/New_York')
    )
    assert load_study(path).events[0].announced == pd.Timestamp("2019-10-07 22:00", tz="UTC")


# -- Study.from_events: a table of events, one row per firm-event ------------------------------------------


def _table(study) -> pd.DataFrame:
    """The default study's events as a table, the way a researcher would keep them."""
    return pd.DataFrame(
        [
            {"event_id": ev.id, "ticker": f.ticker, "announced": "2019-10-07T18:00:00" if i == 0 else "2019-05-15T18:00",
             "timezone": "America/New_York", "exchange": "SZSE", "name": f.name, "title": ev.title}
            for i, ev in enumerate(study.events) for f in ev.firms
        ]
    )  # fmt: skip


def test_from_events_matches_the_study_file(default_study):
    from eventstudy.config import Study

    study = Study.from_events(
        _table(default_study), benchmark="000300.SS", windows=[(-1, 1), (0, 1), (0, 5), (0, 10)],
        id="entity-list-2019", title=default_study.title, alternative_benchmarks=("000001.SS", "399106.SZ"),
    )  # fmt: skip
    for mine, theirs in zip(study.events, default_study.events, strict=True):
        assert (mine.id, mine.title, mine.announced, mine.firms) == (
            theirs.id,
            theirs.title,
            theirs.announced,
            theirs.firms,
        )
    assert study.event_windows == default_study.event_windows
    assert study.estimation_window == default_study.estimation_window
    assert study.tickers == default_study.tickers


def test_from_events_defaults_and_timestamps():
    from eventstudy.config import Study

    table = pd.DataFrame(
        {"event_id": ["ev-1", "ev-1"], "ticker": ["002415.SZ", "002236.SZ"],
         "announced": pd.to_datetime(["2019-10-07 18:00", "2019-10-07 18:00"]).tz_localize("America/New_York"),
         "exchange": ["XSHE", "XSHE"], "name": ["Hikvision", None]}
    )  # fmt: skip
    study = Study.from_events(table, benchmark="000300.SS", model="market_adjusted", daily_path=(-5, 5))
    ev = study.events[0]
    assert (ev.title, ev.announced) == ("ev-1", pd.Timestamp("2019-10-07 22:00", tz="UTC"))
    assert [f.name for f in ev.firms] == ["Hikvision", "002236.SZ"]  # a blank name is the ticker
    assert (study.id, study.model, study.daily_path) == ("events", "market_adjusted", (-5, 5))


@pytest.mark.parametrize(
    ("change", "settings", "expected"),
    [
        ({"ticker": "bad ticker"}, {}, "events table: row 1.ticker: 'bad ticker' is not allowed here"),
        ({"announced": "2019-10-07T18:00"}, {}, "row 1.announced: '2019-10-07T18:00' has no time zone"),
        ({"event_id": "Ev 1"}, {}, "row 1.event_id: 'Ev 1' is not allowed here"),
        ({"sector": "tech"}, {}, ".sector: unknown column 'sector'"),
        ({"title": "Another"}, {}, "row 1.title: 'Another' differs from 'ev-1' on row 0 of event 'ev-1'"),
        ({"ticker": "002415.SZ"}, {}, "row 1.ticker: ticker '002415.SZ' is listed twice for event 'ev-1'"),
        ({}, {"model": "capm"}, "events table: study.model: 'capm' is not a model"),
        ({}, {"windows": [(5, 0)]}, "study.event_windows[0]: window [5, 0] is reversed"),
    ],
)
def test_from_events_errors_name_row_field_and_value(change, settings, expected):
    from eventstudy.config import Study

    rows = [
        {"event_id": "ev-1", "ticker": "002415.SZ", "announced": "2019-10-07T18:00-04:00", "exchange": "XSHE"},
        {"event_id": "ev-1", "ticker": "002236.SZ", "announced": "2019-10-07T18:00-04:00", "exchange": "XSHE"},
    ]
    rows[1].update(change)
    with pytest.raises(ConfigError) as info:
        Study.from_events(pd.DataFrame(rows), **{"benchmark": "000300.SS", **settings})
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_from_events_empty_table():
    from eventstudy.config import Study

    with pytest.raises(ConfigError, match="events table: no events"):
        Study.from_events(pd.DataFrame(columns=["event_id", "ticker", "announced"]), benchmark="000300.SS")
