"""eventstudy init: a commented template that validates and runs as written, never overwriting a file."""

from __future__ import annotations

import pytest

from eventstudy.cli.commands import main
from eventstudy.spec.config import load_study
from eventstudy.spec.template import template_path


def test_init_writes_a_template_that_validates(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my-study"]) == 0
    path = tmp_path / "my-study.yaml"
    assert "wrote my-study.yaml" in capsys.readouterr().out
    text = path.read_text()
    assert text.count("\n#") + text.count("  # ") >= 10  # commented: every setting explains itself
    assert main(["validate", str(path)]) == 0
    assert "my-study.yaml: ok — study my-study, 1 event(s)" in capsys.readouterr().out
    study = load_study(path)
    assert study.id == "my-study" and study.benchmark == "000300.SS"
    assert [f.ticker for f in study.events[0].firms] == ["002415.SZ", "002230.SZ"]


def test_the_template_runs_offline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "offline"]) == 0
    assert main(["run", "offline.yaml", "--source", "snapshot", "--out", "reports", "--quiet"]) == 0
    assert (tmp_path / "reports" / "offline" / "index.html").is_file()


def test_init_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("my work\n")
    assert main(["init", "mine"]) == 2
    assert capsys.readouterr().err.strip() == "eventstudy: error: init: mine.yaml already exists; not overwritten"
    assert (tmp_path / "mine.yaml").read_text() == "my work\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("My Study", "init: 'My Study' cannot be a study id"),
        ("nowhere/x", "init: nowhere is not a directory"),
    ],
)
def test_init_bad_names(tmp_path, monkeypatch, capsys, name, message):
    monkeypatch.chdir(tmp_path)
    assert main(["init", name]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_template_path():
    assert template_path("a").name == "a.yaml"
    assert template_path("dir/b.yml").as_posix() == "dir/b.yml"
    assert template_path("c.yaml").name == "c.yaml"


def test_the_template_states_every_study_setting(tmp_path, monkeypatch):
    """Each key of the study section appears in the template (set or commented), so it documents them all."""
    import dataclasses

    from eventstudy.spec.config import Study

    monkeypatch.chdir(tmp_path)
    assert main(["init", "keys"]) == 0
    text = (tmp_path / "keys.yaml").read_text()
    internal = {
        "events",
        "events_file",
        "path",
        "extra",
    }  # not settings of the study section (events_file: from events:)
    key = {"benchmarks": "benchmark", "day0_rule": "day0"}  # fields named otherwise in the study file
    for field in dataclasses.fields(Study):
        if field.name not in internal:
            name = key.get(field.name, field.name)
            assert f"{name}:" in text, f"add {name} to eventstudy/spec/templates/study.yaml.j2"
