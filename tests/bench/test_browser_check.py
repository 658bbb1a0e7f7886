"""bench.browser_check: a page with a console error, an undrawn figure or the headline below the first screen
fails; the default report passes (skipped where no chromium is installed; `make browser-check` installs it)."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium (make browser-check installs it)")

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{top}
<table class="headline"><thead><tr><th>Window</th></tr></thead><tbody><tr><td>event</td></tr><tr><td>[0, 1]</td></tr>
</tbody></table>
<div id="f" class="plotly-graph-div"></div>{script}</body></html>"""


def test_a_broken_page_fails_on_each_count(tmp_path):
    from bench.browser_check import check

    page = tmp_path / "broken.html"
    page.write_text(
        PAGE.format(top='<div style="height:2000px"></div>', script="<script>console.error('boom');</script>")
    )
    passed, line = check(page, max_mb=0.000001, shots=None, timeout=5)
    assert not passed
    assert "console: boom" in line and "figures drawn 0/1" in line and "not within the first 900 px" in line
    assert "> 1e-06 MB" in line


def test_the_default_report_passes(tmp_path, default_results):
    from bench.browser_check import check
    from eventstudy.report.render import render_report

    page = tmp_path / "index.html"
    page.write_text(render_report(default_results, "snapshot"), encoding="utf-8")
    passed, line = check(page, max_mb=1.5, shots=tmp_path / "shots", timeout=120)
    assert passed, line
    assert "16/16 figures drawn" in line and "0 console errors" in line
    assert (tmp_path / "shots" / "first-screen.png").stat().st_size > 10_000
