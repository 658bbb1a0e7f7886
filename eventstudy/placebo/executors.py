"""The local executor of :mod:`eventstudy.placebo`: chunks in this process, or shared with forked worker
processes that inherit the context (the panel and running sums) copy-on-write; and the draw sizes from
which the placebo switches to two processes and to the running-sums engine (kept here, in a module that imports
nothing heavy, so that ``eventstudy placebo --help`` can show them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

FAST_FROM = 5000  # "auto" engine: running sums from here on (building them costs about as much as 5,000 events)
PARALLEL_FROM = 20_000  # below this, forking a second process costs more than it saves


def run_local(run: Callable, context, spec, parts: Sequence, processes: int) -> list:
    """``[run(context, spec, part) for part in parts]``, shared between this process and ``processes − 1`` forked
    ones (:func:`eventstudy.inference.processes.from_both_ends`: the context is inherited, not pickled; the workers
    take chunks from the front, this process from the back, so that all finish together). Results in chunk order
    either way; a chunk's numbers do not depend on where it ran (``run`` pins BLAS to one thread: see
    :mod:`eventstudy.inference.blas_threads`). The first chunk runs here before any fork, so that numba and the
    compiled kernels are loaded once (~0.8 s) and the workers inherit them."""
    from ..inference.processes import from_both_ends

    if not parts:
        return []
    first = run(context, spec, parts[0])
    with from_both_ends(lambda part: run(context, spec, part), parts[1:], processes) as finish:
        return [first, *finish()]
