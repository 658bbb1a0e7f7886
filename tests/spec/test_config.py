"""events.yaml → Study: the default file, and one-line errors naming file, field and value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.errors import ConfigError
from eventstudy.spec.config import load_study
from eventstudy.spec.events import Firm

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
    assert default_study.benchmarks == {"XSHE": "000300.SS", "XNYS": "VONE"}
    assert default_study.alternative_benchmarks == ("000001.SS", "399106.SZ", "QQQ", "ONEQ", "SOXX")
    assert default_study.day0_rule == "close"
    assert default_study.estimation_window == (-260, -11)
    assert default_study.event_windows == ((-1, 1), (0, 1), (0, 5), (0, 10))
    assert [e.id for e in default_study.events] == [
        "us-entity-list-2019-10-07",
        "us-entity-list-huawei-2019-05-15",
        "us-suppliers-huawei-2019-05-15",
        "us-suppliers-2019-10-07",
    ]
    huawei, october = default_study.events[2:]
    assert len(huawei.firms) == 13 and huawei.announced == pd.Timestamp("2019-05-15 22:00", tz="UTC")
    assert [f.ticker for f in october.firms] == ["AMBA", "NVDA", "STX", "WDC", "ON", "TXN", "ADI"]
    assert october.announced == first_announced(default_study)
    first = default_study.events[0]
    assert first.announced == pd.Timestamp("2019-10-07 22:00", tz="UTC")
    assert first.approximate is True
    assert [f.ticker for f in first.firms] == ["002415.SZ", "002236.SZ", "002230.SZ", "300188.SZ"]
    assert all(f.exchange == "XSHE" for f in first.firms)
    assert first.sources[0].document == "004_90ee84662eca269a.txt"


def first_announced(study):
    return study.events[0].announced


def test_defaults_apply(tmp_path):
    study = load_study(write(tmp_path, GOOD))
    assert study.model == "market_model"
    assert study.min_estimation_returns == 120
    assert study.daily_path == (-10, 20)
    assert study.primary_test == "kp_bmp_t"


def test_long_window_is_read_and_widens_the_span_the_prices_cover(tmp_path):
    assert load_study(write(tmp_path, GOOD)).long_window is None
    text = GOOD.replace("  benchmark: 000300.SS\n", "  benchmark: 000300.SS\n  long_window: [0, 230]\n", 1)
    study = load_study(write(tmp_path, text))
    assert study.long_window == (0, 230) and study.relative_span == (-260, 230)


def test_primary_test_is_read_and_the_known_names_are_the_battery(tmp_path):
    from eventstudy.inference import TESTS
    from eventstudy.spec.config import TEST_NAMES

    assert TEST_NAMES == tuple(TESTS)
    text = GOOD.replace("  benchmark: 000300.SS\n", "  benchmark: 000300.SS\n  primary_test: csect_t\n", 1)
    assert load_study(write(tmp_path, text)).primary_test == "csect_t"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  title: Demo\n", "  title: Demo\n  titel: typo\n", "study.titel: unknown key 'titel'"),
        (
            '    announced: "2019-10-07T18:00:00-04:00"',
            "    announced: 2019-10-07",
            "events[0].announced: '2019-10-07' is a date without a time of day; announced needs a date-time",
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
        (
            "  benchmark: 000300.SS\n",
            "  benchmark: 000300.SS\n  long_window: [-30, 230]\n",
            "study.long_window: window [-30, 230] overlaps the estimation window [-260, -11]",
        ),
        (
            "  benchmark: 000300.SS\n",
            "  benchmark: 000300.SS\n  primary_test: ttest\n",
            "study.primary_test: 'ttest' is not a test (csect_t, bw_t,",
        ),
        ("  id: demo\n", "  id: ../escape\n", "study.id: '../escape' is not allowed here"),
        (
            "exchange: XSHE",
            "exchange: XXXX",
            "events[0].firms[0].exchange: 'XXXX' is not an exchange that exchange_calendars knows",
        ),
        (
            "exchange: XSHE",
            "exchange: XSHG",
            "events[0].firms[0].exchange: ticker '002415.SZ' has suffix .SZ, which means XSHE, not XSHG",
        ),
        (
            "exchange: XSHE}",
            "exchange: XSHE}\n      - {ticker: ABC.QQ}",
            "events[0].firms[1].ticker: ticker 'ABC.QQ': unknown exchange suffix .QQ; give the firm an exchange: field",
        ),
        (
            "    announced:",
            "    day0: open\n    announced:",
            "events[0].day0: 'open' is not a day-0 rule (close, next_open)",
        ),
        (
            "  benchmark: 000300.SS\n",
            "  benchmark: {XNYS: VONE}\n",
            "events[0].firms[0].exchange: 002415.SZ trades on XSHE, which the benchmark mapping lacks (XNYS)",
        ),
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


def test_a_firm_repeated_across_events_is_read_once_and_a_different_entry_on_its_own(tmp_path):
    # firms are read by their entries' contents: the same entry in another event gives the same firm, and an entry
    # that differs (here its exchange) is checked on its own and named in the error
    event = GOOD.split("events:\n", 1)[1]
    text = GOOD + event.replace("ev-1", "ev-2") + event.replace("ev-1", "ev-3").replace("XSHE", "XSHG")
    with pytest.raises(ConfigError, match=r"events\[2\]\.firms\[0\]\.exchange: ticker '002415.SZ' has suffix"):
        load_study(write(tmp_path, text))
    study = load_study(write(tmp_path, GOOD + event.replace("ev-1", "ev-2")))
    assert study.events[0].firms == study.events[1].firms == (Firm("002415.SZ", "Hikvision", "XSHE"),)


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


def test_exchange_inferred_from_the_suffix_and_benchmark_mapping(tmp_path):
    text = GOOD.replace("  benchmark: 000300.SS\n", "  benchmark: {SZSE: 000300.SS, XNYS: VONE}\n  day0: next_open\n")
    text += "      - {ticker: AMBA, name: Ambarella}\n      - {ticker: NVDA, exchange: XNAS, benchmark: SOXX}\n"
    text += "      - {ticker: 0700.HK, name: Tencent, benchmark: ^HSI}\n"
    study = load_study(write(tmp_path, text))
    firms = study.events[0].firms
    assert [f.exchange for f in firms] == ["XSHE", "XNYS", "XNAS", "XHKG"]
    assert firms[2].name == "NVDA"  # name defaults to the ticker
    assert study.benchmark == "000300.SS" and study.benchmarks == {"XSHE": "000300.SS", "XNYS": "VONE"}
    assert [study.benchmark_of(f) for f in firms] == ["000300.SS", "VONE", "SOXX", "^HSI"]
    assert study.tickers == ("002415.SZ", "AMBA", "NVDA", "0700.HK", "000300.SS", "VONE", "SOXX", "^HSI")
    assert study.day0_rule == "next_open" and study.events[0].day0_rule == "next_open"


def test_day0_rule_defaults_to_close_and_events_may_override(tmp_path):
    assert load_study(write(tmp_path, GOOD)).events[0].day0_rule == "close"
    path = write(tmp_path, GOOD.replace("    announced:", "    day0: next_open\n    announced:"))
    assert load_study(path).events[0].day0_rule == "next_open"


# -- ids that collide with the reports folder's layout, and bounded inputs (issue 14) -----------------------------


@pytest.mark.parametrize("study_id", ["index.html", "index.json", "other.last-good"])
def test_reserved_study_ids_are_refused(tmp_path, study_id):
    path = write(tmp_path, GOOD.replace("id: demo", f"id: {study_id}"))
    with pytest.raises(ConfigError, match=rf"study\.id: '{study_id}' is reserved in the reports folder"):
        load_study(path)


@pytest.mark.parametrize("study_id", [".hidden", "a/b", "..", "A"])
def test_study_ids_that_are_not_plain_folder_names_are_refused(tmp_path, study_id):
    with pytest.raises(ConfigError, match=r"study\.id: .* is not allowed here"):
        load_study(write(tmp_path, GOOD.replace("id: demo", f'id: "{study_id}"')))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("title: Demo", "title: Demo\n  daily_path: [-10, 10000000]", "study.daily_path: window [-10, 10000000] reaches beyond ±2520 sessions"),
        ("title: Demo", "title: Demo\n  price_chart: [-1000000000, 1000000000]", "study.price_chart: window [-1000000000, 1000000000] reaches beyond ±2520"),
        ("title: Demo", "title: Demo\n  estimation_window: [-2521, -11]", "study.estimation_window: window [-2521, -11] reaches beyond ±2520"),
        ("title: Demo", "title: Demo\n  event_windows: [[0, 2521]]", "study.event_windows[0]: window [0, 2521] reaches beyond"),
        ("title: Demo", "title: Demo\n  model: dimson\n  dimson_lags: 1000000", "study.dimson_lags: 1000000 is out of range (0..20)"),
        ("title: Demo", "title: Demo\n  dimson_lags: -1", "study.dimson_lags: -1 is out of range (0..20)"),
        ('"2019-10-07T18:00:00-04:00"', '"2019-10-07T18:00:00-04:00"\n    timezone: Mars/Olympus', "events[0].timezone: 'Mars/Olympus' is not an IANA time zone name"),
        ('"2019-10-07T18:00:00-04:00"', '"2019-10-07T18:00:00"\n    timezone: "../../etc/passwd"', "events[0].timezone: '../../etc/passwd' is not an IANA time zone name"),
        ('"2019-10-07T18:00:00-04:00"', '"99999-10-07T18:00:00-04:00"', "events[0].announced: '99999-10-07T18:00:00-04:00' is not an ISO 8601 date-time"),
        ('"2019-10-07T18:00:00-04:00"', '"NaT"', "events[0].announced: 'NaT' is not an ISO 8601 date-time"),
        ("benchmark: 000300.SS", "benchmark: 002415.SZ", "events[0].firms[0].ticker: '002415.SZ' is also its benchmark"),
    ],
)  # fmt: skip
def test_out_of_range_values_are_one_line_errors(tmp_path, old, new, expected):
    assert old in GOOD
    with pytest.raises(ConfigError) as err:
        load_study(write(tmp_path, GOOD.replace(old, new)))
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'study.yaml'}: ") and expected in message and "\n" not in message


def test_unhashable_key_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError, match=r"line 5: a key must be text or a number, got \[1, 2\]"):
        load_study(write(tmp_path, GOOD.replace("title: Demo", "title: Demo\n  [1, 2]: x")))


def test_deep_nesting_is_a_one_line_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("study: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="malformed YAML: nested too deeply"):
        load_study(path)


def test_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    """Nine levels of nine aliases describe 9**9 (387 million) values in nine lines; refused at composition."""
    lines = ["study:", "  id: demo", "  title: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    lines += ["  alternative_benchmarks: *l8"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_study(path)
    assert "expands to more than 200,000 values" in str(err.value) and len(str(err.value)) < 300


def test_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("study: &s\n  id: demo\n  title: *s\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expands to more than 200,000 values"):
        load_study(path)


def test_a_huge_value_is_quoted_short(tmp_path):
    """A large (alias-shared, under the node limit) value in an error is cut, however big its repr would be."""
    lines = ["study:", "  id: demo", "  l0: &l0 [xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx]"]
    lines += [f"  l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}]" for i in range(1, 8)]
    lines[1:1] = []
    text = "\n".join(lines).replace("  l0:", "  title: &t [1]\n  l0:") + "\n  alternative_benchmarks: *l7\n"
    path = tmp_path / "wide.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_study(path)
    assert len(str(err.value)) < 200 and "\n" not in str(err.value)


# -- Study.from_events: a table of events, one row per firm-event ------------------------------------------


def _table(study) -> pd.DataFrame:
    """The default study's events as a table, the way a researcher would keep them."""
    return pd.DataFrame(
        [
            {"event_id": ev.id, "ticker": f.ticker, "announced": "2019-10-07T18:00:00" if i == 0 else "2019-05-15T18:00",
             "timezone": "America/New_York", "exchange": "SZSE", "name": f.name, "title": ev.title}
            for i, ev in enumerate(study.events[:2]) for f in ev.firms
        ]
    )  # fmt: skip


