"""``expensive_tests:``: which tests a study computes, and that a test left out is said, never silently missing."""

from __future__ import annotations

import dataclasses

import pytest

from eventstudy.data import open_provider
from eventstudy.errors import ConfigError
from eventstudy.inference import EXPENSIVE, TESTS
from eventstudy.spec.config import load_study
from eventstudy.study.run import data_warnings, run_study
from eventstudy.study.selection import EXPENSIVE_AUTO_FIRM_EVENTS, select_tests


def test_auto_computes_every_test_for_a_small_study(default_study):
    chosen = select_tests(default_study, EXPENSIVE_AUTO_FIRM_EVENTS)
    assert chosen.tests == tuple(TESTS) and chosen.notes == ()


def test_auto_leaves_the_per_firm_fits_out_of_a_large_study_and_says_so(default_study):
    chosen = select_tests(default_study, EXPENSIVE_AUTO_FIRM_EVENTS + 1)
    assert chosen.tests == tuple(t for t in TESTS if t not in EXPENSIVE)
    assert len(chosen.notes) == len(EXPENSIVE) == 1
    assert chosen.notes[0].startswith("garch_bmp_t not computed (251 firm-events, more than the 250")
    assert chosen.notes[0].endswith("set expensive_tests: all")


@pytest.mark.parametrize(("choice", "n", "computed"), [("all", 5000, True), ("none", 1, False), ("auto", 5000, False)])
def test_all_and_none_override_the_size(default_study, choice, n, computed):
    chosen = select_tests(dataclasses.replace(default_study, expensive_tests=choice), n)
    assert ("garch_bmp_t" in chosen.tests) is computed


def test_the_primary_test_is_always_computed(default_study):
    study = dataclasses.replace(default_study, expensive_tests="none", primary_test="garch_bmp_t")
    assert "garch_bmp_t" in select_tests(study, 10_000).tests


def test_a_bad_choice_names_the_field(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "study:\n  id: s\n  title: S\n  benchmark: 000300.SS\n  expensive_tests: sometimes\n"
        "events:\n  - id: e\n    title: E\n    announced: '2019-10-08T08:00:00+08:00'\n"
        "    firms: [{ticker: 002415.SZ, name: Hikvision}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"study\.expensive_tests.*'sometimes' is not one of auto, all, none"):
        load_study(path)


def test_a_study_run_without_them_has_no_rows_and_a_warning(default_study):
    results = run_study(dataclasses.replace(default_study, expensive_tests="none"), open_provider("snapshot"))
    assert "garch_bmp_t" not in set(results.tests["test"])
    assert set(results.tests["test"]) == set(TESTS) - EXPENSIVE
    assert any(w.startswith("garch_bmp_t not computed (expensive_tests: none") for w in data_warnings(results))


def test_the_report_and_the_console_name_a_test_left_out(tmp_path, capsys):
    """The default study with ``expensive_tests: none``: index.html and the console say which test is missing."""
    from pathlib import Path

    from eventstudy.cli import main

    root = Path(__file__).resolve().parents[2]
    text = (
        (root / "events.yaml").read_text(encoding="utf-8").replace("study:\n", "study:\n  expensive_tests: none\n", 1)
    )
    path = tmp_path / "events.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["run", str(path), "--source", "snapshot", "--out", str(tmp_path / "out")]) == 0
    note = "garch_bmp_t not computed (expensive_tests: none; one model fit per firm-event); set expensive_tests: all"
    assert note in capsys.readouterr().err
    assert note in (tmp_path / "out" / "entity-list-2019" / "index.html").read_text(encoding="utf-8")
