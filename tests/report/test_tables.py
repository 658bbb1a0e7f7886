"""Publication tables: a hand-worked report directory, Holm families and stars, escaping, and bad directories."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from eventstudy.cli.commands import main
from eventstudy.errors import ConfigError
from eventstudy.report.tables import latex_escape, paper_table, render, stars

META = {
    "study": {"id": "tiny", "title": "Tiny & 100% hand-made_study"},
    "data": {"as_of": "2020-01-31"},
    "parameters": {"model": "market_model", "benchmark": "IDX", "estimation_window": [-250, -11],
                   "event_windows": [[0, 1], [0, 5]]},
}  # fmt: skip


@pytest.fixture
def report(tmp_path):
    d = tmp_path / "tiny"
    d.mkdir()
    (d / "study.json").write_text(json.dumps(META))
    pd.DataFrame(
        {"event_id": ["ev", "ev"], "window_start": [0, 0], "window_end": [1, 5], "n_firms": [2, 0],
         "n_not_traded": [1, 3], "caar": [-0.0312, float("nan")], "median_car": [-0.03, float("nan")],
         "share_negative": [1.0, float("nan")], "test": ["kp_bmp_t", "kp_bmp_t"], "statistic": [-3.1, float("nan")],
         "p_value": [0.004, float("nan")], "p_holm": [0.004, float("nan")],
         "note": ["", "incomplete: data end at day +3 (1 firm)"]}
    ).to_csv(d / "summary.csv", index=False)  # fmt: skip
    # firm CARs: p = 0.004, 0.02, 0.5 and one firm that never traded
    pd.DataFrame(
        {"event_id": ["ev"] * 4, "ticker": ["A", "B", "C", "D"], "window_start": [0] * 4, "window_end": [1] * 4,
         "car": [-0.05, 0.04, 0.001, float("nan")], "car_se": [0.01] * 4, "car_t": [-5.0, 4.0, 0.1, float("nan")],
         "car_p": [0.004, 0.02, 0.5, float("nan")], "bhar": [-0.049, 0.041, 0.0, float("nan")],
         "n_obs": [2, 2, 2, 0]}
    ).to_csv(d / "car.csv", index=False)  # fmt: skip
    # two tests over two windows, plus a one-day row of the daily path that is not an event window
    pd.DataFrame(
        {"event_id": ["ev"] * 5, "window_start": [0, 0, 0, 0, 3], "window_end": [1, 5, 1, 5, 3],
         "test": ["t_a", "t_a", "t_b", "t_b", "t_a"], "statistic": [2.0, 1.0, 3.0, 0.5, 9.9],
         "p_value": [0.03, 0.2, 0.004, 0.6, 0.001], "n_firms": [2, 3, 2, 3, 3]}
    ).to_csv(d / "tests.csv", index=False)  # fmt: skip
    return d


def test_stars_thresholds():
    assert [stars(p) for p in (0.0099, 0.01, 0.049, 0.05, 0.0999, 0.1, float("nan"))] == [
        "***", "**", "**", "*", "*", "", ""
    ]  # fmt: skip


def test_summary_table_uses_the_published_holm_p(report):
    t = paper_table(report, "summary", with_stars=True)
    assert t.frame["CAAR (%)"].tolist() == ["-3.12***", "—"]  # p_holm 0.004 < 0.01; no firm traded: a dash
    assert t.frame["N"].tolist() == ["2", "0"]
    assert any("ev [0, 1]: 1" in n and "ev [0, 5]: 3" in n for n in t.notes)  # left-out firms are named
    assert any("adjusted across all 1 rows" in n for n in t.notes)
    assert "ev [0, 5]: incomplete: data end at day +3 (1 firm)" in t.notes
    plain = paper_table(report, "summary", with_stars=False)
    assert plain.frame["CAAR (%)"].tolist() == ["-3.12", "—"]


def test_car_table_holm_across_firm_rows(report):
    t = paper_table(report, "car", with_stars=True)
    # Holm by hand over the three firms with returns: sorted p 0.004, 0.02, 0.5 → 3·0.004 = 0.012,
    # max(0.012, 2·0.02) = 0.04, max(0.04, 1·0.5) = 0.5; the firm without a return is not in the family.
    assert t.frame["p (Holm)"].tolist() == ["0.012", "0.040", "0.500", "—"]
    assert t.frame["CAR (%)"].tolist() == ["-5.00**", "+4.00**", "+0.10", "—"]
    assert any("did not trade in the window (1 row(s))" in n for n in t.notes)


def test_tests_table_holm_within_each_test_and_only_event_windows(report):
    t = paper_table(report, "tests", with_stars=True)
    assert len(t.frame) == 4  # the day-3 row of the daily path is not an event window
    by_test = t.frame.set_index(["Test", "Window"])
    # t_a: p 0.03, 0.2 → 0.06, 0.2; t_b: p 0.004, 0.6 → 0.008, 0.6
    assert by_test.loc[("t_a", "[0, 1]"), "p (Holm)"] == "0.060"
    assert by_test.loc[("t_a", "[0, 5]"), "p (Holm)"] == "0.200"
    assert by_test.loc[("t_b", "[0, 1]"), "p (Holm)"] == "0.008"
    assert by_test.loc[("t_b", "[0, 1]"), "Statistic"] == "+3.000***"
    assert by_test.loc[("t_a", "[0, 1]"), "Statistic"] == "+2.000*"


def test_markdown(report):
    text = render(report, "markdown", "summary", with_stars=True)
    lines = text.splitlines()
    assert lines[0] == "**Cumulative average abnormal returns: Tiny & 100% hand-made_study (prices as of 2020-01-31)**"
    header, rule, first = lines[2], lines[3], lines[4]
    assert header.startswith("| Event ") and header.count("|") == 11
    assert rule.startswith("|----") and rule.endswith(":|")  # the last column, p (Holm), is right-aligned
    assert [c.strip() for c in first.strip("|").split("|")] == [
        "ev", "[0, 1]", "2", "-3.12***", "-3.00", "100", "kp_bmp_t", "-3.100", "0.004", "0.004"
    ]  # fmt: skip


def test_latex_is_escaped_booktabs(report):
    text = render(report, "latex", "summary", with_stars=True)
    assert text.startswith("\\begin{table}[htbp]") and "\\toprule" in text and "\\bottomrule" in text
    assert "\\caption{Cumulative average abnormal returns: Tiny \\& 100\\% hand-made\\_study" in text
    assert "CAAR (\\%)" in text and "kp\\_bmp\\_t" in text
    assert "-3.12$^{***}$" in text
    assert "—" not in text  # dashes are LaTeX em dashes
    assert latex_escape("a_b & 5% {x} ~ ^ # $ \\") == (
        "a\\_b \\& 5\\% \\{x\\} \\textasciitilde{} \\textasciicircum{} \\# \\$ \\textbackslash{}"
    )


def _write(path, text):
    path.write_text(text)
    return path.parent


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d / "missing", "missing: not a report directory"),
        (lambda d: (d / "tiny" / "summary.csv").unlink() or d / "tiny", "summary.csv: no such file"),
        (lambda d: _write(d / "tiny" / "study.json", "{"), "study.json: cannot read"),
        (lambda d: _write(d / "tiny" / "summary.csv", "a,b\n1,2\n"), "summary.csv: unexpected contents"),
    ],
)
def test_bad_report_dir_is_one_line_exit_2(report, capsys, setup, message):
    target = setup(report.parent)
    assert main(["table", str(target), "--format", "markdown"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert message in err and "\n" not in err and err.startswith("eventstudy: error: ")


def test_unknown_choices():
    with pytest.raises(ConfigError, match="--format: 'html' is not one of latex, markdown"):
        render(".", "html")
    with pytest.raises(ConfigError, match="--what: 'ar' is not one of summary, car, tests"):
        paper_table(".", "ar")


def test_sensitivity_table_own_benchmark_first_and_alternatives_notes(report, capsys):
    pd.DataFrame(
        {"event_id": ["ev"] * 3, "exchange": ["Nasdaq"] * 3, "calendar": ["XNYS"] * 3,
         "benchmark": ["IDX", "ALT", "GONE"], "role": ["main", "alternative", "alternative"], "window_start": [0] * 3,
         "window_end": [1] * 3, "n_firms": [2, 2, float("nan")], "caar": [-0.108, -0.068, float("nan")],
         "caar_diff": [0.0, 0.040, float("nan")], "test": ["kp_bmp_t"] * 3, "statistic": [-2.5, -2.7, float("nan")],
         "p_value": [0.028, 0.020, float("nan")], "note": ["A halted", "A halted", "benchmark GONE: no prices (no price file)"]}
    ).to_csv(report / "sensitivity.csv", index=False)  # fmt: skip
    t = paper_table(report, "sensitivity", with_stars=True)
    assert t.frame["Benchmark"].tolist() == ["IDX (own)", "ALT", "GONE"]
    assert t.frame["CAAR (%)"].tolist() == ["-10.80", "-6.80", "—"]  # no stars: unadjusted p-values
    assert t.frame["Change (pp)"].tolist() == ["+0.00", "+4.00", "—"] and t.frame["N"].tolist() == ["2", "2", "—"]
    assert "ev [0, 1] against GONE: benchmark GONE: no prices (no price file)" in t.notes
    assert not any("A halted" in n for n in t.notes)  # the own benchmark's caveat, the summary's, not repeated
    assert any("p unadjusted, so no stars" in n for n in t.notes)
    assert main(["table", str(report), "--what", "sensitivity", "--format", "latex"]) == 0
    assert "CAAR under alternative benchmarks: Tiny \\& 100\\%" in capsys.readouterr().out