def test_from_events_matches_the_study_file(default_study):
    from eventstudy.spec.config import Study

    study = Study.from_events(
        _table(default_study), benchmark="000300.SS", windows=[(-1, 1), (0, 1), (0, 5), (0, 10)],
        id="entity-list-2019", title=default_study.title, alternative_benchmarks=("000001.SS", "399106.SZ"),
    )  # fmt: skip
    for mine, theirs in zip(study.events, default_study.events[:2], strict=True):  # the two Chinese events
        assert (mine.id, mine.title, mine.announced, mine.firms) == (
            theirs.id,
            theirs.title,
            theirs.announced,
            theirs.firms,
        )
    assert study.event_windows == default_study.event_windows
    assert study.estimation_window == default_study.estimation_window
    chinese = ("002415.SZ", "002236.SZ", "002230.SZ", "300188.SZ", "000300.SS", "000001.SS", "399106.SZ")
    assert study.tickers == chinese and all(t in default_study.tickers for t in chinese)


def test_from_events_defaults_and_timestamps():
    from eventstudy.spec.config import Study

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
    from eventstudy.spec.config import Study

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
    from eventstudy.spec.config import Study

    with pytest.raises(ConfigError, match="events table: no events"):
        Study.from_events(pd.DataFrame(columns=["event_id", "ticker", "announced"]), benchmark="000300.SS")


