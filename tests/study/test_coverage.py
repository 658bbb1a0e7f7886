"""What the data can support (eventstudy/study/coverage.py), on real-shaped bad inputs: an event near the end of the
data (``--as-of``), an event after the benchmark's data end, an estimation window longer than the data."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli.commands import main
from eventstudy.data import open_provider
from eventstudy.errors import DataError
from eventstudy.study.run import run_study

from ..conftest import ROOT

EVENT = "us-entity-list-2019-10-07"


def _moved(study, announced: str, firms: slice = slice(None)):
    event = study.events[0]
    moved = dataclasses.replace(
        event, announced=pd.Timestamp(announced, tz="America/New_York"), firms=event.firms[firms]
    )
    return dataclasses.replace(study, events=(moved,))


def test_window_past_the_data_keeps_its_label_and_says_incomplete(default_study):
    """--as-of 2019-10-15: [0, 10] of the Entity List event has data only to day +5 (4 returns for Hikvision)."""
    results = run_study(default_study, open_provider("snapshot"), as_of=date(2019, 10, 15))
    car = results.car.query("event_id == @EVENT").set_index(["ticker", "window_start", "window_end"])
    row = car.loc[("002415.SZ", 0, 10)]
    assert row["n_obs"] == 4 and not row["complete"] and row["note"] == "incomplete: data end at day +5"
    assert (row["covered_start"], row["covered_end"]) == (0, 5)
    assert car.loc[("002415.SZ", 0, 5), "complete"] and car.loc[("002415.SZ", 0, 5), "note"] == ""
    assert car.loc[("002230.SZ", 0, 10), "note"] == "incomplete: data end at day +5"
    assert results.car.query("event_id.str.contains('2019-05-15')")["complete"].all()  # the May 2019 events are
    us = results.car.query("event_id == 'us-suppliers-2019-10-07' and window_end == 10")  # NYSE: day +5 is 15 Oct too
    assert (~us["complete"]).all() and set(us["note"]) == {"incomplete: data end at day +5"}


def test_console_says_incomplete(tmp_path, capsys):
    code = main(
        ["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(tmp_path), "--as-of", "2019-10-15"]
    )
    out = capsys.readouterr().out
    assert code == 0
    # The figures are car.csv's (they moved when the estimation window left out the Huawei listing's sessions,
    # issue 21; the CAR itself is checked against statsmodels in tests/study/test_analysis.py).
    car = pd.read_csv(tmp_path / "entity-list-2019" / "car.csv")
    row = car.query("event_id == @EVENT and ticker == '002415.SZ' and window_start == 0 and window_end == 10").iloc[0]
    figures = f"{row['car']:+.2%} (t {row['car_t']:+.2f})"
    assert figures.startswith("-") and figures.endswith(")")
    assert f"{EVENT} 002415.SZ CAR[0,10] {figures} — incomplete: data end at day +5" in out
    html = (tmp_path / "entity-list-2019" / "index.html").read_text(encoding="utf-8")
    # the [0, 10] cells of the 4 + 7 firms of 7 Oct (tooltip, and the caveats under the firm × window table), and
    # whatever the headline's notes (summary.csv's) repeat
    notes = pd.read_csv(tmp_path / "entity-list-2019" / "summary.csv")["note"].fillna("")
    in_headline = sum(note.count("incomplete: data end at day +5") for note in notes)
    assert html.count("incomplete: data end at day +5") == (4 + 7) * 2 + in_headline


def test_day0_after_as_of_is_named_as_such(tmp_path, capsys):
    code = main(
        ["run", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(tmp_path), "--as-of", "2019-06-01"]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert f"event {EVENT}: day 0 2019-10-08 falls after the as-of date 2019-06-01" in err
    assert "not a session" not in err


def test_benchmark_without_data_is_not_not_traded(default_study):
    """December 2021: the stocks have prices (to 2022-02-11), the CSI 300 stops on 2021-09-30."""
    with pytest.raises(DataError) as info:
        run_study(_moved(default_study, "2021-12-01 18:00"), open_provider("snapshot"))
    message = str(info.value)
    assert message.startswith("benchmark 000300.SS has no data after 2021-09-30 (")  # its data end: not a hole
    assert "of the firm's data needed: 2021-10-08 .. " in message
    assert f"{EVENT}:002415.SZ" in message and f"{EVENT}:300188.SZ" in message and "nothing left to test" in message
    assert info.value.exit_code == 3


def test_benchmark_gap_leaves_the_firm_event_out_of_the_tests(default_study):
    """One event before the benchmark's end, one after: the late one is named and left out, the other tested."""
    late = _moved(default_study, "2021-12-01 18:00").events[0]
    late = dataclasses.replace(late, id="late-2021")
    study = dataclasses.replace(default_study, events=(default_study.events[0], late))
    results = run_study(study, open_provider("snapshot"))
    gaps = {(g.event_id, g.ticker) for g in results.benchmark_gaps}
    assert gaps == {("late-2021", f.ticker) for f in late.firms}
    late_rows = results.car.query("event_id == 'late-2021'")
    assert late_rows["car"].isna().all()
    assert late_rows["note"].str.startswith("benchmark 000300.SS has no data after 2021-09-30 (").all()
    tests = results.tests.query("event_id == 'late-2021'")
    assert tests["statistic"].isna().all() and (tests["n_firms"] == 0).all()
    assert (results.tests.query("event_id == @EVENT and window_start == 0 and window_end == 1")["n_firms"] == 4).all()


