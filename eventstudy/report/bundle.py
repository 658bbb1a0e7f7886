"""The plotly.js that the report inlines: the vendored partial bundle ``vendor/plotly-basic.min.js`` (npm
``plotly.js-basic-dist-min``, provenance in ``vendor/PROVENANCE.md``), 1.2 MB instead of the 4.8 MB full bundle that
plotly.py ships. The page carries it gzip-compressed and base64-encoded (0.5 MB, :func:`plotly_loader`) and the
browser unpacks it with its built-in ``DecompressionStream`` (every current browser: Chromium 80, Firefox 113,
Safari 16.4 and later) before drawing the figures, which wait for it (``plotlyReady``): the report stays one
offline file, and its budget goes to the study's own tables and figures. It draws the trace types of :data:`TRACE_TYPES`, which are all the report's figures use; its version
must be the one plotly.py builds figures for (``plotly.offline.get_plotlyjs_version()``; a test checks it).
"""

from __future__ import annotations

import base64
import functools
import gzip
import re
from importlib import resources

BUNDLE = "plotly-basic.min.js"
TRACE_TYPES = frozenset({"scatter", "bar", "pie"})
"""The trace types of the basic bundle: a figure with another type would draw nothing."""


@functools.cache
def plotly_bundle() -> str:
    """The vendored bundle's text (read once per process)."""
    return (resources.files("eventstudy.report") / "vendor" / BUNDLE).read_text(encoding="utf-8")


def bundle_version() -> str:
    """The plotly.js version in the bundle's header comment (``plotly.js (basic - minified) vX.Y.Z``)."""
    found = re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", plotly_bundle()[:400])
    if found is None:
        raise ValueError(f"{BUNDLE}: no version in its header")
    return found.group(1)


@functools.cache
def packed_bundle() -> str:
    """The bundle gzip-compressed (level 9, no timestamp: the same bytes on every run) and base64-encoded."""
    return base64.b64encode(gzip.compress(plotly_bundle().encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")


def plotly_loader() -> str:
    """The ``<head>`` scripts of the report: the packed bundle (a data block the browser does not run) and the
    loader that unpacks and runs it, exposing ``window.plotlyReady`` (a promise the figures' scripts wait on); a
    browser that cannot unpack it gets a visible note instead of blank charts."""
    return (
        f'<script id="plotly-bundle" type="application/gzip;base64">{packed_bundle()}</script>\n'
        "<script>window.plotlyReady=(async function(){"
        "var bytes=Uint8Array.from(atob(document.getElementById('plotly-bundle').textContent),"
        "function(c){return c.charCodeAt(0);});"
        "var text=await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();"
        "var s=document.createElement('script');s.text=text;document.head.appendChild(s);})();"
        "window.plotlyReady.catch(function(e){document.addEventListener('DOMContentLoaded',function(){"
        "var p=document.createElement('p');p.className='warn';p.textContent='The charts need a browser that can "
        "unpack them (DecompressionStream: Chromium 80, Firefox 113, Safari 16.4 or later): '+e;"
        "document.body.insertBefore(p,document.body.firstChild);});});</script>"
    )
