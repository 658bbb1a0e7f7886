"""Fresh arrays in small pages: no transparent-huge-page advice on numpy's large allocations while a study or a
placebo runs.

numpy asks the kernel for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array of 4 MB or more.
Where the kernel's ``transparent_hugepage/defrag`` setting is ``madvise`` (a common default), each such page fault
may compact memory on the spot to find a free 2 MB page. The engine and the battery allocate and free hundreds of
arrays of 5–50 MB (one per window and field), so those faults became the largest single cost: measured on a
2-core Linux machine, a 5,000-firm-event study spent 1.9 s of its 6.7 s CPU in the kernel with the advice and
0.65 s without it (wall 5.9–6.6 s → 4.9–5.0 s), and a 100,000-firm-event placebo 4.3 s → 1.5 s of system time.
Huge pages pay off for arrays that live long and are read many times, not for this allocate-fill-free churn.

:func:`small_pages` turns numpy's advice off inside the block and restores the previous setting on exit (the
same switch as the environment variable ``NUMPY_MADVISE_HUGEPAGE=0``, which numpy reads only when imported). It
changes where memory comes from, never a number; on a numpy without the switch it does nothing.

:func:`kept_freed_memory` is the other half of the same churn. glibc serves an allocation above its mmap threshold
(at most 32 MB) with a fresh ``mmap`` and unmaps it when freed, so every such array is faulted in page by page
again. A 50,000-firm-event study's arrays are 100–400 MB (firm-events × sessions), one set per window: measured on
the 2-core machine, its run spent 31.7 s of 74 s CPU in the kernel, and 11.3 s with glibc told to serve every
allocation from its heap and keep what is freed (``M_MMAP_MAX`` 0, ``M_TRIM_THRESHOLD`` 2 GB): the study's
wall time went from 36.9 s to 25.7 s. On exit the defaults are set back (an allocation from 128 kB mapped, the heap
trimmed above 128 kB; glibc's adaptive threshold stays off) and the free heap is handed back (``malloc_trim``).
Where the C library is not glibc it does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..data.free_memory import glibc

#: glibc's ``mallopt`` parameters (malloc.h) and their defaults.
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
DEFAULT_TRIM_THRESHOLD, DEFAULT_MMAP_MAX = 128 * 1024, 65536


def _advice_switch() -> Callable[[bool], bool] | None:
    """numpy's setter of its huge-page advice (returns the previous setting), or None if this numpy has none."""
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray  # type: ignore[no-redef]
    return getattr(multiarray, "_set_madvise_hugepage", None)


@contextmanager
def small_pages() -> Iterator[None]:
    """numpy's huge-page advice off inside the block; the previous setting restored on exit."""
    switch = _advice_switch()
    if switch is None:  # pragma: no cover - depends on the numpy build
        yield
        return
    previous = switch(False)
    try:
        yield
    finally:
        switch(previous)


_kept_depth = [0]  # blocks of kept_freed_memory open (a study's sensitivity analyses run studies within it)


@contextmanager
def kept_freed_memory() -> Iterator[None]:
    """Inside the block glibc serves every allocation from its heap and keeps freed memory for the next one; when
    the outermost block exits, its defaults are set back and the free heap is returned to the system. The setting
    is the process's, not the thread's: blocks nest, but run in one thread at a time."""
    mallopt, trim = glibc("mallopt"), glibc("malloc_trim")
    if mallopt is None or trim is None:  # pragma: no cover - not glibc
        yield
        return
    if _kept_depth[0] == 0:
        mallopt(M_MMAP_MAX, 0)
        mallopt(M_TRIM_THRESHOLD, 2**31 - 1)  # (mallopt takes a C int: 2 GB, the most it can be told)
    _kept_depth[0] += 1
    try:
        yield
    finally:
        _kept_depth[0] -= 1
        if _kept_depth[0] == 0:
            mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
            mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
            trim(0)
