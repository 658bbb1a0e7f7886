"""The command line: run, validate, fetch; exit codes and one-line errors."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from eventstudy.cli.commands import main

from ..conftest import ROOT, SNAPSHOT_CSV


def test_run_writes_the_report_offline(tmp_path, capsys):
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(tmp_path)]) == 0
    out = tmp_path / "entity-list-2019"
    assert sorted(p.name for p in out.iterdir()) == [
        "ar.csv",
        "car.csv",
        "claims.csv",
        "confounders.csv",
        "cross_section.csv",
        "estimates.csv",
        "index.html",
        "manifest.json",
        "reaction_tests.csv",
        "sensitivity.csv",
        "study.json",
        "summary.csv",
        "tests.csv",
        "volatility.csv",
        "volume.csv",
    ]
    printed = capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv")
    # the console prints the headline table: one line per summary row, CAAR as a percentage, the primary test
    for r in summary.itertuples():
        line = next(
            x for x in printed.splitlines() if x.startswith(r.event_id) and f"[{r.window_start}, {r.window_end}]" in x
        )
        assert f"{100 * r.caar:+.2f}%" in line and "kp_bmp_t" in line and f"{r.p_holm:.3f}" in line
    # 28 firm-events on two event dates (the Chinese and US firms of each announcement share it)
    assert "cross_section.csv: 2 event-date clusters (< 30): clustered standard errors are unreliable" in printed
    # summary.csv agrees with car.csv and tests.csv of the same run (the hand-worked case: tests/study/test_summary.py)
    car, tests = pd.read_csv(out / "car.csv"), pd.read_csv(out / "tests.csv")
    first = car[(car.event_id == "us-entity-list-2019-10-07") & (car.window_start == 0) & (car.window_end == 1)]
    row = summary[
        (summary.event_id == first.event_id.iloc[0]) & (summary.window_start == 0) & (summary.window_end == 1)
    ].iloc[0]
    traded = first[first.n_obs > 0]
    # Hikvision and Dahua were suspended on 8-9 October: their return over days 0..+2 overlaps [0, 1] and counts
    assert row.n_firms == len(traded) == 4 and row.n_not_traded == 0
    assert row.note == "002415.SZ covers 0..+2: suspended 0..+1; 002236.SZ covers 0..+2: suspended 0..+1"
    assert row.caar == pytest.approx(traded.car.mean()) and row.median_car == pytest.approx(traded.car.median())
    kp = tests[(tests.event_id == row.event_id) & (tests.test == "kp_bmp_t") & (tests.window_start == 0)]
    assert row.p_value == pytest.approx(kp[kp.window_end == 1].p_value.iloc[0])
    assert len(summary) == 16 and (summary.p_holm >= summary.p_value).all()  # 4 events × 4 windows


def test_run_from_a_csv_folder(tmp_path):
    folder = tmp_path / "prices"  # both formats in one folder: the Chinese snapshot files and the Yahoo US files
    shutil.copytree(SNAPSHOT_CSV, folder)
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder, dirs_exist_ok=True)
    assert main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{folder}", "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "entity-list-2019" / "index.html").exists()


def test_bad_config_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "events.yaml").read_text().replace("  model: market_model", "  modle: market_model"))
    assert main(["run", str(bad), "--source", "snapshot", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"eventstudy: error: {bad}: study.modle: unknown key 'modle' (allowed: ")
    assert "model," in err and "\n" not in err
    assert not (tmp_path / "r" / "entity-list-2019").exists()


def test_missing_data_exits_3_and_keeps_the_old_report(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(out)]) == 0
    before = (out / "entity-list-2019" / "index.html").read_bytes()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{empty}", "--out", str(out)]) == 3
    assert "002415.SZ: no price file" in capsys.readouterr().err
    assert (out / "entity-list-2019" / "index.html").read_bytes() == before


def test_validate(capsys):
    assert main(["validate", str(ROOT / "events.yaml")]) == 0
    assert "us-entity-list-2019-10-07: 4 firm(s), day 0 (close rule) XSHE 2019-10-08" in capsys.readouterr().out


NEXT_YEAR = date.today().year + 1

MINI = """
study: {id: mini, title: Mini, benchmark: {XSHE: 000300.SS, XNYS: VONE}}
events:
  - id: ev
    title: An event
    announced: "ANNOUNCED"
    timezone: America/New_York
    firms:
      - {ticker: TICKER, name: Firm EXCHANGE}
