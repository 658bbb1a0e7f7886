"""Compiled kernels: :func:`compiled` wraps a plain-Python loop over numpy arrays as a ``numba.njit`` function,
compiled (or loaded from numba's on-disk cache) on its first call.

Why numba: the engine (gathering trade-to-trade returns, abnormal returns and their variances, cumulating them
over a window) and the tests of a whole-market placebo run the same few arithmetic steps on millions of firm-days;
as numpy expressions each step is a pass over a temporary array, while a compiled loop does them in one pass over
the data in cache. numba is the maintained compiler for exactly this (numpy arrays in, numpy arrays out), on the
package index for every supported Python. The model stage is the lowest that needs kernels, so the wrapper lives
here and :mod:`eventstudy.inference` takes it from here. The import is deferred to the first call: ``import
eventstudy`` and a study that never reaches a kernel do not pay numba's start-up (about 0.3 s to import, 0.5 s to
initialise).

``NUMBA_DISABLE_JIT=1`` (numba's own switch) runs every kernel as the plain Python it is written in: the same
numbers, slowly — how the kernels' Python source is checked line by line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled with ``numba.njit(cache=True, nogil=True)`` on its first call (IEEE arithmetic: no
    ``fastmath``, so a kernel's sums are the loop's own, in its order). ``.py_func`` is the Python source."""
    kernel: list[Callable[..., Any]] = []

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        if not kernel:
            from numba import njit

            kernel.append(njit(cache=True, nogil=True)(fn))
        return kernel[0](*args)

    call.py_func = fn  # type: ignore[attr-defined]
    return call
