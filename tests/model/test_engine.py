"""Engine: every model on small synthetic panels, hand-worked and cross-checked against statsmodels/scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.data.factors import load_factors, model_options
from eventstudy.data.returns import returns_panel
from eventstudy.errors import ConfigError
from eventstudy.model.engine import FirmEvent, abnormal_returns
from eventstudy.spec.config import parse_study

N_SESSIONS = 80
EST = (-60, -11)
REL = (-60, 5)


def _history(returns: np.ndarray, sessions: pd.DatetimeIndex, halted: set[int] = frozenset()) -> pd.DataFrame:
    """Prices following ``returns`` (per session); ``halted`` sessions are suspended (the return accrues to the
    next trade, as a trade-to-trade return)."""
    close, prev_close, traded = [], [], []
    price, last_trade = 10.0, 10.0
    for i, r in enumerate(returns):
        price *= 1.0 + r
        if i in halted:
            close.append(last_trade)
            prev_close.append(last_trade)
            traded.append(False)
        else:
            close.append(price)
            prev_close.append(last_trade)
            traded.append(True)
            last_trade = price
    return pd.DataFrame({"close": close, "prev_close": prev_close, "volume": 1.0, "traded": traded}, index=sessions)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(7)
    sessions = pd.bdate_range("2020-01-01", periods=N_SESSIONS)
    market = rng.normal(0.0005, 0.01, N_SESSIONS)
    lagged = np.r_[0.0, market[:-1]]
    firm_a = 0.001 + 1.2 * market + 0.3 * lagged + rng.normal(0, 0.01, N_SESSIONS)
    firm_b = -0.0005 + 0.8 * market + rng.normal(0, 0.015, N_SESSIONS)
    histories = {
        "IDX": _history(market, sessions),
        "A": _history(firm_a, sessions),
        "B": _history(firm_b, sessions, halted={30, 31, 72, 73}),  # halts in estimation and event windows
    }
    panel = returns_panel(histories, sessions, benchmarks=("IDX",))
    day0 = sessions[70]
    fes = [FirmEvent("e", "A", "A", day0), FirmEvent("e", "B", "B", day0)]
    return panel, fes, market, {"A": firm_a, "B": firm_b}


def test_market_model_matches_statsmodels(synthetic):
    panel, fes, _, _ = synthetic
    ab = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL)
    for i in range(2):
        est = ab.estimation[i]
        x = ab.design[i][est]
        fit = sm.OLS(ab.returns[i][est], x).fit()
        np.testing.assert_allclose(ab.params[i], fit.params, rtol=1e-10)
        np.testing.assert_allclose(ab.sigma2[i], fit.scale, rtol=1e-10)
        assert ab.dof[i] == fit.df_resid
        # forecast-error variance of one single-session AR = statsmodels' prediction variance of a new observation
        day = int(np.flatnonzero(ab.rel_days == 0)[0])
        if ab.span[i, day] == 1:
            pred = fit.get_prediction(ab.design[i, day][None, :])
            np.testing.assert_allclose(ab.ar_var[i, day], pred.se_obs[0] ** 2, rtol=1e-10)
            np.testing.assert_allclose(ab.ar[i, day], ab.returns[i, day] - pred.predicted_mean[0], rtol=1e-10)


def test_excluded_sessions_leave_the_estimation_sample(synthetic):
    """``exclude`` (issue 21): day 0 is session 70, the estimation window [-60, -11] sessions 10..59. A loses
    sessions 20..24 (5 single-session returns); session 65 (day -5, outside the window) and a Saturday (not a
    session) mask nothing. B loses 30, 31 (halted: no return to lose) and 40: one return fewer, three sessions
    masked. The fit is OLS of close / prev_close − 1 on the index's on what remains, with or without the running
    sums (which cover whole windows, so are not used once a session is masked)."""
    from eventstudy.model.estimation import moments

    panel, fes, _, _ = synthetic
    sessions = panel.sessions
    saturday = pd.Timestamp("2020-01-04")
    assert saturday.day_of_week == 5
    exclude = [pd.DatetimeIndex([*sessions[20:25], sessions[65], saturday]), sessions[[30, 31, 40]]]
    plain = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL)
    ab = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL, exclude=exclude)
    summed = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL, exclude=exclude,
                              moments=moments(panel, "IDX"))  # fmt: skip
    assert ab.masked.sum(axis=1).tolist() == [5, 3]
    assert ab.rel_days[ab.masked[0]].tolist() == [-50, -49, -48, -47, -46]
    assert ab.rel_days[ab.masked[1]].tolist() == [-40, -39, -30]
    assert (ab.n_est == plain.n_est - [5, 1]).all()
    assert not (ab.estimation & ab.masked).any()
    index = synthetic_history_returns(synthetic, "IDX")
    for i, ticker in enumerate(("A", "B")):
        r = synthetic_history_returns(synthetic, ticker)
        keep = [p for p in range(10, 60) if sessions[p] not in exclude[i] and np.isfinite(r[p])]
        keep = [p for p in keep if ticker == "A" or p not in (30, 31, 32)]  # B's return of 32 spans 3 sessions
        fit = sm.OLS(r[keep], sm.add_constant(index[keep])).fit()
        assert ab.n_est[i] == fit.nobs
        np.testing.assert_allclose(ab.params[i], fit.params, rtol=1e-12)
        np.testing.assert_allclose(ab.sigma2[i], fit.scale, rtol=1e-12)
        np.testing.assert_allclose(summed.params[i], fit.params, rtol=1e-12)
        np.testing.assert_allclose(summed.sigma2[i], fit.scale, rtol=1e-12)
    with pytest.raises(ValueError, match="exclude: 1 sets of dates for 2 firm-events"):
        abnormal_returns(panel, "IDX", fes, "market_model", EST, REL, exclude=exclude[:1])
    # The same dates as flat arrays (SessionSets: firm-event of each date), B's given first; and picked for B only.
    from eventstudy.model.engine import SessionSets

    flat = SessionSets(np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
                       np.r_[exclude[1].to_numpy(), exclude[0].to_numpy()].astype("datetime64[ns]"))  # fmt: skip
    assert np.array_equal(abnormal_returns(panel, "IDX", fes, "market_model", EST, REL, exclude=flat).masked, ab.masked)
    only_b = abnormal_returns(panel, "IDX", fes[1:], "market_model", EST, REL, exclude=flat.of([1]))
    assert only_b.rel_days[only_b.masked[0]].tolist() == [-40, -39, -30]


def synthetic_history_returns(synthetic, ticker: str) -> np.ndarray:
    """close / prev_close − 1 of a synthetic history, NaN on a halt (no trade) and on the first session."""
    history = _history_of(synthetic, ticker)
    r = (history["close"] / history["prev_close"] - 1.0).to_numpy(copy=True)
    r[~history["traded"].to_numpy(dtype=bool)] = np.nan
    r[0] = np.nan
    return r


def _history_of(synthetic, ticker: str) -> pd.DataFrame:
    panel, _, market, firms = synthetic
    sessions = panel.sessions
    if ticker == "IDX":
        return _history(market, sessions)
    return _history(firms[ticker], sessions, halted={30, 31, 72, 73} if ticker == "B" else frozenset())


def test_trade_to_trade_span_gets_market_over_same_span(synthetic):
    panel, fes, market, _ = synthetic
    ab = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL)
    # B was halted on sessions 72 and 73 (rel days 2, 3): its return on rel day 4 spans 3 sessions
    day4 = int(np.flatnonzero(ab.rel_days == 4)[0])
    assert ab.span[1, day4] == 3 and ab.span.dtype == np.int32  # (int32: half an (N, W) int64's memory)
    assert np.isnan(ab.ar[1, day4 - 1]) and np.isnan(ab.ar[1, day4 - 2])
    np.testing.assert_allclose(ab.market[1, day4], np.prod(1 + market[72:75]) - 1, rtol=1e-12)
    alpha, beta = ab.params[1]
    np.testing.assert_allclose(ab.ar[1, day4], ab.returns[1, day4] - 3 * alpha - beta * ab.market[1, day4])
    # hand-worked variance: σ²(k + x'(X'X)⁻¹x) with k = 3
    x = ab.design[1, day4]
    np.testing.assert_allclose(ab.ar_var[1, day4], ab.sigma2[1] * (3 + x @ ab.xtx_inv[1] @ x))
    # the multi-session return in the estimation window is not in the estimation sample
    assert not ab.estimation[1][ab.span[1] > 1].any()


def test_cumulate_car_variance_hand_worked(synthetic):
    panel, fes, _, _ = synthetic
    ab = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL)
    mask = ab.days((0, 5))
    res = ab.cumulate(mask)
    for i in range(2):
        use = mask & np.isfinite(ab.ar[i])
        g = ab.design[i][use].sum(axis=0)
        var = ab.sigma2[i] * (ab.span[i][use].sum() + g @ ab.xtx_inv[i] @ g)
        np.testing.assert_allclose(res["car"][i], ab.ar[i][use].sum())
        np.testing.assert_allclose(res["car_se"][i], np.sqrt(var))
        np.testing.assert_allclose(res["car_p"][i], 2 * stats.t.sf(abs(res["car_t"][i]), ab.dof[i]))
        bhar = np.prod(1 + ab.returns[i][use]) - np.prod(1 + ab.market[i][use])
        np.testing.assert_allclose(res["bhar"][i], bhar)


def test_reach_follows_each_firm_event_to_its_own_next_trade(synthetic):
    """Relative days to +2 with each firm-event's own reach: B, suspended on days 2 and 3, is followed to its
    trade of day 4 (reach 2, hand-worked), A is not. The result equals the range widened to day 4 on B's row and
    on A's days to +2; A holds no return on day 4, and day 3 (where nobody's followed return ends) is left out."""
    from eventstudy.model.engine import halt_reaches
    from eventstudy.placebo.run import NO_RETURN

    panel, fes, _, _ = synthetic
    located = (np.array([70, 70]), panel.returns.columns.get_indexer(["A", "B"]))
    reach = halt_reaches(panel, located, 2)
    assert reach.tolist() == [0, 2]
    exclude = [pd.DatetimeIndex([panel.sessions[50]]), pd.DatetimeIndex([])]  # a masked day: columns still line up
    got = abnormal_returns(panel, "IDX", fes, "market_model", EST, (EST[0], 2), exclude=exclude, reach=reach)
    wide = abnormal_returns(panel, "IDX", fes, "market_model", EST, (EST[0], 4), exclude=exclude)
    assert got.rel_days.tolist() == [*range(EST[0], 3), 4]
    assert got.masked[0, 50 - 70 - EST[0]] and got.masked.sum() == 1
    at = np.searchsorted(wide.rel_days, got.rel_days)
    a_days = got.rel_days <= 2
    for name in ("returns", "market", "span", "design", "estimation", "ar", "ar_var", "masked"):
        mine, full = getattr(got, name), getattr(wide, name)[:, at]
        np.testing.assert_allclose(mine[1], full[1], rtol=1e-12, atol=0, err_msg=name)
        np.testing.assert_allclose(mine[0, a_days], full[0, a_days], rtol=1e-12, atol=0, err_msg=name)
        fill = NO_RETURN[name]
        after = mine[0, ~a_days]
        assert (np.isnan(after) if isinstance(fill, float) and np.isnan(fill) else after == fill).all(), name
    assert np.isfinite(wide.ar[0, -1]) and wide.span[1, -2] == 0  # A trades on day 4; B has no return on day 3
    for name in ("params", "xtx_inv", "sigma2", "n_est", "dof"):
        np.testing.assert_allclose(getattr(got, name), getattr(wide, name), rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(got.cumulate(got.overlap((0, 2)))["car"], wide.cumulate(wide.overlap((0, 2)))["car"],
                               rtol=1e-12)  # fmt: skip
    assert got.cumulate(got.overlap((0, 2)))["n_obs"].tolist() == [3, 3]  # B: days 0, 1 and the return of day 4


@pytest.mark.parametrize("python", [False, True], ids=["compiled", "python"])
def test_cumulate_kernel_equals_per_row_sums(synthetic, python, monkeypatch):
    """cumulate's one-pass kernel (compiled, and its Python source) against each row's sums written with numpy
    over an (N, W) mask with a hole and a (W,) mask: count, CAR, σ²(Σk + g'(X'X)⁻¹g) and the BHAR products."""
    from eventstudy.model import abnormal as module

    if python:
        monkeypatch.setattr(module, "_window_sums", module._window_sums.py_func)
    panel, fes, _, _ = synthetic
    ab = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL)
    uneven = ab.overlap((-3, 4))
    uneven[0, np.flatnonzero(ab.rel_days == 1)] = False
    for mask in (uneven, ab.days((-5, 5))):
        res = ab.cumulate(mask)
        for i in range(2):
            use = np.broadcast_to(mask, ab.ar.shape)[i] & np.isfinite(ab.ar[i])
            g = ab.design[i][use].sum(axis=0)
            assert res["n_obs"][i] == use.sum() > 0
            np.testing.assert_allclose(res["car"][i], ab.ar[i][use].sum(), rtol=1e-12)
            var = ab.sigma2[i] * (ab.span[i][use].sum() + g @ ab.xtx_inv[i] @ g)
            np.testing.assert_allclose(res["car_se"][i], np.sqrt(var), rtol=1e-12)
            bhar = np.prod(1 + ab.returns[i][use]) - np.prod(1 + ab.market[i][use])
            np.testing.assert_allclose(res["bhar"][i], bhar, rtol=1e-12)


def test_window_counts_every_return_whose_span_overlaps_it(synthetic):
    """B is halted on rel days 2 and 3; its return of rel day 4 spans days 2..4 (hand-worked masks)."""
    panel, fes, _, _ = synthetic
    ab = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL)
    day = {int(d): j for j, d in enumerate(ab.rel_days)}
    on = ab.overlap((2, 3))
    assert not on[0, day[1]] and on[0, day[2]] and on[0, day[3]] and not on[0, day[4]]  # A trades: days 2, 3
    assert not on[1, day[2]] and not on[1, day[3]] and on[1, day[4]]  # B: only the return ending on day 4
    assert on.sum() == 3
    car = ab.car((2, 3)).set_index("ticker")
    assert car.loc["B", "n_obs"] == 1 and (car.loc["B", "covered_start"], car.loc["B", "covered_end"]) == (2, 4)
    np.testing.assert_allclose(car.loc["B", "car"], ab.ar[1, day[4]])
    assert (car.loc["A", "covered_start"], car.loc["A", "covered_end"]) == (2, 3)
    assert ab.car((1, 1)).set_index("ticker").loc["B", "covered_end"] == 1  # day 1 traded: nothing spans in
    # A window before the halt ends before the return's span starts: not counted.
    assert ab.car((0, 1)).set_index("ticker").loc["B", "n_obs"] == 2


def test_mean_and_market_adjusted(synthetic):
    panel, fes, _, _ = synthetic
    ma = abnormal_returns(panel, "IDX", fes, "mean_adjusted", EST, REL)
    mk = abnormal_returns(panel, "IDX", fes, "market_adjusted", EST, REL)
    for i in range(2):
        est = ma.estimation[i]
        np.testing.assert_allclose(ma.params[i, 0], ma.returns[i][est].mean())
        np.testing.assert_allclose(ma.sigma2[i], np.var(ma.returns[i][est], ddof=1))
        ar = mk.returns[i][est] - mk.market[i][est]
        np.testing.assert_allclose(mk.ar[i][est], ar)
        np.testing.assert_allclose(mk.sigma2[i], np.var(ar, ddof=1))


def test_dimson_matches_statsmodels_with_lagged_market(synthetic):
    panel, fes, market, _ = synthetic
    ab = abnormal_returns(panel, "IDX", fes, "dimson", EST, REL, dimson_lags=1)
    level = panel.level["IDX"].to_numpy()
    session_ret = level[1:] / level[:-1] - 1  # market return of session s+1
    m = np.r_[np.nan, session_ret]
    for i in range(2):
        est = ab.estimation[i]
        pos = np.flatnonzero(est) + (70 + ab.rel_days[0])
        x = sm.add_constant(np.column_stack([m[pos + 1], m[pos], m[pos - 1]]))  # lead, contemporaneous, lag
        fit = sm.OLS(ab.returns[i][est], x).fit()
        np.testing.assert_allclose(ab.params[i, 0], fit.params[0], rtol=1e-8)
        np.testing.assert_allclose(ab.params[i, 1], fit.params[1:].sum(), rtol=1e-8)
        np.testing.assert_allclose(ab.components["beta_lag1"][i], fit.params[3], rtol=1e-8)
        # σ² of the ARs computed as event ARs are: R − α − β_D M
        resid = ab.returns[i][est] - ab.params[i, 0] - ab.params[i, 1] * ab.market[i][est]
        np.testing.assert_allclose(ab.sigma2[i], (resid**2).sum() / (est.sum() - 2), rtol=1e-10)
    # firm A was built with a lag beta of 0.3: the aggregated beta is close to 1.5, the OLS beta to 1.2
    ols = abnormal_returns(panel, "IDX", fes, "market_model", EST, REL)
    assert abs(ab.params[0, 1] - 1.5) < abs(ols.params[0, 1] - 1.5)


def test_scholes_williams_hand_computed(synthetic):
    panel, fes, _, _ = synthetic
    ab = abnormal_returns(panel, "IDX", fes, "scholes_williams", EST, REL)
    level = panel.level["IDX"].to_numpy()
    m = np.r_[np.nan, level[1:] / level[:-1] - 1]
    first = 70 + ab.rel_days[0]
    for i in range(2):
        est = ab.estimation[i]
        pos = np.flatnonzero(est) + first
        r = ab.returns[i][est]
        b_minus = stats.linregress(m[pos - 1], r).slope
        b_zero = stats.linregress(m[pos], r).slope
        b_plus = stats.linregress(m[pos + 1], r).slope
        window = np.arange(70 + EST[0], 70 + EST[1] + 1)
        rho = np.corrcoef(m[window][1:], m[window][:-1])[0, 1]
        beta = (b_minus + b_zero + b_plus) / (1 + 2 * rho)
        np.testing.assert_allclose(ab.params[i, 1], beta, rtol=1e-8)
        np.testing.assert_allclose(ab.params[i, 0], r.mean() - beta * m[pos].mean(), rtol=1e-8)
        np.testing.assert_allclose(ab.components["rho_market"][i], rho, rtol=1e-8)


def test_factor_model_matches_statsmodels(synthetic, tmp_path):
    panel, fes, _, _ = synthetic
    rng = np.random.default_rng(3)
    smb = rng.normal(0, 0.005, N_SESSIONS)
    file = tmp_path / "factors.csv"
    pd.DataFrame({"date": panel.sessions.strftime("%Y-%m-%d"), "smb": smb}).to_csv(file, index=False)
    factors = load_factors(file)
    ab = abnormal_returns(panel, "IDX", fes, "factor", EST, REL, factors=factors)
    assert ab.param_names == ("alpha", "beta", "b_smb")
    for i in range(2):
        est = ab.estimation[i]
        fit = sm.OLS(ab.returns[i][est], ab.design[i][est]).fit()
        np.testing.assert_allclose(ab.params[i], fit.params, rtol=1e-10)
    # over B's 3-session span the factor is summed over the three sessions
    day4 = int(np.flatnonzero(ab.rel_days == 4)[0])
    np.testing.assert_allclose(ab.design[1, day4, 2], smb[72:75].sum())
    assert "b_smb" in ab.estimates().columns


def test_load_factors_schema(tmp_path):
    good = tmp_path / "f.csv"
    good.write_text("date,smb,hml\n2020-01-02,0.01,\n2020-01-01,-0.002,0.003\n")
    f = load_factors(good)
    assert list(f.columns) == ["smb", "hml"] and f.index[0] == pd.Timestamp("2020-01-01")
    assert np.isnan(f.loc["2020-01-02", "hml"])
    for text, msg in [
        ("day,smb\n2020-01-01,0.1\n", "'date'"),
        ("date\n2020-01-01\n", "no factor columns"),
        ("date,mkt\n2020-01-01,0.1\n", "market factor"),
        ("date,smb\n01/02/2020,0.1\n", "YYYY-MM-DD"),
        ("date,smb\n2020-01-01,abc\n", "not a number"),
        ("date,smb\n2020-01-01,0.1\n2020-01-01,0.2\n", "duplicate"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(ConfigError, match=msg):
            load_factors(bad)


def _study(extra: dict) -> dict:
    return {
        "study": {"id": "s", "title": "t", "benchmark": "000300.SS", **extra},
        "events": [
            {
                "id": "e", "title": "t", "announced": "2019-10-07T18:00:00", "timezone": "America/New_York",
                "sources": [{"document": "d.txt", "date": "2019-10-08", "quote": "q"}],
                "firms": [{"ticker": "002415.SZ", "name": "H", "exchange": "XSHE"}],
            }
        ],
    }  # fmt: skip


def test_config_accepts_new_models(tmp_path):
    for model in ("scholes_williams", "dimson"):
        study = parse_study(_study({"model": model}))
        assert study.model == model
    study = parse_study(_study({"model": "dimson", "dimson_lags": 2}))
    assert model_options(study) == {"dimson_lags": 2}
    (tmp_path / "f.csv").write_text("date,smb\n2020-01-01,0.1\n")
    study = parse_study(_study({"model": "factor", "factor_file": "f.csv"}), file=str(tmp_path / "events.yaml"))
    assert list(model_options(study)["factors"].columns) == ["smb"]
    with pytest.raises(ConfigError, match="study.model: model 'factor' needs a factor_file"):
        parse_study(_study({"model": "factor"}))


def test_without_the_gap_days_the_same_numbers_on_the_windows_days(synthetic):
    """``gap_days=False`` leaves out the days between the estimation window and the event window; every array
    holds on the days kept what the full call holds there, and the fit is the same."""
    panel, fes, _, _ = synthetic
    full = abnormal_returns(panel, "IDX", fes, "market_model", (-40, -21), (0, 2))
    cut = abnormal_returns(panel, "IDX", fes, "market_model", (-40, -21), (0, 2), gap_days=False)
    assert full.rel_days.tolist() == list(range(-40, 3))
    assert cut.rel_days.tolist() == [*range(-40, -20), 0, 1, 2]
    kept = np.isin(full.rel_days, cut.rel_days)
    for name in ("returns", "market", "span", "design", "ar", "ar_var", "estimation", "masked"):
        np.testing.assert_allclose(getattr(cut, name), getattr(full, name)[:, kept], rtol=1e-12, err_msg=name)
    for name in ("params", "xtx_inv", "sigma2", "n_est", "dof"):
        np.testing.assert_allclose(getattr(cut, name), getattr(full, name), rtol=1e-12, err_msg=name)
    car = cut.cumulate(cut.days((0, 2)))["car"]
    assert np.isfinite(car).any()
    np.testing.assert_allclose(car, full.cumulate(full.days((0, 2)))["car"], rtol=1e-12)
    same = abnormal_returns(panel, "IDX", fes, "market_model", (-40, -3), (-2, 2), gap_days=False)
    assert same.rel_days.tolist() == list(range(-40, 3))  # the windows touch: no gap to leave out


def test_rows_of_abnormal_returns_are_the_firm_events_taken_at_them(default_results):
    """AbnormalReturns.rows: a run of rows gives views of every per-row array, row indices copies; either way each
    per-row field (and the firm-events) equals the whole's at those rows, and the per-day fields are the whole's."""
    from eventstudy.model.abnormal import ROW_FIELDS

    ab = default_results.abnormal
    for at in (slice(2, 6), np.array([0, 3, ab.n - 1])):
        part = ab.rows(at)
        assert part.n == len(np.arange(ab.n)[at])
        assert list(part.firm_events) == [ab.firm_events[i] for i in np.arange(ab.n)[at]]
        for name in ROW_FIELDS:
            np.testing.assert_array_equal(getattr(part, name), getattr(ab, name)[at])
            assert np.shares_memory(getattr(part, name), getattr(ab, name)) == isinstance(at, slice)
        assert part.rel_days is ab.rel_days and part.estimation_window == ab.estimation_window
        pd.testing.assert_frame_equal(part.car((0, 5)).reset_index(drop=True),
                                      ab.car((0, 5)).iloc[np.arange(ab.n)[at]].reset_index(drop=True))  # fmt: skip


def test_halt_reaches_count_calendar_days_whatever_the_sessions_unit(synthetic):
    """B's trade after its halt (relative day 4, two sessions after day 2) lies more than one calendar day later:
    with ``lookahead_days=1`` it is not followed, whether the sessions are held in ns or in µs (pandas 3's unit
    for a Timestamp from a date: read as ns, every gap would have been 1,000 times shorter)."""
    from dataclasses import replace

    from eventstudy.model.engine import halt_reaches

    panel, _, _, _ = synthetic
    located = (np.array([70, 70]), panel.returns.columns.get_indexer(["A", "B"]))
    assert halt_reaches(panel, located, 2).tolist() == [0, 2]
    for unit in ("ns", "us"):
        held = replace(panel, sessions=panel.sessions.as_unit(unit))
        assert halt_reaches(held, located, 2, lookahead_days=1).tolist() == [0, 0], unit
        assert halt_reaches(held, located, 2, lookahead_days=366).tolist() == [0, 2], unit
