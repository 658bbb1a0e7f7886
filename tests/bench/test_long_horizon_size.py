"""bench.long_horizon_size runs end to end on a small synthetic universe, and docs/validation.md carries the
section it cites."""

from __future__ import annotations

from pathlib import Path

from bench import long_horizon_size
from eventstudy.data.universe import write_synthetic_universe

ROOT = Path(__file__).resolve().parents[2]


def test_runs_on_a_synthetic_universe(tmp_path, capsys):
    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=40, n_sessions=600, seed=3)
    assert long_horizon_size.main(["--universe", str(path), "--studies", "3", "--firms", "6", "--horizon", "15"]) == 0
    out = capsys.readouterr().out
    assert "3 pseudo-studies of 6 random firm-events" in out
    for name in ("BHAR vs benchmark: bhar_skew_t", "BHAR vs controls: bhar_boot_t", "calendar-time alpha (HAC t)"):
        assert name in out


def test_the_validation_document_has_the_measured_section():
    assert long_horizon_size.MEASURED.strip() in (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
