"""bundle: the vendored partial plotly.js is the version plotly.py builds figures for, is the file its provenance
note names, ships in the wheel, and draws every trace type the report uses."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources

from tests.conftest import ROOT


def test_the_bundle_is_the_plotly_js_version_of_the_installed_plotly():
    from plotly.offline import get_plotlyjs_version

    from eventstudy.report.bundle import bundle_version

    assert bundle_version() == get_plotlyjs_version()


def test_the_bundle_is_the_file_its_provenance_names():
    from eventstudy.report.bundle import BUNDLE, plotly_bundle

    vendor = resources.files("eventstudy.report") / "vendor"
    provenance = (vendor / "PROVENANCE.md").read_text(encoding="utf-8")
    digest = re.search(r"SHA-256 of `plotly-basic.min.js` \| `([0-9a-f]{64})`", provenance)
    assert digest is not None
    assert hashlib.sha256((vendor / BUNDLE).read_bytes()).hexdigest() == digest.group(1)
    assert plotly_bundle().startswith("/**\n* plotly.js (basic - minified)")
    assert "MIT License" in (vendor / "LICENSE").read_text(encoding="utf-8")


def test_the_wheel_carries_the_bundle_and_its_licence():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for pattern in ('"report/vendor/*.js"', '"report/vendor/LICENSE"', '"report/vendor/*.md"'):
        assert pattern in text


def test_every_trace_type_of_the_report_is_in_the_bundle(default_results):
    """A trace type the basic bundle lacks would draw nothing: every figure of the default report uses only
    scatter and bar (and the browser check confirms each figure drew)."""
    from eventstudy.report.bundle import TRACE_TYPES, plotly_bundle
    from eventstudy.report.render import render_report

    html = render_report(default_results, "snapshot")
    figures = re.findall(r"<script>plotlyReady\.then\(function\(\)\{var f=(.*?);Plotly\.newPlot", html, flags=re.S)
    assert len(figures) == 16
    types = {trace.get("type", "scatter") for f in figures for trace in json.loads(f)["data"]}
    assert types and types <= TRACE_TYPES, types
    assert len(html.encode("utf-8")) < 1_500_000
    assert unpacked_bundles(html) == [plotly_bundle()]


def unpacked_bundles(html: str) -> list[str]:
    """The plotly.js of each packed-bundle block of a page, as the page's loader unpacks it (gzip of base64)."""
    import base64
    import gzip

    blocks = re.findall(r'<script id="plotly-bundle" type="application/gzip;base64">(.*?)</script>', html, re.S)
    return [gzip.decompress(base64.b64decode(b)).decode("utf-8") for b in blocks]
