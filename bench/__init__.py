"""Benchmarks and validation runs; they read the shared data beside the repository checkout."""

import resource
from pathlib import Path

#: The Shenzhen universe (every SZSE A-share, 2015-2022) in ``../shared/data`` beside the repository.
SZSE_UNIVERSE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "szse-universe-2015-2022.parquet"


def finished_children() -> None:
    """Wait until every forked worker has exited and been reaped. The library does not wait for a worker's exit
    once it has every result (eventstudy.inference.processes.from_both_ends), but a finished child's CPU time and
    peak RSS reach ``getrusage(RUSAGE_CHILDREN)`` only once it is reaped: read them after this."""
    import multiprocessing
    import time

    while multiprocessing.active_children():  # (which also reaps those that have exited)
        time.sleep(0.002)


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the forked worker a placebo's chunks or a study's
    windows are shared with), user + system: the work a run did, whatever the machine's speed made of its wall
    time (read it after :func:`finished_children`)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
