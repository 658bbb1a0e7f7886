"""Shared helpers of the inference tests, as fixtures (tests/ has no packages: ``--import-mode=importlib``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.universe import EW_BENCHMARK, load_universe, write_synthetic_universe
from eventstudy.inference import COLUMNS, TESTS, WindowSample, window_samples
from eventstudy.inference.sample import _event_groups
from eventstudy.model.engine import FirmEvent, abnormal_returns
from eventstudy.placebo import PlaceboSpec, draw_events


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


def _reference_table(ref, ab, windows, **kw) -> pd.DataFrame:
    """The table from the reference loops (tests/inference/reference.py): every test on every event's own sample."""
    groups = _event_groups(ab)
    rows = []
    for w in windows:
        for event_id, sample in window_samples(ab, w, groups=groups, **kw).items():
            for name in TESTS:
                r = getattr(ref, name)(sample)
                rows.append((event_id, w[0], w[1], name, r.statistic, r.p_value, r.n_firms))
    return pd.DataFrame(rows, columns=COLUMNS)


def _assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want)
    for col in ("event_id", "window_start", "window_end", "test", "n_firms"):
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    for col in ("statistic", "p_value"):
        a, b = got[col].to_numpy(float), want[col].to_numpy(float)
        assert (np.isnan(a) == np.isnan(b)).all(), col
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13, equal_nan=True, err_msg=col)


@pytest.fixture
def reference_table():
    """``reference_table(ref, ab, windows, **kw)``: the tests.csv rows from the per-event reference loops."""
    return _reference_table


@pytest.fixture
def assert_same():
    """``assert_same(got, want)``: two tests.csv tables with the same rows, numbers equal at 1e-12."""
    return _assert_same


@pytest.fixture(scope="session")
def uneven(tmp_path_factory):
    """Firm-events of 12 events of 1 to 30 firms on a synthetic universe, the events' rows interleaved."""
    path = write_synthetic_universe(tmp_path_factory.mktemp("u") / "universe.parquet", n_tickers=30, n_sessions=500)
    universe = load_universe(path)
    spec = PlaceboSpec(n_events=120, seed=5, window=(-5, 5), estimation_window=(-120, -11), min_estimation_returns=60)
    draw = draw_events(universe, spec)
    sizes = [1, 2, 3, 13, 7, 1, 30, 5, 11, 2, 25, 20]
    ids = np.repeat([f"E{i:02d}" for i in range(len(sizes))], sizes)
    rng = np.random.default_rng(0)
    ids = ids[rng.permutation(len(ids))]  # events' rows interleaved
    panel = universe.panel
    events = [FirmEvent(str(e), panel.returns.columns[t], panel.returns.columns[t], panel.sessions[d])
              for e, t, d in zip(ids, draw.ticker, draw.day0, strict=True)]  # fmt: skip
    return abnormal_returns(panel, EW_BENCHMARK, events, "market_model", (-120, -11), (-5, 5))
