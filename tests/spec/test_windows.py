"""The study's windows (eventstudy/spec/windows.py): defaults, the shortened pre-event window, and the refusals
that tie the windows to the estimation window — each one line naming the file and field."""

import pytest

from eventstudy.errors import ConfigError
from eventstudy.spec.fields import Reader
from eventstudy.spec.windows import estimation_exclude, read_windows


def _windows(**fields):
    return read_windows(Reader("s.yaml", {"study": fields}).child("study"))


def test_defaults():
    w = _windows()
    assert w.estimation == (-260, -11) and w.min_estimation_returns == 120
    assert w.events == ((-1, 1), (0, 1), (0, 5), (0, 10))
    assert (w.daily_path, w.price_chart, w.pre, w.long) == ((-10, 20), (-60, 60), (-10, -1), None)


@pytest.mark.parametrize(("est_end", "pre"), [(-11, (-10, -1)), (-6, (-5, -1)), (-2, (-1, -1)), (-1, None)])
def test_the_pre_event_window_starts_after_the_estimation_window(est_end, pre):
    fields = {"estimation_window": [-200, est_end], "daily_path": [0, 5], "event_windows": [[0, 1]]}
    assert _windows(**fields).pre == pre


@pytest.mark.parametrize(("fields", "message"), [
    ({"estimation_window": [-100, 0]}, "study.estimation_window: estimation window [-100, 0] must end before day 0"),
    ({"estimation_window": [-100, -11]}, "has 90 sessions, fewer than min_estimation_returns=120"),
    ({"min_estimation_returns": 2}, "study.min_estimation_returns: 2 is too few"),
    ({"event_windows": [[0, 1], [-20, 0]]}, "study.event_windows[1]: window [-20, 0] overlaps the estimation window"),
    ({"daily_path": [-11, 5]}, "study.daily_path: window [-11, 5] overlaps the estimation window [-260, -11]"),
    ({"pre_window": [-5, 0]}, "study.pre_window: window [-5, 0] must end before day 0"),
    ({"long_window": [-11, 250]}, "study.long_window: window [-11, 250] overlaps the estimation window"),
])  # fmt: skip
def test_refusals_name_the_field(fields, message):
    with pytest.raises(ConfigError) as caught:
        _windows(**fields)
    assert str(caught.value).startswith("s.yaml: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_estimation_exclude_dates_sorted_without_repeats():
    node = Reader("s.yaml", {"estimation_exclude": ["2019-10-08", "2019-05-16", "2019-10-08"]})
    got = estimation_exclude(node)
    assert [d.isoformat() for d in got] == ["2019-05-16", "2019-10-08"]
    assert estimation_exclude(Reader("s.yaml", {})) == "study_events"
