"""Shared helpers of the inference tests, as fixtures (tests/ has no packages: ``--import-mode=importlib``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from eventstudy.inference import WindowSample


def _sample(ar: np.ndarray, in_window: np.ndarray, *, car_se=None, dof=None, bhar=None, span=None, **kw):
    ar = np.asarray(ar, dtype=float)
    in_window = np.asarray(in_window, dtype=bool)
    car = np.nansum(ar[:, in_window], axis=1)
    n = len(ar)
    return WindowSample(
        (0, int(in_window.sum()) - 1),
        car,
        np.ones(n) if car_se is None else np.asarray(car_se, dtype=float),
        np.full(n, 100.0) if dof is None else np.asarray(dof, dtype=float),
        bhar=bhar,
        ar=ar,
        sar=ar,
        span=np.ones(ar.shape, dtype=int) if span is None else span,
        in_window=in_window,
        **kw,
    )


def _random_sample(seed=0, n=12, t=60, length=3, shift=0.0):
    rng = np.random.default_rng(seed)
    ar = rng.standard_t(5, size=(n, t + length)) * 0.02
    ar[:, t:] += shift
    ar[0, 5] = np.nan  # a missing session
    in_window = np.r_[np.zeros(t, bool), np.ones(length, bool)]
    se = rng.uniform(0.02, 0.04, n)
    bhar = rng.lognormal(0, 0.3, n) - 1.0
    return _sample(ar, in_window, car_se=se, dof=np.full(n, t - 2.0), bhar=bhar, placebo_draws=500, seed=3)


@pytest.fixture
def sample_of():
    """``sample_of(ar, in_window, ...)``: a :class:`WindowSample` whose CARs are the window sums of ``ar``."""
    return _sample


@pytest.fixture
def random_sample():
    """``random_sample(seed, n, t, length, shift)``: fat-tailed ARs (one missing) with a shifted window."""
    return _random_sample


def _load_reference():
    spec = importlib.util.spec_from_file_location("inference_reference", Path(__file__).with_name("reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ref():
    """tests/inference/reference.py: every test as a per-event loop (the reference the package is checked against)."""
    return _load_reference()
