"""Published files: exact columns, full precision, atomic swap that never loses the last good build."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time

import pandas as pd
import pytest

from eventstudy.errors import EventStudyError
from eventstudy.inference.processes import can_fork
from eventstudy.publish import outputs as outputs_module
from eventstudy.publish.outputs import COLUMNS, publish, published_problem, sweep_stale, write_outputs, write_tables


def test_tables_have_the_exact_columns_and_full_precision(tmp_path, default_results):
    write_tables(default_results, tmp_path, "snapshot")
    for name, columns in COLUMNS.items():
        header = (tmp_path / name).read_text().splitlines()[0]
        assert header == ",".join(columns)
    car = pd.read_csv(tmp_path / "car.csv")
    original = default_results.car.reset_index(drop=True)
    assert (car["car"].dropna().to_numpy() == original["car"].dropna().to_numpy()).all()  # bit-identical round trip
    hik = car.query(
        "event_id == 'us-entity-list-2019-10-07' and window_start == 0 and window_end == 1 and ticker == '002415.SZ'"
    ).iloc[0]  # suspended on days 0 and +1: its return spanning 0..+2 counts in [0, 1]
    assert (hik["covered_start"], hik["covered_end"], hik["complete"]) == (0, 2, True) and pd.isna(hik["note"])
    assert car["covered_start"].dtype == "int64" and car["complete"].dtype == bool  # no NaN: every row has a return
    doc = json.loads((tmp_path / "study.json").read_text())
    assert doc["parameters"]["estimation_window"] == [-260, -11]
    assert doc["data"]["source"] == "snapshot" and doc["data"]["as_of"] == "2020-12-11"  # the US files end first
    assert doc["events"][0]["day0"] == {"XSHE": "2019-10-08"}
    assert len(doc["car"]) == len(original) and doc["version"]


def test_estimates_csv_and_study_json_carry_the_masked_sessions(tmp_path, default_results):
    """Issue 21: the October 2019 Shenzhen firm-events leave out the Huawei listing's days -10..+20 (29 April ..
    14 June 2019, tests/study/test_masking.py); an empty ``masked`` cell is an empty string, not NaN."""
    write_tables(default_results, tmp_path, "snapshot")
    est = pd.read_csv(tmp_path / "estimates.csv", keep_default_na=False)
    october = est[est["event_id"] == "us-entity-list-2019-10-07"]
    assert october["n_masked"].tolist() == [31] * 4
    assert set(october["masked"]) == {"2019-04-29..2019-06-14"}
    assert set(october["masked_by"]) == {"us-entity-list-huawei-2019-05-15"}
    others = est[est["event_id"] != "us-entity-list-2019-10-07"]
    assert (others["n_masked"] == 0).all() and set(others["masked"]) == {""} and set(others["masked_by"]) == {""}
    doc = json.loads((tmp_path / "study.json").read_text())
    assert doc["parameters"]["estimation_exclude"] == "study_events"
    assert [e["n_masked"] for e in doc["estimates"]] == est["n_masked"].tolist()


def test_publish_swaps_and_keeps_last_good(tmp_path):
    publish(tmp_path, "s", lambda d: (d / "index.html").write_text("one"))
    publish(tmp_path, "s", lambda d: (d / "index.html").write_text("two"))
    assert (tmp_path / "s" / "index.html").read_text() == "two"
    assert (tmp_path / "s.last-good" / "index.html").read_text() == "one"


def test_failed_write_leaves_the_published_report_untouched(tmp_path):
    publish(tmp_path, "s", lambda d: (d / "index.html").write_text("good"))

    def crash(directory):
        (directory / "index.html").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        publish(tmp_path, "s", crash)
    assert (tmp_path / "s" / "index.html").read_text() == "good"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary directory left behind


def test_study_id_cannot_escape_the_reports_directory(tmp_path):
    with pytest.raises(EventStudyError, match="would write outside"):
        publish(tmp_path / "reports", "../elsewhere", lambda d: None)


# -- modes, a swap that never leaves the report missing, and self-healing (issues 13.4, 14.5) ---------------------


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def write_page(text):
    return lambda d: (d / "index.html").write_text(text)


def test_published_files_and_folders_get_the_umask_modes(tmp_path, umask_022):
    publish(
        tmp_path, "s", lambda d: ((d / "index.html").write_text("x"), (d / "sub").mkdir(), (d / "sub" / "f").touch())
    )
    target = tmp_path / "s"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755  # through the link: the build folder itself
    assert {stat.S_IMODE(p.stat().st_mode) for p in target.rglob("*") if p.is_file()} == {0o644}
    assert stat.S_IMODE((target / "sub").stat().st_mode) == 0o755
    assert published_problem(tmp_path, "s") is None


def test_the_report_is_present_at_every_step_of_a_swap(tmp_path, monkeypatch):
    """Every rename, link and removal publish makes is watched: before and after each, s/index.html exists."""
    publish(tmp_path, "s", write_page("one"))
    seen = []

    def watch(name, real):
        def wrapper(*args, **kwargs):
            seen.append((name, (tmp_path / "s" / "index.html").read_text()))
            out = real(*args, **kwargs)
            seen.append((name, (tmp_path / "s" / "index.html").read_text()))
            return out

        return wrapper

    for name in ("replace", "rename", "symlink", "unlink", "rmdir"):
        monkeypatch.setattr(f"eventstudy.publish.atomic.os.{name}", watch(name, getattr(os, name)))
    monkeypatch.setattr("eventstudy.publish.atomic.shutil.rmtree", watch("rmtree", shutil.rmtree))
    monkeypatch.setattr("eventstudy.publish.outputs.os.replace", watch("replace", os.replace))
    for text in ("two", "three"):
        publish(tmp_path, "s", write_page(text))
    assert seen and {text for _, text in seen} <= {"one", "two", "three"}
    assert (tmp_path / "s" / "index.html").read_text() == "three"
    assert (tmp_path / "s.last-good" / "index.html").read_text() == "two"


def test_only_the_published_and_last_good_builds_are_kept(tmp_path):
    for text in ("one", "two", "three", "four"):
        publish(tmp_path, "s", write_page(text))
    builds = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".build"))
    assert len(builds) == 2
    assert {os.readlink(tmp_path / "s"), os.readlink(tmp_path / "s.last-good")} == set(builds)
    assert (tmp_path / "s.last-good" / "index.html").read_text() == "three"


def test_a_folder_from_before_links_becomes_the_last_good_build(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "index.html").write_text("old layout")
    (tmp_path / "s.last-good").mkdir()
    (tmp_path / "s.last-good" / "index.html").write_text("older")
    publish(tmp_path, "s", write_page("new"))
    assert (tmp_path / "s").is_symlink() and (tmp_path / "s" / "index.html").read_text() == "new"
    assert (tmp_path / "s.last-good" / "index.html").read_text() == "old layout"


def test_without_symbolic_links_folders_are_renamed(tmp_path, monkeypatch):
    monkeypatch.setattr("eventstudy.publish.outputs.can_link", lambda parent: False)
    publish(tmp_path, "s", write_page("one"))
    publish(tmp_path, "s", write_page("two"))
    assert not (tmp_path / "s").is_symlink() and (tmp_path / "s" / "index.html").read_text() == "two"
    assert (tmp_path / "s.last-good" / "index.html").read_text() == "one"


def test_sweep_removes_only_what_interrupted_runs_left(tmp_path):
    publish(tmp_path, "s", write_page("one"))
    publish(tmp_path, "s", write_page("two"))
    (tmp_path / ".s.k1ll3d.tmp").mkdir()  # kill -9 while writing
    (tmp_path / ".s.k1ll3d.tmp" / "car.csv").write_text("half")
    (tmp_path / ".s.0rphan.build").mkdir()  # kill -9 between sealing and linking
    (tmp_path / ".index.json.abc.tmp").write_text("{")  # kill -9 inside write_atomic
    (tmp_path / ".git").mkdir()  # not ours
    (tmp_path / "notes.build").mkdir()  # not hidden: not ours
    removed = sweep_stale(tmp_path)
    assert removed == [".index.json.abc.tmp", ".s.0rphan.build", ".s.k1ll3d.tmp"]
    assert (tmp_path / ".git").is_dir() and (tmp_path / "notes.build").is_dir()
    assert (tmp_path / "s" / "index.html").read_text() == "two"
    assert (tmp_path / "s.last-good" / "index.html").read_text() == "one"


def test_published_problem_names_what_is_wrong(tmp_path, umask_022):
    publish(tmp_path, "s", lambda d: ((d / "index.html").write_text("page"), (d / "car.csv").write_text("a,b\n")))
    assert published_problem(tmp_path, "s") is None
    os.chmod(tmp_path / "s", 0o700)  # a kill between chmod and swap, in the layout before this one
    assert published_problem(tmp_path, "s") == f"{tmp_path / 's'} has mode 700, not 755"
    os.chmod(tmp_path / "s", 0o755)
    (tmp_path / "s" / "car.csv").unlink()
    assert published_problem(tmp_path, "s") == f"{tmp_path / 's' / 'car.csv'} is missing"
    (tmp_path / "s" / "car.csv").write_text("a,b,c\n")
    assert published_problem(tmp_path, "s") == f"{tmp_path / 's' / 'car.csv'} is not the file that was published"
    assert published_problem(tmp_path, "absent") == f"{tmp_path / 'absent'} is missing"


def test_volume_volatility_and_their_tests_are_written(tmp_path, default_results):
    from eventstudy.study.reaction import FILES

    write_tables(default_results, tmp_path, "snapshot")
    for name, (key, columns) in FILES.items():
        frame = pd.read_csv(tmp_path / name)
        assert list(frame.columns) == columns and len(frame) == len(default_results.extra[key])
    est = pd.read_csv(tmp_path / "estimates.csv")
    assert {"lb_q", "lb_p", "jb", "jb_p", "chow_f", "chow_p", "diagnostics_flag"} <= set(est.columns)
    assert (est["jb"].to_numpy() == default_results.estimates["jb"].to_numpy()).all()  # full precision


def _written_by(render_marker):
    """A report whose text names the process that made it, having left ``render_marker`` for the tables' side."""

    def render() -> str:
        render_marker.write_text("rendered")
        return f"<html>rendered by process {os.getpid()}</html>"

    def also(d) -> None:  # written after the tables, by the process that wrote them
        waited = time.monotonic()
        while not render_marker.exists():  # beside a forked renderer: the two overlap
            assert time.monotonic() - waited < 120, "the report was never rendered"
            time.sleep(0.01)
        (d / "claims.csv").write_text(f"written by process {os.getpid()}\n")

    return render, also


