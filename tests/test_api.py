"""eventstudy.run: a study as a path, a dict or a Study; prices from a source, a provider or frames in memory."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import yaml

import eventstudy as es
from eventstudy.api import as_provider, as_study
from eventstudy.data.frames import FrameProvider
from eventstudy.data.local_csv import read_price_csv
from eventstudy.data.snapshot import SnapshotProvider

from .conftest import ROOT, SNAPSHOT_CSV

SMALL = {
    "study": {"id": "small", "title": "Small", "benchmark": "000300.SS", "event_windows": [[0, 1], [0, 5]]},
    "events": [
        {"id": "ev", "title": "Entity List", "announced": "2019-10-07T18:00:00-04:00",
         "firms": [{"ticker": "002230.SZ", "name": "iFlytek", "exchange": "XSHE"},
                   {"ticker": "300188.SZ", "name": "Meiya Pico", "exchange": "XSHE"}]},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def small_snapshot() -> es.Results:
    return es.run(SMALL, source="snapshot")


def test_study_as_path_dict_or_study_is_the_same_study(default_study):
    as_dict = yaml.safe_load((ROOT / "events.yaml").read_text())
    assert as_study(as_dict) == default_study
    assert as_study(ROOT / "events.yaml") == default_study
    assert as_study(str(ROOT / "events.yaml")) == default_study
    assert as_study(default_study) is default_study
    with pytest.raises(es.ConfigError, match="study: expected a path, a dict or a Study, got int"):
        as_study(3)


def test_dict_errors_name_the_dict_and_field():
    bad = {**SMALL, "study": {**SMALL["study"], "model": "capm"}}
    with pytest.raises(es.ConfigError, match="study dict: study.model: 'capm' is not a model"):
        es.run(bad, source="snapshot")


def test_prices_as_frames_give_the_same_numbers_as_the_files(small_snapshot):
    tickers = ["002230.SZ", "300188.SZ", "000300.SS"]
    frames = {t: read_price_csv(SNAPSHOT_CSV / f"{t}.csv") for t in tickers}
    from_frames = es.run(SMALL, prices=frames)
    pd.testing.assert_frame_equal(from_frames.car, small_snapshot.car)
    pd.testing.assert_frame_equal(from_frames.tests, small_snapshot.tests)
    assert from_frames.source == "prices"
    # the same frames as one long table
    long = pd.concat([f.assign(ticker=t) for t, f in frames.items()]).reset_index()
    pd.testing.assert_frame_equal(es.run(SMALL, prices=long).car, small_snapshot.car)


def test_a_provider_object_and_as_of(small_snapshot):
    r = es.run(SMALL, SnapshotProvider(), as_of="2019-12-31")
    assert r.as_of == date(2019, 12, 31)
    pd.testing.assert_frame_equal(r.car, small_snapshot.car)  # the windows end long before the cut-off
    with pytest.raises(es.ConfigError, match="as_of: '31/12/2019' is not a date"):
        es.run(SMALL, source="snapshot", as_of="31/12/2019")


def test_source_and_prices_are_exclusive_and_checked():
    with pytest.raises(es.ConfigError, match="give either source= or prices=, not both"):
        as_provider("snapshot", {"X": pd.DataFrame({"close": [1.0]}, index=pd.to_datetime(["2019-01-02"]))})
    with pytest.raises(es.ConfigError, match="'nasdaq' is not one of auto, snapshot, yahoo, csv:DIR"):
        as_provider("nasdaq")
    with pytest.raises(es.ConfigError, match="expected auto, snapshot, yahoo, csv:DIR or a PriceProvider, got 42"):
        as_provider(42)  # type: ignore[arg-type]
    assert isinstance(as_provider(None, {"X": pd.DataFrame({"close": [1.0]}, index=pd.to_datetime(["2019-01-02"]))}),
                      FrameProvider)  # fmt: skip


def test_missing_benchmark_in_frames_is_a_data_error():
    frames = {t: read_price_csv(SNAPSHOT_CSV / f"{t}.csv") for t in ["002230.SZ", "300188.SZ"]}
    with pytest.raises(es.DataError, match="000300.SS: not in the prices passed in"):
        es.run(SMALL, prices=frames)


def test_from_events_runs_like_the_study_file(small_snapshot):
    table = pd.DataFrame(
        {"event_id": "ev", "ticker": ["002230.SZ", "300188.SZ"], "announced": "2019-10-07T18:00:00-04:00",
         "exchange": "XSHE", "name": ["iFlytek", "Meiya Pico"], "title": "Entity List"}
    )  # fmt: skip
    study = es.Study.from_events(table, benchmark="000300.SS", windows=[(0, 1), (0, 5)], id="small", title="Small")
    pd.testing.assert_frame_equal(es.run(study, source="snapshot").car, small_snapshot.car)


def test_sensitivity_is_a_tidy_frame(small_snapshot):
    from eventstudy.publish.outputs import COLUMNS

    frame = small_snapshot.sensitivity
    assert list(frame.columns) == COLUMNS["sensitivity.csv"]
    # SMALL names no alternative: only the headline without the confounded firm-events (study/unconfounded.py)
    assert set(frame["role"]) == {"without_confounded"} and len(frame) == len(small_snapshot.headline)
    study = {**SMALL, "study": {**SMALL["study"], "alternative_benchmarks": ["399106.SZ", "QQQ"]}}
    results = es.run(study, source="snapshot")
    frame = results.sensitivity
    frame = frame[frame["role"].isin(["main", "alternative"])]
    assert list(frame["benchmark"].unique()) == ["000300.SS", "399106.SZ"]  # QQQ is not on Shenzhen's calendar
    assert len(frame) == 2 * 2 and (frame["n_firms"] == 2).all() and frame["caar"].notna().all()  # 2 windows
    main = frame[frame["role"] == "main"]
    assert list(main["caar"]) == pytest.approx(list(results.headline["caar"]), rel=1e-12, abs=0)
    frame.loc[:, "caar"] = 0.0  # a copy: the results object is untouched
    assert (results.sensitivity["caar"] != 0.0).all()


def test_volume_volatility_pretrend_and_diagnostics_are_tidy_frames(small_snapshot):
    from eventstudy.model.diagnostics import COLUMNS as DIAGNOSTICS
    from eventstudy.study.reaction import TESTS_COLUMNS, VOLATILITY_COLUMNS, VOLUME_COLUMNS

    assert list(small_snapshot.volume.columns) == VOLUME_COLUMNS and len(small_snapshot.volume)
    assert list(small_snapshot.volatility.columns) == VOLATILITY_COLUMNS and len(small_snapshot.volatility)
    assert list(small_snapshot.reaction_tests.columns) == TESTS_COLUMNS
    assert set(small_snapshot.pretrend["measure"]) == {"pretrend"}
    assert list(small_snapshot.diagnostics.columns) == ["event_id", "ticker", *DIAGNOSTICS]
    frame = small_snapshot.volume
    frame.loc[:, "cav"] = 0.0  # a copy: the results do not change
    assert (small_snapshot.volume["cav"] != 0.0).any()
