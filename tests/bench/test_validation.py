"""bench.validation: one draw per design through the package's placebo, and the document it writes."""

from __future__ import annotations

import pytest

from eventstudy.inference import TESTS
from eventstudy.universe import write_synthetic_universe

validation = pytest.importorskip("bench.validation")


def test_tables_from_one_draw_per_design(tmp_path, monkeypatch):
    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=40, n_sessions=420, seed=3)
    monkeypatch.setattr(validation, "DESIGNS", (("random", 5), ("shared", 8)))
    out = tmp_path / "validation.md"
    assert validation.main(["--studies", "12", "--seed", "4", "--universe", str(path), "--out", str(out),
                            "--workers", "1"]) == 0  # fmt: skip
    doc = out.read_text()
    assert "## Size, random days, N = 5 (the target table)" in doc and "## Size, shared day 0, N = 8" in doc
    assert "## Power, random days, N = 5" in doc and "## Power, shared day 0, N = 8" in doc
    assert "random days N = 5: 4" in doc and "shared day 0 N = 8: 5" in doc  # seeds recorded: base + k
    for name in TESTS:
        assert doc.count(f"| `{name}` |") == 4  # two size tables, two power tables
    size_rows = [line for line in doc.splitlines() if line.startswith("| `csect_t` | ")]
    assert len(size_rows[0].split("|")) == 2 + 2 + len(validation.WINDOWS)
    assert len(size_rows[2].split("|")) == 2 + 1 + len(validation.WINDOWS) * len(validation.INJECTED)
    assert validation.main(["--studies", "6", "--seed", "4", "--universe", str(path), "--out", str(out),
                            "--workers", "1", "--designs", "shared:8"]) == 0  # fmt: skip
    doc = out.read_text()
    assert "## Size, shared day 0, N = 8 (the target table)" in doc and "shared day 0 N = 8: 5" in doc
    assert "## Not run yet" in doc and "random days N = 5" in doc.split("## Not run yet")[1]


def test_rates_come_from_the_placebo(tmp_path):
    """A cell of the tables is the share of the placebo's pseudo-studies with p < 0.05 in that window and level."""
    import numpy as np

    from eventstudy.placebo import PlaceboSpec, run_placebo
    from eventstudy.universe import load_universe

    universe = load_universe(write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=420, seed=5))
    rates, _, _ = validation.run_design(universe, "random", 6, 10, 7, 1)
    spec = PlaceboSpec(n_events=60, seed=7, window=(0, 10), extra_windows=((0, 0), (0, 1), (0, 5)), firms_per_study=6,
                       injected=validation.INJECTED, workers=1)  # fmt: skip
    tests = run_placebo(universe, spec).tests
    for (a, b), level in [((0, 1), 0.0), ((0, 5), 0.01), ((0, 0), 0.02)]:
        rows = tests[(tests.window_start == a) & (tests.window_end == b) & (tests.injected == level)]
        cell = rates[(rates.window_start == a) & (rates.window_end == b) & (rates.injected == level)]
        for name in TESTS:
            p = rows.loc[rows.test == name, "p_value"].to_numpy()
            want = float((p[np.isfinite(p)] < 0.05).mean())
            got = cell.loc[cell.test == name]
            assert float(got.rejection_rate.iloc[0]) == want and int(got.studies.iloc[0]) == np.isfinite(p).sum()
    assert len(validation.size_table(rates, 10)) == 2 + len(TESTS)