@pytest.mark.skipif(not can_fork(), reason="no fork here")
def test_the_report_is_rendered_in_a_forked_process_while_the_tables_are_written(
    tmp_path, default_results, monkeypatch
):
    """With two CPUs the report's text is made in a forked process at the same time as the tables here (the tables'
    side waits for the report to have been rendered, which only the other process can do); with one CPU both are
    made here, the report first. Every file but the report's text, which names its process, is the same."""
    beside, alone = tmp_path / "beside", tmp_path / "alone"
    beside.mkdir()
    alone.mkdir()
    monkeypatch.setattr(outputs_module, "cores", lambda: 2)
    write_outputs(default_results, beside, "snapshot", *_written_by(tmp_path / "rendered-beside"))
    monkeypatch.setattr(outputs_module, "cores", lambda: 1)
    write_outputs(default_results, alone, "snapshot", *_written_by(tmp_path / "rendered-alone"))
    me = f"<html>rendered by process {os.getpid()}</html>"
    assert (alone / "index.html").read_text() == me
    assert (beside / "index.html").read_text().startswith("<html>rendered by process ")
    assert (beside / "index.html").read_text() != me
    names = sorted(p.name for p in beside.iterdir())
    assert names == sorted(p.name for p in alone.iterdir())
    assert {"car.csv", "ar.csv", "tests.csv", "study.json", "claims.csv", "index.html"} <= set(names)
    for name in names:
        if name not in ("index.html", "claims.csv"):
            assert (beside / name).read_bytes() == (alone / name).read_bytes(), name


def test_a_report_that_fails_in_the_forked_process_publishes_nothing(tmp_path, default_results, monkeypatch):
    """The renderer's error reaches the caller as itself; the build directory is removed, nothing published."""
    monkeypatch.setattr(outputs_module, "cores", lambda: 2)

    def broken() -> str:
        raise EventStudyError("the report cannot be drawn")

    out = tmp_path / "reports"
    with pytest.raises(EventStudyError, match="the report cannot be drawn"):
        publish(out, "s", lambda d: write_outputs(default_results, d, "snapshot", broken))
    assert sorted(p.name for p in out.iterdir()) == []
