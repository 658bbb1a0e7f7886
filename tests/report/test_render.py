"""The HTML report: self-contained, deterministic, escaped, honest about halts."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from eventstudy.report.render import render_report
from eventstudy.study.results import StudyResults


@pytest.fixture(scope="module")
def html(default_results) -> str:
    return render_report(default_results, "snapshot")


def test_self_contained(html):
    from eventstudy.report.bundle import plotly_bundle

    from .test_bundle import unpacked_bundles

    assert unpacked_bundles(html) == [plotly_bundle()]  # the vendored partial bundle once, packed
    assert "plotly.js (basic - minified)" not in html and "/**\n* plotly.js" not in html  # not also unpacked
    assert not re.search(r"<script[^>]+src=", html)  # no CDN or other external script
    assert not re.search(r"<link[^>]+href=\"http", html)


def test_sections_and_numbers(html, default_results):
    for text in ("Day 0", "Suspensions", "Cumulative abnormal returns", "Tests across firms", "Methodology"):
        assert text in html
    assert "day 0 is Tuesday 08 October 2019" in html
    assert html.count("not traded in this window") == 0  # Hikvision and Dahua's [0, +1]: the return after the halt
    # [0, 1] of Hikvision and Dahua: in the headline's note of that row (summary.csv), on their matrix cells (the
    # tooltip) and in the list of caveats under the matrix
    assert html.count("covers 0..+2: suspended 0..+1") == 2 + 2 + 2
    assert html.count("covers -1..+2: suspended 0..+1") == 2 + 2 + 2  # [-1, 1]
    hik = default_results.car.query(
        "ticker == '002415.SZ' and window_end == 5 and event_id == 'us-entity-list-2019-10-07'"
    )
    hik = hik.iloc[0]
    assert (
        f'<td data-v="{hik.car}"><span>{hik.car * 100:.1f}%</span><br><span class="tval">{hik.car_t:+.2f}</span></td>'
        in html
    )
    for div in ("us-entity-list-2019-10-07-prices", "us-entity-list-2019-10-07-car", "us-entity-list-2019-10-07-ar"):
        assert f'id="{div}"' in html


def test_the_estimates_table_says_which_sessions_were_masked(html):
    """Issue 21: under each Shenzhen firm's estimation window of 8 Oct 2019, the Huawei listing's sessions (days
    -10..+20 of 16 May 2019: 29 April .. 14 June on the Shanghai/Shenzhen calendar), and the rule in the
    parameters table."""
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    masked = "31 sessions masked: days -10 to 20 of us-entity-list-huawei-2019-05-15, 2019-04-29 – 2019-06-14"
    assert text.count(masked) == 4  # the four firms of the October event; no other firm-event has a mask
    assert text.count("sessions masked") == 4
    assert (
        "the sessions of a firm's other events in the study (their days -10 to 20) left out, the window not "
        "extended to make up for them" in text
    )


def test_rendering_is_deterministic(html, default_results):
    assert render_report(default_results, "snapshot") == html


def test_text_from_the_study_file_is_escaped(default_results: StudyResults):
    study = default_results.study
    evil = dataclasses.replace(study.events[0], title="<script>alert(1)</script>", note="<b>bold</b> & co")
    results = dataclasses.replace(default_results, study=dataclasses.replace(study, events=(evil, study.events[1])))
    page = render_report(results, "<img src=x onerror=alert(2)>")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert "<img src=x" not in page


def test_quotes_from_documents_are_escaped(default_results: StudyResults):
    study = default_results.study
    first = study.events[0]
    source = dataclasses.replace(first.sources[0], quote='"</blockquote><script>steal()</script>', document="<x>.txt")
    evil = dataclasses.replace(first, sources=(source,))
    results = dataclasses.replace(default_results, study=dataclasses.replace(study, events=(evil, study.events[1])))
    page = render_report(results, "snapshot")
    assert "<script>steal()</script>" not in page and "&lt;script&gt;steal()&lt;/script&gt;" in page
    assert "<x>.txt" not in page


def test_every_test_is_tabled_marked_and_defined(html, default_results):
    from eventstudy.inference import CLUSTERING_ROBUST, TESTS

    for name in TESTS:
        assert f"<code>{name}</code>" in html
    # per event the robust tests and, folded, those that treat the firms as independent; + the methodology table
    assert html.count("Clustering-robust</th>") == 4 * 2 + 1
    assert "size and power" in html and "docs/" not in html  # no file a wheel user does not have
    assert html.count('<th colspan="2">[0, 5]</th>') == 4 * 2
    assert "p-values for each day of the daily path" in html
    row = default_results.tests.query(
        "event_id == 'us-entity-list-2019-10-07' and window_start == 0 and window_end == 5 and test == 'bmp_t'"
    ).iloc[0]
    assert f"<td>{row.statistic:.3f}</td>" in html
    from eventstudy.inference.measured import robustness_label

    labels = {robustness_label(t, True) for t in CLUSTERING_ROBUST}
    assert len(CLUSTERING_ROBUST) >= 1 and all(f"<td>{label}</td>" in html for label in labels)
    assert "grank_t" not in CLUSTERING_ROBUST  # issue 21: measured, it does not hold its size under clustering


def test_names_in_figures_are_shown_as_text(default_results: StudyResults):
    study = default_results.study
    first = study.events[0]
    firm = dataclasses.replace(first.firms[0], name='<b>Bold</b></script><a href="javascript:x()">x</a>')
    results = dataclasses.replace(
        default_results,
        study=dataclasses.replace(
            study, events=(dataclasses.replace(first, firms=(firm, *first.firms[1:])), study.events[1])
        ),
        abnormal=dataclasses.replace(
            default_results.abnormal,
            firm_events=tuple(
                dataclasses.replace(fe, name=firm.name) if fe.ticker == firm.ticker else fe
                for fe in default_results.abnormal.firm_events
            ),
        ),
    )
    page = render_report(results, "snapshot")
    assert "</script><a" not in page and "<b>Bold</b>" not in page
    # in the figures' JSON the name is HTML-escaped (plotly shows "&lt;b&gt;" as a literal "<b>")
    assert r'"name":"&lt;b&gt;Bold&lt;\u002fb&gt;' in page


def test_two_markets_each_firm_with_its_exchange_calendar_and_benchmark(html, default_results):
    """The US event's table names Nasdaq, the NYSE calendar and VONE (its prices: tests/report/test_figures.py)."""
    assert "by the firm's exchange: XSHE → 000300.SS, XNYS → VONE" in html
    assert (
        '<td class="l">Ambarella <span class="muted">AMBA</span></td><td class="l">XNAS</td><td class="l">XNYS</td>'
        in html
    )
    assert '<td class="l">Hikvision <span class="muted">002415.SZ</span></td><td class="l">XSHE</td>' in html
    assert "Rule “close”: day 0 is the first XNAS session whose close is at or after the announcement" in html


