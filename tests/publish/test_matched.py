"""A build given a market universe adds a design-matched placebo next to the headline (issue 21, item 4):
``eventstudy run --universe`` / ``$EVENTSTUDY_UNIVERSE``."""

from __future__ import annotations

import json

import pytest

from eventstudy.cli.commands import main
from eventstudy.data.universe import load_universe, write_synthetic_universe
from eventstudy.placebo import run_placebo
from eventstudy.placebo.like import design_table, matched_specs
from eventstudy.publish import rebuild as rebuild_module
from eventstudy.spec.config import load_study

from ..conftest import ROOT


@pytest.fixture
def universe(tmp_path, monkeypatch):
    monkeypatch.setattr(rebuild_module, "MATCHED_STUDIES", 25)
    return write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=500, seed=4)


def test_run_with_a_universe_shows_the_primary_tests_matched_size_and_power(tmp_path, universe, capsys):
    out = tmp_path / "reports"
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(out), "-q",
                 "--universe", str(universe)]) == 0  # fmt: skip
    html = " ".join((out / "entity-list-2019" / "index.html").read_text(encoding="utf-8").split())
    assert "at this study's own design: a matched placebo" in html
    study = load_study(ROOT / "events.yaml")
    market = load_universe(universe)
    design = next(d for d in matched_specs(study, 25, 0) if "us-suppliers-2019-10-07" in d.event_ids)
    table = design_table(design, run_placebo(market, design.spec))  # the same seeded draw as the build's
    row = table[(table.test == study.primary_test) & (table.window_start == 0) & (table.window_end == 1)
                & (table.injected == 0.0)].iloc[0]  # fmt: skip
    cell = f'<td class="l">us-suppliers-2019-10-07</td><td>[0, 1]</td><td>{design.spec.firms_per_study}</td>'
    assert cell in html
    after = html.split(cell, 1)[1]
    assert f"{100 * row.rejection_rate:.1f}% ± {100 * row.mc_se:.1f}%" in after.split("</tr>", 1)[0]


def test_the_universe_joins_the_input_hash_and_a_missing_one_is_exit_3(tmp_path, universe, capsys):
    plain, with_universe = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(plain), "-q"]) == 0
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(with_universe), "-q",
                 "--universe", str(universe)]) == 0  # fmt: skip
    hashes = [
        json.loads((d / "entity-list-2019" / "study.json").read_text())["input_hash"] for d in (plain, with_universe)
    ]
    assert hashes[0] != hashes[1]
    assert "matched placebo" not in (plain / "entity-list-2019" / "index.html").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(plain), "-q",
                 "--universe", str(tmp_path / "nope.parquet")]) == 3  # fmt: skip
    assert "universe file not found" in capsys.readouterr().err


def test_rebuild_with_a_universe_keeps_it_in_the_hash(tmp_path, universe, capsys):
    """``rebuild --universe``: the report carries the matched placebo; a second rebuild on the same inputs is up
    to date; another universe file (or none) is a change of inputs and rebuilds."""
    out = tmp_path / "reports"
    config = str(ROOT / "events.yaml")
    args = ["rebuild", config, "--source", "snapshot", "--out", str(out), "-q"]
    assert main([*args, "--universe", str(universe)]) == 0
    assert "a matched placebo" in (out / "entity-list-2019" / "index.html").read_text(encoding="utf-8")
    index = out / "index.json"

    def status() -> str:
        return json.loads(index.read_text())["studies"]["entity-list-2019"]["status"]

    assert main([*args, "--universe", str(universe)]) == 0 and status() == "up to date"
    other = write_synthetic_universe(tmp_path / "v.parquet", n_tickers=30, n_sessions=500, seed=5)
    assert main([*args, "--universe", str(other)]) == 0 and status() == "built"
    assert main(args) == 0 and status() == "built"
    assert "a matched placebo" not in (out / "entity-list-2019" / "index.html").read_text(encoding="utf-8")
    assert main([*args, "--universe", str(tmp_path / "nope.parquet")]) == 3
    assert "universe file not found" in capsys.readouterr().err
