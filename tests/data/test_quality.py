"""Per-ticker data quality (eventstudy/data/quality.py): price limits, unadjusted splits, Yahoo-shaped gaps."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli.commands import main
from eventstudy.data import open_provider
from eventstudy.data.frames import FrameProvider
from eventstudy.data.quality import limit_closes, limit_rates, limit_words, split_flags
from eventstudy.study.run import run_study

from ..conftest import ROOT, SNAPSHOT_CSV

HUAWEI = "us-entity-list-huawei-2019-05-15"


def _history(prev: list[float], close: list[float], start: str = "2020-08-20") -> pd.DataFrame:
    frame = pd.DataFrame(
        {"close": close, "prev_close": prev, "volume": 1.0, "traded": True},
        index=pd.bdate_range(start, periods=len(close), name="date"),
    )
    frame.attrs["prev_close"] = "exchange"
    return frame


def test_limit_rates_by_board_and_date():
    dates = pd.DatetimeIndex(["2020-08-21", "2020-08-24"])
    assert list(limit_rates("300188.SZ", dates)) == [0.10, 0.20]  # ChiNext: 20 % from 24 Aug 2020
    assert list(limit_rates("002415.SZ", dates)) == [0.10, 0.10]
    assert list(limit_rates("688981.SS", dates)) == [0.20, 0.20]  # STAR
    assert list(limit_rates("600519.SS", dates)) == [0.10, 0.10]
    assert limit_rates("000300.SS", dates) is None and limit_rates("399106.SZ", dates) is None  # indices
    assert limit_rates("AAPL", dates) is None


def test_limit_prices_are_rounded_to_the_cent_hand_worked():
    # 2020-08-20 Thu, 21 Fri (ChiNext still 10 %), 24 Mon (20 %), 25 Tue
    # 33.33 × 1.1 = 36.663 → 36.66 (limit-up); 10.05 × 0.9 = 9.045 → 9.05 (halves up: limit-down);
    # 10.00 × 1.2 = 12.00 on 24 Aug (20 %); 11.00 on 25 Aug is +10 %, no longer a limit.
    h = _history([33.33, 10.05, 10.00, 10.00], [36.66, 9.05, 12.00, 11.00])
    assert list(limit_closes(h, "300188.SZ")) == ["up", "down", "up", ""]
    assert list(limit_closes(h, "002415.SZ")) == ["up", "down", "", "up"]  # main board: 10 % throughout
    h.attrs.pop("prev_close")  # Yahoo-shaped: adjusted closes, no exchange prev_close → not checked
    assert limit_closes(h, "300188.SZ") is None


def test_six_may_2019_three_firms_closed_limit_down(default_results):
    """The snapshot: Dahua, iFlytek and Meiya Pico closed at −10 % on 6 May 2019 (day −8 of the Huawei event)."""
    ar = default_results.ar.query("event_id == @HUAWEI and date == '2019-05-06'").set_index("ticker")
    assert ar["limit"].to_dict() == {"002415.SZ": "", "002236.SZ": "down", "002230.SZ": "down", "300188.SZ": "down"}
    q = default_results.quality.set_index("ticker")
    assert q.loc["002230.SZ", "limit_down"] >= 1 and q.loc["000300.SS", "limits_checked"] == False  # noqa: E712
    assert list(q.index) == list(default_results.provenance)
    assert (q["no_data"] == 0).all() and q.loc["002415.SZ", "suspended"] >= 2  # 8-9 Oct 2019 at least
    assert q.loc["002415.SZ", "first"] <= date(2018, 9, 1) and q.loc["000300.SS", "last"] == date(2020, 1, 15)


def test_window_with_limit_days_says_so(default_study):
    """A [-10, -5] window on the Huawei event contains the 6 May 2019 limit-down closes."""
    import dataclasses

    study = dataclasses.replace(default_study, event_windows=((-10, -5), (0, 1)))
    results = run_study(study, open_provider("snapshot"))
    car = results.car.query("event_id == @HUAWEI and window_start == -10").set_index("ticker")
    assert list(car["limit_down"]) == [0, 1, 1, 1]
    assert limit_words(0, 1) == "includes 1 limit-down close: the reaction may be understated"
    from eventstudy.report.render import render_report

    html = render_report(results, "snapshot")
    # on each of the three CARs' cells (tooltip) and in the caveats under the firm × window table, and in the
    # headline's note of the [-10, -5] row (summary.csv's note)
    assert html.count("includes 1 limit-down close: the reaction may be understated") == 3 + 3 + 3
    assert "day %{x}: limit-down close" in html  # the price charts' hover text on 6 May 2019


def test_unadjusted_split_of_an_a_share_is_an_error(tmp_path, capsys):
    """Hikvision's prices halved from 2019-10-14 on (a 2-for-1 split) but the 14 Oct prev_close left unadjusted:
    a −50 % one-session return on a ±10 % board cannot be real. It was a flag with exit 0; it is now an error
    naming file, date and return (the US suppliers' flags: the tests below)."""
    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV, folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder, ignore=shutil.ignore_patterns("*.md"), dirs_exist_ok=True)
    path = folder / "002415.SZ.csv"
    f = pd.read_csv(path, dtype={"date": str})
    after = f["date"] >= "2019-10-14"
    f.loc[after, ["open", "high", "low", "close"]] /= 2.0
    f.loc[after & (f["date"] > "2019-10-14"), "prev_close"] /= 2.0  # the later rows are consistent
    f.to_csv(path, index=False, lineterminator="\n")
    out = tmp_path / "reports"
    assert main(["run", str(ROOT / "events.yaml"), "--source", f"csv:{folder}", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert (
        f"{path}: 2019-10-14: close " in err
        and " is -49.5% from prev_close" in err
        and "beyond the ±10% daily limit" in err
    )


def test_clean_snapshot_has_no_split_or_prev_close_flags(default_results):
    q = default_results.quality
    assert (q["splits"] == "").all() and (q["prev_close_breaks"] == "").all()


def test_yahoo_shaped_gap_is_no_data_not_a_suspension(default_study):
    """Close-only prices (adjusted closes, one row per traded session, as Yahoo gives them): Hikvision's halt of
    8-9 Oct 2019 and a deleted 2019-08-15 row are sessions without data; the next return spans the gap."""
    default_study = dataclasses.replace(default_study, events=default_study.events[:2])  # the Chinese events
    prices = {}
    for ticker in (t for t in default_study.tickers if (SNAPSHOT_CSV / f"{t}.csv").exists()):
        raw = pd.read_csv(SNAPSHOT_CSV / f"{ticker}.csv", parse_dates=["date"]).set_index("date")
        raw = raw[raw["traded"] == 1]
        adjusted = (raw["close"] / raw["prev_close"]).cumprod()  # total-return closes
        prices[ticker] = pd.DataFrame({"close": adjusted})
    prices["002415.SZ"] = prices["002415.SZ"].drop(pd.Timestamp("2019-08-15"))
    results = run_study(default_study, FrameProvider(prices))
    status = results.panel.status("002415.SZ")
    assert status.loc["2019-08-15"] == "no data" and status.loc["2019-10-08"] == "no data"
    assert results.panel.span["002415.SZ"].loc["2019-08-16"] == 2
    assert results.halts.query("ticker == '002415.SZ'").empty  # nothing reported as "suspended"
    q = results.quality.set_index("ticker")
    assert q.loc["002415.SZ", "suspended"] == 0 and q.loc["002415.SZ", "no_data"] >= 3
    assert not q["limits_checked"].any()
    car = results.car.query("ticker == '002415.SZ' and window_start == 0 and window_end == 1").iloc[0]
    assert (car["covered_start"], car["covered_end"]) == (0, 2)  # the overlap rule holds for gaps too
    expected = results.car.query("ticker == '002415.SZ'")["car"]
    assert np.isfinite(expected).all()


@pytest.mark.parametrize("ratio", [0.5, 1 / 3, 0.1])
def test_split_ratios(ratio):
    h = _history([10.0, 10.0 * ratio * 1.02], [10.0 * ratio * 1.02, 10.0 * ratio * 1.05])
    (flag,) = split_flags(h)
    assert flag[2] == round(1 / ratio)
    assert split_flags(_history([10.0], [4.0])) == []  # −60 %: no split ratio near it


# -- flags on data without a price limit (issue 19.3): US suppliers in Yahoo's CSV format ------------------------

US_STUDY = """
study: {id: us, title: US suppliers, benchmark: VONE, event_windows: [[0, 1], [0, 5]]}
events:
  - id: oct
    title: Entity List
    announced: "2019-10-07T18:00:00-04:00"
    firms:
      - {ticker: AMBA, name: Ambarella}
      - {ticker: NVDA, name: Nvidia}
      - {ticker: STX, name: Seagate}
"""


def _us_folder(tmp_path, ticker: str, edit) -> tuple[str, str]:
    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV.parent / "us_2019", folder, ignore=shutil.ignore_patterns("*.md"))
    path = folder / f"{ticker}.csv"
    f = pd.read_csv(path, dtype={"Date": str})
    edit(f)
    f.to_csv(path, index=False, lineterminator="\n")
    study = tmp_path / "us.yaml"
    study.write_text(US_STUDY)
    return str(study), f"csv:{folder}"


def _scale(f: pd.DataFrame, rows, factor: float) -> None:
    f.loc[rows, ["Open", "High", "Low", "Close", "Adj Close"]] *= factor


@pytest.mark.parametrize(
    ("ticker", "edit", "words", "rows_flagged"),
    [
        # a close typed x10 on day +1 (9 Oct 2019): on main NVDA's CAR[0,5] became several hundred per cent
        ("NVDA", lambda f: _scale(f, f["Date"] == "2019-10-09", 10.0),
         "NVDA: one-session spike on 2019-10-09 (+9", {("NVDA", 0, 1), ("NVDA", 0, 5)}),
        # the benchmark x1.5 for one session: every firm's CAR over it is flagged (on main: CARs of -83 %)
        ("VONE", lambda f: _scale(f, f["Date"] == "2019-10-09", 1.5),
         "VONE: one-session spike on 2019-10-09 (+5", {(t, 0, w) for t in ("AMBA", "NVDA", "STX") for w in (1, 5)}),
        # an unadjusted 3:2 split and a 1:2 reverse split in the estimation window (1 Aug 2019): they move the fit,
        # so every CAR of the firm-event is noted (as a flag in the estimation window)
        ("AMBA", lambda f: _scale(f, f["Date"] >= "2019-08-01", 1 / 1.5),
         "AMBA: possible unadjusted split on 2019-08-01 (-3", {("AMBA", 0, 1), ("AMBA", 0, 5)}),
        ("AMBA", lambda f: _scale(f, f["Date"] >= "2019-08-01", 2.0),
         "AMBA: possible unadjusted split on 2019-08-01 (+", {("AMBA", 0, 1), ("AMBA", 0, 5)}),
    ],
)  # fmt: skip
def test_implausible_prices_without_a_limit_are_flagged_and_strict_refuses_them(
    tmp_path, capsys, ticker, edit, words, rows_flagged
):
    study, source = _us_folder(tmp_path, ticker, edit)
    out = tmp_path / "reports"
    assert main(["run", study, "--source", source, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {ticker}: " in err
    car = pd.read_csv(out / "us" / "car.csv", keep_default_na=False)
    noted = {(r.ticker, r.window_start, r.window_end) for r in car.itertuples() if words in r.note}
    assert noted == rows_flagged
    summary = pd.read_csv(out / "us" / "summary.csv", keep_default_na=False)
    assert summary["note"].str.contains("data flag").all()  # the headline rows say so too
    html = (out / "us" / "index.html").read_text(encoding="utf-8")
    assert words.split(": ", 1)[1].split(" on ")[0] in html  # the data-quality table names the flag
    # --strict: the same prices are exit 3, one line, and the last good report stays as it was
    before = (out / "us" / "car.csv").read_bytes()
    assert main(["run", study, "--source", source, "--out", str(out), "--strict"]) == 3
    line = capsys.readouterr().err.strip().splitlines()
    assert len(line) == 1 and "--strict: the prices carry a data flag: " in line[0] and ticker in line[0]
    assert (out / "us" / "car.csv").read_bytes() == before


def test_the_vendored_prices_carry_no_flag(default_results):
    """The curated data: no split, spike or prev_close flag (real ±27–41 % days of the suppliers are news)."""
    q = default_results.quality
    assert (q["splits"] == "").all() and (q["spikes"] == "").all() and (q["prev_close_breaks"] == "").all()
    assert not default_results.car["note"].str.contains("data flag").any()


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        (["2019-10-08"], "2019-10-08 (1 session(s))"),  # day 0
        (["2019-10-07", "2019-10-08", "2019-10-09"], "2019-10-07 .. 2019-10-09 (3 session(s))"),  # days -1..+1
        (["2019-10-07"], "2019-10-07 (1 session(s))"),  # day -1 alone: day 0's benchmark return starts there
        (["2019-06-03", "2019-06-04", "2019-06-05", "2019-06-06", "2019-06-07"], "(5 session(s))"),  # estimation
    ],
)
def test_a_benchmark_yahoo_file_missing_sessions_is_a_benchmark_gap(tmp_path, capsys, dropped, named):
    """VONE's Yahoo download without some sessions: on main the index's level was carried over the hole (a flat
    day 0, then a two-day move) and every CAR was computed; now the sessions are a named benchmark gap and the
    firm-events that need them are left out (here all: exit 3)."""
    study, source = _us_folder(tmp_path, "VONE", lambda f: f.drop(f.index[f["Date"].isin(dropped)], inplace=True))
    assert main(["run", study, "--source", source, "--out", str(tmp_path / "reports")]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "benchmark VONE has no data on " in err[0] and named in err[0]
    assert "needed by every firm-event (oct:AMBA, oct:NVDA, oct:STX)" in err[0]


def test_a_benchmark_gap_in_one_event_leaves_the_other_tested(tmp_path, capsys):
    """The Huawei listing (May 2019) and the October listing of the same suppliers against VONE, whose file lacks
    8 Oct 2019: October's firm-events are named and left out, May's are tested (exit 0)."""
    study, source = _us_folder(tmp_path, "VONE", lambda f: f.drop(f.index[f["Date"] == "2019-10-08"], inplace=True))
    text = Path(study).read_text() + (
        '  - id: may\n    title: Huawei\n    announced: "2019-05-15T19:00:00-04:00"\n'
        "    firms:\n      - {ticker: MU, name: Micron}\n"
    )
    Path(study).write_text(text)
    out = tmp_path / "reports"
    assert main(["run", study, "--source", source, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "oct AMBA: benchmark VONE has no data on 2019-10-08 (1 session(s)); left out of the tests" in err
    car = pd.read_csv(out / "us" / "car.csv", keep_default_na=False)
    assert car.query("event_id == 'oct'")["car"].eq("").all()  # no CAR for the firm-events left out
    assert (car.query("event_id == 'may'")["car"] != "").all()


# -- every ticker at once: the same rules, never reaching from one ticker's rows into the next ----------------------


def _flat(close, prev, volume, start="2020-01-06"):
    frame = pd.DataFrame(
        {"close": close, "prev_close": prev, "volume": volume, "traded": True},
        index=pd.bdate_range(start, periods=len(close), name="date"),
    )
    frame.attrs["prev_close"] = "exchange"
    return frame


def test_rules_stay_inside_each_ticker_when_all_are_read_at_once():
    from eventstudy.data.quality import quality_table
    from eventstudy.data.returns import returns_panel

    # A ends on a +25 % day; B starts with a −20 % day (together a "spike" only across the boundary), its first
    # prev_close is above A's last close (a "break" only across it), then halves its price on 250 shares: ordinary
    # against B's own 100 before (a split), heavy against A's 10s (not one, were A's volume read).
    a = _flat([10.0, 10.0, 12.5], [10.0, 10.0, 10.0], [10.0, 10.0, 10.0])
    b = _flat([16.0, 8.0, 8.1], [20.0, 16.0, 8.0], [100.0, 250.0, 90.0], start="2020-01-09")
    axis = pd.bdate_range("2020-01-06", "2020-01-13", name="date")
    histories = {"A.XX": a, "B.XX": b}
    table = quality_table(histories, returns_panel(histories, axis)).set_index("ticker")
    assert table.loc["A.XX", "spikes"] == "" and table.loc["B.XX", "spikes"] == ""
    assert table.loc["B.XX", "prev_close_breaks"] == ""
    assert table.loc["B.XX", "splits"] == "2020-01-10 -50.0% (≈1/2)" and table.loc["A.XX", "splits"] == ""
    assert list(table["rows"]) == [3, 3] and list(table["first"]) == [date(2020, 1, 6), date(2020, 1, 9)]


def test_a_spike_of_exactly_the_threshold_is_flagged_and_one_just_below_is_not():
    from eventstudy.data.quality import SPIKE_MOVE, spike_flags

    # +20 % (close / prev_close = 12 / 10: log 1.2, the threshold itself), then back to 10 (−16.7 %, all of it undone)
    at = _history([10.0, 10.0, 10.0, 12.0, 10.0], [10.0, 10.0, 12.0, 10.0, 10.0])
    assert np.log(12.0 / 10.0) == SPIKE_MOVE
    [(day, move, after)] = spike_flags(at)
    assert day == date(2020, 8, 24) and move == pytest.approx(0.2, rel=1e-12) and after == pytest.approx(-1 / 6)
    below = _history([10.0, 10.0, 10.0, 11.9999, 10.0], [10.0, 10.0, 11.9999, 10.0, 10.0])  # +19.999 %
    assert spike_flags(below) == []
