"""The compiled-kernel wrapper: the kernel computes what its Python source computes, and numba is imported only
when a kernel is first called."""

import subprocess
import sys

import numpy as np

from eventstudy.inference.jit import compiled


@compiled
def _running_total(a):
    out = np.empty(a.shape[0] + 1)
    out[0] = 0.0
    for i in range(a.shape[0]):
        out[i + 1] = out[i] + a[i]
    return out


def test_kernel_matches_its_python_source():
    a = np.array([0.5, -1.25, 3.0, 1e-3])
    got = _running_total(a)
    np.testing.assert_allclose(got, [0.0, 0.5, -0.75, 2.25, 2.251], rtol=1e-15)  # worked by hand
    np.testing.assert_array_equal(got, _running_total.py_func(a))


def test_import_does_not_load_numba():
    code = "import sys, eventstudy, eventstudy.inference; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
