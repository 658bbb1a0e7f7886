"""The results object: tidy frames equal to the published CSVs, text and HTML summaries, figures, the report."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

import eventstudy as es
from eventstudy.publish.outputs import COLUMNS
from eventstudy.study.summary import COLUMNS as SUMMARY_COLUMNS

from .conftest import ROOT

EVENT = "us-entity-list-2019-10-07"


@pytest.fixture(scope="module")
def results() -> es.Results:
    return es.run(ROOT / "events.yaml", source="snapshot")


@pytest.fixture(scope="module")
def report(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return results.to_report(out)


@pytest.mark.parametrize("name", ["car", "ar", "tests", "estimates", "sensitivity"])
def test_tidy_frames_are_the_published_csvs(results, report, name):
    frame = getattr(results, name)
    assert list(frame.columns) == COLUMNS[f"{name}.csv"]
    published = pd.read_csv(report.parent / f"{name}.csv", keep_default_na=False, na_values=[""])
    # the CSV is written at full precision: reading it back gives the same numbers
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            pd.testing.assert_series_equal(frame[column], published[column].astype(float), check_names=False)
    frame.loc[:, frame.columns[0]] = "changed"  # a copy: the results object is untouched
    assert (getattr(results, name).iloc[:, 0] != "changed").all()


@pytest.mark.parametrize("name", ["ar", "volume"])
def test_label_columns_reach_the_user_as_texts(results, name):
    """The study holds ar.csv's and volume.csv's labels as categoricals (study/tables.py: label_column); the API's
    copies hold texts, so a user can write any text into them."""
    raw = results.raw.ar if name == "ar" else results.raw.extra[name]
    assert isinstance(raw["ticker"].dtype, pd.CategoricalDtype)
    frame = getattr(results, name)
    assert not any(isinstance(frame[c].dtype, pd.CategoricalDtype) for c in frame.columns)
    assert frame["ticker"].tolist() == raw["ticker"].tolist()
    frame.loc[frame.index[0], "ticker"] = "not a label"
    assert frame["ticker"].iloc[0] == "not a label" and raw["ticker"].iloc[0] != "not a label"


def test_claims_frame_is_claims_csv_with_the_long_horizon_columns(results, report):
    from eventstudy.claims import TABLE_COLUMNS

    frame = results.claims
    assert list(frame.columns) == TABLE_COLUMNS and len(frame) == 5
    published = pd.read_csv(report.parent / "claims.csv")
    hik = frame.set_index("claim_id").loc["hikvision-up-25pct-since-blacklisting"]
    back = published.set_index("claim_id").loc["hikvision-up-25pct-since-blacklisting"]
    for column in ("bhar_benchmark", "bhar_control", "bhar_control_p_skew", "ct_alpha", "ct_alpha_p"):
        assert float(back[column]) == float(hik[column])  # full precision
    assert results.long_horizon.empty  # the default study sets no long_window


def test_headline_and_caar(results):
    headline = results.headline
    assert list(headline.columns) == SUMMARY_COLUMNS
    assert len(headline) == 4 * 4  # four events × four windows
    # CAAR of the [0, 5] window of the October event is the mean of the four firms' CARs (car.csv)
    car = results.car
    cars = car[(car.event_id == EVENT) & (car.window_start == 0) & (car.window_end == 5)]["car"]
    row = results.caar.set_index(["event_id", "window_start", "window_end"]).loc[(EVENT, 0, 5)]
    assert row["caar"] == pytest.approx(cars.sum() / 4, rel=1e-12)
    assert row["n_firms"] == 4
    assert list(results.caar.columns) == SUMMARY_COLUMNS[:10]
    assert set(zip(headline.event_id, headline.exchange, headline.benchmark, strict=True)) == {
        (EVENT, "Shenzhen", "000300.SS"),
        ("us-entity-list-huawei-2019-05-15", "Shenzhen", "000300.SS"),
        ("us-suppliers-huawei-2019-05-15", "NYSE; Nasdaq", "VONE"),
        ("us-suppliers-2019-10-07", "Nasdaq", "VONE"),
    }


def test_summary_text(results):
    text = results.summary()
    assert isinstance(text, str) and repr(text) == str(text)  # a notebook shows the table, not a quoted string
    assert text.splitlines()[0].startswith("Study:") and "entity-list-2019" in text.splitlines()[0]
    assert "Model:                 market_model" in text and "benchmark 000300.SS" not in text
    # each event's benchmark: 20 of the 28 firm-events are measured against VONE, not the CSI 300
    assert "Benchmarks:            Shenzhen 000300.SS; NYSE VONE; Nasdaq VONE" in text
    assert f"{EVENT}: Shenzhen against 000300.SS" in text.splitlines()
    assert "us-suppliers-2019-10-07: Nasdaq against VONE" in text.splitlines()
    assert "Events / firm-events:  4 / 28" in text
    for r in results.headline.itertuples():  # every headline row, with its CAAR as printed
        assert any(line.startswith(r.event_id) and f"{100 * r.caar:+.2f}%" in line for line in text.splitlines())
    assert str(results) == text
    assert repr(results) == "<eventstudy.Results entity-list-2019: 4 event(s), 28 firm-events, as of 2020-12-11>"


def test_html_is_the_headline_and_escaped():
    hostile = {
        "study": {"id": "x", "title": "<script>alert(1)</script>", "benchmark": "000300.SS",
                  "event_windows": [[0, 1]]},
        "events": [{"id": "ev", "title": "t", "announced": "2019-10-07T18:00:00-04:00",
                    "firms": [{"ticker": "002230.SZ", "name": "<b>iFlytek</b>", "exchange": "XSHE"}]}],
    }  # fmt: skip
    page = es.run(hostile, source="snapshot")._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("<tr") == 1 + 1  # header + one event × one window
    assert "kp_bmp_t" in page


def test_figures(results):
    car = results.plot_car(EVENT)
    prices = results.plot_prices(EVENT)
    assert isinstance(car, go.Figure) and isinstance(prices, go.Figure)
    names = {t.name for t in car.data if t.name}
    assert names == {"Hikvision", "Dahua Technology", "iFlytek", "Xiamen Meiya Pico", "CAAR"}  # CAAR: the reference
    assert "000300.SS" in {t.name for t in prices.data}
    with pytest.raises(es.ConfigError, match="the study has 4 events; name one"):
        results.plot_car()
    with pytest.raises(es.ConfigError, match="event 'nope' is not in study entity-list-2019"):
        results.plot_prices("nope")


def test_to_report_publishes_like_the_command(results, report):
    assert report.name == "index.html" and report.parent.name == "entity-list-2019"
    files = sorted(p.name for p in report.parent.iterdir())
    assert {"index.html", "car.csv", "tests.csv", "study.json", "claims.csv"} <= set(files)
    index = json.loads((report.parent.parent / "index.json").read_text())["studies"]["entity-list-2019"]
    assert index["status"] == "built" and index["input_hash"] == results.raw.extra["json:input_hash"]
    again = results.to_report(report.parent.parent)  # the second build keeps the first as last-good
    assert again == report and (report.parent.parent / "entity-list-2019.last-good" / "index.html").is_file()
