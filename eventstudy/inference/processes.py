"""Work shared between this process and forked ones: :func:`round_robin` runs ``run(part)`` for every part, the
parts dealt round-robin to this process and ``processes − 1`` forked workers, which inherit everything already in
memory (the abnormal returns, the estimation-day caches) copy-on-write; only the results travel back, pickled.
The placebo's chunks and a large study's windows both use it. A part's numbers do not depend on where it ran:
every caller pins BLAS to one thread (:mod:`eventstudy.inference.blas_threads`), so the results are those of the
serial loop, in the parts' order."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_INHERITED: dict[str, Callable[[Any], Any]] = {}  # what a forked worker runs (never pickled)


def _run_inherited(parts: Sequence[Any]) -> list[Any]:
    run = _INHERITED["run"]
    return [run(part) for part in parts]


def can_fork() -> bool:
    """Whether workers can be forked here: Linux (macOS lists ``fork`` but its system libraries are not safe
    after it; Windows has none)."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def cores() -> int:
    """The CPUs this process may run on (its affinity where the system tells it, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def round_robin(
    run: Callable[[Any], Any], parts: Sequence[Any], processes: int, *, contiguous: bool = False
) -> list[Any]:
    """``[run(part) for part in parts]``, part ``i`` run by process ``i % processes`` (0: this one). Serial when
    ``processes < 2``, with fewer than two parts, or where :func:`can_fork` is false. ``contiguous``: process
    ``k`` runs the ``k``-th of ``processes`` runs of consecutive parts instead (as even as can be), so that parts
    that reuse what the one before them computed (a study's windows on the same firm-events) stay together."""
    procs = min(processes, len(parts))
    if procs < 2 or not can_fork():
        return [run(part) for part in parts]
    if contiguous:
        bounds = [len(parts) * k // procs for k in range(procs + 1)]
        dealt = [list(range(bounds[k], bounds[k + 1])) for k in range(procs)]
    else:
        dealt = [list(range(k, len(parts), procs)) for k in range(procs)]
    _INHERITED["run"] = run
    try:
        with ProcessPoolExecutor(procs - 1, mp_context=mp.get_context("fork")) as pool:
            futures = {w: pool.submit(_run_inherited, [parts[i] for i in dealt[w]]) for w in range(1, procs)}
            mine = [run(parts[i]) for i in dealt[0]]
            done = {0: mine, **{w: f.result() for w, f in futures.items()}}
    finally:
        _INHERITED.clear()
    out: list[Any] = [None] * len(parts)
    for w, indices in enumerate(dealt):
        for i, got in zip(indices, done[w], strict=True):
            out[i] = got
    return out
