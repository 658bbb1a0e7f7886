"""The command line's failure paths: each prints one line on standard error, never a traceback, and exits with
its documented code (eventstudy/cli/commands.py). The ones a user meets from a shell run as real subprocesses."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import eventstudy.placebo.run as placebo_run
from eventstudy.cli.commands import main
from eventstudy.data.universe import write_synthetic_universe
from eventstudy.publish import outputs as outputs_module

from ..conftest import ROOT


def _cli(*args: str, cwd: Path = ROOT, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from eventstudy.cli.commands import main; sys.exit(main())", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, **kw,
    )  # fmt: skip


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def universe_file(tmp_path_factory) -> Path:
    return write_synthetic_universe(tmp_path_factory.mktemp("u") / "u.parquet", n_tickers=30, n_sessions=500)


def test_placebo_universe_that_is_not_parquet(tmp_path):
    csv = tmp_path / "universe.csv"
    csv.write_text("date,ticker,close,prev_close,traded\n2020-01-02,000001.SZ,10,10,1\n")
    done = _cli("placebo", "--universe", str(csv), "--events", "10")
    assert done.returncode == 3
    line = _one_line(done.stderr)
    assert line.startswith(f"eventstudy placebo: error: {csv}: not a parquet universe file (")


def test_placebo_universe_with_a_wrong_schema(tmp_path, universe_file, capsys):
    import pandas as pd

    wrong = tmp_path / "prices.parquet"
    pd.read_parquet(universe_file).rename(columns={"prev_close": "previous"}).to_parquet(wrong, index=False)
    assert main(["placebo", "--universe", str(wrong), "--events", "10"]) == 3
    line = _one_line(capsys.readouterr().err)
    assert line == (
        f"eventstudy placebo: error: {wrong}: column 'prev_close' missing "
        "(a universe has date, ticker, close, prev_close, traded)"
    )


def test_placebo_without_a_universe(monkeypatch, capsys):
    monkeypatch.delenv("EVENTSTUDY_UNIVERSE", raising=False)
    assert main(["placebo", "--events", "10"]) == 2
    assert "--universe: no universe file given" in _one_line(capsys.readouterr().err)


def test_placebo_universe_from_the_environment(monkeypatch, universe_file, capsys):
    monkeypatch.setenv("EVENTSTUDY_UNIVERSE", str(universe_file))
    assert main(["placebo", "--events", "60", "--seed", "1", "--window", "-2,2", "--estimation-window",
                 "-120,-3", "--min-estimation-returns", "60", "--firms-per-study", "10"]) == 0  # fmt: skip
    assert "placebo: 60 random firm-events" in capsys.readouterr().out


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the block ends: nothing listens there


def test_dask_executor_with_no_scheduler_at_the_address(monkeypatch, universe_file, capsys):
    monkeypatch.setattr(placebo_run, "DASK_CONNECT_SECONDS", 1)
    address = f"127.0.0.1:{_closed_port()}"
    code = main(["placebo", "--universe", str(universe_file), "--events", "60", "--window", "-2,2",
                 "--estimation-window", "-120,-3", "--min-estimation-returns", "60", "--executor", f"dask:{address}"])  # fmt: skip
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"eventstudy placebo: error: --executor dask:{address}: no dask scheduler answered (")


def test_run_out_into_an_impossible_directory(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    done = _cli("run", "--example", "--out", str(blocker / "reports"))
    assert done.returncode == 2
    assert _one_line(done.stderr) == (
        f"eventstudy: error: --out {blocker / 'reports'}: cannot write there ({os.strerror(errno.ENOTDIR)})"
    )
    assert blocker.read_text() == "not a directory\n"


def test_run_out_into_an_unwritable_directory(tmp_path, monkeypatch, capsys):
    # Tests run as root here, for whom permission bits do not stop a write: refuse the probe file instead.
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    out = tmp_path / "read-only"
    assert main(["run", "--example", "--out", str(out)]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"eventstudy: error: --out {out}: cannot write there ({os.strerror(errno.EACCES)})"
    )


def test_output_piped_into_a_reader_that_closes_early(tmp_path):
    # `eventstudy validate events.yaml | head -0`: the reader is gone before anything is written.
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from eventstudy.cli.commands import main; sys.exit(main())", "validate",
         str(ROOT / "events.yaml")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141
    assert stderr == ""


def test_help_piped_into_a_reader_that_closes_early(tmp_path):
    # argparse itself ignores a failed write of the help (exit 0); whatever is left to flush ends with 141
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from eventstudy.cli.commands import main; sys.exit(main())", "run", "--help"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) in (0, 141)
    assert stderr == ""


def test_disk_full_while_publishing_keeps_the_last_good_report(tmp_path, monkeypatch, capsys):
    out = tmp_path / "reports"
    assert main(["run", "--example", "--out", str(out)]) == 0
    assert "source snapshot" in capsys.readouterr().out  # the packaged study runs offline by default
    published = out / "entity-list-2019"
    before = {p.name: p.read_bytes() for p in published.iterdir() if p.is_file()}
    capsys.readouterr()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outputs_module, "write_tables", disk_full)
    assert main(["run", "--example", "--out", str(out)]) == 3
    assert _one_line(capsys.readouterr().err) == (
        f"eventstudy: error: {out}: report not written ({os.strerror(errno.ENOSPC)}); the last good report is kept"
    )
    assert {p.name: p.read_bytes() for p in published.iterdir() if p.is_file()} == before
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_example_and_a_study_file_together_are_refused(capsys):
    assert main(["run", "--example", str(ROOT / "events.yaml")]) == 2
    assert "--example: runs the packaged study" in _one_line(capsys.readouterr().err)


def test_placebo_out_into_an_impossible_directory_fails_before_the_work(tmp_path, universe_file, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["placebo", "--universe", str(universe_file), "--events", "60", "--out", str(blocker / "o")]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"eventstudy placebo: error: --out {blocker / 'o'}: cannot write there ({os.strerror(errno.ENOTDIR)})"
    )
