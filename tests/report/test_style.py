"""style: the palette (distinct colours up to 20 firms) and the compact encoding of the embedded figures."""

from __future__ import annotations

import numpy as np
import pytest


def test_palette_has_distinct_colours_up_to_twenty_firms():
    from eventstudy.report.style import MAX_COLOURS, firm_colours

    assert MAX_COLOURS == 20
    for n in range(1, 21):
        colours = firm_colours(n)
        assert len(colours) == n == len(set(colours))
    assert firm_colours(13)[:3] == ["#D1BBD7", "#AE76A3", "#882E72"]  # Tol's set for 13, from the light end
    with pytest.raises(ValueError, match="21 colours"):
        firm_colours(21)


def test_compact_figures_keep_the_numbers_to_float32_precision():
    """What the page embeds: float32 values (rel. error < 1e-7, base64 typed arrays) and consecutive days as x0/dx."""
    import base64

    import plotly.graph_objects as go

    from eventstudy.report.style import compact, style

    y = np.array([0.0123456789, -0.5, np.nan])
    fig = go.Figure([go.Scatter(x=np.arange(-10, -7), y=y), go.Scatter(x=[1.5, None, 2.5], y=[1, 2, 3])])
    spec = compact(style(fig, 300))
    first, second = spec["data"]
    assert "x" not in first and (first["x0"], first["dx"]) == (-10, 1)
    assert first["y"]["dtype"] == "f4"
    values = np.frombuffer(base64.b64decode(first["y"]["bdata"]), dtype=np.float32)
    assert values[0] == pytest.approx(0.0123456789, rel=1e-7) and values[1] == -0.5 and np.isnan(values[2])
    assert np.isnan(np.frombuffer(base64.b64decode(second["x"]["bdata"]), dtype=np.float32)[1])
    assert spec["layout"]["height"] == 300 and spec["layout"]["template"]["layout"]["xaxis"]["zeroline"]


def test_typed_arrays_hand_worked():
    """Integers in the narrowest type that holds them (as plotly does), floats as they are, a matrix with its shape;
    text and empty arrays as lists."""
    import base64

    from eventstudy.report.style import typed_array

    small = typed_array(np.array([-3, 100], dtype=np.int64))
    assert small == {"dtype": "i1", "bdata": base64.b64encode(bytes([253, 100])).decode()}
    assert typed_array(np.array([300, 1], dtype=np.int64))["dtype"] == "i2"
    assert typed_array(np.array([70_000], dtype=np.int64))["dtype"] == "i4"
    assert typed_array(np.array([200], dtype=np.uint64))["dtype"] == "u1"
    assert typed_array(np.array([2**40], dtype=np.int64)) == [2**40]  # beyond 32 bits: plotly.js has no type
    matrix = typed_array(np.array([[0.5, 1.0, 2.0], [3.0, 4.0, 5.0]]))
    assert matrix["dtype"] == "f8" and matrix["shape"] == "2, 3"
    assert np.frombuffer(base64.b64decode(matrix["bdata"]), dtype="<f8").tolist() == [0.5, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert typed_array(np.array(["up", "down"])) == ["up", "down"]
    assert typed_array(np.zeros(0)) == []


def _decoded(value):
    """A figure's JSON with every typed array as a list of numbers (NaN as None), to compare figures as data."""
    import base64

    if isinstance(value, dict) and "bdata" in value:
        numbers = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        return [None if v != v else v for v in numbers.tolist()]
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decoded(v) for v in value]
    return value


def test_the_report_figures_are_valid_plotly_figures(default_results):
    """Each chart is plain plotly.js JSON: plotly's own figure object accepts it (it validates every property) and,
    embedded, it is the figure plotly would have embedded, number for number."""
    import json

    import plotly.graph_objects as go

    from eventstudy.report.figures import ar_figure, caar_figure, car_histogram, firm_car_figure, price_panels
    from eventstudy.report.paths import EventPath, event_paths
    from eventstudy.report.style import compact, style

    event_id = "us-entity-list-2019-10-07"
    path = event_paths(default_results, [event_id])[event_id]
    fes = default_results.abnormal.firm_events
    names, tickers = [fes[i].name for i in path.rows], [fes[i].ticker for i in path.rows]
    many = 30  # the grey-lines chart of many firms
    rng = np.random.default_rng(3)
    car = rng.normal(size=(many, 5)).cumsum(axis=1) / 100
    se = np.full_like(car, 0.01)
    wide = EventPath(np.arange(5), np.arange(many), car, se, car.mean(0), se.mean(0), np.full(5, many), 0.1)
    figures = [
        caar_figure(path), firm_car_figure(path, names, tickers), ar_figure(default_results, event_id),
        price_panels(default_results, [int(i) for i in path.rows]), car_histogram(car[:, -1], float(car[:, -1].mean()), (0, 4)),
        firm_car_figure(wide, [f"f{i}" for i in range(many)], [f"T{i}" for i in range(many)]),
    ]  # fmt: skip
    for spec in figures:
        validated = go.Figure(spec)  # raises on any property plotly.js does not have
        ours = json.loads(json.dumps(compact(style(spec, 300))))
        theirs = json.loads(json.dumps(compact(style(validated, 300))))  # plotly's own figure, styled the same way
        assert _decoded(ours) == _decoded(theirs)
