"""Pin the BLAS thread pools of numpy/scipy to one thread while several processes share the cores, and for the
test battery, whose batched matmuls of small matrices gain nothing from threads.

The placebo's forked worker and the parent each run numpy's batched matmuls; with the BLAS's default of one
thread per core, two processes on two cores oversubscribe them and both slow down (measured: 100,000 firm-events
took longer on two processes than on one). :func:`single_threaded` limits every BLAS that numpy and scipy
loaded (OpenBLAS, MKL, BLIS or Accelerate, on any operating system) to one thread through ``threadpoolctl`` and
restores the previous counts afterwards. A study's battery
(:func:`eventstudy.inference.significance_table`) runs under it: on a loaded machine its threaded matmuls waited
on each other (``mvrm_wald`` 1.7 s a window instead of 0.09 s). The placebo runs every chunk under it, which also makes its results
independent of the number of processes: a BLAS's matmul results can differ in the last bit with its thread count.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@functools.cache
def _controller() -> Any:
    """One ``threadpoolctl.ThreadpoolController`` over the BLAS libraries of numpy and scipy (both imported first,
    so that both are found); finding the libraries takes milliseconds, a limit through it a fraction of one."""
    import numpy  # noqa: F401 - loads numpy's BLAS
    import scipy.linalg  # noqa: F401 - loads scipy's BLAS
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def single_threaded() -> Iterator[None]:
    """Every BLAS of numpy and scipy limited to one thread inside the block; previous limits restored on exit."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def blas_threads() -> dict[str, int]:
    """``{library path: threads}`` of every BLAS loaded in this process (what :func:`single_threaded` pins)."""
    from threadpoolctl import threadpool_info

    return {str(lib["filepath"]): int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"}