@pytest.mark.parametrize(
    "announced",
    ["05/06/2019 18:00", "15/05/2019 18:00", "May 2019", "2019-05", "2019-05-15 6pm", "15 May 2019 18:00",
     "2019-5-15T18:00", "20190515T1800"],
)  # fmt: skip
def test_an_announcement_that_is_not_iso_8601_is_refused_with_the_accepted_form(tmp_path, announced):
    """Each of these was read on main with a day 0 the user never chose (05/06 as 6 May, May 2019 as 1 May)."""
    text = GOOD.replace('"2019-10-07T18:00:00-04:00"', f'"{announced}"\n    timezone: America/New_York')
    with pytest.raises(ConfigError) as err:
        load_study(write(tmp_path, text))
    message = str(err.value)
    assert f"events[0].announced: {announced!r} is not an ISO 8601 date-time; write YYYY-MM-DDTHH:MM[:SS]" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("announced", "utc"),
    [("2019-10-07T18:00:00-04:00", "2019-10-07 22:00"), ("2019-10-07 18:00", "2019-10-07 22:00"),
     ("2019-10-07T22:00Z", "2019-10-07 22:00"), ("2019-10-08T06:00:00+0800", "2019-10-07 22:00"),
     ("2019-10-08T06:00+08", "2019-10-07 22:00"), ("2019-10-07T18:00:00.000", "2019-10-07 22:00")],
)  # fmt: skip
def test_iso_8601_forms_are_read(tmp_path, announced, utc):
    zone = (
        ""
        if announced[-1] == "Z" or announced[-6] in "+-" or announced[-5] in "+-" or announced[-3] in "+-"
        else "\n    timezone: America/New_York"
    )
    study = load_study(write(tmp_path, GOOD.replace('"2019-10-07T18:00:00-04:00"', f'"{announced}"{zone}')))
    assert study.events[0].announced == pd.Timestamp(utc, tz="UTC")