def test_the_report_opens_with_the_headline(html, default_results):
    import markupsafe

    from eventstudy.study.summary import study_summary

    first_h2 = re.search(r"<h2[^>]*>([^<]*)</h2>", html)
    assert first_h2 is not None and first_h2.group(1) == "Headline"
    headline = html[html.index('<h2 id="headline">') : html.index("<h2>Data and parameters</h2>")]
    headline = headline[: headline.index("</table>")]  # the summary table (the cross-section table follows)
    summary = study_summary(default_results)
    rows = re.findall(r"<tr>.*?</tr>", headline, flags=re.S)[1:]  # after the header row
    assert len(rows) == len(summary) == 16
    for row, r in zip(rows, summary.itertuples()):
        assert f"[{r.window_start}, {r.window_end}]" in row
        assert f"{r.caar * 100:.2f}%" in row and f"{r.median_car * 100:.2f}%" in row
        assert f"{r.p_value:.3f}" in row and f"{r.p_holm:.3f}" in row
    assert "kp_bmp_t" in headline and "Holm-adjusted across the 16 rows of this table" in headline
    for ev in default_results.study.events:  # each event: its title, id, market and benchmark above its rows
        assert re.search(
            rf'<tr class="evrow">.*?{re.escape(str(markupsafe.escape(ev.title)))}</a>\s*<span class="muted">'
            rf"· <code>{ev.id}</code> · [^·]+ · against [^·]+ · announced",
            headline,
            flags=re.S,
        ), ev.id
    figures = html[html.index('<div class="caar-grid">') : html.index("<h2>Data and parameters</h2>")]
    for ev in default_results.study.events:  # one CAAR path per event, in the headline
        assert f'id="{ev.id}-caar"' in figures


