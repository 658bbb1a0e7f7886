"""The plotly.js that the report inlines: the vendored partial bundle ``vendor/plotly-basic.min.js`` (npm
``plotly.js-basic-dist-min``, provenance in ``vendor/PROVENANCE.md``), 1.2 MB instead of the 4.8 MB full bundle that
plotly.py ships. It draws the trace types of :data:`TRACE_TYPES`, which are all the report's figures use; its version
must be the one plotly.py builds figures for (``plotly.offline.get_plotlyjs_version()``; a test checks it).
"""

from __future__ import annotations

import functools
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