@pytest.mark.parametrize("year", ["1850", "1899", "2099"])
def test_a_year_no_prices_can_cover_is_a_study_file_error(tmp_path, year):
    text = GOOD.replace('"2019-10-07T18:00:00-04:00"', f'"{year}-10-07T18:00:00-04:00"')
    with pytest.raises(
        ConfigError, match=r"events\[0\]\.announced: '\d{4}-10-07T18:00:00-04:00' is outside the years "
    ):
        load_study(write(tmp_path, text))


def test_a_date_before_the_trading_calendar_exits_2_naming_file_and_field(tmp_path, capsys):
    """1950 is a plausible year, but the exchange calendars start in 1991: exit 2 (the date), not 3 (data)."""
    from eventstudy.cli import main

    path = write(tmp_path, GOOD.replace('"2019-10-07T18:00:00-04:00"', '"1950-10-07T18:00:00-04:00"'))
    assert main(["validate", str(path)]) == 2
    assert main(["run", str(path), "--source", "snapshot", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    for line in err:
        assert f"{path}: events[0].announced: XSHE: 1950-10-08 is outside the trading calendar (1991-01-02" in line


def test_a_factor_model_needs_a_factor_file(tmp_path, capsys):
    from eventstudy.cli import main

    with pytest.raises(ConfigError, match=r"study\.model: model 'factor' needs a factor_file"):
        load_study(
            write(tmp_path, GOOD.replace("  benchmark: 000300.SS\n", "  benchmark: 000300.SS\n  model: factor\n"))
        )
    path = write(
        tmp_path,
        GOOD.replace("  benchmark: 000300.SS\n", "  benchmark: 000300.SS\n  model: factor\n  factor_file: gone.csv\n"),
    )
    assert main(["validate", str(path)]) == 2
    assert "gone.csv: no such factor file" in capsys.readouterr().err


# ---- estimation_exclude (issue 21, item 3): study_events (default), none, or a list of dates


def _with_exclude(value: str) -> str:
    return GOOD.replace("  benchmark: 000300.SS\n", f"  benchmark: 000300.SS\n  estimation_exclude: {value}\n", 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "study_events"),
        ("study_events", "study_events"),
        ("none", "none"),
        ("[2019-05-17, 2019-05-16, 2019-05-17]", ("2019-05-16", "2019-05-17")),  # sorted, once each
        ('["2019-05-16"]', ("2019-05-16",)),
        ("[]", ()),
    ],
)
def test_estimation_exclude_is_read(tmp_path, value, expected):
    from datetime import date

    study = load_study(write(tmp_path, GOOD if value is None else _with_exclude(value)))
    want = expected if isinstance(expected, str) else tuple(date.fromisoformat(d) for d in expected)
    assert study.estimation_exclude == want


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", "study.estimation_exclude: expected study_events or none or a list of dates YYYY-MM-DD, got 'all'"),
        (
            "study-events",
            "study.estimation_exclude: expected study_events or none or a list of dates YYYY-MM-DD, got 'study-events'",
        ),
        (
            "no",
            "study.estimation_exclude: expected study_events or none or a list of dates YYYY-MM-DD, got False "
            "(YAML reads bare yes/no/on/off as true/false)",
        ),
        ("", "study.estimation_exclude: expected study_events or none or a list of dates YYYY-MM-DD, got None"),
        (
            "2019-05-16",
            "study.estimation_exclude: expected study_events or none or a list of dates YYYY-MM-DD, got '2019-05-16'",
        ),
        ("{from: 2019-05-16}", "study.estimation_exclude: expected study_events or none or a list of dates"),
        ("[2019-05-16, 16/05/2019]", "study.estimation_exclude[1]: expected a date YYYY-MM-DD, got '16/05/2019'"),
        ("[2019-02-30]", "study.estimation_exclude[0]: expected a date YYYY-MM-DD, got '2019-02-30'"),
        ("[20190516]", "study.estimation_exclude[0]: expected a date YYYY-MM-DD, got 20190516"),
        ("[[2019-05-16]]", "study.estimation_exclude[0]: expected a date YYYY-MM-DD, got ['2019-05-16']"),
        ("[2019-05-16T00:00:00]", "study.estimation_exclude[0]: expected a date YYYY-MM-DD, got '2019-05-16T00:00:00'"),
    ],
)
def test_a_bad_estimation_exclude_names_file_field_and_value(tmp_path, capsys, value, expected):
    from eventstudy.cli import main

    path = write(tmp_path, _with_exclude(value))
    with pytest.raises(ConfigError) as err:
        load_study(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message
    assert main(["validate", str(path)]) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and expected in err_lines[0]


def test_from_events_takes_estimation_exclude_as_the_study_file_does():
    from datetime import UTC, date, datetime

    from eventstudy.spec.config import Study

    rows = [{"event_id": "ev-1", "ticker": "002415.SZ", "announced": "2019-10-07T18:00-04:00", "exchange": "XSHE"}]
    listed = ("2019-05-20", date(2019, 5, 16), pd.Timestamp("2019-05-17"), datetime(2019, 5, 21))
    study = Study.from_events(rows, benchmark="000300.SS", estimation_exclude=listed)
    assert study.estimation_exclude == (date(2019, 5, 16), date(2019, 5, 17), date(2019, 5, 20), date(2019, 5, 21))
    assert Study.from_events(rows, benchmark="000300.SS").estimation_exclude == "study_events"
    assert Study.from_events(rows, benchmark="000300.SS", estimation_exclude="none").estimation_exclude == "none"
    for bad, shown in (
        ("everything", "got 'everything'"),
        ([pd.Timestamp("2019-05-16 10:30")], "[0]: expected a date YYYY-MM-DD, got Timestamp('2019-05-16 10:30:00')"),
        ([datetime(2019, 5, 16, tzinfo=UTC)], "[0]: expected a date YYYY-MM-DD, got datetime.datetime"),
        ([None], "[0]: expected a date YYYY-MM-DD, got None"),
    ):
        with pytest.raises(ConfigError) as err:
            Study.from_events(rows, benchmark="000300.SS", estimation_exclude=bad)
        assert str(err.value).startswith("events table: study.estimation_exclude") and shown in str(err.value)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("", (-10, -1)),
        ("  pre_window: [-5, -2]\n", (-5, -2)),
        ("  estimation_window: [-200, -4]\n  daily_path: [-3, 20]\n", (-3, -1)),  # shortened to fit
        ("  estimation_window: [-200, -1]\n  daily_path: [0, 20]\n  event_windows: [[0, 1]]\n", None),  # no room
    ],
)
def test_pre_window_default_and_setting(tmp_path, settings, expected):
    text = GOOD.replace("  benchmark: 000300.SS\n", "  benchmark: 000300.SS\n" + settings, 1)
    assert load_study(write(tmp_path, text)).pre_window == expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("[-3, 0]", "study.pre_window: window [-3, 0] must end before day 0"),
        ("[-20, -1]", "study.pre_window: window [-20, -1] must end before day 0 and start after the estimation window"),
        ("[-1, -5]", "study.pre_window: window [-1, -5] is reversed"),
    ],
)
def test_bad_pre_window_is_a_one_line_error(tmp_path, window, expected):
    path = write(
        tmp_path, GOOD.replace("  benchmark: 000300.SS\n", f"  benchmark: 000300.SS\n  pre_window: {window}\n")
    )
    with pytest.raises(ConfigError) as err:
        load_study(path)
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value) and "\n" not in str(err.value)
