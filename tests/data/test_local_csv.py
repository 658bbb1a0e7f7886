"""Folders of snapshot-schema CSV files with real-shaped gaps: a deleted row is an error naming file and date."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.cli.commands import main
from eventstudy.data import local_csv, open_provider
from eventstudy.data.local_csv import MAX_PRICE_FILE_BYTES, CsvFolderProvider
from eventstudy.errors import DataError
from eventstudy.study.run import run_study

from ..conftest import ROOT, SNAPSHOT_CSV


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV, folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder, ignore=shutil.ignore_patterns("*.md"), dirs_exist_ok=True)
    return folder


def _edit(folder: Path, ticker: str, edit) -> None:
    path = folder / f"{ticker}.csv"
    frame = pd.read_csv(path, dtype={"date": str})
    edit(frame).to_csv(path, index=False, lineterminator="\n")


def test_deleted_row_is_an_error_naming_file_and_date(tmp_path, default_study):
    """Hikvision's row of 2019-10-11 (day +3 of the Entity List event) deleted: on main the next row's prev_close
    (the 11 Oct close) made 14 Oct a two-session return and 11 Oct an invented suspension."""
    folder = _copy(tmp_path)
    _edit(folder, "002415.SZ", lambda f: f[f["date"] != "2019-10-11"])
    with pytest.raises(DataError) as info:
        run_study(default_study, open_provider(f"csv:{folder}"))
    assert str(info.value).startswith(f"{folder / '002415.SZ.csv'}: no row for session 2019-10-11 (between ")
    assert "a suspended session needs a row with traded=0" in str(info.value)


def test_deleted_row_on_the_command_line_exits_3_and_writes_nothing(tmp_path, capsys):
    folder = _copy(tmp_path)
    _edit(folder, "000300.SS", lambda f: f[f["date"] != "2019-06-03"])  # a benchmark row, inside an estimation window
    out = tmp_path / "reports"
    code = main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{folder}", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[-1] == (
        f"eventstudy: error: {folder / '000300.SS.csv'}: no row for session 2019-06-03 (between 2018-04-03 and "
        "2020-01-15); a suspended session needs a row with traded=0"
    )  # the rows the study reads: day -260 of 16 May 2019 minus 10 sessions .. day +60 of 8 Oct 2019 plus 10
    assert not (out / "entity-list-2019").exists()


def test_a_row_that_says_traded_0_is_a_suspension_not_an_error(tmp_path, default_study):
    """The same session kept as a suspension row (traded=0, close = prev_close = last close, volume 0)."""
    folder = _copy(tmp_path)

    def suspend(f: pd.DataFrame) -> pd.DataFrame:
        i = f.index[f["date"] == "2019-10-11"][0]
        last = f.loc[i - 1, "close"]
        f.loc[i, ["open", "high", "low", "close", "prev_close", "volume", "traded"]] = [
            last,
            last,
            last,
            last,
            last,
            0,
            0,
        ]
        f.loc[i + 1, "prev_close"] = last  # the next trade's return runs from the last trade
        return f

    _edit(folder, "002415.SZ", suspend)
    results = run_study(default_study, open_provider(f"csv:{folder}"))
    ar = results.ar.query("event_id == 'us-entity-list-2019-10-07' and ticker == '002415.SZ'").set_index("rel_day")
    assert ar.loc[3, "traded"] == 0 and ar.loc[4, "traded"] == 1
    assert results.panels[("XSHG", "000300.SS")].status("002415.SZ").loc["2019-10-11"] == "suspended"
    halts = results.halts.query("ticker == '002415.SZ' and event_id == 'us-entity-list-2019-10-07'")
    assert [str(d) for d in halts["first"]] == ["2019-10-08", "2019-10-11"]


def test_prev_close_above_the_previous_close_is_warned_with_its_date(tmp_path, default_study, capsys):
    """A prev_close typed 1 yuan too high on 2019-09-03 (not an ex-date: those lower it)."""
    folder = _copy(tmp_path)

    def bump(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[f["date"] == "2019-09-03", "prev_close"] += 1.0
        return f

    _edit(folder, "002236.SZ", bump)
    out = tmp_path / "reports"
    assert main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{folder}", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: 002236.SZ: prev_close above the previous close (not an ex-date) on 2019-09-03" in err
    html = (out / "entity-list-2019" / "index.html").read_text(encoding="utf-8")
    assert "prev_close above the previous close on 2019-09-03" in html


def test_halt_running_past_the_planned_range_is_followed_to_its_end(tmp_path, default_study):
    """Hikvision suspended from day 0 (8 Oct 2019) for 80 sessions, past the sessions the study plans to read
    (day +60 of the price chart + 10): [0, 10] counts the return that ends the halt and is complete."""
    folder = _copy(tmp_path)

    def long_halt(f: pd.DataFrame) -> pd.DataFrame:
        first = f.index[f["date"] == "2019-10-08"][0]
        halted = range(first, first + 80)
        last = f.loc[first - 1, "close"]
        f.loc[halted, ["open", "high", "low", "close", "prev_close", "volume", "traded"]] = [last] * 5 + [0, 0]
        f.loc[first + 80, "prev_close"] = last  # the resumption's return runs from the last trade
        return f

    _edit(folder, "002415.SZ", long_halt)
    results = run_study(default_study, open_provider(f"csv:{folder}"))
    row = results.car.query(
        "event_id == 'us-entity-list-2019-10-07' and ticker == '002415.SZ' and window_start == 0 and window_end == 10"
    ).iloc[0]
    assert row["n_obs"] == 1 and (row["covered_start"], row["covered_end"]) == (0, 80)
    assert row["complete"] and row["note"] == ""


# -- the size limit on one price file (issue 14.3) ------------------------------------------------------------


def test_a_price_file_above_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """A 201 MB file (sparse: no disk used) is refused from its size alone, in one line naming it."""
    path = tmp_path / "002415.SZ.csv"
    shutil.copy(SNAPSHOT_CSV / "002415.SZ.csv", path)
    os.truncate(path, MAX_PRICE_FILE_BYTES + 1)
    assert MAX_PRICE_FILE_BYTES == 200 * 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("read_csv was called on an oversized file")

    monkeypatch.setattr(local_csv.pd, "read_csv", never)
    with pytest.raises(DataError) as err:
        CsvFolderProvider(tmp_path).history("002415.SZ")
    assert (
        str(err.value)
        == f"{path}: 209,715,201 bytes is more than the 209,715,200-byte limit for one ticker's price file"
    )


def test_a_file_at_the_limit_is_read(tmp_path):
    path = tmp_path / "002415.SZ.csv"
    shutil.copy(SNAPSHOT_CSV / "002415.SZ.csv", path)
    assert len(CsvFolderProvider(tmp_path).history("002415.SZ")) > 100


# -- prices that cannot be real (issue 19.3) ---------------------------------------------------------------------


def _row(f: pd.DataFrame, day: str) -> int:
    return int(f.index[f["date"] == day][0])


def _times_ten(f: pd.DataFrame) -> pd.DataFrame:
    i = _row(f, "2019-10-10")  # day +2 of the Entity List event
    f.loc[i, ["open", "high", "low", "close"]] = f.loc[i, ["open", "high", "low", "close"]] * 10
    f.loc[i + 1, "prev_close"] = f.loc[i, "close"]
    return f


def _halved_prev_close(f: pd.DataFrame) -> pd.DataFrame:
    i = _row(f, "2019-10-10")
    f.loc[i, "prev_close"] = f.loc[i, "prev_close"] / 2
    return f


def _unadjusted_split(ratio: float):
    def edit(f: pd.DataFrame) -> pd.DataFrame:
        i = _row(f, "2019-09-02")  # inside the estimation window: prices from here on divided, prev_close not
        cols = ["open", "high", "low", "close"]
        f.loc[i:, cols] = f.loc[i:, cols] / ratio
        f.loc[i + 1 :, "prev_close"] = f.loc[i + 1 :, "prev_close"] / ratio
        return f

    return edit


@pytest.mark.parametrize(
    ("edit", "day", "change"),
    [
        (_times_ten, "2019-10-10", "+"),  # on main: Hikvision CAR[0,5] -9.9 % -> +910 %, exit 0
        (_halved_prev_close, "2019-10-10", "+"),  # +100 % in one session on a ±10 % board
        (_unadjusted_split(1.5), "2019-09-02", "-3"),  # a 3:2 split without its adjustment: about -33 %
        (_unadjusted_split(0.5), "2019-09-02", "+"),  # a 1:2 reverse split
    ],
)  # fmt: skip
def test_a_return_beyond_the_daily_limit_is_an_error_naming_file_date_and_value(tmp_path, capsys, edit, day, change):
    folder = _copy(tmp_path)
    _edit(folder, "002415.SZ", edit)
    out = tmp_path / "reports"
    code = main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{folder}", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and len(err) == 1, err
    assert f"{folder / '002415.SZ.csv'}: {day}: close " in err[0] and f" is {change}" in err[0]
    assert "beyond the ±10% daily limit of 002415.SZ's board" in err[0]
    assert not (out / "entity-list-2019").exists()


@pytest.mark.parametrize(
    ("values", "what"),
    [({"volume": 1_234_500}, "volume 1.2345e+06"), ({"close": 31.0}, "close 31 against prev_close")],
)
def test_a_suspended_row_with_volume_or_a_new_price_is_an_error(tmp_path, values, what):
    """traded=0 yet shares traded, or a price move: the row contradicts itself (on main it was read as a halt)."""
    folder = _copy(tmp_path)

    def contradict(f: pd.DataFrame) -> pd.DataFrame:
        i = _row(f, "2019-10-10")
        f.loc[i, "traded"] = 0
        f.loc[i, ["volume", "close", "prev_close"]] = [0, f.loc[i, "prev_close"], f.loc[i, "prev_close"]]
        for key, value in values.items():
            f.loc[i, key] = value
        return f

    _edit(folder, "002415.SZ", contradict)
    with pytest.raises(DataError) as err:
        es_read(folder / "002415.SZ.csv")
    assert str(err.value).startswith(f"{folder / '002415.SZ.csv'}: 2019-10-10: traded=0 (suspended) but {what}")


def es_read(path):
    import eventstudy as es

    return es.read_prices(path)
