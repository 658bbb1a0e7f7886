"""No full garbage collection runs inside ``deferred_full_collections``, young ones still do, and the collector's
thresholds are back after the outermost block, even on an error (eventstudy/model/full_collections.py)."""

import gc

import pytest

from eventstudy.model.full_collections import OUT_OF_REACH, deferred_full_collections


@pytest.fixture
def collections():
    """The generations collected while the test runs (gc.callbacks), from a fully collected start."""
    seen: list[int] = []

    def note(phase, info):
        if phase == "stop":
            seen.append(info["generation"])

    gc.collect()
    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)


def _survivors(n: int) -> list[list[int]]:
    """``n`` containers that live on (each a tracked list): what promotes objects and calls for a full collection
    once they outnumber a quarter of the long-lived ones."""
    return [[i] for i in range(n)]


def _many_survivors() -> list[list[list[int]]]:
    """Survivors half as many as the objects the process holds, in steps (young collections run between them)."""
    alive = len(gc.get_objects())
    return [_survivors(50_000) for _ in range(max(4, alive // 100_000 + 1))]


def test_no_full_collection_inside_young_ones_go_on(collections):
    held = _many_survivors()
    assert 2 in collections  # the same allocations outside the block: a full collection runs
    del held
    gc.collect()
    collections.clear()
    with deferred_full_collections():
        assert gc.get_threshold()[2] == OUT_OF_REACH
        held = _many_survivors()
        assert 0 in collections and 1 in collections
        assert 2 not in collections
    del held


def test_thresholds_restored_nested_and_after_an_error():
    before = gc.get_threshold()
    try:
        gc.set_threshold(500, 7, 9)
        with deferred_full_collections():
            with deferred_full_collections():
                assert gc.get_threshold() == (500, 7, OUT_OF_REACH)
            assert gc.get_threshold() == (500, 7, OUT_OF_REACH)  # the inner block's exit keeps the outer's setting
        assert gc.get_threshold() == (500, 7, 9)
        with pytest.raises(RuntimeError), deferred_full_collections():
            raise RuntimeError("boom")
        assert gc.get_threshold() == (500, 7, 9)
    finally:
        gc.set_threshold(*before)
