"""``eventstudy placebo --like STUDY.yaml``: pseudo-studies matched to each event's design (issue 21, item 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli.placebo import main
from eventstudy.data.universe import load_universe, write_synthetic_universe
from eventstudy.errors import ConfigError
from eventstudy.placebo import run_placebo
from eventstudy.placebo.like import LIKE_INJECTED, design_table, matched_specs
from eventstudy.spec.config import Study


def study(model: str = "market_model") -> Study:
    rows = [
        *({"event_id": "two", "ticker": t, "announced": "2019-10-08T08:00:00", "timezone": "Asia/Shanghai"}
          for t in ("000001.SZ", "000002.SZ")),
        *({"event_id": "three", "ticker": t, "announced": "2019-05-16T08:00:00", "timezone": "Asia/Shanghai"}
          for t in ("000001.SZ", "000002.SZ", "000004.SZ")),
        *({"event_id": "also-two", "ticker": t, "announced": "2018-05-16T08:00:00", "timezone": "Asia/Shanghai"}
          for t in ("000001.SZ", "000002.SZ")),
    ]  # fmt: skip
    return Study.from_events(rows, benchmark="399106.SZ", windows=[[0, 1], [-2, 5]], model=model,
                             estimation_window=[-120, -11], min_estimation_returns=60)  # fmt: skip


def test_one_matched_design_per_number_of_firms():
    designs = matched_specs(study(), studies=40, seed=5)
    assert [(d.event_ids, d.spec.firms_per_study) for d in designs] == [(("two", "also-two"), 2), (("three",), 3)]
    for k, d in enumerate(designs):
        s = d.spec
        assert s.clustered and s.n_events == 40 * s.firms_per_study and s.seed == 5 + k
        assert s.windows == ((-2, 5), (0, 1)) and s.estimation_window == (-120, -11) and s.model == "market_model"
        assert s.injected == LIKE_INJECTED == (0.01, 0.02, 0.05) and s.min_estimation_returns == 60


def test_rates_and_their_monte_carlo_error_come_from_the_placebo(tmp_path):
    universe = load_universe(write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=500, seed=2))
    design = matched_specs(study(), studies=30, seed=1)[1]
    result = run_placebo(universe, design.spec)
    table = design_table(design, result)
    tests = result.tests
    for (a, b), level, name in [((0, 1), 0.0, "csect_t"), ((-2, 5), 0.05, "kp_bmp_t"), ((0, 1), 0.02, "bw_t")]:
        p = tests[(tests.window_start == a) & (tests.window_end == b) & (tests.injected == level)
                  & (tests.test == name)].p_value.to_numpy()  # fmt: skip
        ok = np.isfinite(p)
        rate = float((p[ok] < 0.05).mean())
        row = table[
            (table.window_start == a) & (table.window_end == b) & (table.injected == level) & (table.test == name)
        ]
        assert float(row.rejection_rate.iloc[0]) == rate and int(row.studies.iloc[0]) == ok.sum()
        assert float(row.mc_se.iloc[0]) == pytest.approx(np.sqrt(rate * (1 - rate) / ok.sum()), rel=1e-12)
        assert row.event_ids.iloc[0] == "three" and int(row.firms.iloc[0]) == 3


def test_the_command(tmp_path, capsys):
    universe = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=500, seed=2)
    path = tmp_path / "study.yaml"
    path.write_text(
        "study:\n  id: like\n  title: Like\n  benchmark: 399106.SZ\n  event_windows: [[0, 1]]\n"
        "  estimation_window: [-120, -11]\n  min_estimation_returns: 60\nevents:\n"
        "  - id: ev\n    title: One\n    announced: 2019-10-08T08:00:00\n    timezone: Asia/Shanghai\n"
        "    firms: [{ticker: 000001.SZ}, {ticker: 000002.SZ}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["--like", str(path), "--universe", str(universe), "--studies", "20", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ev: 2 firm(s) on one day 0, window [0,1]" in text and "power +5 %" in text
    like = pd.read_csv(out / "like.csv")
    assert set(like.injected) == {0.0, 0.01, 0.02, 0.05} and set(like.firms) == {2}
    assert main(["--like", str(path), "--universe", str(universe), "--events", "5"]) == 2
    assert "--events: not with --like" in capsys.readouterr().err
    assert main(["--universe", str(universe)]) == 2  # neither --events nor --like
    assert "--events: required" in capsys.readouterr().err


def test_a_model_the_placebo_cannot_run_is_refused():
    with pytest.raises(ConfigError, match="no placebo"):
        matched_specs(study(model="dimson"))
