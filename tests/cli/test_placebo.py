"""``eventstudy placebo``: options, text report, files and exit codes."""

from __future__ import annotations

import pandas as pd

from eventstudy.cli.placebo import main
from eventstudy.data.universe import write_synthetic_universe


def test_command_writes_the_report_and_files(tmp_path, capsys):
    path = tmp_path / "u.parquet"
    write_synthetic_universe(path, n_tickers=30, n_sessions=500)
    out = tmp_path / "out"
    code = main(["--universe", str(path), "--events", "120", "--seed", "3", "--window", "-5,5",
                 "--estimation-window", "-120,-11", "--min-estimation-returns", "60", "--firms-per-study", "20",
                 "--out", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "null distribution of CAR[-5,5]" in text and "rejection rates" in text and "patell_z" in text
    assert {p.name for p in out.iterdir()} == {"firms.csv", "tests.csv", "rejection.csv", "car.csv"}
    assert len(pd.read_csv(out / "firms.csv")) == 120
    assert "garch_bmp_t" in set(pd.read_csv(out / "tests.csv")["test"])  # 120 firm-events: auto computes it


def test_expensive_tests_left_out_are_said(tmp_path, capsys):
    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=500)
    out = tmp_path / "out"
    code = main(["--universe", str(path), "--events", "260", "--window", "-5,5", "--estimation-window", "-120,-11",
                 "--min-estimation-returns", "60", "--firms-per-study", "20", "--out", str(out)])  # fmt: skip
    assert code == 0
    assert "garch_bmp_t not computed (260 firm-events, more than the 250" in capsys.readouterr().out
    assert "garch_bmp_t" not in set(pd.read_csv(out / "tests.csv")["test"])


def test_exit_codes(tmp_path, capsys):
    path = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=500)
    assert main(["--universe", str(tmp_path / "nope.parquet"), "--events", "5"]) == 3  # data: no such universe
    assert "universe file not found" in capsys.readouterr().err
    assert main(["--universe", str(path), "--events", "5", "--executor", "spark"]) == 2  # bad option
