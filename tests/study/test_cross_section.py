"""Cross-sectional regression of CARs: hand-worked OLS/HC1, statsmodels cross-checks, size under the null,
the study-file block and its errors, and the default study's output."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import ConfigError, DataError
from eventstudy.spec.config import parse_study
from eventstudy.study.cross_section import (
    COLUMNS,
    cross_section_table,
    fit_cross_section,
    parse_cross_section,
    regression_data,
)


def _frame(car, x, dates):
    return pd.DataFrame({"car": car, "x": x, "day0": pd.to_datetime(dates)})


def test_hand_worked_ols_with_hc1_on_one_event_date():
    # x = 0..3, car = 1, 3, 2, 5: b = 5.5 / 5 = 1.1, a = 2.75 - 1.5 * 1.1 = 1.1; residuals -0.1, 0.8, -1.3, 0.6
    # HC0 Var(b) = sum (x - 1.5)^2 e^2 / 5^2 = 1.415 / 25 = 0.0566; HC1 = HC0 * n / (n - k) = 0.1132
    data = _frame([1.0, 3.0, 2.0, 5.0], [0.0, 1.0, 2.0, 3.0], ["2019-10-08"] * 4)
    got = fit_cross_section(data, "car ~ x").set_index("term")
    assert list(fit_cross_section(data, "car ~ x").columns) == COLUMNS
    assert got.loc["x", "coef"] == pytest.approx(1.1) and got.loc["Intercept", "coef"] == pytest.approx(1.1)
    assert got.loc["x", "se"] == pytest.approx(np.sqrt(0.1132))
    # p from Student t with n - k = 2 degrees of freedom
    from scipy import stats

    assert got.loc["x", "p"] == pytest.approx(2 * stats.t.sf(1.1 / np.sqrt(0.1132), 2))
    # R^2 = 1 - SSR / SST: SSR = 0.01 + 0.64 + 1.69 + 0.36 = 2.70, SST = 3.0625 + 0.0625 + 0.5625 + 5.0625 = 8.75
    assert got.loc["x", "r2"] == pytest.approx(1 - 2.70 / 8.75)
    assert got.loc["x", "cov_type"] == "HC1" and got.loc["x", "n"] == 4 and got.loc["x", "clusters"] == 1
    assert "n = 4 for 2 parameters" in got.loc["x", "note"] and "one event date" in got.loc["x", "note"]


def _synthetic(seed: int, dates: int, firms: int, rho: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    day0 = np.repeat(pd.date_range("2019-01-01", periods=dates, freq="7D"), firms)
    common = np.repeat(rng.normal(0, 0.02, dates), firms)  # the shared event-day shock
    beta = rng.uniform(0.5, 1.5, dates * firms)
    size = rng.normal(10, 1, dates * firms)
    car = np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.normal(0, 0.02, dates * firms)
    return pd.DataFrame({"car": car, "bhar": car * 1.01, "beta": beta, "size": size, "day0": day0,
                         "exchange": np.where(np.arange(dates * firms) % 3 == 0, "XSHG", "XSHE")})  # fmt: skip


def test_clustered_fit_equals_statsmodels_formula_api():
    import statsmodels.formula.api as smf

    data = _synthetic(1, dates=6, firms=7)
    data.loc[3, "size"] = np.nan  # a missing characteristic: the row is dropped, clusters still aligned
    got = fit_cross_section(data, "car ~ beta + size + C(exchange)").set_index("term")
    use = data.dropna()
    direct = smf.ols("car ~ beta + size + C(exchange)", use).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(use["day0"])[0]}, use_t=True
    )
    assert got["coef"].to_numpy() == pytest.approx(direct.params.to_numpy(), rel=1e-10)
    assert got["se"].to_numpy() == pytest.approx(direct.bse.to_numpy(), rel=1e-10)
    assert got["p"].to_numpy() == pytest.approx(direct.pvalues.to_numpy(), rel=1e-10)
    assert list(got.index) == list(direct.params.index)
    assert (got["n"] == 41).all() and (got["clusters"] == 6).all() and (got["cov_type"] == "cluster(event date)").all()
    assert got["r2"].iloc[0] == pytest.approx(direct.rsquared)
    assert "1 firm-event(s) with a missing variable left out" in got["note"].iloc[0]
    assert "6 event-date clusters (< 30)" in got["note"].iloc[0]


def test_hc1_fit_equals_statsmodels_on_one_date_and_bhar_can_be_the_outcome():
    import statsmodels.formula.api as smf

    data = _synthetic(2, dates=1, firms=40)
    got = fit_cross_section(data, "bhar ~ beta").set_index("term")
    direct = smf.ols("bhar ~ beta", data).fit(cov_type="HC1", use_t=True)
    assert got["coef"].to_numpy() == pytest.approx(direct.params.to_numpy(), rel=1e-10)
    assert got["se"].to_numpy() == pytest.approx(direct.bse.to_numpy(), rel=1e-10)
    assert got["p"].to_numpy() == pytest.approx(direct.pvalues.to_numpy(), rel=1e-10)


def test_clustered_test_of_a_firm_level_null_holds_its_size():
    # 40 event dates x 6 firms, errors correlated within a date, beta unrelated to CAR: reject at 5% ~ 5%
    reps = 300
    rejected = sum(fit_cross_section(_synthetic(100 + r, 40, 6), "car ~ beta").set_index("term").loc["beta", "p"] < 0.05
                   for r in range(reps))  # fmt: skip
    assert 0.02 <= rejected / reps <= 0.09


def test_small_designs_are_flagged_or_refused():
    data = _synthetic(3, dates=2, firms=4)
    note = fit_cross_section(data, "car ~ beta + exchange").note.iloc[0]
    assert "n = 8 for 3 parameters (< 10 per parameter): too small to mean much" in note
    assert "2 event-date clusters (< 30): clustered standard errors are unreliable (t with 1 d.f.)" in note
    dated = data.assign(shock=data["day0"].dt.day.astype(float))  # constant within each date
    assert "shock constant within each event date" in fit_cross_section(dated, "car ~ shock").note.iloc[0]
    with pytest.raises(DataError, match="3 firm-events with data for 3 parameters"):
        fit_cross_section(data.iloc[:3], "car ~ beta + size")
    with pytest.raises(DataError, match="collinear"):
        fit_cross_section(data.assign(beta2=2 * data["beta"]), "car ~ beta + beta2")
    with pytest.raises(ConfigError, match=r"cross_section.formula: 'car ~ leverage'"):
        fit_cross_section(data, "car ~ leverage")
    big = fit_cross_section(_synthetic(4, dates=40, firms=3), "car ~ beta").note.iloc[0]
    assert big == ""  # 120 firm-events, 40 dates: nothing to flag


STUDY = """
study:
  id: demo
  title: Demo
  benchmark: 000300.SS
  event_windows: [[0, 1], [0, 5]]
