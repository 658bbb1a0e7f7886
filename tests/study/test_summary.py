"""The headline table: Holm adjustment (hand-worked, closed form, simulation), CAAR / median / share negative
from car.csv by hand, the primary test, and the plain-text rendering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.study.summary import (
    COLUMNS,
    caar_band,
    daily_holm,
    format_summary,
    holm,
    holm_by,
    summary_frame,
)


def test_holm_hand_worked_case():
    # p sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> running max 0.06)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_leaves_missing_p_values_out_of_the_family():
    # family of two finite p-values: 0.01 x2 = 0.02, 0.04 x1 = 0.04; 0.6 x ... capped at 1
    got = holm([0.01, np.nan, 0.04])
    assert got[0] == pytest.approx(0.02) and np.isnan(got[1]) and got[2] == pytest.approx(0.04)
    assert holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])
    assert holm([]).shape == (0,)
    assert np.isnan(holm([np.nan])).all()


def _holm_by_definition(p: np.ndarray) -> np.ndarray:
    """p~_(k) = min(1, max_{j<=k} (m - j + 1) p_(j)), written out with a loop (Holm 1979)."""
    m = len(p)
    order = np.argsort(p)
    out = np.empty(m)
    running = 0.0
    for k, idx in enumerate(order):
        running = max(running, (m - k) * p[idx])
        out[idx] = min(1.0, running)
    return out


def test_holm_matches_the_step_down_formula_on_random_p_values():
    rng = np.random.default_rng(11)
    for m in (1, 2, 5, 30):
        p = rng.uniform(size=m) ** 2
        assert holm(p) == pytest.approx(_holm_by_definition(p), abs=1e-15)


def test_holm_equals_statsmodels_multipletests():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    families = rng.uniform(size=(4, 9)) ** 3
    families[1, [2, 5]] = np.nan
    got = holm(families)  # one family per row
    for row, p in zip(got, families):
        ok = np.isfinite(p)
        assert row[ok] == pytest.approx(multipletests(p[ok], method="holm")[1], abs=1e-15)
        assert np.isnan(row[~ok]).all()


def test_holm_controls_the_family_wise_error_rate_under_the_global_null():
    # 12 independent null p-values per family: P(any adjusted p < 0.05) <= 0.05 (Bonferroni bound 0.0489 here)
    rng = np.random.default_rng(7)
    reps = 20000
    rejected = int((holm(rng.uniform(size=(reps, 12))) < 0.05).any(axis=1).sum())
    assert 0.042 <= rejected / reps <= 0.056


def _car(rows: list[tuple[str, str, int, int, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["event_id", "ticker", "window_start", "window_end", "car", "n_obs"])


def _tests(rows: list[tuple[str, int, int, str, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["event_id", "window_start", "window_end", "test", "statistic", "p_value"])
    frame["n_firms"] = 3
    return frame


def test_summary_by_hand_from_car_csv_rows():
    car = _car(
        [
            ("e1", "A", 0, 1, 0.02, 2), ("e1", "B", 0, 1, -0.01, 2), ("e1", "C", 0, 1, 0.04, 1),
            ("e1", "D", 0, 1, np.nan, 0),  # suspended over [0, 1]: not traded, out of every figure
            ("e1", "A", 0, 5, 0.05, 6), ("e1", "B", 0, 5, -0.03, 6), ("e1", "C", 0, 5, -0.02, 5),
            ("e1", "D", 0, 5, 0.10, 3),
            ("e2", "A", 0, 1, -0.005, 2), ("e2", "B", 0, 1, -0.015, 2),
        ]
    )  # fmt: skip
    tests = _tests(
        [
            ("e1", 0, 1, "kp_bmp_t", 2.5, 0.04), ("e1", 0, 1, "csect_t", 9.9, 0.0001),
            ("e1", 0, 5, "kp_bmp_t", -0.4, 0.7), ("e2", 0, 1, "kp_bmp_t", -3.0, 0.01),
            ("e2", 0, 5, "kp_bmp_t", 1.0, 0.3),  # no CAR rows for e2 [0, 5]: no summary row
        ]
    )  # fmt: skip
    got = summary_frame(car, tests, ["e1", "e2"], [(0, 1), (0, 5)])
    assert list(got.columns) == COLUMNS
    assert [(r.event_id, r.window_start, r.window_end) for r in got.itertuples()] == [
        ("e1", 0, 1), ("e1", 0, 5), ("e2", 0, 1)
    ]  # fmt: skip
    e1a, e1b, e2 = (got.iloc[i] for i in range(3))
    # e1 [0, 1]: CARs 0.02, -0.01, 0.04 (D not traded): mean 0.05 / 3, median 0.02, one of three negative
    assert (e1a.n_firms, e1a.n_not_traded) == (3, 1)
    assert e1a.caar == pytest.approx(0.05 / 3) and e1a.median_car == pytest.approx(0.02)
    assert e1a.share_negative == pytest.approx(1 / 3)
    assert (e1a.test, e1a.statistic, e1a.p_value) == ("kp_bmp_t", 2.5, 0.04)
    # e1 [0, 5]: 0.05, -0.03, -0.02, 0.10: mean 0.025, median (-0.02 + 0.05) / 2 = 0.015, half negative
    assert (e1b.n_firms, e1b.n_not_traded) == (4, 0)
    assert e1b.caar == pytest.approx(0.025) and e1b.median_car == pytest.approx(0.015)
    assert e1b.share_negative == pytest.approx(0.5)
    # e2 [0, 1]: -0.005, -0.015: mean -0.01, all negative
    assert e2.caar == pytest.approx(-0.01) and e2.median_car == pytest.approx(-0.01) and e2.share_negative == 1.0
    # Holm over the three rows: p 0.04, 0.7, 0.01 -> 0.01 x3 = 0.03, 0.04 x2 = 0.08, 0.7 x1 = 0.7
    assert got["p_holm"].tolist() == pytest.approx([0.08, 0.7, 0.03])


def test_summary_uses_the_primary_test_and_says_when_nobody_traded():
    car = _car([("e1", "A", 0, 1, np.nan, 0), ("e1", "B", 0, 1, np.nan, 0), ("e1", "A", 0, 5, 0.01, 3)])
    tests = _tests([("e1", 0, 1, "csect_t", np.nan, np.nan), ("e1", 0, 5, "csect_t", 1.5, 0.2)])
    got = summary_frame(car, tests, ["e1"], [(0, 1), (0, 5)], primary_test="csect_t")
    first = got.iloc[0]
    assert (first.n_firms, first.n_not_traded) == (0, 2)
    assert np.isnan(first.caar) and np.isnan(first.p_value) and np.isnan(first.p_holm)
    assert got.iloc[1].p_holm == pytest.approx(0.2)  # the only finite p-value: a family of one
    text = format_summary(got, title="Headline")
    assert text.splitlines()[0] == "Headline"
    assert "no firm of the event traded in the window" in text
    line = next(x for x in text.splitlines() if "[0, 1]" in x)
    assert line.split()[-3:] == ["—", "—", "—"] and "csect_t" in line
    assert got.note.tolist() == ["", ""]


def test_summary_notes_data_problems_and_incomplete_windows():
    car = _car(
        [
            ("e1", "A", 0, 5, 0.03, 6), ("e1", "B", 0, 5, -0.01, 4),
            ("e1", "C", 0, 5, np.nan, 6),  # returns but no CAR: a benchmark gap (car.csv note says which)
            ("e1", "D", 0, 5, np.nan, 0),  # not traded
        ]
    )  # fmt: skip
    car["complete"] = [True, False, True, True]  # B's data end at day +3
    tests = _tests([("e1", 0, 5, "kp_bmp_t", 1.0, 0.3)])
    got = summary_frame(car, tests, ["e1"], [(0, 5)]).iloc[0]
    assert (got.n_firms, got.n_not_traded) == (2, 1)  # C is neither: left out for a data problem
    assert got.caar == pytest.approx(0.01)
    assert got.note == "left out (data problem, see car.csv note): C; incomplete window (data end early): B"
    text = format_summary(summary_frame(car, tests, ["e1"], [(0, 5)]))
    assert "! e1 [0, 5]: left out (data problem" in text
    assert next(x for x in text.splitlines() if x.startswith("e1")).endswith("!")


def test_format_summary_marks_rows_that_survive_holm():
    frame = pd.DataFrame(
        [["e1", "Shenzhen", "000300.SS", 0, 1, 4, 0, -0.0312, -0.025, 0.75, "kp_bmp_t", -3.2, 0.004, 0.016, ""],
         ["e1", "Shenzhen", "000300.SS", 0, 5, 4, 0, 0.01, 0.02, 0.25, "kp_bmp_t", 0.5, 0.6, 0.6, ""]],
        columns=COLUMNS,
    )  # fmt: skip
    lines = format_summary(frame).splitlines()
    first = next(x for x in lines if "[0, 1]" in x)
    assert first.split()[-8:] == ["-3.12%", "-2.50%", "75", "kp_bmp_t", "-3.200", "0.004", "0.016", "*"]
    second = next(x for x in lines if "[0, 5]" in x)
    assert second.endswith("0.600")
    assert "* Holm-adjusted p < 0.05 across all 2 rows of the study." in lines
    assert "e1: Shenzhen against 000300.SS" in lines  # each event's market and benchmark, once


def test_daily_holm_adjusts_each_event_and_test_across_the_days_of_the_path():
    tests = _tests(
        [
            ("e1", 0, 1, "kp_bmp_t", 1.0, 0.001),  # an event window, not a day of the path
            ("e1", 0, 0, "kp_bmp_t", 1.0, 0.01), ("e1", 1, 1, "kp_bmp_t", 1.0, 0.02),
            ("e1", 2, 2, "kp_bmp_t", 1.0, 0.5),
            ("e1", 0, 0, "csect_t", 1.0, 0.01), ("e1", 1, 1, "csect_t", 1.0, np.nan),
            ("e2", 0, 0, "kp_bmp_t", 1.0, 0.02),
        ]
    )  # fmt: skip
    got = daily_holm(tests, [(0, 1)])
    by_key = {(r.event_id, r.test, r.window_start): r.p_holm for r in got.itertuples()}
    assert len(by_key) == 6
    # e1 kp_bmp_t days 0, 1, 2: 0.01 x3 = 0.03, 0.02 x2 = 0.04, 0.5
    assert by_key[("e1", "kp_bmp_t", 0)] == pytest.approx(0.03)
    assert by_key[("e1", "kp_bmp_t", 1)] == pytest.approx(0.04)
    assert by_key[("e1", "kp_bmp_t", 2)] == pytest.approx(0.5)
    assert by_key[("e1", "csect_t", 0)] == pytest.approx(0.01) and np.isnan(by_key[("e1", "csect_t", 1)])
    assert by_key[("e2", "kp_bmp_t", 0)] == pytest.approx(0.02)


def test_caar_band_hand_worked_two_firms():
    # day 1: CARs 0.01, 0.03 with s = 0.01, 0.02; r = 0.5:
    # Var = (1/4) [1e-4 + 4e-4 + 0.5 * 2 * (0.01 * 0.02)] = (1/4) (5e-4 + 2e-4) = 1.75e-4
    # day 2: firm 2 has no return yet -> N = 1, CAAR = firm 1's CAR, Var = s_1^2
    car = np.array([[0.01, 0.02], [0.03, np.nan]])
    se = np.array([[0.01, 0.015], [0.02, np.nan]])
    caar, caar_se, n = caar_band(car, se, 0.5)
    assert caar == pytest.approx([0.02, 0.02]) and n.tolist() == [2, 1]
    assert caar_se == pytest.approx([np.sqrt(1.75e-4), 0.015])
    # independence (and a negative estimate, floored at 0): (1/4)(1e-4 + 4e-4) = 1.25e-4
    assert caar_band(car, se, 0.0)[1][0] == pytest.approx(np.sqrt(1.25e-4))
    assert caar_band(car, se, -0.3)[1][0] == pytest.approx(np.sqrt(1.25e-4))
    assert caar_band(car, se, np.nan)[1][0] == pytest.approx(np.sqrt(1.25e-4))
    empty = caar_band(np.full((2, 1), np.nan), np.full((2, 1), np.nan), 0.2)
    assert np.isnan(empty[0]).all() and np.isnan(empty[1]).all() and empty[2].tolist() == [0]


def test_caar_band_is_the_variance_of_the_mean_under_equicorrelation():
    # closed form: Var(mean) = (1/N^2) 1' Sigma 1 with Sigma_ii = s_i^2, Sigma_ij = r s_i s_j
    rng = np.random.default_rng(5)
    s = rng.uniform(0.01, 0.05, size=6)
    r = 0.3
    sigma = r * np.outer(s, s)
    np.fill_diagonal(sigma, s**2)
    want = np.sqrt(sigma.sum()) / 6
    got = caar_band(np.zeros((6, 1)), s[:, None], r)[1][0]
    assert got == pytest.approx(want, rel=1e-12)


def test_caar_band_covers_95_percent_under_the_null_with_correlated_firms():
    # 8 firms whose daily ARs share an event day (equicorrelation 0.4); r-bar estimated from 250 estimation
    # days as the report does; the CAAR over 5 days should fall inside its band in ~95% of samples
    from eventstudy.inference import mean_cross_correlation

    rng = np.random.default_rng(2024)
    n, t_est, days, rho, reps = 8, 250, 5, 0.4, 1500
    sd = np.linspace(0.01, 0.03, n)
    chol = np.linalg.cholesky(rho * np.ones((n, n)) + (1 - rho) * np.eye(n))
    covered = 0
    independent_covered = 0
    for _ in range(reps):
        est = (rng.standard_normal((t_est, n)) @ chol.T * sd).T
        event = (rng.standard_normal((days, n)) @ chol.T * sd).T
        car = event.sum(axis=1, keepdims=True)
        se = (est.std(axis=1, ddof=1) * np.sqrt(days))[:, None]
        caar, caar_se, _ = caar_band(car, se, mean_cross_correlation(est))
        covered += abs(caar[0]) <= 1.959963984540054 * caar_se[0]
        caar0, se0, _ = caar_band(car, se, 0.0)
        independent_covered += abs(caar0[0]) <= 1.959963984540054 * se0[0]
    assert 0.93 <= covered / reps <= 0.97
    assert independent_covered / reps < 0.85  # ignoring the correlation: far too narrow


def test_every_caveat_of_a_row_is_in_its_note_and_on_the_console(tmp_path, capsys):
    """Hikvision halted for 39 sessions from day 0 (8 Oct 2019) and resuming with a limit-down close (−10 % on the
    Shenzhen main board): the report said "covers 0..+39: suspended 0..+38" and "the reaction may be understated"
    next to its CARs, but on main summary.csv's note and the console headline were empty for those rows."""
    import shutil

    from eventstudy.cli import main

    from ..conftest import ROOT, SNAPSHOT_CSV

    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV, folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder, ignore=shutil.ignore_patterns("*.md"), dirs_exist_ok=True)
    path = folder / "002415.SZ.csv"
    f = pd.read_csv(path, dtype={"date": str})
    first = f.index[f["date"] == "2019-10-08"][0]
    last = f.loc[first - 1, "close"]
    prices = ["open", "high", "low", "close", "prev_close"]
    f.loc[first : first + 38, [*prices, "volume", "traded"]] = [last] * 5 + [0, 0]  # days 0 .. +38
    resume = first + 39
    down = round(last * 0.9, 2)  # the limit-down price, in cents
    scale = down / f.loc[resume, "close"]  # later prices moved with it: their returns are unchanged
    f.loc[resume + 1 :, prices] = f.loc[resume + 1 :, prices] * scale
    f.loc[resume, ["open", "high", "low", "close", "prev_close"]] = [down, down, down, down, last]
    f.to_csv(path, index=False, lineterminator="\n", float_format="%.6f")

    out = tmp_path / "reports"
    assert main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{folder}", "--out", str(out)]) == 0
    console = capsys.readouterr().out
    summary = pd.read_csv(out / "entity-list-2019" / "summary.csv", keep_default_na=False)
    rows = summary[(summary.event_id == "us-entity-list-2019-10-07") & (summary.window_start >= 0)]
    halted = "002415.SZ covers 0..+39: suspended 0..+38"
    limit = "002415.SZ includes 1 limit-down close: the reaction may be understated"
    for r in rows.itertuples():
        assert halted in r.note and limit in r.note, r.note
        assert f"! us-entity-list-2019-10-07 [{r.window_start}, {r.window_end}]: " in console
    html = (out / "entity-list-2019" / "index.html").read_text(encoding="utf-8")
    assert "covers 0..+39: suspended 0..+38" in html and "includes 1 limit-down close" in html
    notes = [line for line in console.splitlines() if line.startswith("! us-entity-list-2019-10-07 [0, 5]")]
    assert len(notes) == 1 and halted in notes[0] and limit in notes[0]


