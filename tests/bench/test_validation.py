"""bench.validation: one draw per design through the package's placebo, and the document it writes."""

from __future__ import annotations

import pandas as pd
import pytest

from eventstudy.data.universe import write_synthetic_universe
from eventstudy.inference import EXPENSIVE, TESTS

RUN = [t for t in TESTS if t not in EXPENSIVE]  # a full run leaves the per-firm model fits out (--tests)

validation = pytest.importorskip("bench.validation")


def _full_run_in(tmp_path, monkeypatch, designs) -> str:
    """A synthetic universe, and bench.validation's designs and output paths pointed into ``tmp_path``."""
    monkeypatch.setattr(validation, "DESIGNS", designs)
    monkeypatch.setattr(validation, "SAVED", tmp_path / "saved")
    monkeypatch.setattr(validation, "DOC", tmp_path / "doc.md")
    monkeypatch.setattr(validation, "PACKAGE_RATES", tmp_path / "package")
    return str(write_synthetic_universe(tmp_path / "u.parquet", n_tickers=40, n_sessions=420, seed=3))


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
    main_tables = doc.split("## Other normal-return models")[0]  # the saved runs of other models follow
    for name in RUN:
        assert main_tables.count(f"| `{name}` |") == 6  # two size, two with/without a halted firm, two power
    assert "## Size with and without a halted firm" in doc and "### shared day 0, N = 8: " in doc
    size_rows = [line for line in doc.splitlines() if line.startswith("| `csect_t` | ")]
    assert len(size_rows[0].split("|")) == 2 + 2 + len(validation.WINDOWS)
    assert len(size_rows[4].split("|")) == 2 + 1 + len(validation.WINDOWS) * len(validation.INJECTED)
    assert validation.main(["--studies", "6", "--seed", "4", "--universe", str(path), "--out", str(out),
                            "--workers", "1", "--designs", "shared:8"]) == 0  # fmt: skip
    doc = out.read_text()
    assert "## Size, shared day 0, N = 8 (the target table)" in doc and "shared day 0 N = 8: 5" in doc
    assert "## Not run yet" in doc and "random days N = 5" in doc.split("## Not run yet")[1]


def test_rates_come_from_the_placebo(tmp_path):
    """A cell of the tables is the share of the placebo's pseudo-studies with p < 0.05 in that window and level."""
    import numpy as np

    from eventstudy.data.universe import load_universe
    from eventstudy.placebo import PlaceboSpec, run_placebo

    universe = load_universe(write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=420, seed=5))
    rates, halted, clean, share, _, _ = validation.run_design(universe, "random", 6, 10, 7, 1)
    spec = PlaceboSpec(n_events=60, seed=7, window=(0, 10), extra_windows=((0, 0), (0, 1), (0, 5)), firms_per_study=6,
                       injected=validation.INJECTED, workers=1)  # fmt: skip
    tests = run_placebo(universe, spec).tests
    for (a, b), level in [((0, 1), 0.0), ((0, 5), 0.01), ((0, 0), 0.02)]:
        rows = tests[(tests.window_start == a) & (tests.window_end == b) & (tests.injected == level)]
        cell = rates[(rates.window_start == a) & (rates.window_end == b) & (rates.injected == level)]
        for name in RUN:
            p = rows.loc[rows.test == name, "p_value"].to_numpy()
            want = float((p[np.isfinite(p)] < 0.05).mean())
            got = cell.loc[cell.test == name]
            assert float(got.rejection_rate.iloc[0]) == want and int(got.studies.iloc[0]) == np.isfinite(p).sum()
    assert len(validation.size_table(rates, 10)) == 2 + len(RUN)
    keys = ["window_start", "window_end", "injected", "test"]
    parts = [t.set_index(keys)["studies"] for t in (halted, clean)]
    assert (parts[0].add(parts[1], fill_value=0).reindex(rates.set_index(keys).index) == rates.studies.to_numpy()).all()
    assert 0.0 <= share <= 1.0


