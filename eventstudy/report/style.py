"""How the report's charts look: one colour-blind-safe palette, one lean layout and one reduced mode bar, shared by
every figure of :mod:`eventstudy.report.figures` and written into the page by :func:`figure_div`.

Chart titles are HTML headings of the page, not plotly titles, so nothing sits under the mode bar; the mode bar
keeps only "download as PNG", "zoom" and "reset axes" and shows on hover.
"""

from __future__ import annotations

import base64
import html
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import plotly.graph_objects as go

RAINBOW = (
    "#E8ECFB", "#D9CCE3", "#D1BBD7", "#CAACCB", "#BA8DB4", "#AE76A3", "#AA6F9E", "#994F88", "#882E72", "#1965B0",
    "#437DBF", "#5289C7", "#6195CF", "#7BAFDE", "#4EB265", "#90C987", "#CAE0AB", "#F7F056", "#F7CB45", "#F6C141",
    "#F4A736", "#F1932D", "#EE8026", "#E8601C", "#E65518", "#DC050C", "#A5170E", "#72190E", "#42150A",
)  # fmt: skip
"""Paul Tol's discrete rainbow (Tol 2021, *Colour Schemes*, SRON/EPS/TN/09-002, fig. 22): 29 colours from which
the scheme takes a fixed subset for each number of colours, chosen to stay distinct for colour-blind readers."""

_RAINBOW_SETS = {
    1: (9,), 2: (9, 25), 3: (9, 17, 25), 4: (9, 14, 17, 25), 5: (9, 13, 14, 17, 25), 6: (9, 13, 14, 16, 17, 25),
    7: (8, 9, 13, 14, 16, 17, 25), 8: (8, 9, 13, 14, 16, 17, 22, 25), 9: (8, 9, 13, 14, 16, 17, 22, 25, 27),
    10: (8, 9, 13, 14, 16, 17, 20, 23, 25, 27), 11: (8, 9, 11, 13, 14, 16, 17, 20, 23, 25, 27),
    12: (2, 5, 8, 9, 11, 13, 14, 16, 17, 20, 23, 25), 13: (2, 5, 8, 9, 11, 13, 14, 15, 16, 17, 20, 23, 25),
    14: (2, 5, 8, 9, 11, 13, 14, 15, 16, 17, 19, 21, 23, 25),
    15: (2, 5, 8, 9, 11, 13, 14, 15, 16, 17, 19, 21, 23, 25, 27),
    16: (2, 4, 6, 8, 9, 11, 13, 14, 15, 16, 17, 19, 21, 23, 25, 27),
    17: (2, 4, 6, 7, 8, 9, 11, 13, 14, 15, 16, 17, 19, 21, 23, 25, 27),
    18: (2, 4, 6, 7, 8, 9, 11, 13, 14, 15, 16, 17, 19, 21, 23, 25, 26, 27),
    19: (1, 3, 4, 6, 7, 8, 9, 11, 13, 14, 15, 16, 17, 19, 21, 23, 25, 26, 27),
    20: (1, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 19, 21, 23, 25, 26, 27),
}  # fmt: skip
"""The scheme's subset (0-based positions in :data:`RAINBOW`) for 1 to 20 colours."""

MAX_COLOURS = max(_RAINBOW_SETS)
CAAR_COLOUR = "#1965B0"  # the event's CAAR and its band
BENCHMARK_COLOUR = "#777777"
REFERENCE_GREY = "#BBBBBB"  # per-firm lines drawn as context, not to be told apart
LOW_COLOUR, HIGH_COLOUR = "#DC050C", "#1965B0"  # extremes: the lowest CARs red, the highest blue

LAYOUT: dict[str, Any] = {
    "font": {"family": "-apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif", "size": 12, "color": "#222"},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "margin": {"l": 56, "r": 16, "t": 28, "b": 44},
    "hovermode": "closest",
    "legend": {"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 11}},
}
"""Instead of plotly's ``plotly_white`` template (7 kB of JSON in every figure), the few settings the charts use."""

AXIS: dict[str, Any] = {
    "gridcolor": "#ececec",
    "zeroline": True,
    "zerolinecolor": "#888",
    "zerolinewidth": 1,
    "linecolor": "#999",
}
"""Every axis: light grid, and a zero line, which marks CAR = 0 and, on a relative-day axis, day 0."""

CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtons": [["toImage", "zoom2d", "resetScale2d"]],
}


def firm_colours(n: int) -> list[str]:
    """``n`` distinct colours of :data:`RAINBOW` (Tol's subset for ``n``), for 1 ≤ n ≤ :data:`MAX_COLOURS`; beyond
    that charts do not tell firms apart by colour (small multiples or grey lines), so asking is an error."""
    if not 1 <= n <= MAX_COLOURS:
        raise ValueError(f"firm_colours: {n} colours asked; the palette has distinct sets for 1 to {MAX_COLOURS}")
    return [RAINBOW[k] for k in _RAINBOW_SETS[n]]


def plain(text: str) -> str:
    """Text for a plotly label: plotly renders a subset of HTML in labels, so escape it to show it as typed."""
    return html.escape(text, quote=False)