def test_holm_by_family_equals_holm_family_by_family():
    """Families of different sizes, interleaved, with NaN and ties: each family adjusted as holm() adjusts it alone
    (holm() itself is checked against statsmodels above)."""
    rng = np.random.default_rng(7)
    family = rng.integers(0, 40, size=600)
    p = rng.uniform(size=600) ** 3
    p[rng.choice(600, 30, replace=False)] = np.nan
    p[rng.choice(600, 30, replace=False)] = 0.25  # ties
    got = holm_by(p, family)
    for f in np.unique(family):
        np.testing.assert_array_equal(got[family == f], holm(p[family == f]))
    assert np.isnan(got[np.isnan(p)]).all() and (got[np.isfinite(p)] >= p[np.isfinite(p)]).all()


def test_a_benchmark_gap_is_a_data_problem_not_a_firm_that_did_not_trade():
    """As a study writes it (real-shaped: the default study with day 0 moved to 2022-12-28, whose estimation
    window reaches past the CSI 300's last session, 2021-09-30, on 45 sessions of the firm's data): a firm-event
    left out for a benchmark gap has neither a CAR nor a return in the window (its returns are emptied), and its note names the gap. The
    row counts it as left out, with the note, not as "not traded"; a suspended firm (no return, no note) and an
    incomplete window whose data end before it still count as not traded."""
    gap = ("benchmark 000300.SS has no data after 2021-09-30 (45 session(s) of the firm's data needed: "
           "2021-12-03 .. 2022-02-11)")  # fmt: skip
    car = _car([("e1", "A", 0, 5, np.nan, 0), ("e1", "B", 0, 5, np.nan, 0), ("e2", "A", 0, 5, np.nan, 0),
                ("e2", "B", 0, 5, np.nan, 0), ("e2", "C", 0, 5, 0.02, 4)])  # fmt: skip
    car["note"] = [gap, gap, "", "incomplete: data end at day -2", ""]
    tests = _tests([("e1", 0, 5, "kp_bmp_t", np.nan, np.nan), ("e2", 0, 5, "kp_bmp_t", np.nan, np.nan)])
    got = summary_frame(car, tests, ["e1", "e2"], [(0, 5)])
    assert got[["n_firms", "n_not_traded"]].values.tolist() == [[0, 0], [1, 2]]
    assert got.note.tolist() == ["left out (data problem, see car.csv note): A, B", ""]
    text = format_summary(got)
    assert "! e1 [0, 5]: left out (data problem, see car.csv note): A, B" in text
    assert "no firm of the event traded" not in text  # (e1's firms were not untraded; e2 has a figure)


def test_a_suspended_firm_with_a_data_flag_in_its_note_is_still_not_traded():
    """A firm suspended through the window (no return) whose estimation window holds a flagged session has a note
    (``data flag in the estimation window: ...``) but no data problem: it counts as not traded, not as left out.
    Only a benchmark gap's note (``BenchmarkGap.describe``) leaves a firm-event out."""
    car = _car([("e1", "A", 0, 5, np.nan, 0), ("e1", "B", 0, 5, 0.01, 3)])
    car["note"] = ["data flag in the estimation window: possible unadjusted split (1:2)", ""]
    tests = _tests([("e1", 0, 5, "kp_bmp_t", np.nan, np.nan)])
    got = summary_frame(car, tests, ["e1"], [(0, 5)])
    assert got[["n_firms", "n_not_traded"]].values.tolist() == [[1, 1]]
    assert "left out" not in got.note.iloc[0]
