"""Long-horizon BHAR tests and controls: the tests are the battery's (one implementation), a hand-worked
skewness-adjusted t, and controls matched on a synthetic universe against a direct loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from eventstudy.data.universe import load_universe, write_synthetic_universe
from eventstudy.inference import WindowSample, bhar_boot_t, bhar_skew_t
from eventstudy.inference.long_horizon import ControlMarket, bhar_tests


def test_hand_worked_skewness_adjusted_t():
    # BHARs 0.1, 0.2, 0.6: mean 0.3, sd = √0.07, S = 0.3/√0.07, γ̂ = (−0.008 − 0.001 + 0.027)/(3 · 0.07^1.5)
    b = np.array([0.1, 0.2, 0.6])
    s = 0.3 / math.sqrt(0.07)
    g = 0.018 / (3 * 0.07**1.5)
    t = math.sqrt(3) * (s + g * s * s / 3 + g / 18)
    got = bhar_tests([b])[0]
    assert got["t_skew"] == pytest.approx(t, rel=1e-12)
    assert got["p_skew"] == pytest.approx(2 * stats.t.sf(t, 2), rel=1e-12)
    assert got["mean"] == pytest.approx(0.3, rel=1e-12) and got["n"] == 3


def test_same_numbers_as_the_single_sample_tests():
    rng = np.random.default_rng(4)
    samples = [rng.lognormal(0, 0.4, n) - 1.0 for n in (5, 12, 30)]
    samples[1][3] = np.nan  # a firm without a BHAR is left out
    got = bhar_tests(samples, seed=7)
    for i, b in enumerate(samples):
        ok = b[np.isfinite(b)]
        one = WindowSample((0, 0), np.zeros(len(ok)), np.ones(len(ok)), np.ones(len(ok)), bhar=ok, seed=(7, i),
                           placebo_draws=999)  # fmt: skip
        skew, boot = bhar_skew_t(one), bhar_boot_t(one)
        assert got[i]["t_skew"] == pytest.approx(skew.statistic, rel=1e-12)
        assert got[i]["p_skew"] == pytest.approx(skew.p_value, rel=1e-12)
        assert got[i]["p_boot"] == pytest.approx(boot.p_value, rel=1e-12)
        assert got[i]["n"] == len(ok)


def test_one_firm_has_no_test():
    got = bhar_tests([np.array([0.2])])[0]
    assert got["mean"] == 0.2 and math.isnan(got["p_skew"]) and math.isnan(got["p_boot"])


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = write_synthetic_universe(tmp_path_factory.mktemp("u") / "u.parquet", n_tickers=60, n_sessions=400, seed=2)
    return path, ControlMarket.from_universe(path)


def test_matched_controls_against_a_direct_loop(synthetic):
    path, market = synthetic
    u = market.universe
    sessions = u.sessions
    est, base, end = sessions[100:250], sessions[259], sessions[268]
    m = u.panel.returns["EW_SZSE"].reindex(est).to_numpy()
    target = {"beta": 1.0, "volatility": 0.02, "pre_return": 0.05}
    got = market.controls("s", "e", "X", target, est, m, base, end, {"000003.SZ"}, 100)
    assert not got.reason and len(got.tickers) == 5
    # Direct loop over the firms: characteristics with numpy per firm, eligibility, standardised distance.
    rows = {}
    for ticker in u.tickers:
        r = u.panel.returns[ticker].reindex(est).to_numpy()
        one = (u.panel.span[ticker].reindex(est) == 1).to_numpy() & np.isfinite(r)
        if ticker == "000003.SZ" or one.sum() < 100:
            continue
        if not u.panel.traded[ticker].loc[base:end].all():
            continue
        beta = np.polyfit(m[one], r[one], 1)[0]
        rows[ticker] = (beta, np.std(r[one], ddof=1), np.prod(1 + r[np.isfinite(r)]) - 1)
    x = np.array(list(rows.values()))
    scale = x.std(axis=0, ddof=1)
    t = np.array([target["beta"], target["volatility"], target["pre_return"]])
    d = np.sqrt((((x - t) / scale) ** 2).sum(axis=1))
    order = np.argsort(d, kind="stable")[:5]
    assert got.tickers == tuple(np.array(list(rows))[order])
    assert np.allclose(got.distances, d[order], rtol=1e-10)
    # Each control's buy-and-hold return: the product of its trade-to-trade returns over (base, end].
    for ticker, r_c in zip(got.tickers, got.returns, strict=True):
        r = u.panel.returns[ticker].loc[base:end].iloc[1:]
        assert r_c == pytest.approx(np.prod(1 + r[np.isfinite(r)]) - 1, rel=1e-12)


def test_vendored_selection_reads_its_controls(synthetic, tmp_path):
    import pandas as pd

    path, market = synthetic
    sessions = market.universe.sessions
    base, end = sessions[259], sessions[268]
    sel = pd.DataFrame({"study_id": "s", "event_id": "e", "ticker": "X", "base": str(base.date()),
                        "end": str(end.date()), "rank": [2, 1], "control": ["000005.SZ", "000001.SZ"],
                        "distance": [0.5, 0.1]})  # fmt: skip
    fixed = ControlMarket(load_universe(path), "test", sel)
    got = fixed.controls("s", "e", "X", {}, sessions[:0], np.zeros(0), base, end, set(), 0)
    assert got.tickers == ("000001.SZ", "000005.SZ") and got.distances == (0.1, 0.5)
    miss = fixed.controls("s", "e", "Y", {}, sessions[:0], np.zeros(0), base, end, set(), 0)
    assert miss.reason.startswith("no universe") and not miss.returns
