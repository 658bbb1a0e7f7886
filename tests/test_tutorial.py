"""docs/tutorial.md and docs/tutorial-us.md run: every ```python block in order, then the ```sh `eventstudy`
commands, in a temp dir; and the tutorials point to nothing a wheel user does not have."""

from __future__ import annotations

import re
import shlex

from eventstudy.cli.commands import main

from .conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"
TUTORIAL_US = ROOT / "docs" / "tutorial-us.md"


def blocks(language: str, tutorial=TUTORIAL) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", tutorial.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_the_tutorial_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = blocks("python")
    assert len(code) >= 8
    namespace: dict[str, object] = {"__name__": "tutorial"}
    for i, block in enumerate(code):
        exec(compile(block, f"docs/tutorial.md block {i + 1}", "exec"), namespace)  # noqa: S102
    printed = capsys.readouterr().out
    assert "events table: row 2.ticker: '002230 SZ' is not allowed here" in printed
    assert "Study:" in printed and "entity-list-tutorial" in printed  # the summary was printed
    report = tmp_path / "reports" / "entity-list-tutorial"
    assert (report / "index.html").is_file() and (report / "car.csv").is_file()
    assert (tmp_path / "car-2019-10-07.html").is_file()
    commands = [line for block in blocks("sh") for line in block.splitlines() if line.startswith("eventstudy ")]
    assert len(commands) >= 2
    for line in commands:
        assert main(shlex.split(line)[1:]) == 0, line
    tables = capsys.readouterr().out
    assert "| entity-list-2019-10-07" in tables and "\\begin{table}" in tables


def test_the_us_tutorial_runs_on_csv_files_and_frames(tmp_path, monkeypatch, capsys):
    """The US tutorial: Yahoo-format CSV files through ``csv:DIR`` and as a wide frame of closes, same numbers."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "tutorial_us"}
    for i, block in enumerate(blocks("python", TUTORIAL_US)):
        exec(compile(block, f"docs/tutorial-us.md block {i + 1}", "exec"), namespace)  # noqa: S102
    assert "huawei-suppliers-2019-05-15" in capsys.readouterr().out
    r = namespace["r"]
    assert r.source.startswith("csv:") and len(r.headline) == 4  # type: ignore[attr-defined]
    assert (tmp_path / "reports" / "huawei-suppliers-us" / "index.html").is_file()
    for line in (line for block in blocks("sh", TUTORIAL_US) for line in block.splitlines()):
        assert main(shlex.split(line)[1:]) == 0, line
    assert (tmp_path / "huawei-suppliers.xlsx").stat().st_size > 0


def test_the_tutorials_name_no_file_a_wheel_user_lacks():
    for tutorial in (TUTORIAL, TUTORIAL_US):
        text = tutorial.read_text(encoding="utf-8")
        assert not re.search(r"`(docs|eventstudy|tests|bench)/[^`]*`", text), tutorial.name
        assert not re.search(r"\bissue \d", text), tutorial.name


def test_no_internal_project_history_in_the_docs():
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert not re.search(r"\bissues? \d", page.read_text(encoding="utf-8")), page.name
