"""The per-firm-event tables (eventstudy/study/tables.py, coverage.py, masking.py) are built over (N, W) arrays at
once; here every column they produce is rebuilt the plain way, one firm-event at a time from the returns panel,
on real-shaped bad data from the snapshot: a firm halted on day 0 (Hikvision, October 2019), windows that run past
the data (``--as-of`` 2019-10-15), a deleted row (a session inside a firm's data without a row: no data, not a
halt), firms in several events (masked estimation sessions), two markets, and an event after the benchmark's end
(a benchmark gap)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import open_provider
from eventstudy.data.session_cells import GridCells
from eventstudy.study.coverage import incomplete_note
from eventstudy.study.masking import estimation_exclusions, exclusion_sessions
from eventstudy.study.run import run_study
from eventstudy.study.tables import flag_words, flagged

DELETED = ("002236.SZ", pd.Timestamp("2019-10-11"))  # Dahua, day +3 of the Entity List event


class DeletedRow:
    """The snapshot with one row of one firm deleted."""

    name = "snapshot"

    def __init__(self) -> None:
        self.inner = open_provider("snapshot")

    def history(self, ticker, start=None, end=None):
        frame = self.inner.history(ticker, start, end)
        return frame.drop(DELETED[1], errors="ignore") if ticker == DELETED[0] else frame

    def provenance(self, ticker):
        return self.inner.provenance(ticker)


@pytest.fixture(scope="module")
def bad_results(default_study):
    return run_study(default_study, DeletedRow(), as_of=date(2019, 10, 15))


@pytest.fixture(scope="module")
def halted_to_the_end(default_study):
    """--as-of 2019-10-09: Hikvision and Dahua are suspended from day 0 to the end of the data (day +1)."""
    return run_study(default_study, open_provider("snapshot"), as_of=date(2019, 10, 9))


@pytest.fixture(scope="module")
def gap_results(default_study):
    """One event after the benchmark's data end (2021-09-30): its firm-events are left out, named."""
    event = default_study.events[0]
    late = dataclasses.replace(event, id="late-2021", announced=pd.Timestamp("2021-12-01 18:00", tz="Asia/Shanghai"))
    return run_study(dataclasses.replace(default_study, events=(event, late)), open_provider("snapshot"))


def _column(panel, name, ticker):
    return getattr(panel, name)[ticker].to_numpy()


def reference_ar(results) -> pd.DataFrame:
    """ar.csv, one firm-event at a time: its day-0 position plus each relative day of the daily path."""
    ab, path = results.abnormal, results.study.daily_path
    days = ab.days(path)
    frames = []
    for i, fe in enumerate(ab.firm_events):
        panel, limits = results.panel_of(i), results.limits_of(i)
        n = len(panel.sessions)
        rows = []
        for j, rel in zip(np.flatnonzero(days), ab.rel_days[days], strict=True):
            pos = panel.position(fe.day0) + int(rel)
            inside = 0 <= pos < n
            rows.append({
                "event_id": fe.event_id, "ticker": fe.ticker, "rel_day": int(rel),
                "date": panel.sessions[pos].date().isoformat() if inside else "", "ar": ab.ar[i, j],
                "traded": int(inside and bool(_column(panel, "traded", fe.ticker)[pos])),
                "limit": limits[fe.ticker].iloc[pos] if inside and fe.ticker in limits else "",
            })  # fmt: skip
        frames.append(pd.DataFrame(rows))
    return pd.concat(frames, ignore_index=True)


