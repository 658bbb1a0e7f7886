"""The Python API raises the package's own errors: every bad argument is a ConfigError naming the argument, the
value and what is accepted (issue 20.5). On main each of these raised KeyError, TypeError, AttributeError or
FileExistsError, or returned without a word."""

from __future__ import annotations

import pandas as pd
import pytest

import eventstudy as es

from ..conftest import ROOT

ROWS = [{"event_id": "e", "ticker": "002415.SZ", "announced": "2019-10-07T18:00:00-04:00"}]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: es.run({}), "study dict: study: is required"),
        (lambda: es.run({"study": {"id": "x", "title": "t", "benchmark": "VONE"}}), "study dict: events: is required"),
        (lambda: es.run(ROOT / "events.yaml", source="snapshot", as_of=123),
         "as_of: expected a date, a 'YYYY-MM-DD' string or None, got int 123"),
        (lambda: es.run(ROOT / "events.yaml", source="snapshot", as_of=pd.NaT), "as_of: NaT is not a date"),
        (lambda: es.Study.from_events(None, benchmark="000300.SS"),
         "from_events: expected a DataFrame or a list of rows (dicts of column → value), got NoneType"),
        (lambda: es.Study.from_events({"event_id": "x"}, benchmark="000300.SS"), "or a list of rows"),
        (lambda: es.Study.from_events(["e,002415.SZ"], benchmark="000300.SS"), "from_events: row 0 is a str"),
        (lambda: es.Study.from_events(ROWS, benchmark=None),
         "from_events: benchmark: expected a ticker or a mapping exchange → ticker, got None"),
        (lambda: es.load_study(123), "load_study: expected the path of a study file (str or Path), got int"),
    ],
)  # fmt: skip
def test_bad_arguments_are_config_errors(call, message):
    with pytest.raises(es.ConfigError) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_as_of_accepts_every_form_of_a_date():
    from datetime import date, datetime

    from eventstudy.api import as_date

    want = date(2019, 12, 31)
    for value in ("2019-12-31", want, datetime(2019, 12, 31, 15, 0), pd.Timestamp("2019-12-31 15:00")):
        assert as_date(value) == want
    assert as_date(None) is None


def test_to_report_into_a_regular_file_is_refused_and_the_file_kept(tmp_path):
    target = tmp_path / "reports"
    target.write_text("my notes\n", encoding="utf-8")
    results = es.run(ROOT / "events.yaml", source="snapshot")
    with pytest.raises(es.ConfigError, match="to_report .*reports: cannot write there"):
        results.to_report(target)
    assert target.read_text(encoding="utf-8") == "my notes\n"