def test_daily_grid_bolds_the_days_that_survive_holm(html, default_results):
    """Bold in the daily grid is the Holm-adjusted p (across the 31 days, per test) below 0.05, for the robust tests."""
    from eventstudy.inference import CLUSTERING_ROBUST
    from eventstudy.study.summary import daily_holm

    daily = daily_holm(default_results.tests, default_results.study.event_windows)
    daily = daily[daily.test.isin(CLUSTERING_ROBUST)]
    grids = re.findall(r"p-values for each day of the daily path.*?</table>", html, flags=re.S)
    assert len(grids) == 4
    bold = [p for g in grids for p in re.findall(r'<td class="sig">([0-9.]+)</td>', g)]
    survivors = daily[daily.p_holm < 0.05]
    assert sorted(bold) == sorted(f"{p:.3f}" for p in survivors.p_value)
    assert "Holm-adjusted across the 31 days of the path" in " ".join(html.split())


def test_cross_section_table_in_the_report(html, default_results):
    table = default_results.extra["cross_section"]
    section = html[html.index('id="cross-section"') : html.index("<h2>Data and parameters</h2>")]
    assert (
        "<code>car ~ beta</code>" in section
        and "n = 28" in section
        and "cluster(event date) with 2 clusters" in section
    )
    assert "Too small to read much into:" in section and "clustered standard errors are unreliable" in section
    for r in table.itertuples():
        assert f"<code>{r.term}</code></td><td>{r.coef:.4f}</td><td>{r.se:.4f}</td>" in section


def test_methodology_shows_each_tests_measured_size(html):
    """Each test's size on real returns (eventstudy/data/validation/rates.csv) sits next to its formula; a size
    outside 5 % ± 1.5 pp is highlighted."""
    from eventstudy.inference import TESTS
    from eventstudy.inference.measured import size_range

    assert "<th>Size, random days</th><th>Size, shared day 0</th>" in html
    methodology = html.split("<th>Size, random days</th>")[1].split("</table>")[0]
    for name in TESTS:
        row = methodology.split(f'<td class="l"><code>{name}</code></td>')[1].split("</tr>")[0]
        for design in ("random", "shared"):
            size = size_range(name, design)
            if size is None:  # mvrm_wald, garch_bmp_t: measured on shared days only (issue 21.5)
                assert name in {"mvrm_wald", "garch_bmp_t"} and "<td>—</td>" in row, (name, design)
                continue
            cell = f'<td class="nt">{size}</td>' if not size.within_band else f"<td>{size}</td>"
            assert cell in row, (name, design)


def test_every_test_has_its_formula_in_the_methodology(html):
    import markupsafe

    from eventstudy.inference import TEST_FORMULAS, TESTS

    assert set(TEST_FORMULAS) == set(TESTS) and all(TEST_FORMULAS.values())
    for name, formula in TEST_FORMULAS.items():
        escaped = str(markupsafe.escape(formula))  # as the template escapes it
        assert f'<td class="l"><code>{name}</code></td><td class="l">{escaped}</td>' in html, name


