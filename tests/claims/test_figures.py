"""eventstudy.claims.figures: plotly figures of the claim paths, and the report's claims partial."""

from __future__ import annotations

import copy

import jinja2

from eventstudy import claims as C

from .conftest import TEMPLATES


def test_figures_have_stable_ids_and_thresholds(default_claims):
    figs = C.claims_figures(default_claims)
    assert len(figs) == len(default_claims.paths) == 4  # the listing-exchange claim has no price path
    hik = figs[0]
    names = [tr.name for tr in hik.data]
    assert "002415.SZ total return" in names and "CSI 300 (000300.SS)" in names
    assert any(getattr(s, "y0", None) == 0.25 for s in hik.layout.shapes)
    html = C.claims_figures_html(default_claims)
    assert 'id="claim-hikvision-up-25pct-since-blacklisting"' in html[0]
    assert html == C.claims_figures_html(default_claims)  # deterministic


def render_partial(results: C.ClaimsResults, figures: list[str]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    return env.get_template("claims.html.j2").render(claims=results, claims_figures_html=figures)


def test_partial_renders_badges_grid_and_charts(default_claims):
    html = render_partial(default_claims, C.claims_figures_html(default_claims))
    assert '<h2 id="claims">What the documents claim</h2>' in html
    assert html.count('class="claims-badge claims-contradicted">contradicted<') == 1 + 2
    assert "claims-primary" in html and 'id="claim-dahua-up-30pct-since-blacklisting"' in html
    assert "+18.95%" in html and "+27.48%" in html


def test_partial_escapes_document_text(default_claims):
    evil = copy.copy(default_claims)
    o = evil.outcomes[0]
    claim = C.Claim(**{**o.claim.__dict__, "quote": '<script>alert("x")</script> & up', "note": "<b>n</b>"})
    evil.outcomes = [C.Outcome(claim, o.measured, o.verdict, "<i>why</i>", o.primary_definition), *evil.outcomes[1:]]
    html = render_partial(evil, [])
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; up" in html
    assert "<b>n</b>" not in html and "<i>why</i>" not in html
