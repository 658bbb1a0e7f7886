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

:func:`over_rows` runs a kernel whose rows are independent over two halves of them at once, in two threads
(the kernels release the GIL): the engine's passes over a large study's ``(N, W)`` arrays, which run before any
other process is forked, and whose first writes are page faults the two CPUs then share.

``NUMBA_DISABLE_JIT=1`` (numba's own switch) runs every kernel as the plain Python it is written in: the same
numbers, slowly — how the kernels' Python source is checked line by line.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any


def compiled(fn: Callable[..., Any] | None = None, *, signature: str | None = None) -> Callable[..., Any]:
    """``fn`` compiled with ``numba.njit(cache=True, nogil=True)`` on its first call (IEEE arithmetic: no
    ``fastmath``, so a kernel's sums are the loop's own, in its order). ``.py_func`` is the Python source;
    ``.signatures()`` the argument types it has been compiled (or loaded from the cache) for in this process.

    numba compiles a kernel once per combination of argument types, and an array's layout is part of its type: a
    strided view and a contiguous array of the same shape make two machine-code copies, each compiled on a
    machine's first run (seconds for the largest kernels) and loaded by every process. Callers pass one layout;
    or, for a kernel whose callers hold their arrays in different layouts, ``signature`` gives numba's types of
    its arguments with every array of any layout (``"void(float64[:, :], int64)"``): the kernel is compiled for
    that one signature, and a contiguous (C or Fortran order) array is read through it as it lies, no copy."""
    if fn is None:
        return lambda f: compiled(f, signature=signature)
    kernel: list[Callable[..., Any]] = []

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        if not kernel:
            from numba import njit

            kernel.append(njit(signature, cache=True, nogil=True)(fn))  # (None: typed on each call's arguments)
        return kernel[0](*args)

    call.py_func = fn  # type: ignore[attr-defined]
    call.signatures = lambda: list(kernel[0].signatures) if kernel else []  # type: ignore[attr-defined]
    return call


#: Cells (rows × columns) from which :func:`over_rows` runs a kernel in two threads.
SPLIT_CELLS = 2_000_000


def cores() -> int:
    """The CPUs this process may run on (its affinity where the system tells it, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


_processes_running = [0]  # blocks of :func:`beside_processes` open


@contextlib.contextmanager
def beside_processes() -> Iterator[None]:
    """Inside the block (and in processes forked inside it) :func:`over_rows` keeps to one thread: other
    processes already take the other CPUs."""
    _processes_running[0] += 1
    try:
        yield
    finally:
        _processes_running[0] -= 1


def over_rows(run: Callable[[slice], Any], rows: int, cells: int) -> None:
    """``run(part)`` over the rows ``0 .. rows − 1``: in two halves at once, the second in a thread of its own,
    when the work is large (``cells`` ≥ :data:`SPLIT_CELLS`) and two CPUs are free (none taken by processes
    forked beside this one: :func:`beside_processes`); else in one call. For
    kernels whose rows are independent (each row's outputs read that row's inputs only), so the halves give the
    numbers of one call. The kernels release the GIL (``nogil``): the halves run side by side, including the
    page faults of arrays written for the first time. Both halves are done when it returns (no thread outlives
    it: a fork after it copies none)."""
    if rows < 2 or cells < SPLIT_CELLS or _processes_running[0] or cores() < 2:
        run(slice(0, rows))
        return
    run(slice(0, 0))  # the kernel loaded (or compiled) for these arguments once, in this thread
    half = rows // 2
    failed: list[BaseException] = []

    def second() -> None:
        try:
            run(slice(half, rows))
        except BaseException as exc:  # re-raised in the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=second, name="eventstudy-rows")
    thread.start()
    try:
        run(slice(0, half))
    finally:
        thread.join()
    if failed:
        raise failed[0]