def number_text(value: Any, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec``; "—" for a missing or non-finite number (never a blank or "nan")."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return format(value, spec)


def style(fig: go.Figure | dict[str, Any], height: int, top: int = 28) -> dict[str, Any]:
    """The figure (a plotly figure, or already plain data: ``{"data": [...], "layout": {...}}``) as plain data with
    the lean layout: the axes' style once, in the template, for every axis of small multiples; ``top``: the top
    margin in pixels (room for a plotly title where a figure keeps one). Plain dictionaries: setting properties on
    plotly objects validates every value, which costs more than building the figure."""
    spec = fig if isinstance(fig, dict) else fig.to_plotly_json()
    layout = {**spec["layout"], **LAYOUT, "height": height, "margin": {**LAYOUT["margin"], "t": top}}
    layout["template"] = {"layout": {"xaxis": AXIS, "yaxis": AXIS}}
    return {"data": [dict(trace) for trace in spec["data"]], "layout": layout}


_TYPED = {"float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2", "int32": "i4", "uint8": "u1", "uint16": "u2",
          "uint32": "u4"}  # fmt: skip


def typed_array(value: np.ndarray) -> dict[str, Any] | list[Any]:
    """A numpy array in plotly.js's typed-array form (``{"dtype", "bdata"}``, and ``"shape"`` for a matrix):
    floats as they are, integers in the narrowest of 8, 16 or 32 bits that holds them; anything else (text, an
    empty array, integers beyond 32 bits) as a list."""
    if value.size and value.dtype.kind in "iu":
        for narrow in ("int8", "int16", "int32") if value.dtype.kind == "i" else ("uint8", "uint16", "uint32"):
            info = np.iinfo(narrow)
            if info.min <= value.min() and value.max() <= info.max:
                value = value.astype(narrow)
                break
    if not value.size or value.dtype.name not in _TYPED:
        return value.tolist()
    out = {"dtype": _TYPED[value.dtype.name], "bdata": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()}
    if value.ndim > 1:
        out["shape"] = ", ".join(str(k) for k in value.shape)
    return out


def _typed_arrays(value: Any) -> Any:
    """``value`` with every numpy array in it (at any depth) as :func:`typed_array`."""
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, dict):
        return {k: _typed_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed_arrays(v) for v in value]
    return value


def _numbers(value: Any) -> np.ndarray | None:
    """``value`` as a numeric array if it is one (a list of numbers: missing ones as NaN; plotly's own typed-array
    form, in which ``to_plotly_json`` hands over numpy arrays), else None."""
    if isinstance(value, dict) and set(value) == {"dtype", "bdata"}:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind in "fiu" else None
    if (
        isinstance(value, (list, tuple))
        and value
        and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in value)
    ):
        return np.array([np.nan if v is None else v for v in value], dtype=np.float64)
    return None


def compact(spec: dict[str, Any]) -> dict[str, Any]:
    """Numeric trace arrays in the smallest exact-enough type plotly.js reads, embedded base64-encoded (plotly.js's
    typed-array form ``{"dtype", "bdata"}``): float64 as float32 (7 significant digits, beyond what any label or hover
    shows), integers as int16 when they fit (relative days); a list of numbers (missing ones as gaps) as a float32
    array; an x of consecutive days as its first day and a step of 1 (plotly's ``x0``/``dx``). Every other numpy
    array (hover data, error bars, bar widths) as :func:`typed_array`."""
    for trace in spec["data"]:
        x = _numbers(trace.get("x"))
        if x is not None and x.dtype.kind in "iu" and x.size > 2 and bool((np.diff(x) == 1).all()):
            del trace["x"]  # consecutive days: x0 and dx instead of the array
            trace["x0"], trace["dx"] = int(x[0]), 1
        for name in ("x", "y"):
            value = _numbers(trace.get(name))
            if value is None:
                continue
            if value.dtype.kind == "f":
                value = value.astype(np.float32)
            elif value.size and np.abs(value).max() < 2**15:
                value = value.astype(np.int16)
            elif value.dtype.name not in _TYPED:
                value = value.astype(np.float64)
            trace[name] = {"dtype": _TYPED[value.dtype.name], "bdata": base64.b64encode(value.tobytes()).decode()}
    spec["data"] = [_typed_arrays(trace) for trace in spec["data"]]
    return spec


def figure_div(fig: go.Figure | dict[str, Any], div_id: str, height: int, top: int = 28) -> str:
    """The figure as a ``div`` and its script, drawn once the page has unpacked plotly.js (``plotlyReady``,
    :func:`eventstudy.report.bundle.plotly_loader`);
    the stable ``div_id`` keeps identical inputs to identical bytes."""
    import plotly.io as pio

    spec = pio.json.to_json_plotly(compact(style(fig, height, top)), engine="json").replace("</", "<\\/")
    return (
        f'<div id="{html.escape(div_id)}" class="plotly-graph-div" style="height:{height}px;width:100%"></div>'
        f"<script>plotlyReady.then(function(){{var f={spec};Plotly.newPlot({json.dumps(div_id)},f.data,f.layout,"
        f"{json.dumps(CONFIG)});}});</script>"
    )