"""


def _mini(tmp_path, announced="2019-10-07T18:00:00", ticker="002415.SZ", exchange=""):
    path = tmp_path / "mini.yaml"
    text = MINI.replace("ANNOUNCED", announced).replace("TICKER", ticker)
    path.write_text(text.replace(" EXCHANGE", f", exchange: {exchange}" if exchange else ""))
    return path


def test_validate_shows_each_exchange_day_zero(tmp_path, capsys):
    path = _mini(tmp_path, "2019-10-07T10:00:00")
    path.write_text(path.read_text() + "      - {ticker: AMBA, name: Ambarella}\n")
    assert main(["validate", str(path)]) == 0
    assert "ev: 2 firm(s), day 0 (close rule) XSHE 2019-10-08, XNYS 2019-10-07" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"exchange": "XSHG"},
            "events[0].firms[0].exchange: ticker '002415.SZ' has suffix .SZ, which means XSHE, not XSHG",
        ),
        ({"announced": "2019-10-07"}, "events[0].announced: '2019-10-07' is a date without a time of day"),
        (
            {"announced": f"{NEXT_YEAR}-01-04T10:00:00"},
            f"events[0].announced: {NEXT_YEAR}-01-04T10:00:00-05:00 is in the future",
        ),
        (
            {"announced": "2999-01-04T10:00:00"},
            "events[0].announced: '2999-01-04T10:00:00' is outside the years daily prices",
        ),
    ],
)
def test_validate_refuses_contradictions_and_dates(tmp_path, capsys, kwargs, message):
    path = _mini(tmp_path, **kwargs)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"eventstudy: error: {path}: ") and message in err and "\n" not in err


def test_validate_refuses_a_day_zero_after_today(tmp_path, capsys, monkeypatch):
    """Announced on Friday 29 Nov 2019 after the early close: day 0 is Monday 2 Dec, after a 'today' of 30 Nov."""
    import eventstudy.cli.study_commands as cli

    monkeypatch.setattr(cli, "_today", lambda: pd.Timestamp("2019-11-30").date())
    monkeypatch.setattr(cli, "_now", lambda: pd.Timestamp("2019-11-30 12:00", tz="UTC"))
    path = _mini(tmp_path, "2019-11-29T13:30:00", ticker="AMBA")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "events[0].announced: day 0 on XNYS is 2019-12-02, after today (2019-11-30)" in err


def test_fetch_reports_each_ticker_over_the_study_and_claims_range(capsys):
    assert main(["fetch", str(ROOT / "events.yaml"), "--source", "snapshot"]) == 0
    out = capsys.readouterr().out
    assert out.count("sessions") == 31  # 4 + 20 firms, 2 benchmarks, 5 alternatives
    # from before the Huawei estimation window to past the 3 Sep 2020 claim (document date + margin)
    assert "002415.SZ: 649 sessions 2018-04-03..2020-12-02" in out
    # a US firm on its own (New York) sessions: 270 = 260 + a margin of 10 NYSE sessions before day 0 (16 May 2019)
    assert "NPTN: 662 sessions 2018-04-19..2020-12-02" in out


@pytest.mark.parametrize("command", [[], ["run"], ["fetch"], ["validate"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: eventstudy" in capsys.readouterr().out


def test_placebo_command_on_a_small_universe(tmp_path, capsys):
    from eventstudy.data.universe import write_synthetic_universe

    universe = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=30, n_sessions=500, seed=3)
    out = tmp_path / "placebo"
    code = main(["placebo", "--universe", str(universe), "--events", "60", "--seed", "5", "--firms-per-study", "20",
                 "--window=-2,2", "--min-estimation-returns", "60", "--out", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "rejection rates at alpha = 0.05" in printed and "csect_t" in printed
    rates = (out / "rejection.csv").read_text()
    assert rates.startswith("test,studies,rejection_rate")


def test_run_json_prints_only_the_headline_document(tmp_path, capsys):
    import json

    import pandas as pd

    out = tmp_path / "r"
    assert main(["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(out), "--json"]) == 0
    printed = capsys.readouterr().out
    doc = json.loads(printed)  # the whole of stdout is one JSON document
    assert doc["study"] == "entity-list-2019" and doc["report"] == str(out / "entity-list-2019")
    assert doc["as_of"] == "2020-12-11" and doc["warnings"] == []  # the US files end first
    rows = pd.DataFrame(doc["summary"])
    assert len(rows) == 16 and rows["test"].unique().tolist() == ["kp_bmp_t"]  # 4 events × 4 windows
    car = pd.read_csv(out / "entity-list-2019" / "car.csv")
    firms = car[(car.event_id == "us-entity-list-2019-10-07") & (car.window_start == 0) & (car.window_end == 5)]
    row = rows[(rows.event_id == "us-entity-list-2019-10-07") & (rows.window_start == 0) & (rows.window_end == 5)]
    assert row["caar"].item() == pytest.approx(firms["car"].mean(), rel=1e-12)
    size = rows["event_id"].map({"us-suppliers-huawei-2019-05-15": 13, "us-suppliers-2019-10-07": 7}).fillna(4)
    assert (rows["n_firms"] + rows["n_not_traded"] == size).all()  # 4 firms per Chinese event, 13 and 7 in the US


def test_quiet_run_rebuild_and_claims(tmp_path, capsys):
    out = tmp_path / "r"
    config = str(ROOT / "events.yaml")
    assert main(["run", config, "--source", "snapshot", "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (out / "entity-list-2019" / "index.html").is_file()
    assert main(["rebuild", config, "--source", "snapshot", "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [")
    assert main(["rebuild", config, str(bad), "--source", "snapshot", "--out", str(out), "--quiet"]) == 4
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(f"{bad}: bad config — ")  # only the failure
    assert main(["claims", config, "--source", "snapshot", "--quiet"]) == 0
    tally = capsys.readouterr().out
    assert tally.count("\n") == 1 and " supported, " in tally and tally.endswith("undetermined (prices: snapshot)\n")


def _offline(monkeypatch):
    def no_network(ticker, start, end, timeout=10.0):
        raise ConnectionError("offline")

    monkeypatch.setattr("eventstudy.data.yahoo.yfinance_download", no_network)


def test_offline_auto_run_says_once_what_it_fell_back_to(tmp_path, monkeypatch, capsys):
    _offline(monkeypatch)
    argv = ["run", str(ROOT / "events.yaml"), "--source", "auto", "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr()
    first = printed.out.splitlines()[0]
    us = (
        "NPTN, LITE, QRVO, SWKS, AVGO, XLNX, QCOM, MU, INTC, AAOI, ACIA, IIVI, MRVL, AMBA, NVDA, STX, WDC, ON, TXN, ADI"
    )
    assert first == (
        "entity-list-2019: 28 firm-events, source snapshot, live prices unavailable (first failure: 002415.SZ: "
        "Yahoo download failed: ConnectionError: offline); used snapshot data for 002415.SZ, 002236.SZ, 002230.SZ, "
        f"300188.SZ, {us}, 000300.SS, VONE, 000001.SS, 399106.SZ, QQQ, ONEQ, SOXX; data as of 2020-12-11"
    )
    assert printed.out.count("as of") == 1 and "warning" not in printed.err


def test_offline_fetch_names_each_ticker_once(tmp_path, monkeypatch, capsys):
    _offline(monkeypatch)
    assert main(["fetch", str(ROOT / "events.yaml"), "--cache", str(tmp_path / "cache")]) == 3
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "002415.SZ: Yahoo download failed: ConnectionError: offline"
    assert len(lines) == 31 and all(line.count(line.split(":")[0]) == 1 for line in lines)  # 24 firms + 7 indices


def test_run_json_failure_prints_nothing_on_stdout(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [")
    assert main(["run", str(bad), "--source", "snapshot", "--out", str(tmp_path / "r"), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(f"eventstudy: error: {bad}: ")


def test_claims_prints_what_part_was_abnormal_and_takes_a_universe(tmp_path, capsys):
    from eventstudy.data.universe import write_synthetic_universe

    assert main(["claims", str(ROOT / "events.yaml"), "--source", "snapshot"]) == 0
    out = capsys.readouterr().out
    assert "    abnormal:   002415.SZ BHAR vs 000300.SS -5.03%" in out and "vendored selection" in out
    universe = write_synthetic_universe(tmp_path / "u.parquet", n_tickers=12, n_sessions=700, seed=1)
    assert main(["claims", str(ROOT / "events.yaml"), "--source", "snapshot", "--universe", str(universe)]) == 0
    assert "u.parquet" in capsys.readouterr().out
    assert main(["claims", str(ROOT / "events.yaml"), "--source", "snapshot", "--universe", str(tmp_path / "x")]) == 3


def test_fetch_downloads_the_factor_files_of_a_library_model(tmp_path, monkeypatch, capsys):
    """``model: ff3`` on a US study: ``eventstudy fetch`` downloads the region's 3-factor file into the factor cache
    (the fetcher is a recording: no network), one line per file; a failed download is exit 3."""
    from eventstudy.data import french
    from tests.data.test_french import Recorder, recorded_zip
    from tests.study.test_factor_data import write

    study = write(tmp_path)
    stem = "F-F_Research_Data_Factors_daily"
    payload = recorded_zip()
    monkeypatch.setattr(french, "http_fetch", Recorder({french.library_url(stem): payload}))
    assert main(["fetch", str(study), "--source", "snapshot", "--cache", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert f"factors {stem} (2015-01-02..2020-12-31; fetched " in out
    assert (tmp_path / "cache" / "french" / f"{stem}_CSV.zip").read_bytes() == payload
    monkeypatch.setattr(french, "http_fetch", Recorder({}))
    assert main(["fetch", str(study), "--source", "snapshot", "--cache", str(tmp_path / "other")]) == 3
    assert f"factors {stem}: {french.library_url(stem)}: HTTP Error 404" in capsys.readouterr().err
