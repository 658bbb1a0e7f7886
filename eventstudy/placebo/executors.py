"""The local executor of :mod:`eventstudy.placebo`: chunks in this process, or shared round-robin with forked
worker processes that inherit the context (the panel and running sums) copy-on-write; and the draw sizes from
which the placebo switches to two processes and to the running-sums engine (kept here, in a module that imports
nothing heavy, so that ``eventstudy placebo --help`` can show them)."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

FAST_FROM = 5000  # "auto" engine: running sums from here on (building them costs about as much as 5,000 events)
PARALLEL_FROM = 20_000  # below this, forking a second process costs more than it saves

_FORKED: dict[str, Any] = {}  # what a forked worker inherits (the context is not pickled)


def _run_forked(spec, parts: Sequence) -> list:
    run, context = _FORKED["run"], _FORKED["context"]
    return [run(context, spec, part) for part in parts]


def run_local(run: Callable, context, spec, parts: Sequence, processes: int) -> list:
    """``[run(context, spec, part) for part in parts]``, shared round-robin between this process and
    ``processes − 1`` forked ones (where ``fork`` exists). Results in chunk order either way; a chunk's numbers do
    not depend on where it ran (``run`` pins BLAS to one thread: see :mod:`eventstudy.inference.blas_threads`)."""
    procs = min(processes, len(parts))
    if procs < 2 or "fork" not in mp.get_all_start_methods():
        return [run(context, spec, part) for part in parts]
    _FORKED.update(run=run, context=context)
    try:
        with ProcessPoolExecutor(procs - 1, mp_context=mp.get_context("fork")) as pool:
            futures = {w: pool.submit(_run_forked, spec, parts[w::procs]) for w in range(1, procs)}
            mine = [run(context, spec, part) for part in parts[0::procs]]
            done = {0: mine, **{w: f.result() for w, f in futures.items()}}
    finally:
        _FORKED.clear()
    return [done[i % procs][i // procs] for i in range(len(parts))]
