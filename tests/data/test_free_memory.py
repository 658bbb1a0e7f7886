"""Freed memory handed back after a large read (eventstudy/data/free_memory.py): the panel is untouched, Arrow's
pool holds nothing unused afterwards, and on glibc the heap is trimmed."""

import gc
import sys

import numpy as np
import pyarrow as pa

from eventstudy.data.free_memory import release_free_memory
from eventstudy.data.universe import load_universe, write_synthetic_universe


def test_arrow_pool_released_and_panel_unchanged(tmp_path):
    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=12, n_sessions=300)
    universe = load_universe(path)
    before = universe.panel.returns.to_numpy().copy()
    # Earlier tests in this process may leave cyclic garbage that holds Arrow buffers; a collection between the
    # two counts would free them. Collected first, and no collection while counting.
    gc.collect()
    gc.disable()
    try:
        live = pa.default_memory_pool().bytes_allocated()
        trimmed = release_free_memory()
        after = pa.default_memory_pool().bytes_allocated()
    finally:
        gc.enable()
    assert after == live  # only unused memory goes
    np.testing.assert_array_equal(universe.panel.returns.to_numpy(), before)  # same memory, same values
    assert trimmed == sys.platform.startswith("linux")  # glibc on Linux (the CI machines); elsewhere Arrow only


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


def test_freed_heap_pages_go_back_on_linux():
    if not sys.platform.startswith("linux"):
        return
    blocks = [np.ones(12_000) for _ in range(3_000)]  # 3,000 × 96 kB from the heap, below glibc's mmap threshold
    keep = blocks[-1]  # the top of the heap stays in use, so free() alone cannot give the rest back
    del blocks
    held = _rss_mb()
    release_free_memory()
    assert _rss_mb() < held - 100  # ~290 MB freed: most of it returned
    assert keep.sum() == 12_000.0


def test_c_library_found_without_a_child_process(monkeypatch):
    """``glibc`` looks in the loaded symbols: no ``ldconfig`` child, which the kernel would charge this
    process's peak memory (it inflated every ``RUSAGE_CHILDREN`` peak the benchmarks read)."""
    import subprocess

    from eventstudy.data import free_memory

    def no_child(*args, **kwargs):
        raise AssertionError(f"a child process was started: {args[:1]}")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    free_memory.glibc.cache_clear()
    try:
        trim = free_memory.glibc("malloc_trim")
        assert (trim is not None) == sys.platform.startswith("linux")
        assert free_memory.glibc("no_such_function_in_any_libc") is None
    finally:
        free_memory.glibc.cache_clear()
