"""Pin the BLAS thread pools of numpy/scipy (OpenBLAS) to one thread while several processes share the cores.

The placebo's forked worker and the parent each run numpy's batched matmuls; with OpenBLAS's default of one
thread per core, two processes on two cores oversubscribe them and both slow down (measured: 100,000 firm-events
took longer on two processes than on one). :func:`single_threaded` sets every loaded OpenBLAS to one thread and
restores the previous count afterwards; it does nothing where no OpenBLAS is loaded. The placebo runs every chunk
under it, which also makes its results independent of the number of processes: OpenBLAS's matmul results can
differ in the last bit with the thread count.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterator
from contextlib import contextmanager

_PREFIXES = ("scipy_openblas", "openblas")
_SUFFIXES = ("64_", "")


@functools.cache
def _libraries() -> list[tuple[ctypes.CDLL, str]]:
    paths = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if line.strip() else ""
                if "openblas" in path.lower() and ".so" in path:
                    paths.add(path)
    except OSError:  # not Linux: leave the pools alone
        return []
    found = []
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                if hasattr(lib, f"{prefix}_set_num_threads{suffix}") and hasattr(
                    lib, f"{prefix}_get_num_threads{suffix}"
                ):
                    found.append((lib, f"{prefix}_%s_num_threads{suffix}"))
                    break
            else:
                continue
            break
    return found


@contextmanager
def single_threaded() -> Iterator[None]:
    libs = _libraries()
    before = [getattr(lib, name % "get")() for lib, name in libs]
    for lib, name in libs:
        getattr(lib, name % "set")(1)
    try:
        yield
    finally:
        for (lib, name), n in zip(libs, before, strict=True):
            getattr(lib, name % "set")(n)
