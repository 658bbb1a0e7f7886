"""numpy's huge-page advice is off inside ``small_pages`` and restored after it, even on an error; glibc keeps
freed memory inside ``kept_freed_memory`` and is back to its defaults after it (eventstudy/model/page_faults.py);
the numbers computed inside depend on neither."""

import ctypes

import numpy as np
import pytest

from eventstudy.data.free_memory import glibc
from eventstudy.model.page_faults import _advice_switch, kept_freed_memory, small_pages


@pytest.fixture
def switch():
    s = _advice_switch()
    if s is None:
        pytest.skip("this numpy has no huge-page advice switch")
    before = s(True)
    yield s
    s(before)


def _current(switch) -> bool:
    now = switch(True)  # the setter returns the previous value: read it, then put it back
    switch(now)
    return now


def test_advice_off_inside_and_restored_after(switch):
    with small_pages():
        assert _current(switch) is False
    assert _current(switch) is True
    switch(False)
    with small_pages():
        pass
    assert _current(switch) is False  # what it was before the block, not forced on


def test_restored_after_an_error(switch):
    with pytest.raises(RuntimeError), small_pages():
        raise RuntimeError("boom")
    assert _current(switch) is True


def test_same_numbers_inside(switch):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(600, 1000))  # 4.8 MB: above numpy's 4 MB advice threshold
    outside = (a @ a[:5].T).sum(axis=0)
    with small_pages():
        inside = (a @ a[:5].T).sum(axis=0)
    np.testing.assert_allclose(inside, outside, rtol=1e-12)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]  # fmt: skip


def _mallinfo():
    info = glibc("mallinfo2")
    if info is None:
        pytest.skip("not glibc 2.33 or later")
    info.restype = _MallInfo2
    return info


def test_freed_memory_kept_inside_and_defaults_back_after():
    """Inside ``kept_freed_memory`` a 64 MB array comes from the heap (not a mapping of its own) and stays in it
    once freed; after it, the same array is mapped again (glibc's defaults), and the numbers are the same."""
    mallinfo, size = _mallinfo(), 64 * 2**20
    rng = np.random.default_rng(1)
    with kept_freed_memory():
        mapped = mallinfo().hblkhd
        a = rng.random(size // 8)
        assert mallinfo().hblkhd - mapped < size  # not mapped of its own
        inside = float(a.sum())
        del a
        assert mallinfo().fordblks >= size  # kept by the heap for the next array
    mapped = mallinfo().hblkhd
    b = np.random.default_rng(1).random(size // 8)
    assert mallinfo().hblkhd - mapped >= size  # mapped again
    assert float(b.sum()) == inside


def test_nested_blocks_keep_freed_memory_until_the_outermost_ends():
    """A study's sensitivity analyses run studies inside the study's block: the inner block's end leaves the
    setting on; the outer block's end (here after an error) sets the defaults back."""
    mallinfo, size = _mallinfo(), 64 * 2**20
    with pytest.raises(RuntimeError), kept_freed_memory():
        with kept_freed_memory():
            pass
        mapped = mallinfo().hblkhd
        a = np.ones(size // 8)
        assert mallinfo().hblkhd - mapped < size  # still from the heap
        del a
        raise RuntimeError("boom")
    mapped = mallinfo().hblkhd
    b = np.ones(size // 8)
    assert mallinfo().hblkhd - mapped >= size  # mapped: the defaults are back
    del b