def reference_halts(results) -> list[tuple]:
    """The suspensions of each firm-event met within the price chart, walked session by session."""
    lo_rel, hi_rel = results.study.price_chart
    out = []
    for i, fe in enumerate(results.abnormal.firm_events):
        panel = results.panel_of(i)
        traded, present = _column(panel, "traded", fe.ticker), _column(panel, "present", fe.ticker)
        halted = present & ~traded
        d0, n = panel.position(fe.day0), len(panel.sessions)
        pos = max(d0 + lo_rel, 0)
        while pos <= min(d0 + hi_rel, n - 1):
            if halted[pos]:
                start = pos
                while pos + 1 < n and halted[pos + 1]:
                    pos += 1
                resumed = pos + 1 if pos + 1 < n and traded[pos + 1] else None
                out.append((
                    fe.event_id, fe.ticker, panel.sessions[start].date(), panel.sessions[pos].date(), start - d0,
                    pos - d0, pos - start + 1, None if resumed is None else panel.sessions[resumed].date(),
                    None if resumed is None else int(_column(panel, "span", fe.ticker)[resumed]),
                ))  # fmt: skip
            pos += 1
    return out


def reference_completeness(results) -> tuple[list[bool], list[str]]:
    """car.csv's complete and note (windows outer): a trade on or after the window's last day in the data, else
    where the data end (and, past the window's end, since when the firm is suspended)."""
    complete, notes = [], []
    for window in results.study.event_windows:
        for i, fe in enumerate(results.abnormal.firm_events):
            panel = results.panel_of(i)
            traded, covered = _column(panel, "traded", fe.ticker), _column(panel, "covered", fe.ticker)
            d0 = panel.position(fe.day0)
            done = bool(traded[max(d0 + window[1], 0) :].any()) if d0 + window[1] < len(traded) else False
            end = int(np.flatnonzero(covered)[-1]) - d0
            trades = np.flatnonzero(traded[: d0 + end + 1])
            since = (int(trades[-1]) + 1 if len(trades) else 0) - d0
            complete.append(done)
            notes.append("" if done else incomplete_note(end, since if end >= window[1] else None))
    return complete, notes


def reference_estimation_span(results) -> pd.DataFrame:
    ab = results.abnormal
    rows = []
    for i, fe in enumerate(ab.firm_events):
        panel, benchmark = results.panel_of(i), results.markets[i].benchmark
        d0, n = panel.position(fe.day0), len(panel.sessions)
        used = ab.rel_days[ab.estimation[i]]
        lo, hi = ab.estimation_window
        first, last = (d0 + used[0], d0 + used[-1]) if len(used) else (min(max(d0 + lo, 0), n - 1), min(d0 + hi, n - 1))
        firm, bench = (
            np.flatnonzero(_column(panel, "covered", fe.ticker)),
            np.flatnonzero(_column(panel, "covered", benchmark)),
        )
        start = max(firm[0] if len(firm) else n, bench[0] if len(bench) else n)
        rows.append(
            (panel.sessions[first].date().isoformat(), panel.sessions[last].date().isoformat(), d0 + lo < start + 1)
        )
    return pd.DataFrame(rows, columns=["est_start", "est_end", "shortened"])  # fmt: skip


def reference_masked(results) -> pd.DataFrame:
    """estimates.csv's n_masked, masked (runs of consecutive sessions) and masked_by, firm-event by firm-event."""
    ab = results.abnormal
    exclusions = estimation_exclusions(results.study, ab.firm_events, results.markets)
    rows = []
    for i, fe in enumerate(ab.firm_events):
        axis = results.panel_of(i).sessions
        pos = axis.get_loc(fe.day0) + ab.rel_days[ab.masked[i]]
        runs, k = [], 0
        while k < len(pos):
            j = k
            while j + 1 < len(pos) and pos[j + 1] == pos[j] + 1:
                j += 1
            a, b = axis[pos[k]].date().isoformat(), axis[pos[j]].date().isoformat()
            runs.append(a if a == b else f"{a}..{b}")
            k = j + 1
        by = [r for r, d in exclusions[i].reasons if d.isin(axis[pos]).any()]
        rows.append((len(pos), "; ".join(runs), "; ".join(by)))
    return pd.DataFrame(rows, columns=["n_masked", "masked", "masked_by"])


def test_ar_table_equals_the_per_firm_event_reference(bad_results):
    ar = bad_results.ar
    assert (ar["date"] == "").any() and (ar["traded"] == 0).any()  # days past the data; halted days
    labels = {c: "str" for c in ("event_id", "ticker", "date", "limit")}  # (categorical: test_label_columns_...)
    pd.testing.assert_frame_equal(ar.astype(labels), reference_ar(bad_results), check_dtype=False, rtol=1e-12, atol=0)


