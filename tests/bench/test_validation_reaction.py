"""bench.validation_reaction: the size harness of the volume, volatility and pre-trend tests, on a small synthetic
universe, and its doc section (replaced in place, kept by bench.validation's render)."""

from __future__ import annotations

import numpy as np

from bench import validation_reaction as vr
from eventstudy.data.universe import load_universe, write_synthetic_universe
from eventstudy.data.volume import universe_log_volume


def test_run_design_gives_a_rate_per_test_and_window(tmp_path) -> None:
    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=40, n_sessions=700)
    universe = load_universe(path)
    volume = universe_log_volume(path, universe)
    rates = vr.run_design(universe, volume, "random", 5, 8, seed=0)
    names = {"cav_csect_t", "cav_bmp_t", "var_csect_t", "var_rank_t"}
    assert set(rates) == {(n, w) for n in names for w in vr.WINDOWS} | {("aar_joint_f", vr.PRE)}
    rate, defined, up = rates[("var_rank_t", (0, 10))]
    assert 0.0 <= up <= rate <= 1.0 and defined == 8
    # the synthetic volume is constant: no volume model can be fitted, so its tests are undefined, not zero
    assert rates[("cav_csect_t", (0, 0))][1] == 0 and np.isnan(rates[("cav_csect_t", (0, 0))][0])


def test_section_replaced_in_place(tmp_path) -> None:
    doc = tmp_path / "validation.md"
    doc.write_text("# Title\n\n## Other\n\ntext\n", encoding="utf-8")
    vr.replace_section(doc, [vr.HEADING, "", "one"])
    vr.replace_section(doc, [vr.HEADING, "", "two"])
    text = doc.read_text(encoding="utf-8")
    assert text.count(vr.HEADING) == 1 and "two" in text and "one" not in text and "## Other" in text
