"""eventstudy.model.normal_return: design rows per model and span sums of factor returns (the models themselves are checked
end to end against statsmodels in tests/model/test_engine.py)."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.model.normal_return import FACTOR_MODELS, MODEL_PARAMETERS, design, span_sums


def test_span_sums_missing_values():
    values = np.array([[1.0], [2.0], [np.nan], [4.0]])
    pos = np.array([[1, 3, 3, 0]])
    span = np.array([[2, 1, 2, 2]])
    out = span_sums(values, pos, span)[..., 0]
    np.testing.assert_array_equal(np.isnan(out), [[False, False, True, True]])
    assert out[0, 0] == 3.0 and out[0, 1] == 4.0


def test_design_rows_per_model():
    span = np.array([[1, 2, 0]])
    market = np.array([[0.01, -0.02, np.nan]])
    factors = np.array([[[0.1], [0.2], [0.3]]])
    for model in MODEL_PARAMETERS:
        with_factors = model in FACTOR_MODELS  # factor, ff3, ff5, carhart: the market model plus the factor columns
        x = design(model, span, market, factors if with_factors else None)
        assert x.shape == (1, 3, len(MODEL_PARAMETERS[model]) + with_factors)
        if x.shape[-1]:
            np.testing.assert_array_equal(x[..., 0], span.astype(float))  # α k_t (trade-to-trade)
        if x.shape[-1] > 1:
            np.testing.assert_array_equal(x[0, :2, 1], market[0, :2])  # β M_t over the same span
    np.testing.assert_array_equal(design("factor", span, market, factors)[..., 2], factors[..., 0])
    np.testing.assert_array_equal(design("garch", span, market), design("market_model", span, market))
    for model in FACTOR_MODELS:
        with pytest.raises(ValueError):
            design(model, span, market)
    with pytest.raises(ValueError):
        design("capm2", span, market)


@pytest.mark.parametrize("python", [False, True], ids=["compiled", "python"])
def test_design_made_finite_as_nan_to_num(python, monkeypatch):
    """The fit reads the design with a missing value as 0 and ±inf as ± the largest float, as ``np.nan_to_num``:
    the market model's rows written in one pass, the factor model's made finite after they are joined."""
    from eventstudy.model import normal_return

    if python:
        monkeypatch.setattr(normal_return, "_to_finite", normal_return._to_finite.py_func)
        monkeypatch.setattr(normal_return, "_market_design", normal_return._market_design.py_func)
    span = np.array([[1, 2, 0, 1], [3, 1, 1, 0]])
    market = np.array([[0.01, np.inf, np.nan, -np.inf], [np.nan, -0.02, 0.0, 0.5]])
    factors = np.array([[[np.nan], [0.2], [np.inf], [0.1]], [[0.3], [-np.inf], [0.0], [np.nan]]])
    want = np.nan_to_num(np.stack([span.astype(float), market], axis=-1))
    for model in ("market_model", "scholes_williams", "dimson", "garch"):
        np.testing.assert_array_equal(design(model, span, market), want)
    got = design("factor", span, market, factors)
    np.testing.assert_array_equal(got, np.concatenate([want, np.nan_to_num(factors)], axis=-1))
    x = np.array([[[1.0, np.nan], [np.inf, -np.inf]], [[-2.5, 0.0], [np.nan, 3.0]]])
    np.testing.assert_array_equal(normal_return.finite(np.asfortranarray(x)), np.nan_to_num(x))  # (a copy)
