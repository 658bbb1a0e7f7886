"""``model: ff3`` on a US study from the recorded factor file (offline), cross-checked against statsmodels OLS; the
coverage error; a region without a cached file; ``factor_region`` in the study file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import open_provider
from eventstudy.data.french import VENDORED_DIR, FactorLibrary, library_url, parse_library_csv
from eventstudy.errors import ConfigError, DataError, DataUnavailable
from eventstudy.spec.config import load_study
from eventstudy.spec.factor_models import region_for
from eventstudy.study.run import load_checked, run_study
from tests.data.test_french import Recorder, as_library_zip

sm = pytest.importorskip("statsmodels.api")

STUDY = """study:
  id: us-ff3
  title: Huawei suppliers
  benchmark: {benchmark}
  model: {model}
{extra}events:
  - id: huawei-2019-05-15
    title: Huawei on the Entity List
    announced: "2019-05-15T19:00:00"
    timezone: America/New_York
    firms:
{firms}
"""
US_FIRMS = """      - {ticker: NPTN, name: NeoPhotonics, exchange: XNYS}
      - {ticker: QRVO, name: Qorvo, exchange: XNAS}"""


def write(tmp_path: Path, model="ff3", extra="", firms=US_FIRMS, benchmark="VONE") -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(STUDY.format(model=model, extra=extra, firms=firms, benchmark=benchmark), encoding="utf-8")
    return path


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSTUDY_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_ff3_us_study_runs_offline_and_matches_statsmodels(tmp_path, empty_cache):
    """The loadings of a US ff3 study (vendored factors, snapshot prices) are those of statsmodels OLS of the firm's
    single-session estimation returns on a constant, the benchmark return and the library's SMB and HML."""
    results = run_study(load_study(write(tmp_path)), open_provider("snapshot"))
    ab = results.abnormal
    assert ab.model == "ff3" and ab.param_names == ("alpha", "beta", "b_smb", "b_hml")
    factors = parse_library_csv((VENDORED_DIR / "F-F_Research_Data_Factors_daily.csv").read_text(), "ff")
    sessions = results.panels[next(iter(results.panels))].sessions
    for i, fe in enumerate(ab.firm_events):
        pos = sessions.get_loc(fe.day0) + ab.rel_days
        est = ab.estimation[i]
        dates = sessions[pos[est]]
        x = np.column_stack([ab.market[i, est], factors.loc[dates, ["smb", "hml"]].to_numpy()])
        fit = sm.OLS(ab.returns[i, est], sm.add_constant(x)).fit()
        np.testing.assert_allclose(ab.params[i], fit.params, rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(ab.sigma2[i], fit.scale, rtol=1e-9)
        assert int(ab.n_est[i]) == int(fit.nobs) == 250
    assert np.isfinite(results.car["car"]).all()


def test_factors_that_do_not_cover_the_estimation_window(tmp_path, empty_cache):
    """A cached US file that starts in 2019 (newer than the vendored copy) cannot serve an estimation window from
    May 2018: one line naming the file's dates and the firm-event."""
    table = (VENDORED_DIR / "F-F_Research_Data_Factors_daily.csv").read_text(encoding="utf-8").splitlines()
    late = "\n".join([table[0], *(row for row in table[1:] if row >= "20190102")])
    stem = "F-F_Research_Data_Factors_daily"
    FactorLibrary(empty_cache, fetch=Recorder({library_url(stem): as_library_zip(late)})).refresh(stem)
    with pytest.raises(DataError) as info:
        run_study(load_study(write(tmp_path)), open_provider("snapshot"))
    message = str(info.value)
    assert "the factors cover 2019-01-02..2020-12-31, but event huawei-2019-05-15 (NPTN" in message
    assert "needs 2018-05-03..2019-05-31" in message and "\n" not in message


def test_region_without_a_cached_file_says_fetch(tmp_path, empty_cache):
    firms = "      - {ticker: 002415.SZ, name: Hikvision, exchange: XSHE}"
    study = load_study(write(tmp_path, firms=firms, benchmark="000300.SS"))
    load_checked(study.path)  # the settings are valid: Asia Pacific ex Japan has daily files
    with pytest.raises(DataUnavailable, match=r"Asia_Pacific_ex_Japan_3_Factors_Daily_CSV.zip is not cached.*"
                       r"eventstudy fetch"):  # fmt: skip
        run_study(study, open_provider("snapshot"))


def test_factor_region_in_the_study_file(tmp_path):
    study = load_study(write(tmp_path, extra="  factor_region: {XNAS: Developed}\n"))
    assert study.factor_region == {"XNAS": "Developed"}
    assert region_for(study.factor_region, "XNYS") == "Developed"  # Nasdaq follows the NYSE calendar
    assert region_for({}, "XNYS") == "US" and region_for({}, "XSHG") == "Asia Pacific ex Japan"
    assert region_for({"*": "Developed"}, "XSHG") == "Developed"
    with pytest.raises(ConfigError, match=r"study.factor_region: 'Mars' is not a factor region"):
        load_study(write(tmp_path, extra="  factor_region: Mars\n"))
    with pytest.raises(ConfigError, match=r"'Emerging'.*no daily ff3 factors"):
        load_checked(write(tmp_path, extra="  factor_region: Emerging\n"))
    with pytest.raises(ConfigError, match=r"study.factor_region: only models ff3, ff5, carhart read a factor region"):
        load_study(write(tmp_path, model="garch", extra="  factor_region: US\n"))
    london = "      - {ticker: VOD.L, name: Vodafone, exchange: XLON, benchmark: ISF.L}"
    with pytest.raises(ConfigError, match="no default factor region for the XLON calendar"):
        load_checked(write(tmp_path, firms=london, benchmark="ISF.L"))


def test_loadings_reach_estimates(tmp_path, empty_cache):
    results = run_study(load_study(write(tmp_path)), open_provider("snapshot"))
    assert {"b_smb", "b_hml"} <= set(results.estimates.columns)
    assert (results.estimates["model"] == "ff3").all()
    assert pd.notna(results.estimates[["b_smb", "b_hml"]]).all().all()


def test_a_refetched_factor_file_changes_the_input_hash(tmp_path, empty_cache):
    """A rebuild notices new factor-library rows: the input hash of the same study and prices differs once the cache
    holds a file with one value changed (the vendored copy served the first run)."""
    from eventstudy.study.plan import prepare_inputs
    from eventstudy.study.run import input_hash

    study = load_study(write(tmp_path))
    inputs = prepare_inputs(study, open_provider("snapshot"))
    first = input_hash(inputs, "snapshot")
    table = (VENDORED_DIR / "F-F_Research_Data_Factors_daily.csv").read_text(encoding="utf-8").splitlines()
    at = next(i for i, row in enumerate(table) if row.startswith("20190102"))
    fields = table[at].split(",")
    fields[2] = f"{float(fields[2]) + 0.01:.2f}"  # SMB on 2019-01-02, in percent as the library writes it
    table[at] = ",".join(fields)
    stem = "F-F_Research_Data_Factors_daily"
    FactorLibrary(empty_cache, fetch=Recorder({library_url(stem): as_library_zip("\n".join(table))})).refresh(stem)
    assert input_hash(inputs, "snapshot") != first
