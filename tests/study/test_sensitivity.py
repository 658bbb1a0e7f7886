"""Benchmark sensitivity (sensitivity.csv): the headline under each alternative benchmark of the firms' market."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli.commands import main
from eventstudy.data import open_provider
from eventstudy.publish.outputs import COLUMNS, write_tables
from eventstudy.study.analysis import analyse
from eventstudy.study.plan import prepare_inputs
from eventstudy.study.run import data_warnings, run_study
from eventstudy.study.sensitivity import COLUMNS as SENSITIVITY_COLUMNS
from eventstudy.study.sensitivity import study_sensitivity, sub_inputs
from eventstudy.study.summary import study_summary

from ..conftest import ROOT, SNAPSHOT_CSV

US_HUAWEI = "us-suppliers-huawei-2019-05-15"
CN_OCTOBER = "us-entity-list-2019-10-07"
RTOL = 1e-12


def rows(frame: pd.DataFrame, event_id: str, window: tuple[int, int]) -> pd.DataFrame:
    hit = (frame["event_id"] == event_id) & (frame["window_start"] == window[0]) & (frame["window_end"] == window[1])
    return frame[hit].set_index("benchmark")


def test_the_main_row_is_summary_csvs_row(default_results):
    sens = rows(study_sensitivity(default_results), US_HUAWEI, (0, 1))
    summary = rows(study_summary(default_results), US_HUAWEI, (0, 1)).iloc[0]
    main = sens.loc["VONE"]
    assert main["role"] == "main" and main["calendar"] == "XNYS" and main["caar_diff"] == 0.0
    assert main["n_firms"] == summary["n_firms"] == 13 and main["test"] == summary["test"] == "kp_bmp_t"
    for column in ("caar", "statistic", "p_value"):
        assert main[column] == pytest.approx(summary[column], rel=RTOL, abs=0)
    assert main["caar"] == pytest.approx(-0.108, abs=5e-4)  # the issue's −10.8 %


def test_a_rerun_against_the_firms_own_benchmark_reproduces_summary_csv(default_study, default_results):
    """The sensitivity runs (firms re-selected, benchmark set on each firm, only the primary test, no daily path)
    give the main run's headline when the benchmark is the firms' own: the same machinery, nothing else changed."""
    inputs = prepare_inputs(default_study, open_provider("snapshot"))
    us = [i for i, m in enumerate(inputs.markets) if m.calendar == "XNYS"]
    again = study_summary(analyse(sub_inputs(inputs, us, "VONE"), tests=("kp_bmp_t",)))
    summary = study_summary(default_results)
    summary = summary[summary["event_id"].isin(set(again["event_id"]))].reset_index(drop=True)
    assert len(again) == len(summary) == 8  # two US events × four windows
    assert (again["n_firms"] == summary["n_firms"]).all() and (again["note"] == summary["note"]).all()
    for column in ("caar", "median_car", "statistic", "p_value"):
        np.testing.assert_allclose(again[column], summary[column], rtol=RTOL, atol=0)


def test_soxx_row_matches_an_independent_market_model(default_results):
    """CAAR[0, 1] of the US suppliers of Huawei against SOXX: OLS of each firm's returns on SOXX's over days −260..−11
    (numpy lstsq), AR = r − α − β m on days 0 and +1, CAR their sum, CAAR the mean — inputs from the run's returns
    panel (which carries SOXX as an alternative), the regression done here."""
    panel = default_results.panels[("XNYS", "VONE")]
    estimates = default_results.estimates.set_index(["event_id", "ticker"])
    cars = []
    for fe in default_results.abnormal.firm_events:
        if fe.event_id != US_HUAWEI:
            continue
        d0 = panel.position(fe.day0)
        r, span = panel.returns[fe.ticker].to_numpy(), panel.span[fe.ticker].to_numpy()
        assert (span[d0 - 261 : d0 + 2] == 1).all()  # no halt: every return is a single-session one
        sample = slice(d0 - 260, d0 - 10)
        fits = {}
        for index in ("VONE", "SOXX"):
            m = panel.returns[index].to_numpy()
            use = np.isfinite(r[sample]) & np.isfinite(m[sample])
            design = np.column_stack([np.ones(use.sum()), m[sample][use]])
            fits[index] = np.linalg.lstsq(design, r[sample][use], rcond=None)[0]
            assert use.sum() == estimates.loc[(fe.event_id, fe.ticker), "n_est"]
        # the same regression on VONE gives the main run's β: the sample and the returns are the run's
        assert fits["VONE"][1] == pytest.approx(estimates.loc[(fe.event_id, fe.ticker), "beta"], rel=1e-10)
        alpha, beta = fits["SOXX"]
        m = panel.returns["SOXX"].to_numpy()
        cars.append(sum(r[d0 + k] - alpha - beta * m[d0 + k] for k in (0, 1)))
    assert len(cars) == 13
    soxx = rows(study_sensitivity(default_results), US_HUAWEI, (0, 1)).loc["SOXX"]
    vone = rows(study_sensitivity(default_results), US_HUAWEI, (0, 1)).loc["VONE"]
    assert soxx["role"] == "alternative" and soxx["n_firms"] == 13 and soxx["test"] == "kp_bmp_t"
    assert soxx["caar"] == pytest.approx(float(np.mean(cars)), rel=RTOL, abs=0)
    assert soxx["caar"] == pytest.approx(-0.068, abs=5e-4)  # the issue's −6.8 %
    assert soxx["caar_diff"] == pytest.approx(soxx["caar"] - vone["caar"], rel=RTOL, abs=0)
    assert np.isfinite(soxx["p_value"]) and 0 < soxx["p_value"] < 1 and soxx["p_value"] != vone["p_value"]


def test_an_alternative_applies_only_to_firms_on_its_calendar(default_results):
    sens = study_sensitivity(default_results)
    shenzhen = rows(sens, CN_OCTOBER, (0, 1))
    assert list(shenzhen.index) == ["000300.SS", "000001.SS", "399106.SZ"]  # main first, then the alternatives
    assert list(shenzhen["role"]) == ["main", "alternative", "alternative"]
    assert set(shenzhen["calendar"]) == {"XSHG"} and set(shenzhen["exchange"]) == {"Shenzhen"}
    assert (shenzhen["n_firms"] == 4).all() and shenzhen["caar"].notna().all()
    assert list(rows(sens, US_HUAWEI, (0, 1)).index) == ["VONE", "QQQ", "ONEQ", "SOXX"]
    assert not sens[sens["event_id"].str.startswith("us-entity-list")]["benchmark"].isin(["QQQ", "ONEQ", "SOXX"]).any()
    assert not sens[sens["calendar"] == "XNYS"]["benchmark"].isin(["000001.SS", "399106.SZ", "000300.SS"]).any()
    # 2 Chinese events × 4 windows × 3 benchmarks + 2 US events × 4 windows × 4 benchmarks
    assert len(sens) == 2 * 4 * 3 + 2 * 4 * 4 and list(sens.columns) == SENSITIVITY_COLUMNS


def test_a_study_without_alternatives_has_no_benchmark_rows(tmp_path, default_study):
    us = tuple(ev for ev in default_study.events if ev.id == "us-suppliers-2019-10-07")
    study = dataclasses.replace(default_study, events=us, alternative_benchmarks=(), extra={})
    results = run_study(study, open_provider("snapshot"))
    assert list(study_sensitivity(results).columns) == COLUMNS["sensitivity.csv"] and study_sensitivity(results).empty
    write_tables(results, tmp_path, "snapshot")
    written = pd.read_csv(tmp_path / "sensitivity.csv")  # only the headline without the confounded firm-events
    assert list(written.columns) == COLUMNS["sensitivity.csv"]
    assert list(written["role"]) == ["without_confounded"] * 4  # (eventstudy/study/unconfounded.py)
    assert len(pd.read_csv(tmp_path / "summary.csv")) == 4  # the rest of the run is there


def test_missing_or_gapped_alternatives_say_why_instead_of_a_number(tmp_path, default_study):
    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder)
    soxx = (folder / "SOXX.csv").read_text().splitlines(keepends=True)
    hole = next(i for i, line in enumerate(soxx) if line.startswith("2018-07-02"))  # in May's estimation window only
    (folder / "SOXX.csv").write_text("".join(soxx[:hole] + soxx[hole + 1 :]))
    us = tuple(ev for ev in default_study.events if ev.id.startswith("us-suppliers"))
    study = dataclasses.replace(default_study, events=us, alternative_benchmarks=("SOXX", "NOSUCH"), extra={})
    results = run_study(study, open_provider(f"csv:{folder}"))  # no crash: the main run needs neither
    sens = study_sensitivity(results)
    missing = sens[sens["benchmark"] == "NOSUCH"]
    assert len(missing) == 8 and missing["caar"].isna().all() and missing["n_firms"].isna().all()
    assert missing["note"].str.startswith("benchmark NOSUCH: no prices (NOSUCH: no price file").all()
    may = rows(sens, US_HUAWEI, (0, 1)).loc["SOXX"]
    assert may["n_firms"] == 0 and np.isnan(may["caar"]) and np.isnan(may["caar_diff"])
    assert "NPTN left out: benchmark SOXX has no data on 2018-07-02" in may["note"]
    october = rows(sens, "us-suppliers-2019-10-07", (0, 1))  # its estimation window starts after the hole
    assert october.loc["SOXX", "n_firms"] == 7 and np.isfinite(october.loc["SOXX", "caar"])
    assert october.loc["SOXX", "note"] == ""
    warnings = [w for w in data_warnings(results) if w.startswith("sensitivity.csv")]
    assert warnings[0].startswith(
        "sensitivity.csv: no CAAR against SOXX in 4 of 8 rows (NPTN left out: benchmark SOXX has no data on 2018-07-02"
    )
    assert warnings[1].startswith("sensitivity.csv: no CAAR against NOSUCH in 8 of 8 rows (benchmark NOSUCH: no prices")
    main = study_summary(results)
    assert rows(main, US_HUAWEI, (0, 1)).iloc[0]["caar"] == pytest.approx(
        rows(sens, US_HUAWEI, (0, 1)).loc["VONE", "caar"]
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(out), "--quiet"]) == 0
    return out / "entity-list-2019"


def test_eventstudy_run_writes_sensitivity_csv(published, default_results):
    lines = (published / "sensitivity.csv").read_text().splitlines()
    assert lines[0] == ",".join(SENSITIVITY_COLUMNS)
    written = pd.read_csv(published / "sensitivity.csv", keep_default_na=False, na_values=[""])
    assert len(written) == 56 + 16  # + 4 events × 4 windows without the confounded (eventstudy/study/unconfounded.py)
    assert (written["role"].iloc[56:] == "without_confounded").all()
    soxx = rows(written, US_HUAWEI, (0, 1)).loc["SOXX"]
    expected = rows(study_sensitivity(default_results), US_HUAWEI, (0, 1)).loc["SOXX"]
    assert soxx["caar"] == pytest.approx(expected["caar"], rel=RTOL, abs=0)  # full precision in the file
    manifest = (published / "manifest.json").read_text()
    assert '"sensitivity.csv"' in manifest
    doc = pd.read_json(published / "study.json", typ="series")
    assert len(doc["sensitivity"]) == 56 + 16 and doc["sensitivity"][0]["role"] == "main"


def test_an_event_on_two_calendars_compares_the_same_firms(default_study, default_results):
    """The Shenzhen firms and the US suppliers of the October announcement as one event: summary.csv averages all
    eleven, but each calendar's sensitivity rows — main and alternatives — are over that calendar's firms only, so
    they equal the rows of the two one-calendar events of the default study."""
    china, us = (next(ev for ev in default_study.events if ev.id == e) for e in (CN_OCTOBER, "us-suppliers-2019-10-07"))
    both = dataclasses.replace(china, firms=china.firms + us.firms)
    others = tuple(ev for ev in default_study.events if ev.id not in (CN_OCTOBER, "us-suppliers-2019-10-07"))
    study = dataclasses.replace(default_study, events=(both, *others), extra={})  # (the May events: the same masks)
    sens = study_sensitivity(run_study(study, open_provider("snapshot")))
    sens = sens[sens["event_id"] == CN_OCTOBER]
    expected = study_sensitivity(default_results)
    for calendar, event_id in (("XSHG", CN_OCTOBER), ("XNYS", "us-suppliers-2019-10-07")):
        got = sens[sens["calendar"] == calendar].reset_index(drop=True)
        want = expected[expected["event_id"] == event_id].reset_index(drop=True)
        assert list(got["benchmark"]) == list(want["benchmark"]) and list(got["n_firms"]) == list(want["n_firms"])
        for column in ("caar", "caar_diff", "statistic", "p_value"):
            np.testing.assert_allclose(got[column], want[column], rtol=RTOL, atol=1e-15)
    assert set(sens["exchange"]) == {"Shenzhen", "Nasdaq"} and (sens["event_id"] == CN_OCTOBER).all()
