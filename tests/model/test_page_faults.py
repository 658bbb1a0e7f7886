"""numpy's huge-page advice is off inside ``small_pages`` and restored after it, even on an error
(eventstudy/model/page_faults.py); the numbers computed inside do not depend on it."""

import numpy as np
import pytest

from eventstudy.model.page_faults import _advice_switch, small_pages


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
