"""grid: the small multiples' layout, the one plotly's make_subplots builds, copied per chart."""

from __future__ import annotations


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


def test_the_layout_and_axes_are_make_subplots():
    from eventstudy.report.grid import panel_layout

    for rows, cols, titles, shared in ((2, 4, ["a", "b <i>", "", "d", "e", "f"], False), (1, 3, ["x", "y", "z"], True)):
        layout, axes = panel_layout(rows, cols, titles, shared_yaxes=shared, horizontal_spacing=0.045)
        expected_layout, expected_axes = _subplots_layout(rows, cols, titles, shared)
        assert layout == expected_layout
        assert axes == expected_axes
    assert [a["text"] for a in layout["annotations"]] == ["x", "y", "z"]


def test_each_chart_gets_its_own_copy():
    from eventstudy.report.grid import panel_layout

    first, axes = panel_layout(1, 2, ["a", "b"])
    first["xaxis"]["showticklabels"] = False
    axes[0]["xaxis"] = "x9"
    again, axes_again = panel_layout(1, 2, ["c", "d"])
    assert again["xaxis"]["showticklabels"] is True and axes_again[0]["xaxis"] == "x"
    assert [a["text"] for a in again["annotations"]] == ["c", "d"]
