"""Work shared with forked processes: the same results, in the same order, as the serial loop."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from eventstudy.inference import significance
from eventstudy.inference.processes import can_fork, from_both_ends


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_from_both_ends_runs_every_part_once_in_order_from_either_end():
    """A forked worker takes parts from the front while this process works on; finish() takes the rest from the
    back. Every part runs once; each side's parts are consecutive (the worker's a prefix, this process's a
    suffix); the results come in the parts' order."""
    parts = list(range(9))
    with from_both_ends(_square_and_pid, parts, 2) as finish:
        got = finish()
    assert [v for v, _ in got] == [x * x for x in parts]
    pids = [pid for _, pid in got]
    here = [k for k, pid in enumerate(pids) if pid == os.getpid()]
    assert here == list(range(len(parts) - len(here), len(parts)))  # a suffix (may be empty)
    if can_fork():
        assert set(pids[: len(parts) - len(here)]) <= {p for p in pids if p != os.getpid()}
        assert len(set(pids)) <= 2


def test_from_both_ends_lets_the_worker_run_while_this_process_does_other_work():
    """With this process busy until the worker has taken everything, the worker has run every part."""
    import time

    parts = list(range(4))
    with from_both_ends(_square_and_pid, parts, 2) as finish:
        time.sleep(2.0 if can_fork() else 0)
        got = finish()
    assert [v for v, _ in got] == [0, 1, 4, 9]
    assert ({pid for _, pid in got} == {os.getpid()}) != can_fork()


def test_from_both_ends_is_serial_for_one_process_or_one_part():
    for processes, parts in ((1, [1, 2, 3]), (4, [3]), (2, [])):
        with from_both_ends(_square_and_pid, parts, processes) as finish:
            got = finish()
        assert got == [(x * x, os.getpid()) for x in parts]


def test_an_error_in_the_worker_from_the_front_reaches_the_caller():
    def fail_on_zero(x: int) -> int:
        if x == 0:
            raise ValueError(f"part {x}")
        return x

    with pytest.raises(ValueError, match="part 0"):
        with from_both_ends(fail_on_zero, [0, 1, 2], 2) as finish:
            finish()


def test_an_error_in_the_other_work_stops_the_worker():
    """Leaving the block by an error (no finish) stops the worker after its current part; the error is the
    caller's own."""
    with pytest.raises(KeyError, match="elsewhere"):
        with from_both_ends(_square_and_pid, list(range(1000)), 2):
            raise KeyError("elsewhere")


def test_three_processes_share_the_parts_and_keep_their_order():
    """Two forked workers from the front, this process from the back: every part once, results in order."""
    import time

    def slow_square(x: int) -> tuple[int, int]:
        time.sleep(0.02)
        return x * x, os.getpid()

    parts = list(range(30))
    with from_both_ends(slow_square, parts, 3) as finish:
        got = finish()
    assert [v for v, _ in got] == [x * x for x in parts]
    assert len({pid for _, pid in got}) <= 3
    if can_fork():
        assert len({pid for _, pid in got}) >= 2


def test_window_processes_threshold():
    assert significance.window_processes(10, 5) == 1  # a small study: forking costs more than it saves
    assert significance.window_processes(10_000, 1) == 1  # one window: nothing to share
    big = significance.window_processes(5_000, 34)
    assert big == min(2, os.cpu_count() or 1)


def test_a_study_tested_in_two_processes_equals_the_serial_table(default_results, monkeypatch):
    """The default study's every window and daily-path day, its windows shared with a forked process."""
    ab = default_results.abnormal
    windows = tuple(default_results.study.event_windows)
    serial = significance.significance_table(ab, windows, daily_path=default_results.study.daily_path)
    monkeypatch.setattr(significance, "PARALLEL_FIRM_EVENT_WINDOWS", 1)
    shared = significance.significance_table(ab, windows, daily_path=default_results.study.daily_path)
    pd.testing.assert_frame_equal(serial, shared, rtol=1e-12, atol=0)


def test_firm_events_without_a_return_do_not_count_toward_forking(default_results, monkeypatch):
    """The confounder screen's battery runs over the study's abnormal returns with most firm-events left out
    (``without``): a large study's whole count had forked a worker for ~2 % of its rows. Only the firm-events with
    an estimation day count."""
    import numpy as np

    from eventstudy.model.engine import without

    ab = default_results.abnormal
    windows = tuple(default_results.study.event_windows)
    asked = []
    monkeypatch.setattr(significance, "window_processes", lambda n, w: asked.append(n) or 1)
    significance.significance_table(ab, windows)
    kept = np.zeros(ab.ar.shape[0], dtype=bool)
    kept[:2] = True
    significance.significance_table(without(ab, ~kept), windows)
    assert asked == [ab.ar.shape[0], 2]


def test_kernels_keep_to_one_thread_while_forked_workers_run(monkeypatch):
    """Beside the workers (and in them) :func:`~eventstudy.model.jit.over_rows` makes one call: the workers
    already take the other CPUs. Outside the block it splits again."""
    from eventstudy.model import jit

    monkeypatch.setattr(jit, "cores", lambda: 2)
    calls: list[slice] = []
    with from_both_ends(_square_and_pid, list(range(4)), 2) as finish:
        jit.over_rows(calls.append, 10, jit.SPLIT_CELLS)
        finish()
    assert calls == [slice(0, 10)] or not can_fork()
    calls.clear()
    jit.over_rows(calls.append, 10, jit.SPLIT_CELLS)
    assert sorted(calls, key=lambda s: (s.start, s.stop)) == [slice(0, 0), slice(0, 5), slice(5, 10)]
