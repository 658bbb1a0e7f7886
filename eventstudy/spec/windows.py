"""A study's windows, in relative sessions around day 0 (docs/events-schema.md): the estimation window and its
minimum of returns, the event windows, the daily path, the price chart, the pre-event and long windows, and which
estimation sessions are left out (``estimation_exclude``). Read together because they constrain one another: every
window after the estimation window must start after it ends, and it must hold ``min_estimation_returns`` sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .fields import Reader, show, window_field

Window = tuple[int, int]


@dataclass(frozen=True)
class StudyWindows:
    """The ``study`` section's windows, checked against each other (:func:`read_windows`)."""

    estimation: Window
    min_estimation_returns: int
    events: tuple[Window, ...]
    daily_path: Window
    price_chart: Window
    pre: Window | None
    long: Window | None


def read_windows(s: Reader) -> StudyWindows:
    """The windows of the ``study`` section ``s``, with their defaults: estimation ``[-260, -11]`` with at least
    120 returns, event windows ``[-1, 1]``, ``[0, 1]``, ``[0, 5]``, ``[0, 10]``, daily path ``[-10, 20]``, price
    chart ``[-60, 60]``, pre-event window ``[-10, -1]`` (shortened to start after an estimation window that ends
    later than day -11; none if it ends on day -1), no long window. Refused: an estimation window ending on or after
    day 0 or shorter than ``min_estimation_returns``, fewer than 3 required returns, and a later window overlapping
    the estimation window."""
    est = s.window("estimation_window", (-260, -11))
    windows = tuple(window_field(w) for w in s.items("event_windows")) if s.has("event_windows") else (
        (-1, 1), (0, 1), (0, 5), (0, 10)
    )  # fmt: skip
    path = s.window("daily_path", (-10, 20))
    chart = s.window("price_chart", (-60, 60))
    min_obs = s.integer("min_estimation_returns", 120)
    if min_obs < 3:
        raise s.fail(
            f"{min_obs} is too few; at least 3 returns are needed to estimate a variance", "min_estimation_returns"
        )
    if est[1] >= 0:
        raise s.fail(f"estimation window {list(est)} must end before day 0", "estimation_window")
    if est[1] - est[0] + 1 < min_obs:
        raise s.fail(
            f"estimation window {list(est)} has {est[1] - est[0] + 1} sessions, fewer than min_estimation_returns={min_obs}",
            "estimation_window",
        )
    for i, w in enumerate((*windows, path)):
        if w[0] <= est[1]:
            name = "daily_path" if i == len(windows) else f"event_windows[{i}]"
            raise s.fail(f"window {list(w)} overlaps the estimation window {list(est)}", name)
    # default [-10, -1], shortened to start after an estimation window that ends later than day -11 (none if -1)
    pre = (max(-10, est[1] + 1), -1) if est[1] < -1 else None
    if s.has("pre_window"):
        pre = s.window("pre_window", (-10, -1))
        if pre[1] >= 0 or pre[0] <= est[1]:
            raise s.fail(f"window {list(pre)} must end before day 0 and start after the estimation window "
                         f"{list(est)}", "pre_window")  # fmt: skip
    long = s.window("long_window", (0, 0)) if s.has("long_window") else None
    if long is not None and long[0] <= est[1]:
        raise s.fail(f"window {list(long)} overlaps the estimation window {list(est)}", "long_window")
    return StudyWindows(est, min_obs, windows, path, chart, pre, long)


EXCLUDE_MODES = ("study_events", "none")
"""The words ``estimation_exclude`` takes besides a list of dates."""
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def estimation_exclude(node: Reader) -> str | tuple[date, ...]:
    """``study.estimation_exclude``: ``study_events`` (the default), ``none``, or a list of session dates
    (``YYYY-MM-DD`` text, or :class:`datetime.date` values from :meth:`Study.from_events`), returned sorted
    without repeats. An explicit empty value (YAML ``null``) is refused: it could mean either word."""
    key = "estimation_exclude"
    if not isinstance(node.data, dict) or key not in node.data:
        return "study_events"
    value = node.data[key]
    if isinstance(value, str) and value.strip() in EXCLUDE_MODES:
        return value.strip()
    if isinstance(value, list):
        dates: set[date] = set()
        for i, item in enumerate(value):
            day = _exclude_date(item)
            if day is None:
                raise node.child(key).child(i).fail(f"expected a date YYYY-MM-DD, got {show(item)}")
            dates.add(day)
        return tuple(sorted(dates))
    hint = " (YAML reads bare yes/no/on/off as true/false)" if isinstance(value, bool) else ""
    raise node.fail(
        f"expected {' or '.join(EXCLUDE_MODES)} or a list of dates YYYY-MM-DD, got {show(value)}{hint}", key
    )


def _exclude_date(item: Any) -> date | None:
    """One date of ``estimation_exclude``: ISO ``YYYY-MM-DD`` text, a date, or a midnight date-time (pandas'
    ``Timestamp('2019-05-16')``) without a time zone; None for anything else."""
    if isinstance(item, datetime):
        naive_midnight = item.tzinfo is None and item.time() == datetime.min.time()
        return item.date() if naive_midnight else None
    if isinstance(item, date):
        return item
    if isinstance(item, str) and ISO_DAY.match(item.strip()):
        try:
            return date.fromisoformat(item.strip())
        except ValueError:
            return None
    return None