def test_estimation_window_longer_than_the_data_reports_the_sessions_used(default_study):
    """[-2000, -11] asks for 2011; the data start on 2015-01-05, so the first return used is 2015-01-06."""
    study = dataclasses.replace(default_study, estimation_window=(-2000, -11))
    results = run_study(study, open_provider("snapshot"))
    est = results.estimates.query("event_id == @EVENT").set_index("ticker")
    assert (est["est_start"] >= "2015-01-06").all()
    assert est.loc["002236.SZ", "est_start"] == "2015-01-06"  # Dahua traded on the first two sessions
    assert est["shortened"].all()
    assert (est["est_end"] == "2019-09-16").all()  # day -11 of 8 Oct 2019 (National Day holiday 1-7 Oct)
    normal = run_study(default_study, open_provider("snapshot")).estimates
    assert not normal["shortened"].any()


def test_firm_still_suspended_when_the_data_end_says_so(default_study):
    """--as-of 2019-10-09: Hikvision is suspended on days 0 and +1 and the data end on day +1."""
    results = run_study(default_study, open_provider("snapshot"), as_of=date(2019, 10, 9))
    car = results.car.query("event_id == @EVENT").set_index(["ticker", "window_start", "window_end"])
    row = car.loc[("002415.SZ", 0, 1)]
    assert row["n_obs"] == 0 and not row["complete"]
    assert row["note"] == "incomplete: suspended from day 0 to the end of the data (day +1)"
    assert car.loc[("002230.SZ", 0, 1), "complete"] and car.loc[("002230.SZ", 0, 5), "note"] == (
        "incomplete: data end at day +1"
    )


def test_a_gap_note_is_recognised_and_no_other_note_is():
    from eventstudy.study.coverage import BenchmarkGap, is_gap_note

    gap = BenchmarkGap("e1", "002415.SZ", "000300.SS", (pd.Timestamp("2021-12-03"), pd.Timestamp("2022-02-11")))
    notes = pd.Series([gap.describe(), "incomplete: data end at day -2", "data flag: spike", "", None])
    assert is_gap_note(notes).tolist() == [True, False, False, False, False]


def test_a_benchmark_whose_data_end_before_the_event_says_so():
    """Real-shaped: the vendored CSI 300 ends on 2021-09-30 while Hikvision's prices run to 2022-02-11. An event of
    2021-12-20 needs benchmark sessions after its end: the note says the benchmark's data end (not a hole on the
    firm's last dates), and is still a gap's note; a hole inside the benchmark's data keeps its words."""
    from eventstudy.study.coverage import BenchmarkGap, is_gap_note

    sessions = pd.bdate_range("2021-09-27", "2022-01-07")
    covered = pd.DataFrame({"A": True, "B": sessions <= "2021-09-30"}, index=sessions)
    covered.loc["2021-09-28", "B"] = False  # and a hole inside the benchmark's data
    ended = BenchmarkGap("e", "A", "B", tuple(sessions[sessions > "2021-09-30"][:3]), pd.Timestamp("2021-09-30"))
    hole = BenchmarkGap("e", "A", "B", (pd.Timestamp("2021-09-28"),))
    assert ended.describe() == ("benchmark B has no data after 2021-09-30 (3 session(s) of the firm's data needed: "
                                "2021-10-01 .. 2021-10-05)")  # fmt: skip
    assert hole.describe() == "benchmark B has no data on 2021-09-28 (1 session(s))"
    assert is_gap_note(pd.Series([ended.describe(), hole.describe()])).all()


def test_event_past_the_end_of_the_firms_prices_says_so_beside_the_benchmark_gap(default_study):
    """Day 0 in December 2022: the stocks' prices end on 2022-02-11 (ten months earlier) and the CSI 300 on
    2021-09-30. The row is left out for the benchmark, and its note also says where the firm's own data end."""
    late = dataclasses.replace(_moved(default_study, "2022-12-20 18:00").events[0], id="late-2022")
    study = dataclasses.replace(default_study, events=(default_study.events[0], late))
    results = run_study(study, open_provider("snapshot"))
    rows = results.car.query("event_id == 'late-2022'")
    assert len(rows) and rows["car"].isna().all()
    gap = {(g.event_id, g.ticker): g.describe() for g in results.benchmark_gaps}
    for _, row in rows.iterrows():
        panel = results.panel_of(next(i for i, fe in enumerate(results.abnormal.firm_events)
                                      if (fe.event_id, fe.ticker) == (row["event_id"], row["ticker"])))  # fmt: skip
        covered = np.flatnonzero(panel.covered[row["ticker"]].to_numpy())
        end = int(covered[-1]) - panel.position(pd.Timestamp("2022-12-21"))  # day 0: the session after the evening
        assert end < -150  # (the firm's data end months before day 0)
        assert row["note"] == f"{gap[(row['event_id'], row['ticker'])]}; incomplete: data end at day {end}"