def test_halts_equal_the_session_by_session_walk(bad_results, halted_to_the_end):
    for results in (bad_results, halted_to_the_end):
        got = [tuple(None if pd.isna(v) else v for v in row) for row in results.halts.itertuples(index=False)]
        assert got == reference_halts(results)
    assert any(row[-1] is None for row in reference_halts(halted_to_the_end))  # a halt never resumed in the data
    halts = bad_results.halts
    assert ("002415.SZ", 0) in set(zip(halts["ticker"], halts["first_rel"], strict=True))  # Hikvision, day 0
    panel = bad_results.panel_of(0)
    at = panel.position(DELETED[1])
    assert panel.covered[DELETED[0]].iloc[at] and not panel.present[DELETED[0]].iloc[at]  # no row: no data,
    assert DELETED[1].date() not in set(halts["first"]) | set(halts["last"])  # not a halt


def test_car_completeness_equals_the_reference(bad_results, halted_to_the_end):
    for results in (bad_results, halted_to_the_end):
        car = results.car
        complete, notes = reference_completeness(results)
        assert car["complete"].tolist() == complete
        for note, expected in zip(car["note"], notes, strict=True):  # (a data flag may follow the words)
            assert note.startswith(expected) if expected else not note.startswith("incomplete")
    assert "incomplete: data end at day +5" in set(bad_results.car["note"])
    suspended = "incomplete: suspended from day 0 to the end of the data (day +1)"
    rows = halted_to_the_end.car.query("ticker == '002415.SZ' and window_end == 1 and event_id.str.contains('10-07')")
    assert set(rows["note"]) == {suspended}


def test_car_limit_counts_equal_the_reference(bad_results):
    car = bad_results.car
    ab = bad_results.abnormal
    for k, window in enumerate(bad_results.study.event_windows):
        for i, fe in enumerate(ab.firm_events):
            row = car.iloc[k * ab.n + i]
            assert (row["event_id"], row["ticker"]) == (fe.event_id, fe.ticker)
            limits = bad_results.limits_of(i)
            counted = ab.overlap(window)[i] & np.isfinite(ab.ar[i])
            pos = bad_results.panel_of(i).position(fe.day0) + ab.rel_days[counted]
            cells = limits[fe.ticker].to_numpy()[pos] if limits is not None and fe.ticker in limits else []
            assert (row["limit_up"], row["limit_down"]) == (list(cells).count("up"), list(cells).count("down"))


def test_estimation_span_and_mask_equal_the_reference(bad_results):
    est = bad_results.estimates
    span = reference_estimation_span(bad_results)
    pd.testing.assert_frame_equal(est[["est_start", "est_end", "shortened"]], span, check_dtype=False)
    masked = reference_masked(bad_results)
    assert (masked["n_masked"] > 0).any()  # the Shenzhen firms of two events
    pd.testing.assert_frame_equal(est[["n_masked", "masked", "masked_by"]], masked, check_dtype=False)


def test_masked_sessions_equal_each_exclusions_own(default_study, default_results):
    exclusions = estimation_exclusions(default_study, default_results.abnormal.firm_events, default_results.markets)
    together = exclusion_sessions(exclusions)
    assert any(len(e.reasons) for e in exclusions)
    for one, all_at_once in zip(exclusions, together, strict=True):
        assert one.sessions.equals(all_at_once)


