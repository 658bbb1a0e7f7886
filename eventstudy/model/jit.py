"""Compiled kernels of the engine: :func:`compiled` wraps a plain-Python loop over numpy arrays as a
``numba.njit`` function, compiled (or loaded from numba's on-disk cache) on its first call.

The engine (gathering trade-to-trade returns, abnormal returns and their variances, cumulating them over a
window) runs a few arithmetic steps on every firm-day; as numpy expressions each step is a pass over a temporary
``(N, W)`` array, while a compiled loop does them in one pass. The import of numba is deferred to the first
call, so ``import eventstudy`` does not pay its start-up. The model stage is the lowest that needs kernels, so
the wrapper lives here and the later stages (:mod:`eventstudy.inference`) can take it from here.

``NUMBA_DISABLE_JIT=1`` (numba's own switch) runs every kernel as the plain Python it is written in: the same
numbers, slowly.
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