events:
  - id: ev-1
    title: An event
    announced: "2019-10-07T18:00:00-04:00"
    firms:
      - {ticker: 002415.SZ, name: Hikvision, exchange: XSHE}
cross_section:
  window: [0, 1]
  formula: "car ~ beta + size"
  characteristics: firms.csv
"""


def _study(tmp_path, text=STUDY, csv="ticker,event_id,size\n002415.SZ,ev-1,11.5\n"):
    import yaml

    (tmp_path / "firms.csv").write_text(csv, encoding="utf-8")
    return parse_study(yaml.safe_load(textwrap.dedent(text)), str(tmp_path / "study.yaml"))


def test_block_is_parsed_with_its_characteristics(tmp_path):
    spec = parse_cross_section(_study(tmp_path))
    assert spec.window == (0, 1) and spec.formula == "car ~ beta + size"
    assert spec.characteristics.to_dict(orient="records") == [{"ticker": "002415.SZ", "event_id": "ev-1", "size": 11.5}]
    assert parse_cross_section(_study(tmp_path, STUDY[: STUDY.index("cross_section:")])) is None


@pytest.mark.parametrize(
    ("old", "new", "csv", "expected"),
    [
        ("window: [0, 1]", "window: [0, 2]", None, "cross_section.window: [0, 2] is not one of the event windows"),
        ('"car ~ beta + size"', '"ar ~ beta"', None, "the left-hand side must be car or bhar, not 'ar'"),
        ('"car ~ beta + size"', "42", None, "cross_section.formula: expected a formula"),
        ("  window: [0, 1]", "  windows: [0, 1]", None, "cross_section.windows: unknown key"),
        ("firms.csv", "nope.csv", None, "cross_section.characteristics: "),
        (None, None, "ticker,size\n002415.SZ,1\n", "missing column 'event_id'"),
        (None, None, "ticker,event_id,beta\n002415.SZ,ev-1,1\n", "column 'beta' would shadow the built-in"),
        (None, None, "ticker,event_id,size\nA,ev-1,1\nA,ev-1,2\n", "ticker 'A', event_id 'ev-1' appears more than once (row 3)"),
    ],
)  # fmt: skip
def test_bad_blocks_name_file_field_and_value(tmp_path, old, new, csv, expected):
    text = STUDY if old is None else STUDY.replace(old, new, 1)
    kwargs = {} if csv is None else {"csv": csv}
    with pytest.raises(ConfigError) as err:
        parse_cross_section(_study(tmp_path, text, **kwargs))
    message = str(err.value)
    assert message.startswith(str(tmp_path / "study.yaml")) and expected in message and "\n" not in message


def test_default_study_regression(default_results):
    table = default_results.extra["cross_section"]
    assert list(table.term) == ["Intercept", "beta"]
    spec = parse_cross_section(default_results.study)
    assert spec.window == (0, 1) and spec.formula == "car ~ beta"
    data = regression_data(default_results, spec)
    car = default_results.car.query("window_start == 0 and window_end == 1")
    assert len(data) == len(car) == 28 and set(data.exchange) == {"XSHE", "XNAS", "XNYS"}  # both markets
    # the data are car.csv's CARs next to estimates.csv's betas, firm-event by firm-event
    est = default_results.estimates.set_index(["event_id", "ticker"])
    for r in data.itertuples():
        assert r.beta == est.loc[(r.event_id, r.ticker), "beta"]
    assert (table.n == 28).all() and (table.clusters == 2).all()  # two event dates, each shared by both markets
    assert "clustered standard errors are unreliable" in table.note.iloc[0]


def test_characteristics_join_on_ticker_and_event(default_results, tmp_path):
    rows = ["ticker,event_id,size"] + [
        f"{fe.ticker},{fe.event_id},{10 + i}" for i, fe in enumerate(default_results.abnormal.firm_events) if i != 5
    ]
    (tmp_path / "chars.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    study = dataclasses.replace(
        default_results.study,
        path=tmp_path / "events.yaml",
        extra={"cross_section": {"window": [0, 5], "formula": "car ~ size", "characteristics": "chars.csv"}},
    )
    table = cross_section_table(dataclasses.replace(default_results, study=study))
    assert (table.n == 27).all()  # of 28, the firm-event without a row in chars.csv is dropped
    assert "1 firm-event(s) with a missing variable left out" in table.note.iloc[0]