def test_a_study_of_many_events_has_sections_for_the_first_twenty_and_every_event_in_the_headline():
    """Issue 20 (bounded inputs): a section with four charts per event made a 500-event report 96 MB. Past
    DETAILED_EVENTS, events are listed in the headline table (without a link to a section they do not have)."""
    from eventstudy.data import open_provider
    from eventstudy.report.render import DETAILED_EVENTS
    from eventstudy.spec.config import Study
    from eventstudy.study.run import run_study

    days = pd.bdate_range("2018-01-08", periods=DETAILED_EVENTS + 4, freq="3W-MON")
    rows = [
        {"event_id": f"e{k:02d}", "ticker": "002415.SZ", "announced": f"{d.date()}T08:00:00", "timezone": "Asia/Shanghai"}
        for k, d in enumerate(days)
    ]  # fmt: skip
    # one firm every three weeks: each event's estimation window would hold its neighbours' periods, masked by
    # default (estimation_exclude: study_events) down to fewer than min_estimation_returns; this test is about size
    study = Study.from_events(rows, benchmark="000300.SS", windows=[[0, 1]], estimation_exclude="none")
    html = render_report(run_study(study, open_provider("snapshot")), "x.yaml")
    sections = re.findall(r'<h2 id="(e\d\d)">', html)
    assert sections == [f"e{k:02d}" for k in range(DETAILED_EVENTS)]
    assert html.count('<tr class="evrow">') == DETAILED_EVENTS + 4  # every event in the table
    assert 'href="#e19"' in html and 'href="#e20"' not in html  # no link to a section that is not there
    assert f"{DETAILED_EVENTS + 4} events: the first {DETAILED_EVENTS}" in " ".join(html.split())
    assert html.count('class="plotly-graph-div"') == 4 * DETAILED_EVENTS


def test_the_headline_shows_the_primary_tests_size_and_power_at_the_nearest_validated_design(html, default_results):
    """Issue 21, item 4: next to the headline, each row's primary test with its measured size and power at the
    validated design nearest to the event (shipped tables, offline)."""
    from eventstudy.inference.measured import nearest_design
    from eventstudy.study.summary import study_summary

    text = " ".join(html.split())
    assert "How much to trust <code>" in text
    for r in study_summary(default_results).itertuples(index=False):
        d = nearest_design(r.test, int(r.n_firms), True, (int(r.window_start), int(r.window_end)))
        assert d is not None and d.design == "shared"  # every event of the default study shares one day 0
        cell = f"shared day 0, N = {d.firms}, [{d.window[0]}, {d.window[1]}]"
        assert cell in text and f"{100 * d.size:.1f}%" in text


def test_benchmark_sensitivity_section_after_the_headline(html, default_results):
    from eventstudy.study.sensitivity import study_sensitivity

    assert html.index('<h2 id="headline">') < html.index('<h2 id="sensitivity">Benchmark sensitivity</h2>')
    assert html.index('<h2 id="sensitivity">') < html.index("<h2>Data and parameters</h2>")
    section = html[html.index('<h2 id="sensitivity">') : html.index("<h2>Data and parameters</h2>")]
    assert "re-estimated against the alternative over the same estimation window" in section
    assert section.count("<table") == 2  # the Shanghai/Shenzhen calendar and the New York one
    sens = study_sensitivity(default_results)
    for r in sens.itertuples():  # every row's CAAR and p (sensitivity.csv's numbers)
        assert f"{r.caar * 100:.2f}%" in section and f"{r.p_value:.3f}" in section
    soxx = sens.query("event_id == 'us-suppliers-huawei-2019-05-15' and window_end == 1 and window_start == 0")
    soxx = soxx[soxx.benchmark == "SOXX"].iloc[0]
    assert f'<td>{soxx.caar * 100:.2f}%</td><td class="muted">{soxx.caar_diff * 100:+.2f}</td>' in section
    assert ">SOXX</th>" in section and ">000001.SS</th>" in section