def test_benchmark_gaps_equal_the_reference(gap_results):
    ab, gaps = gap_results.abnormal, gap_results.benchmark_gaps
    expected = []
    windows = gap_results.study.event_windows
    for i, fe in enumerate(ab.firm_events):
        panel, benchmark = gap_results.panel_of(i), gap_results.markets[i].benchmark
        d0, n = panel.position(fe.day0), len(panel.sessions)
        need = np.zeros(n, dtype=bool)
        for lo, hi in (gap_results.study.estimation_window, (min(w[0] for w in windows), max(w[1] for w in windows))):
            need[max(d0 + lo - 1, 0) : max(min(d0 + hi + 1, n), 0)] = True
        missing = need & _column(panel, "covered", fe.ticker) & ~_column(panel, "covered", benchmark)
        if missing.any():
            expected.append((fe.event_id, fe.ticker, tuple(panel.sessions[missing])))
    assert [(g.event_id, g.ticker, g.missing) for g in gaps] == expected and expected
    late = gap_results.car.query("event_id == 'late-2021'")
    assert (
        late["car"].isna().all()
        and late["note"].str.startswith("benchmark 000300.SS has no data after 2021-09-30").all()
    )


def test_flag_words_equal_flagged_row_by_row():
    """A firm flagged twice on one day and once more later, its benchmark flagged on a day it counts, a firm
    without flags: each firm-event's words, each once, in the order of its days."""
    flags = np.full((3, 5), "", dtype=object)
    flags[0, 1] = "A: spike; 399106.SZ: split"
    flags[0, 3] = "A: spike"
    flags[1, 0] = "399106.SZ: split"
    days = np.array([[True, True, True, True, False], [False, True, True, True, True], [True] * 5])
    row, col = np.nonzero(flags != "")
    got = flag_words(GridCells(flags.shape, row, col, flags[row, col]), days)
    assert got.tolist() == [flagged(flags[i][days[i]]) for i in range(3)]
    assert got.tolist() == ["A: spike; 399106.SZ: split", "", ""]


def test_string_column_is_the_column_pandas_makes():
    """Converted once and taken by position: the same column (dtype and values) as a frame of the repeated
    objects."""
    from eventstudy.study.tables import string_column

    values = ["EV1", "EV2", ""]
    taken = pd.DataFrame({"x": string_column(values).take(np.array([0, 1, 2, 2, 0]))})
    want = pd.DataFrame({"x": np.array(["EV1", "EV2", "", "", "EV1"], dtype=object)})
    pd.testing.assert_frame_equal(taken, want)


def test_label_columns_are_categorical_and_read_as_their_texts(default_results) -> None:
    """ar.csv's event ids, tickers, dates and limit words are held once each (a categorical column: a code per
    row); the default study's two market groups' parts are joined on the union of their labels, so the column
    stays categorical, and it compares, sorts and is written as the texts themselves."""
    from eventstudy.publish.records import csv_cells
    from eventstudy.study.tables import concat_labelled, label_column

    ar = default_results.ar
    assert all(isinstance(ar[c].dtype, pd.CategoricalDtype) for c in ("event_id", "ticker", "date", "limit"))
    texts = ar[["event_id", "ticker", "date", "limit"]].astype(str)  # the same rows as texts
    for c in texts:
        assert list(ar[c].cat.categories) == sorted(set(texts[c]))
        assert csv_cells(ar[c]) == csv_cells(texts[c])
        pd.testing.assert_index_equal(ar.sort_values([c, "rel_day"], kind="stable").index,
                                      texts.assign(rel_day=ar["rel_day"]).sort_values([c, "rel_day"],
                                                                                     kind="stable").index)  # fmt: skip
    assert (ar["ticker"] == "002415.SZ").sum() == (texts["ticker"] == "002415.SZ").sum() > 0
    # hand-worked: labels b, a, b taken at 2, 0, 1, 2; parts with labels {a, b} and {c, a} join on {a, b, c}
    col = label_column(["b", "a", "b"], np.array([2, 0, 1, 2]))
    assert list(col) == ["b", "b", "a", "b"] and list(col.categories) == ["a", "b"] and list(col.codes) == [1, 1, 0, 1]
    whole = concat_labelled([pd.DataFrame({"x": label_column(["a", "b"], np.array([1, 0]))}),
                             pd.DataFrame({"x": label_column(["c", "a"], np.array([0, 1]))})])  # fmt: skip
    assert list(whole["x"]) == ["b", "a", "c", "a"] and list(whole["x"].cat.categories) == ["a", "b", "c"]
