"""Memory a large read has freed, given back to the operating system.

Reading the whole-market parquet (3.5 M rows) goes through Arrow's memory pool and numpy's sort and gather
copies; once the panel is built they are freed, but both allocators keep freed memory for reuse: Arrow's pool
(mimalloc or jemalloc) and glibc's heap, whose free chunks below its (adaptive) mmap threshold stay mapped. On the
Shenzhen universe that was ~180 MB of the 445 MB resident after loading (measured: 445 → 391 MB after
``release_unused``, → 268 MB after ``malloc_trim``), held by the placebo's parent for the whole run and counted
again in every peak. :func:`release_free_memory` hands both back. It changes no number and no live object.
"""

from __future__ import annotations

import ctypes
import functools
import sys


@functools.cache
def glibc(function: str):
    """glibc's ``function`` (``malloc_trim``, ``mallopt``, ``mallinfo2``) from the running C library, or None on
    a C library without it (macOS, Windows, musl).

    Looked up in the symbols already loaded (``dlopen(NULL)``: Python is linked against the C library), not through
    ``ctypes.util.find_library``, which runs ``ldconfig -p`` in a child process: that costs ~10 ms, and the child,
    started while a large read is resident, is charged that read's peak by the kernel (a vforked child's
    ``ru_maxrss`` takes the parent's high-water mark at ``exec``), so every later ``RUSAGE_CHILDREN`` peak,
    the benchmarks' count of a forked worker's memory, read ~920 MB after loading the Shenzhen universe whatever
    the worker used."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), function)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None


def release_free_memory() -> bool:
    """Return Arrow's unused pool memory and glibc's free heap pages to the system; True when glibc's heap was
    trimmed (False where there is no ``malloc_trim``: then only Arrow's pool is released)."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    trim = glibc("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True
