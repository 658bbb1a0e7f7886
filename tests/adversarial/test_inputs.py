"""Bounded inputs (issue 20.4): a study file that is /dev/zero or /dev/urandom, an events table of 100,000 firms in
one event, placebo options far out of range, an empty price file and a megabyte-long ticker each end in one line
(or, for the large table, in seconds), never a traceback, a MemoryError or an attempt to allocate terabytes."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.errors import ConfigError
from eventstudy.spec.config import MAX_STUDY_FILE_BYTES, load_study

from ..conftest import ROOT, SHARED, SNAPSHOT_CSV

UNIVERSE = SHARED / "data" / "szse-universe-2015-2022.parquet"


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_study_file_that_never_ends_is_refused_after_the_cap(device, capsys):
    """On main: a MemoryError traceback after reading without end."""
    assert main(["validate", device]) == 2
    assert f"{device}: more than {MAX_STUDY_FILE_BYTES // 2**20} MiB" in _one_line(capsys.readouterr().err)


def test_a_large_study_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_STUDY_FILE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ConfigError, match="more than 16 MiB; a study file is a page of YAML"):
        load_study(path)


def test_an_events_table_of_100000_firms_in_one_event_is_read(tmp_path, capsys):
    """The duplicate-ticker check of the events-table reader was quadratic (16k firms 13.9 s, 32k 61 s, 100k killed
    after 150 s on main); a set keeps it linear (100k: about 7 s on the 2-core machine)."""
    n = 100_000
    pd.DataFrame({
        "event_id": "big", "ticker": [f"T{i:06d}" for i in range(n)], "announced": "2019-10-07T18:00:00-04:00",
        "exchange": "XNYS",
    }).to_csv(tmp_path / "big.csv", index=False)  # fmt: skip
    (tmp_path / "study.yaml").write_text("study: {id: big, title: Big, benchmark: VONE}\nevents: big.csv\n")
    assert main(["validate", str(tmp_path / "study.yaml")]) == 0
    assert "big: 100000 firm(s), day 0 (close rule) XNYS 2019-10-08" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--events", str(10**12)], "--events 1000000000000: must be between 1 and 10,000,000"),  # main: 7 TiB
        (["--events", "100", "--alpha", "2"], "--alpha 2.0: a test size strictly between 0 and 1"),  # main: exit 0
        (["--events", "100", "--alpha", "nan"], "--alpha nan: a test size strictly between 0 and 1"),
        (["--events", "100", "--firms-per-study", "0"], "--firms-per-study 0: must be between 1 and 100,000"),
        (["--events", "100", "--workers", "100000"], "--workers 100000: must be between 1 and 64"),
        (["--events", "100", "--window", "0,100000"], "--window [0, 100000]: reaches beyond ±2520 sessions"),
    ],
)
def test_placebo_options_out_of_range_are_refused_before_any_work(capsys, options, message):
    assert main(["placebo", "--universe", str(UNIVERSE), *options]) == 2
    assert message in _one_line(capsys.readouterr().err)


def test_an_empty_price_file_is_one_line_exit_3(tmp_path, capsys):
    """On main: a pandas EmptyDataError traceback."""
    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV, folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder, ignore=shutil.ignore_patterns("*.md"), dirs_exist_ok=True)
    (folder / "002415.SZ.csv").write_bytes(b"")
    code = main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{folder}", "--out", str(tmp_path / "r")])
    assert code == 3
    line = _one_line(capsys.readouterr().err)
    assert line == f"eventstudy: error: {folder / '002415.SZ.csv'}: the price file is empty (0 bytes); it needs a " \
                   "header and one row per session"  # fmt: skip


def test_a_megabyte_ticker_is_quoted_short(tmp_path, capsys):
    """The docs promise values quoted in at most 60 characters; on main a 1 MB ticker was quoted at 359."""
    path = tmp_path / "long.yaml"
    path.write_text(
        "study: {id: x, title: t, benchmark: VONE}\nevents:\n  - id: e\n    title: t\n"
        '    announced: "2019-10-07T18:00:00-04:00"\n    firms:\n      - {ticker: ' + "A" * 1_000_000 + "}\n"
    )
    assert main(["validate", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    quoted = line.split("ticker: ", 1)[1].split(" is not allowed")[0]
    assert len(quoted) <= 60 and "..." in quoted


def test_an_unexpected_error_is_one_line_not_a_traceback(monkeypatch, capsys):
    """Whatever a bug of ours raises, the command still prints one line (exit 1)."""
    import eventstudy.cli.commands as commands

    def boom(args):
        raise RuntimeError("something we did not foresee")

    monkeypatch.setattr(commands, "cmd_validate", boom)
    parser = commands.build_parser
    monkeypatch.setattr(commands, "build_parser", lambda: _with(parser(), "validate", boom))
    assert main(["validate", str(ROOT / "events.yaml")]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("eventstudy: internal error: RuntimeError: something we did not foresee")
    assert os.linesep not in line


def _with(parser, command, func):
    for action in parser._subparsers._group_actions:
        action.choices[command].set_defaults(func=func)
    return parser