def test_saved_designs_render_the_doc_and_the_package_rates(tmp_path, monkeypatch):
    """A full run saves each design; --render rewrites the doc from them alone, and the rates the report shows
    (eventstudy/data/validation/rates.csv) are the doc's cells."""

    from eventstudy.inference.measured import COLUMNS, size_range

    path = _full_run_in(tmp_path, monkeypatch, (("random", 5), ("shared", 8)))
    assert validation.main(["--full", "--studies", "8", "--universe", str(path), "--workers", "1"]) == 0
    first = (tmp_path / "doc.md").read_text()
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == ["validation-random-5.json",
                                                                       "validation-shared-8.json"]  # fmt: skip
    (tmp_path / "doc.md").unlink()
    assert validation.main(["--render"]) == 0
    again = (tmp_path / "doc.md").read_text()
    assert again.split("\n", 3)[3] == first.split("\n", 3)[3]  # the same tables (only the header line differs)
    rates = pd.read_csv(tmp_path / "package" / "rates.csv")
    assert list(rates.columns) == list(COLUMNS) and len(rates) == 2 * len(RUN) * 4 * 4
    assert "seed 0" in (tmp_path / "package" / "PROVENANCE.md").read_text()
    got = size_range("csect_t", "random", firms=5, rates=rates)
    null = rates[(rates.test == "csect_t") & (rates.design == "random") & (rates.injected == 0.0)]
    assert (got.low, got.high) == (null.rejection_rate.min(), null.rejection_rate.max())
    first_window = null[(null.window_start == 0) & (null.window_end == 0)].rejection_rate.iloc[0]
    cell = f"| `csect_t` |  | {100 * first_window:.1f}"
    assert cell in again.replace("**", "")


def test_the_shipped_rates_are_the_saved_full_runs():
    """eventstudy/data/validation/rates.csv (what the report shows) holds exactly the rates of the saved full runs
    (bench/results/validation-*.json), and those runs have at least 5,000 pseudo-studies a design."""
    import numpy as np

    from eventstudy.inference.measured import measured_rates

    shipped = measured_rates()
    saved, meta = validation.load_saved()
    assert set(saved) == set(validation.DESIGNS) and min(meta["studies"]) >= 5000
    for (design, firms), record in saved.items():
        mine = shipped[(shipped.design == design) & (shipped.firms == firms)]
        keys = ["window_start", "window_end", "injected", "test"]
        got = mine.sort_values(keys).reset_index(drop=True)
        want = record["rates"].sort_values(keys).reset_index(drop=True)
        tests = set(want.test)  # every test, but those validated on their own only on some designs (test_studies)
        assert len(got) == len(want) == len(tests) * 4 * 4 and len(tests) >= len(TESTS) - 2
        assert np.array_equal(got["studies"].to_numpy(), want["studies"].to_numpy())
        assert np.allclose(got["rejection_rate"].to_numpy(), want["rejection_rate"].to_numpy(), rtol=1e-12, atol=0)


def test_a_subset_of_tests_joins_the_saved_runs_with_its_own_number_of_studies(tmp_path, monkeypatch):
    """Issue 21: the tests that fit a model per firm (``EXPENSIVE``) are left out of a full run and validated on
    their own with fewer pseudo-studies (``--tests``); their rows join the saved designs, marked ‡ in the doc."""
    import json

    path = _full_run_in(tmp_path, monkeypatch, (("random", 5), ("shared", 4)))
    assert validation.main(["--full", "--studies", "8", "--universe", str(path), "--workers", "1"]) == 0
    first = json.loads((tmp_path / "saved" / "validation-shared-4.json").read_text())
    assert "garch_bmp_t" not in set(first["rates"]["test"]) and "mvrm_wald" in set(first["rates"]["test"])
    assert validation.main(["--full", "--studies", "5", "--universe", str(path), "--workers", "1",
                            "--designs", "shared:4", "--tests", "garch_bmp_t"]) == 0  # fmt: skip
    merged = json.loads((tmp_path / "saved" / "validation-shared-4.json").read_text())
    rates = pd.DataFrame(merged["rates"])
    assert merged["test_studies"] == {"garch_bmp_t": 5} and merged["studies"] == 8
    assert set(rates.loc[rates.test == "garch_bmp_t", "studies"]) <= {5} and set(rates.test) == set(TESTS)
    doc = (tmp_path / "doc.md").read_text()
    assert "| `garch_bmp_t`‡ |" in doc and "‡ Fewer pseudo-studies" in doc
    shipped = pd.read_csv(tmp_path / "package" / "rates.csv")
    assert "garch_bmp_t" in set(shipped[shipped.design == "shared"].test)
    assert "garch_bmp_t" not in set(shipped[shipped.design == "random"].test)
