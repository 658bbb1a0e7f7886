"""The progress indicator draws only on a terminal."""

from __future__ import annotations

import io

from eventstudy.data.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal():
    stream = io.StringIO()
    bar = Progress(3, "fetch", stream)
    for item in ("a", "b", "c"):
        bar.step(item)
    bar.close()
    assert stream.getvalue() == ""


def test_draws_in_place_on_a_terminal():
    stream = FakeTerminal()
    bar = Progress(2, "fetch", stream)
    bar.step("002415.SZ")
    bar.step("000300.SS")
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "fetch [###############---------------] 1/2 002415.SZ" in text
    assert "[##############################] 2/2 000300.SS" in text
