"""Figures of the claims: one plotly chart per :class:`~eventstudy.claims.paths.ClaimPath`, and its HTML div.

Each chart shows the ticker's cumulative total and price returns from the base close, suspended sessions, the
benchmark, the claimed threshold (and tolerance band) and the anchors; divs have stable ids ``claim-<claim_id>``.
"""

from __future__ import annotations

from typing import Any

from .verdicts import ClaimsResults, _bench_name


def claims_figures(results: ClaimsResults) -> list[Any]:
    """One plotly figure per :class:`ClaimPath` (same order as ``results.paths``)."""
    import plotly.graph_objects as go

    colours = ["#1f4e79", "#b35806", "#4d9221", "#762a83"]
    figures = []
    for path in results.paths:
        fig = go.Figure()
        x = [d.isoformat() for d in path.dates]
        for i, (ticker, values) in enumerate(path.firms.items()):
            colour = colours[i % len(colours)]
            fig.add_trace(go.Scatter(x=x, y=values, mode="lines", name=f"{ticker} total return",
                                     line={"color": colour, "width": 2}))  # fmt: skip
            fig.add_trace(go.Scatter(x=x, y=path.firm_price[ticker], mode="lines", name=f"{ticker} price return",
                                     line={"color": colour, "width": 1, "dash": "dot"}))  # fmt: skip
            halted = [(d, v) for d, v, t in zip(x, values, path.traded[ticker], strict=True) if not t]
            if halted:
                fig.add_trace(go.Scatter(x=[h[0] for h in halted], y=[h[1] for h in halted], mode="markers",
                                         name=f"{ticker} suspended", marker={"color": colour, "symbol": "x", "size": 9}))  # fmt: skip  # noqa: E501
        if path.benchmark_path is not None:
            fig.add_trace(go.Scatter(x=x, y=path.benchmark_path, mode="lines", name=f"{_bench_name(path.benchmark)}",
                                     line={"color": "#7f7f7f", "width": 1.5}))  # fmt: skip
        if path.band is not None:
            fig.add_hrect(y0=path.band[0], y1=path.band[1], fillcolor="#fdae61", opacity=0.25, line_width=0)
        if path.threshold is not None:
            fig.add_hline(y=path.threshold, line={"color": "#d73027", "dash": "dash"})
            fig.add_annotation(x=1, xref="paper", y=path.threshold, text=f"claimed {path.threshold:+.1%}",
                               showarrow=False, xanchor="right", yanchor="bottom", font={"color": "#d73027"})  # fmt: skip
        for day, label in path.marks:
            fig.add_vline(x=day.isoformat(), line={"color": "#999999", "width": 1, "dash": "dot"})
            fig.add_annotation(x=day.isoformat(), y=1, yref="paper", text=label, showarrow=False, textangle=-90,
                               xanchor="left", yanchor="top", font={"size": 9, "color": "#666666"})  # fmt: skip
        fig.update_layout(
            title={"text": path.title}, yaxis={"tickformat": "+.0%", "title": f"cumulative return from {path.base_date}"},
            xaxis={"title": "session"}, template="plotly_white", height=420, margin={"l": 60, "r": 20, "t": 50, "b": 40},
            legend={"orientation": "h", "y": -0.2},
        )  # fmt: skip
        figures.append(fig)
    return figures


def claims_figures_html(results: ClaimsResults) -> list[str]:
    """The figures as HTML divs with stable ids ``claim-<claim_id>`` (plotly.js loaded by the page)."""
    return [
        fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"claim-{path.claim_id}")
        for fig, path in zip(claims_figures(results), results.paths, strict=True)
    ]
