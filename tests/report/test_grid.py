"""grid: the small multiples' layout is the one plotly's make_subplots builds."""

from __future__ import annotations

import math


def _subplots_layout(rows, cols, titles, shared_yaxes):
    """What the charts did before: make_subplots, a trace per panel, every x axis labelled, titles in 11 px."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=rows, cols=cols, shared_xaxes="all", shared_yaxes="all" if shared_yaxes else False,
                        subplot_titles=titles, vertical_spacing=min(0.45 / rows, 0.15), horizontal_spacing=0.045)  # fmt: skip
    for k in range(len(titles)):
        fig.add_trace(go.Scatter(x=[0, 1], y=[k, k]), row=k // cols + 1, col=k % cols + 1)
    fig.update_xaxes(showticklabels=True)
    fig.update_annotations(font={"size": 11})
    spec = fig.to_plotly_json()
    spec["layout"].pop("template")
    return spec["layout"], [{"xaxis": t["xaxis"], "yaxis": t["yaxis"]} for t in spec["data"]]


def _same(a, b) -> bool:
    """Equal data, floats to 1e-12 (plotly sums the spacings in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def test_the_layout_and_axes_are_make_subplots():
    from eventstudy.report.grid import panel_layout

    grids = [(2, 4, ["a", "b <i>", "", "d", "e", "f"], False), (1, 3, ["x", "y", "z"], True),
             (3, 2, ["p", "q", "r", "s", "t"], True), (5, 4, [f"firm {k}" for k in range(20)], True), (1, 1, ["one"], False)]  # fmt: skip
    for rows, cols, titles, shared in grids:
        layout, axes = panel_layout(rows, cols, titles, shared_yaxes=shared, horizontal_spacing=0.045)
        expected_layout, expected_axes = _subplots_layout(rows, cols, titles, shared)
        assert _same(layout, expected_layout), (rows, cols)
        assert axes == expected_axes
    layout, _ = panel_layout(1, 3, ["x", "", "z"])
    assert [a["text"] for a in layout["annotations"]] == ["x", "z"]  # no title, no annotation
    assert math.isclose(layout["annotations"][1]["x"], 2 * 0.03 + 2.5 * (1 - 2 * 0.03) / 3, rel_tol=1e-12)  # column 3
