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
