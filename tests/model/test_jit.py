"""The compiled-kernel wrapper (eventstudy/model/jit.py), shared by the engine and the tests: a kernel computes what
its Python source computes, and neither ``import eventstudy`` nor importing the engine and the battery imports
numba; :func:`over_rows` splits a kernel's rows over two threads and gives the numbers of one call."""

import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from eventstudy.model.jit import compiled


@compiled
def _running_product(a):
    out = np.empty(a.shape[0] + 1)
    out[0] = 1.0
    for i in range(a.shape[0]):
        out[i + 1] = out[i] * (1.0 + a[i])
    return out


def test_kernel_matches_its_python_source():
    a = np.array([0.5, -0.5, 1.0])
    got = _running_product(a)
    np.testing.assert_allclose(got, [1.0, 1.5, 0.75, 1.5], rtol=1e-15)  # worked by hand
    np.testing.assert_array_equal(got, _running_product.py_func(a))


def test_a_signature_gives_one_kernel_for_arrays_of_every_layout(tmp_path):
    """``compiled(signature=...)``: a kernel typed for arrays of any layout is compiled once, and a contiguous, a
    Fortran-order and a strided array are each read as they lie, with the numbers of the Python source; in a fresh
    process (the kernel's signatures are the process's)."""
    code = """
import numpy as np
from eventstudy.model.jit import compiled

@compiled(signature="void(float64[:, :], float64[:])")
def row_sums(a, out):
    for i in range(a.shape[0]):
        total = 0.0
        for j in range(a.shape[1]):
            total += a[i, j]
        out[i] = total

x = np.arange(12.0).reshape(3, 4)
for a in (x, np.asfortranarray(x), np.arange(24.0).reshape(3, 8)[:, ::2]):
    out = np.empty(3)
    row_sums(a, out)
    print(out.tolist())
print(len(row_sums.signatures()))
"""
    script = tmp_path / "kernel.py"  # (a file: numba caches a kernel beside its source)
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:3] == ["[6.0, 22.0, 38.0]", "[6.0, 22.0, 38.0]", "[12.0, 44.0, 76.0]"]  # worked by hand
    assert out[3] == "1"


def test_importing_the_engine_does_not_load_numba():
    code = (
        "import sys, eventstudy, eventstudy.model.engine, eventstudy.inference, eventstudy.placebo.run;"
        " print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_over_rows_runs_two_halves_in_two_threads_and_joins_them(monkeypatch):
    from eventstudy.model import jit

    monkeypatch.setattr(jit, "cores", lambda: 2)
    seen: list[tuple[int, int, str]] = []

    def run(at: slice) -> None:
        seen.append((at.start, at.stop, threading.current_thread().name))

    jit.over_rows(run, 10, jit.SPLIT_CELLS)
    assert sorted(seen) == [(0, 0, "MainThread"), (0, 5, "MainThread"), (5, 10, "eventstudy-rows")]
    assert not [t for t in threading.enumerate() if t.name == "eventstudy-rows"]  # none outlives the call
    seen.clear()
    jit.over_rows(run, 10, jit.SPLIT_CELLS - 1)  # small work: one call
    assert seen == [(0, 10, "MainThread")]
    monkeypatch.setattr(jit, "cores", lambda: 1)  # one CPU: one call
    seen.clear()
    jit.over_rows(run, 10, jit.SPLIT_CELLS)
    assert seen == [(0, 10, "MainThread")]


def test_over_rows_raises_what_the_other_half_raised(monkeypatch):
    from eventstudy.model import jit

    monkeypatch.setattr(jit, "cores", lambda: 2)

    def run(at: slice) -> None:
        if at.start == 5:
            raise ValueError("second half")

    with pytest.raises(ValueError, match="second half"):
        jit.over_rows(run, 10, jit.SPLIT_CELLS)


def test_the_engine_split_over_two_threads_gives_the_numbers_of_one_call(monkeypatch):
    from eventstudy.data.returns import returns_panel
    from eventstudy.model import jit
    from eventstudy.model.engine import FirmEvent, abnormal_returns
    from eventstudy.model.estimation import moments

    rng = np.random.default_rng(3)
    sessions = pd.bdate_range("2020-01-01", periods=120)
    market = rng.normal(0.0005, 0.01, 120)
    histories = {"IDX": _prices(market, sessions)}
    for k in range(7):
        histories[f"F{k}"] = _prices(0.001 + 0.9 * market + rng.normal(0, 0.02, 120), sessions, halted={40 + k, 100})
    panel = returns_panel(histories, sessions, benchmarks=("IDX",))
    firm_events = [FirmEvent("e", f"F{k}", f"F{k}", sessions[105 - k]) for k in range(7)]

    sums = moments(panel, "IDX")

    def run() -> dict[str, np.ndarray]:  # the fit from the rows, and from running sums (σ² known before the ARs)
        ab = abnormal_returns(panel, "IDX", firm_events, "market_model", (-90, -11), (-5, 5))
        fast = abnormal_returns(panel, "IDX", firm_events, "market_model", (-90, -11), (-5, 5), moments=sums)
        arrays = {k: v for k, v in vars(ab).items() if isinstance(v, np.ndarray)}
        return arrays | {f"fast {k}": v for k, v in vars(fast).items() if isinstance(v, np.ndarray)}

    monkeypatch.setattr(jit, "cores", lambda: 2)
    monkeypatch.setattr(jit, "SPLIT_CELLS", 1)  # every kernel split, however small
    split = run()
    monkeypatch.setattr(jit, "SPLIT_CELLS", 10**12)
    whole = run()
    assert split.keys() == whole.keys()
    for name in whole:
        if whole[name].dtype.kind == "f":
            np.testing.assert_allclose(split[name], whole[name], rtol=1e-12, atol=0, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(split[name], whole[name], err_msg=name)
    assert np.isfinite(whole["ar"]).sum() > 7 * 80  # (the rows hold returns: the comparison is not of NaNs)


def _prices(returns: np.ndarray, sessions: pd.DatetimeIndex, halted: frozenset[int] | set[int] = frozenset()):
    """Closes following ``returns``; ``halted`` sessions suspended (their return accrues to the next trade)."""
    close, prev, traded, price, last = [], [], [], 10.0, 10.0
    for i, r in enumerate(returns):
        price *= 1.0 + r
        close.append(last if i in halted else price)
        prev.append(last)
        traded.append(i not in halted)
        last = last if i in halted else price
    return pd.DataFrame({"close": close, "prev_close": prev, "volume": 1.0, "traded": traded}, index=sessions)
