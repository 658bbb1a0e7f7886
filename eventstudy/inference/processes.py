"""Work shared between this process and forked ones, which inherit everything already in memory (the abnormal
returns, the estimation-day caches) copy-on-write; only the results travel back, pickled.

:func:`from_both_ends` starts forked workers on the parts from the front while this process goes on with other
work (a large study's windows, while this process builds the study's other tables) or at once (the placebo's
chunks); this process then takes the parts from the back until the two ends meet. Whoever is free takes the next
part, so that no process waits while another has parts left; with one worker each side takes consecutive parts
(windows that reuse what the one before them computed stay together).

A part's numbers do not depend on where it ran: the study's tests and the placebo's chunks pin BLAS to one thread
(:mod:`eventstudy.inference.blas_threads`), so the results are those of the serial loop, in the parts' order; the
report rendered beside a study's tables (:func:`eventstudy.publish.outputs.write_outputs`) runs with this
process's BLAS settings, which a forked process inherits."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..model.jit import beside_processes

_INHERITED: dict[str, Any] = {}  # what a forked worker runs, and on what (never pickled)


def can_fork() -> bool:
    """Whether workers can be forked here: Linux (macOS lists ``fork`` but its system libraries are not safe
    after it; Windows has none)."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def _take(ends: Any, lock: Any, front: bool) -> int | None:
    """The next part's index from the front or the back of what neither side has taken (None: nothing left)."""
    with lock:
        if ends[0] >= ends[1]:
            return None
        if front:
            ends[0] += 1
            return int(ends[0] - 1)
        ends[1] -= 1
        return int(ends[1])


def _run_from_front() -> list[tuple[int, Any]]:
    run, parts, ends, lock = (_INHERITED[k] for k in ("run", "parts", "ends", "lock"))
    done = []
    while (i := _take(ends, lock, front=True)) is not None:
        done.append((i, run(parts[i])))
    return done


@contextlib.contextmanager
def from_both_ends(run: Callable[[Any], Any], parts: Sequence[Any], processes: int) -> Iterator[Callable[[], list]]:
    """Starts ``[run(part) for part in parts]`` in ``processes − 1`` forked workers, which take the parts one at a
    time from the front, and yields ``finish``: called after this process's other work (or at once), it takes the
    parts left from the back until the two ends meet, and returns every result in the parts' order. Serial (all
    in ``finish``) when ``processes < 2``, with fewer than two parts, or where :func:`can_fork` is false. Leaving
    the block without ``finish`` (an error in the other work) stops the workers after their current parts."""
    procs = min(processes, len(parts))
    if procs < 2 or not can_fork():
        yield lambda: [run(part) for part in parts]
        return
    context = mp.get_context("fork")
    with beside_processes():  # (the workers take the other CPUs: compiled kernels keep to one thread)
        ends, lock = context.RawArray("q", [0, len(parts)]), context.Lock()  # the next part from each end
        _INHERITED.update(run=run, parts=parts, ends=ends, lock=lock)
        # The objects already made are left out of garbage collection until the parts are done: a collection writes to
        # every object it visits, which after the fork copies the page it is on (measured: the confounder screen
        # running beside the battery took 0.31 s and 32k page faults, 0.21 s and 22k with the objects frozen).
        gc.freeze()
        pool, done = ProcessPoolExecutor(procs - 1, mp_context=context), [False]
        try:
            workers = [pool.submit(_run_from_front) for _ in range(procs - 1)]

            def finish() -> list[Any]:
                out: list[Any] = [None] * len(parts)
                while (i := _take(ends, lock, front=False)) is not None:
                    out[i] = run(parts[i])
                for worker in workers:
                    for i, got in worker.result():
                        out[i] = got
                done[0] = True
                return out

            try:
                yield finish
            finally:
                with lock:  # nothing more for the workers (a no-op after finish)
                    ends[0] = ends[1]
        finally:
            # Once every result is in, the workers' exit (~35 ms: tearing down a large forked address space) is not
            # waited for; otherwise they are, so that none outlives an error.
            pool.shutdown(wait=not done[0])
            gc.unfreeze()
            _INHERITED.clear()
