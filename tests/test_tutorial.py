"""docs/tutorial.md runs: every ```python block in order, then its ```sh `eventstudy` commands, in a temp dir."""

from __future__ import annotations

import re
import shlex

from eventstudy.cli.commands import main

from .conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", TUTORIAL.read_text(encoding="utf-8"), flags=re.M | re.S)


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