def test_benchmark_sensitivity_notes_are_escaped_and_next_to_the_cell(default_results):
    from eventstudy.study.sensitivity import study_sensitivity

    sens = study_sensitivity(default_results).copy()
    soxx = (sens.benchmark == "SOXX") & (sens.window_end == 1) & (sens.window_start == 0)
    sens.loc[soxx, "note"] = "<script>alert(3)</script> & more"
    qqq = (sens.benchmark == "QQQ") & (sens.window_end == 1) & (sens.window_start == 0)
    sens.loc[qqq, ["caar", "p_value"]] = float("nan")
    sens.loc[qqq, "note"] = "benchmark QQQ: no prices (<no file>)"
    results = dataclasses.replace(default_results, extra={**default_results.extra, "sensitivity": sens})
    page = render_report(results, "snapshot")
    section = page[page.index('<h2 id="sensitivity">') : page.index("<h2>Data and parameters</h2>")]
    assert "<script>alert(3)</script>" not in page and "<no file>" not in page
    assert "against SOXX: &lt;script&gt;alert(3)&lt;/script&gt; &amp; more" in section  # a † note under the table
    assert section.count('<td class="l nt small" colspan="3">benchmark QQQ: no prices (&lt;no file&gt;)</td>') == 2


def test_no_sensitivity_section_without_alternatives(default_results):
    study = dataclasses.replace(default_results.study, alternative_benchmarks=())
    from eventstudy.study.sensitivity import empty_frame

    extra = {**default_results.extra, "sensitivity": empty_frame()}
    page = render_report(dataclasses.replace(default_results, study=study, extra=extra), "snapshot")
    assert 'id="sensitivity"' not in page and "#sensitivity" not in page
    study = dataclasses.replace(default_results.study, alternative_benchmarks=("1321.T",))
    page = render_report(dataclasses.replace(default_results, study=study, extra=extra), "snapshot")
    assert "No alternative benchmark (1321.T) trades on the calendar of any firm of the study" in page


def test_an_event_with_many_firms_shows_extremes_a_histogram_and_folds_the_matrix(default_results, monkeypatch):
    """Past MATRIX_ROWS firms (lowered to 5 here, so the 13 suppliers of Huawei count as many): the 5 lowest and
    5 highest CAR[0, 10], a histogram of the CARs, the whole sortable matrix folded; past SMALL_MULTIPLES the CAR
    chart is grey lines with the extremes named, the daily chart whiskers instead of dots."""
    from eventstudy.report import figures, render

    monkeypatch.setattr(render, "MATRIX_ROWS", 5)
    monkeypatch.setattr(render, "SMALL_MULTIPLES", 5)
    monkeypatch.setattr(figures, "SMALL_MULTIPLES", 5)
    page = render_report(default_results, "snapshot")
    section = page[
        page.index('<h2 id="us-suppliers-huawei-2019-05-15">') : page.index('<h2 id="us-suppliers-2019-10-07">')
    ]
    assert 'id="us-suppliers-huawei-2019-05-15-hist"' in section
    assert "<details><summary>All 13 firms</summary>" in section
    extremes = section[section.index("The 5 lowest and highest CAR[0, 10]") : section.index("<details><summary>All 13")]
    car = default_results.car.query("event_id == 'us-suppliers-huawei-2019-05-15' and window_end == 10")
    order = car.sort_values("car")["ticker"].tolist()
    shown = re.findall(r'<span class="muted small">([A-Z]+)</span>', extremes)
    assert shown == order[:5] + order[-5:][::-1]  # lowest first, then highest first
    assert "each of the 13 firms" in section and "(lowest)" in section and "whiskers: the 10th to the 90th" in section
    assert 'id="us-entity-list-2019-10-07-hist"' not in page  # four firms: the matrix as it is
