"""Error messages: one line, bounded length (issue 14.3)."""

from __future__ import annotations

from eventstudy.errors import MESSAGE_LIMIT, bounded_message


def test_messages_are_one_line_and_cut_at_the_limit():
    assert MESSAGE_LIMIT == 400
    assert bounded_message("a\n  b\tc") == "a b c"
    long = bounded_message("x" * 10_000_000)
    assert len(long) == 400 and long.endswith("…")
    assert bounded_message("y" * 400) == "y" * 400
