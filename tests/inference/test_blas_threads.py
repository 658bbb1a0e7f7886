"""single_threaded pins every BLAS of numpy and scipy to one thread through threadpoolctl, then restores them."""

from __future__ import annotations

import numpy as np
import scipy.linalg  # noqa: F401 - loads scipy's BLAS too
from threadpoolctl import threadpool_limits

from eventstudy.inference.blas_threads import blas_threads, single_threaded


def test_pins_every_loaded_blas_to_one_thread_and_restores_the_counts():
    with threadpool_limits(limits=2, user_api="blas"):  # a known starting point, whatever the machine
        before = blas_threads()
        assert before, "numpy's BLAS is found (no /proc scan: threadpoolctl works on every platform)"
        with single_threaded():
            assert set(blas_threads().values()) == {1}
            assert set(blas_threads()) == set(before)
        assert blas_threads() == before


def test_results_inside_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 300, 6)), rng.normal(size=(40, 6, 300))
    with single_threaded():
        one = a @ b
    with single_threaded():
        again = a @ b
    assert np.array_equal(one, again)
