"""The compiled-kernel wrapper (eventstudy/model/jit.py), shared by the engine and the tests: a kernel computes what
its Python source computes, and neither ``import eventstudy`` nor importing the engine and the battery imports
numba."""

import subprocess
import sys

import numpy as np

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


def test_importing_the_engine_does_not_load_numba():
    code = (
        "import sys, eventstudy, eventstudy.model.engine, eventstudy.inference, eventstudy.placebo.run;"
        " print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
