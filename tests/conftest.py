"""Shared fixtures: the default study run once on the vendored snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstudy.data import open_provider
from eventstudy.spec.config import load_study
from eventstudy.study.results import StudyResults
from eventstudy.study.run import run_study

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SNAPSHOT_CSV = ROOT / "eventstudy" / "data" / "default_study"
SZSE_UNIVERSE = SHARED / "data" / "szse-universe-2015-2022.parquet"  # the package has no default universe


@pytest.fixture(scope="session")
def default_study():
    return load_study(ROOT / "events.yaml")


@pytest.fixture(scope="session")
def default_results(default_study) -> StudyResults:
    return run_study(default_study, open_provider("snapshot"))


@pytest.fixture(autouse=True)
def _no_universe_from_the_environment(monkeypatch):
    """A developer's ``$EVENTSTUDY_UNIVERSE`` would add a matched placebo to every ``run`` the tests make (slower,
    other bytes): tests that want one pass ``--universe`` or set the variable themselves."""
    monkeypatch.delenv("EVENTSTUDY_UNIVERSE", raising=False)
