"""bench.study_table's memory sampler: it sees memory this process holds, and its own cost stays small."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from bench.study_table import PssSampler


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PSS is read from Linux's /proc")
def test_the_sampler_sees_memory_held_and_waits_in_proportion_to_its_own_cost():
    with PssSampler(every=0.01, overhead=0.05) as sampler:
        held = np.ones(300 * 2**20 // 8)  # 300 MB, every page touched
        # two more samples, so that one began after the memory was held: how long they take depends on the machine
        # and its load (each wait is the last sample's cost ÷ overhead), so the test waits for them, not for a time
        seen, started = sampler.samples, time.perf_counter()
        while sampler.samples < seen + 2 and time.perf_counter() - started < 120:
            time.sleep(0.01)
        del held
    assert sampler.peak_mb >= 300
    assert sampler.samples >= 2
    # each wait is at least the sample before it's cost ÷ overhead: the samples' own time, but for the last one's
    # (stopped without a wait), is ≤ 5 % of the run
    assert sampler.sampling_s - sampler.last_s <= 0.05 * sampler.elapsed_s + 0.01


def test_finished_children_waits_for_the_worker_that_is_not_waited_for():
    """from_both_ends returns once every result is in, without waiting for its worker to exit; the benchmarks
    read the children's CPU and peak RSS only after finished_children() has reaped it."""
    import multiprocessing

    from bench import finished_children
    from eventstudy.inference.processes import can_fork, from_both_ends

    with from_both_ends(abs, list(range(-8, 8)), 2) as finish:
        assert finish() == [abs(x) for x in range(-8, 8)]
    finished_children()
    assert multiprocessing.active_children() == []
    if can_fork():
        import resource

        assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > 0
