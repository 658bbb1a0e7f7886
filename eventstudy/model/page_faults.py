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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
