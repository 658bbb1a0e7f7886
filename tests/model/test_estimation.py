"""eventstudy.model.estimation: the normal equations from rows and from running sums agree, and θ̂, σ², AR and
Var(AR) are the OLS quantities (checked against numpy's least squares)."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.data.universe import EW_BENCHMARK, load_universe, write_synthetic_universe
from eventstudy.model.engine import abnormal_returns, gather
from eventstudy.model.estimation import (
    MOMENT_MODELS,
    abnormal,
    moment_equations,
    moment_ssr,
    moments,
    normal_equations,
    residual_ssr,
    sigma2,
    solve,
)
from eventstudy.model.normal_return import design
from eventstudy.placebo import PlaceboSpec, draw_events, firm_events

EST, WIN = (-120, -11), (-5, 5)


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    path = write_synthetic_universe(tmp_path_factory.mktemp("u") / "universe.parquet", n_tickers=12, n_sessions=400)
    universe = load_universe(path)
    spec = PlaceboSpec(n_events=40, seed=2, window=WIN, estimation_window=EST, min_estimation_returns=60)
    return universe.panel, firm_events(universe.panel, draw_events(universe, spec))


def test_ols_quantities_match_lstsq():
    rng = np.random.default_rng(0)
    x = np.stack([np.ones((3, 50)), rng.normal(size=(3, 50))], axis=-1)
    y = 0.01 + 1.3 * x[..., 1] + rng.normal(0, 0.1, size=(3, 50))
    est = np.ones((3, 50), dtype=bool)
    est[:, 40:] = False  # the last 10 days are "event" days
    xtx, xty = normal_equations(x, y, est)
    fit = np.ones(3, dtype=bool)
    params, xtx_inv = solve(xtx, xty, fit)
    ar, unit_var, ssr = abnormal(x, y, params, xtx_inv, np.ones((3, 50)), np.ones((3, 50), dtype=bool), estimation=est)
    s2 = sigma2(ssr, est.sum(axis=1) - 2, fit)
    for i in range(3):
        coef, res, *_ = np.linalg.lstsq(x[i, :40], y[i, :40], rcond=None)
        np.testing.assert_allclose(params[i], coef, rtol=1e-12)
        np.testing.assert_allclose(s2[i], res[0] / 38, rtol=1e-12)
        inv = np.linalg.inv(x[i, :40].T @ x[i, :40])
        np.testing.assert_allclose(unit_var[i], 1 + np.einsum("wp,pq,wq->w", x[i], inv, x[i]), rtol=1e-12)
        np.testing.assert_allclose(ar[i], y[i] - x[i] @ coef, rtol=1e-10, atol=1e-14)
    _, bad = solve(xtx, xty, np.array([True, False, True]))
    np.testing.assert_array_equal(bad[1], np.eye(2))  # unfitted rows get the identity, masked by the caller


@pytest.mark.parametrize("p", [0, 1, 2, 3])
def test_forecast_error_kernel_python_source_equals_the_formula(p, monkeypatch):
    """The kernel of :func:`abnormal` run as its Python source, for 0 to 3 parameters (2: the market model's
    written-out sums) and invalid days, against the formula written with einsum: ``AR = y − x'θ`` and ``k + x'Ax``
    (both NaN where not valid), and the residuals' sum of squares over the estimation days."""
    from eventstudy.model import estimation

    monkeypatch.setattr(estimation, "_forecast_errors", estimation._forecast_errors.py_func)
    rng = np.random.default_rng(p)
    x, y = rng.normal(size=(4, 9, p)), rng.normal(size=(4, 9))
    params, a = rng.normal(size=(4, p)), rng.normal(size=(4, p, p))  # (A need not be symmetric here)
    span, valid = rng.integers(0, 3, (4, 9)).astype(float), rng.random((4, 9)) < 0.7
    est = valid & (rng.random((4, 9)) < 0.8)
    ar, unit, ssr = abnormal(x, y, params, a, span, valid, estimation=est)
    want_fit = np.einsum("nwp,np->nw", x, params)
    np.testing.assert_allclose(ar, np.where(valid, y - want_fit, np.nan), rtol=1e-12, atol=1e-15)
    want_unit = np.where(valid, span + np.einsum("nwp,npq,nwq->nw", x, a, x), np.nan)
    np.testing.assert_allclose(unit, want_unit, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ssr, np.where(est, (y - want_fit) ** 2, 0.0).sum(axis=1), rtol=1e-12, atol=1e-15)
    s2 = rng.random(4) + 0.5  # σ² known beforehand: Var(AR) = σ² (k + x'Ax) at once, no sum of squares asked
    ar2, var, none = abnormal(x, y, params, a, span, valid, s2)
    assert none is None
    np.testing.assert_array_equal(np.isnan(ar2), np.isnan(ar))
    np.testing.assert_allclose(var, s2[:, None] * want_unit, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("p", [0, 1, 2, 3])
def test_normal_equations_kernel_python_source_equals_the_formula(p, monkeypatch):
    """The kernel of :func:`normal_equations` run as its Python source (2 parameters: the written-out sums)
    against ``Σ_E x x'`` and ``Σ_E x y`` written with einsum; a day outside the estimation sample adds nothing,
    whatever its values (an infinite design value there included)."""
    from eventstudy.model import estimation

    monkeypatch.setattr(estimation, "_normal_sums", estimation._normal_sums.py_func)
    rng = np.random.default_rng(10 + p)
    x, y = rng.normal(size=(3, 11, p)), rng.normal(size=(3, 11))
    est = rng.random((3, 11)) < 0.6
    if p:
        x[~est, 0] = np.inf
    xtx, xty = normal_equations(x, y, est)
    xe, ye = np.where(est[..., None], x, 0.0), np.where(est, y, 0.0)
    np.testing.assert_allclose(xtx, np.einsum("nwp,nwq->npq", xe, xe), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(xty, np.einsum("nwp,nw->np", xe, ye), rtol=1e-12, atol=1e-15)


def test_normal_equations_by_hand():
    """One firm, three estimation days of (1, m) and a fourth day left out: ``X'X = [[3, Σm], [Σm, Σm²]]``,
    ``X'y = [Σy, Σmy]``."""
    x = np.array([[[1.0, 0.01], [1.0, -0.02], [1.0, 0.03], [1.0, 0.5]]])
    y = np.array([[0.02, -0.01, 0.04, 9.0]])
    est = np.array([[True, True, True, False]])
    xtx, xty = normal_equations(x, y, est)
    np.testing.assert_allclose(xtx[0], [[3.0, 0.02], [0.02, 0.0014]], rtol=1e-12)
    np.testing.assert_allclose(xty[0], [0.05, 0.0016], rtol=1e-12)


@pytest.mark.parametrize("model", MOMENT_MODELS)
def test_running_sums_equal_normal_equations(events, model):
    panel, fes = events
    rel = np.arange(EST[0], WIN[1] + 1)
    returns, market, span, pos = gather(panel, EW_BENCHMARK, fes, rel)
    usable = np.isfinite(returns) & np.isfinite(market)
    est = ((rel >= EST[0]) & (rel <= EST[1]))[None, :] & (span == 1) & usable
    offset = np.nan_to_num(market) if model == "market_adjusted" else 0.0
    y = np.where(usable, returns - offset, 0.0)
    x0 = np.nan_to_num(design(model, span, market))
    xtx, xty = normal_equations(x0, y, est)
    cols = panel.returns.columns.get_indexer([fe.ticker for fe in fes])
    day0 = pos[:, 0] - rel[0]
    n, m_xtx, m_xty, yy = moment_equations(moments(panel, EW_BENCHMARK), model, cols, day0 + EST[0], day0 + EST[1] + 1)
    np.testing.assert_array_equal(n, est.sum(axis=1))
    np.testing.assert_allclose(m_xtx, xtx, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(m_xty, xty, rtol=1e-10, atol=1e-14)
    p = x0.shape[-1]
    params, _ = solve(xtx, xty, np.ones(len(fes), dtype=bool))
    fitted = (x0 @ params[..., None])[..., 0]
    direct = residual_ssr(np.where(est, y - fitted, 0.0), est, n, p)
    np.testing.assert_allclose(moment_ssr(params, m_xtx, m_xty, yy), direct, rtol=1e-8)
    with pytest.raises(ValueError):
        moment_equations(moments(panel, EW_BENCHMARK), "dimson", cols, day0, day0 + 1)


def test_engine_with_moments_equals_engine(events):
    panel, fes = events
    a = abnormal_returns(panel, EW_BENCHMARK, fes, "market_model", EST, WIN)
    b = abnormal_returns(panel, EW_BENCHMARK, fes, "market_model", EST, WIN, moments=moments(panel, EW_BENCHMARK))
    for name in ("params", "sigma2", "xtx_inv", "ar", "ar_var"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-9, atol=1e-13, err_msg=name)
    # a model without running sums ignores them
    c = abnormal_returns(panel, EW_BENCHMARK, fes, "dimson", EST, WIN, moments=moments(panel, EW_BENCHMARK))
    d = abnormal_returns(panel, EW_BENCHMARK, fes, "dimson", EST, WIN)
    np.testing.assert_array_equal(c.ar, d.ar)


@pytest.mark.parametrize("python", [False, True], ids=["compiled", "python"])
def test_running_sums_are_the_cumulative_sums_of_usable_returns(python, monkeypatch):
    """Each of the six running sums is the cumulative sum, session by session, of its quantity on the usable
    single-session returns (0 elsewhere): a missing return, a two-session return, a missing benchmark return."""
    from eventstudy.model import estimation

    if python:
        monkeypatch.setattr(estimation, "_running_sums", estimation._running_sums.py_func)
    rng = np.random.default_rng(5)
    returns = rng.normal(0.0, 0.02, (7, 3))
    span = np.ones((7, 3), dtype=np.int64)
    returns[2, 0] = np.nan
    span[4, 1] = 2
    bench = rng.normal(0.0, 0.01, 7)
    bench[5] = np.nan
    sums = np.empty((8, 3, 6))
    estimation._running_sums(returns, span, bench, sums)
    use = (span == 1) & np.isfinite(returns) & np.isfinite(bench)[:, None]
    r, m = np.where(use, returns, 0.0), np.where(use, np.nan_to_num(bench)[:, None], 0.0)
    for q, x in enumerate((use.astype(float), m, m * m, r, r * m, r * r)):
        np.testing.assert_allclose(sums[1:, :, q], np.cumsum(x, axis=0), rtol=1e-12, atol=1e-15, err_msg=str(q))
    assert (sums[0] == 0.0).all()
