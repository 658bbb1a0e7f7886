"""The report's confounder section (eventstudy/report/confounders.py and templates/confounders.html.j2)."""

from __future__ import annotations

import eventstudy as es
from eventstudy.report.confounders import confounder_view
from eventstudy.report.render import _environment

from ..study.test_confounders import study_dict


def test_the_section_counts_by_kind_says_what_was_not_screened_and_escapes_the_users_news(tmp_path):
    news = tmp_path / "news.csv"
    news.write_text("ticker,date,description\nAMBA,2019-10-12,<script>alert(1)</script> guidance cut\n")
    run = es.run(study_dict(confounders=str(news)), source="snapshot")
    view = confounder_view(run.raw)
    table = run.confounders
    counts = {c["kind"]: c["rows"] for c in view["counts"]}
    for kind in ("study_event", "separate_shock", "distribution", "news"):
        assert counts[kind] == int((table["kind"] == kind).sum())
    assert counts["news"] == 1 and counts["earnings"] == 0
    assert view["confounded"] == int(run.car.drop_duplicates(["event_id", "ticker"])["confounded"].sum())
    assert [u["detail"] for u in view["unscreened"]] == ["earnings dates not screened: source snapshot has none"]
    html = _environment().get_template("confounders.html.j2").render(confounders=view)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; guidance cut" in html
    assert f"{view['confounded']} of {view['firm_events']} firm-events confounded" in html
    assert "earnings dates not screened: source snapshot has none — 24 ticker(s)" in html
    assert "the table below gives the headline without them" in html
