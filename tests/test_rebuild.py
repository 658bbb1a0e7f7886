"""Scheduled rebuilds: incremental, idempotent, atomic, deterministic, and hardened against bad input and faults."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy import rebuild as rebuild_module
from eventstudy.cli import main
from eventstudy.data import open_provider
from eventstudy.data.base import Provenance
from eventstudy.data.cache import CachedProvider
from eventstudy.errors import DataUnavailable
from eventstudy.rebuild import EXIT_DATA, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, rebuild, reports_lock

from .conftest import ROOT, SNAPSHOT_CSV

DEFAULT = (ROOT / "events.yaml").read_text(encoding="utf-8")


def study_file(tmp_path: Path, name: str, study_id: str, text: str = DEFAULT) -> str:
    path = tmp_path / name
    path.write_text(text.replace("id: entity-list-2019", f"id: {study_id}", 1), encoding="utf-8")
    return str(path)


def snapshot_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_consecutive_rebuilds_are_byte_identical_and_skipped(tmp_path):
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", "study-a")
    code, first = rebuild([config], open_provider("snapshot"), out, force=True)
    before = snapshot_bytes(out / "study-a")
    code2, second = rebuild([config], open_provider("snapshot"), out)
    assert (code, code2) == (EXIT_OK, EXIT_OK)
    assert [o.status for o in first] == ["built"] and [o.status for o in second] == ["up to date"]
    rebuild([config], open_provider("snapshot"), out, force=True)  # a forced rebuild rewrites...
    assert snapshot_bytes(out / "study-a") == before  # ...the very same bytes
    recorded = json.loads((out / "study-a" / "study.json").read_text())["input_hash"]
    assert recorded == first[0].input_hash and len(recorded) == 64


def test_a_changed_event_rebuilds_only_its_study(tmp_path):
    out = tmp_path / "reports"
    a, b = study_file(tmp_path, "a.yaml", "study-a"), study_file(tmp_path, "b.yaml", "study-b")
    rebuild([a, b], open_provider("snapshot"), out)
    untouched = snapshot_bytes(out / "study-b")
    Path(a).write_text(
        Path(a).read_text().replace('announced: "2019-10-07T18:00:00"', 'announced: "2019-10-08T18:00:00"')
    )
    code, outcomes = rebuild([a, b], open_provider("snapshot"), out)
    assert code == EXIT_OK
    assert [(o.study_id, o.status) for o in outcomes] == [("study-a", "built"), ("study-b", "up to date")]
    assert snapshot_bytes(out / "study-b") == untouched
    assert json.loads((out / "study-a" / "study.json").read_text())["events"][0]["day0"] == {"XSHE": "2019-10-09"}
    index = (out / "index.html").read_text()
    assert 'href="study-a/index.html"' in index and 'href="study-b/index.html"' in index


def test_second_rebuild_exits_at_once_when_locked(tmp_path, capsys):
    out = tmp_path / "reports"
    with reports_lock(out):
        code = main(["rebuild", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(out)])
    assert code == EXIT_LOCKED == 75
    assert "another rebuild is running (pid" in capsys.readouterr().err
    assert not (out / "entity-list-2019").exists()


def test_bad_config_among_good_ones_is_partial(tmp_path):
    out = tmp_path / "reports"
    good = study_file(tmp_path, "good.yaml", "good")
    bad = study_file(tmp_path, "bad.yaml", "bad", DEFAULT.replace("model: market_model", "model: capm"))
    code, outcomes = rebuild([good, bad], open_provider("snapshot"), out)
    assert code == EXIT_PARTIAL
    assert outcomes[1].status == "bad config" and "study.model: 'capm' is not a model" in outcomes[1].message
    index = json.loads((out / "index.json").read_text())["studies"]
    assert index["good"]["status"] == "built" and index[bad]["status"] == "bad config"


def test_data_unavailable_keeps_the_last_good_report(tmp_path):
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", "study-a")
    rebuild([config], open_provider("snapshot"), out)
    before = snapshot_bytes(out / "study-a")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, outcomes = rebuild([config], open_provider(f"csv:{empty}"), out)
    assert code == EXIT_DATA
    assert outcomes[0].status == "data unavailable" and "002415.SZ: no price file" in outcomes[0].message
    assert snapshot_bytes(out / "study-a") == before
    entry = json.loads((out / "index.json").read_text())["studies"]["study-a"]
    assert entry["last_good"] is True and entry["input_hash"] == json.loads(before["study.json"])["input_hash"]
    assert "showing the last good build" in (out / "index.html").read_text()


def test_crash_while_writing_keeps_the_last_good_report(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", "study-a")
    rebuild([config], open_provider("snapshot"), out)
    before = snapshot_bytes(out / "study-a")

    def explode(results, directory, source):
        (directory / "car.csv").write_text("half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(rebuild_module, "write_tables", explode)
    code, outcomes = rebuild([config], open_provider("snapshot"), out, force=True)
    assert code == 1 and outcomes[0].status == "failed" and "No space left" in outcomes[0].message
    assert snapshot_bytes(out / "study-a") == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert 'href="study-a/index.html"' in (out / "index.html").read_text()


def test_as_of_reproduces_a_past_report(tmp_path):
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", "study-a")
    rebuild([config], open_provider("snapshot"), out, as_of=date(2019, 12, 31))
    doc = json.loads((out / "study-a" / "study.json").read_text())
    assert doc["data"]["as_of"] == "2019-12-31"
    assert all(t["as_of"] == "2019-12-31" for t in doc["data"]["tickers"].values())


class FaultyProvider:
    """Serves the snapshot but breaks one ticker in a chosen way."""

    name = "faulty"

    def __init__(self, fault: str) -> None:
        self.fault, self.inner = fault, open_provider("snapshot")

    def history(self, ticker, start=None, end=None):
        if ticker != "002415.SZ":
            return self.inner.history(ticker, start, end)
        frame = self.inner.history(ticker, start, end).copy()
        if self.fault == "network":
            raise DataUnavailable(f"{ticker}: Yahoo download failed: ConnectionError: connection reset")
        if self.fault == "timeout":
            raise DataUnavailable(f"{ticker}: Yahoo download failed: Timeout: read timed out after 10 s")
        if self.fault == "empty":
            return frame.iloc[0:0]
        if self.fault == "partial":
            return frame.loc[:"2019-06-28"]
        if self.fault == "duplicated":
            return pd.concat([frame, frame.iloc[[10]]]).sort_index()
        if self.fault in ("nan", "zero", "negative"):
            frame.loc["2019-09-27", "close"] = {"nan": np.nan, "zero": 0.0, "negative": -33.19}[self.fault]
            return frame
        raise AssertionError(self.fault)

    def provenance(self, ticker):
        return Provenance(self.name, None, "")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("network", "002415.SZ: Yahoo download failed: ConnectionError"),
        ("timeout", "002415.SZ: Yahoo download failed: Timeout"),
        ("empty", "002415.SZ: no prices between"),
        ("partial", "002415.SZ: event us-entity-list-2019-10-07 has day 0 2019-10-08, outside its data"),
        ("duplicated", "002415.SZ (faulty): date 2018-04-19 appears more than once"),  # the 11th row fetched
        ("nan", "002415.SZ (faulty): close on 2019-09-27 is nan"),
        ("zero", "002415.SZ (faulty): close on 2019-09-27 is 0.0"),
        ("negative", "002415.SZ (faulty): close on 2019-09-27 is -33.19"),
    ],
)
def test_provider_faults_give_one_line_errors_and_keep_the_report(tmp_path, fault, message):
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", "study-a")
    rebuild([config], open_provider("snapshot"), out)
    before = snapshot_bytes(out / "study-a")
    code, outcomes = rebuild([config], FaultyProvider(fault), out)
    assert code == EXIT_DATA
    assert message in outcomes[0].message and "\n" not in outcomes[0].message
    assert snapshot_bytes(out / "study-a") == before


class FlakyYahoo:
    """A live source that works once, then goes offline."""

    name = "yahoo"

    def __init__(self) -> None:
        self.snapshot, self.offline = open_provider("snapshot"), False

    def history(self, ticker, start=None, end=None):
        if self.offline:
            raise DataUnavailable(f"{ticker}: Yahoo download failed: DNSError: could not resolve host")
        return self.snapshot.history(ticker, start, end)

    def provenance(self, ticker):
        return Provenance("yahoo", None, "")


def test_failed_live_refresh_falls_back_to_the_cache_with_a_banner(tmp_path):
    out, live = tmp_path / "reports", FlakyYahoo()
    clock = [datetime(2022, 3, 1, tzinfo=UTC)]
    config = study_file(tmp_path, "a.yaml", "study-a")
    # The first build caches prices up to 20 Dec 2019; the next needs later sessions, but the network is down.
    rebuild([config], CachedProvider(live, tmp_path / "cache", clock=lambda: clock[0]), out, as_of=date(2019, 12, 20))
    live.offline, clock[0] = True, datetime(2022, 3, 2, tzinfo=UTC)
    code, outcomes = rebuild([config], CachedProvider(live, tmp_path / "cache", clock=lambda: clock[0]), out)
    assert code == EXIT_OK and outcomes[0].status == "built"
    html = (out / "study-a" / "index.html").read_text()
    assert "Live data could not be refreshed; this report uses older data." in html
    assert "002415.SZ: live refresh failed (002415.SZ: Yahoo download failed: DNSError" in html
    assert "using cached data as of 2019-12-20" in html


def test_unknown_ticker_names_it(tmp_path):
    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV, folder)
    config = study_file(tmp_path, "a.yaml", "study-a", DEFAULT.replace("ticker: 300188.SZ", "ticker: 399999.SZ"))
    code, outcomes = rebuild([config], open_provider(f"csv:{folder}"), tmp_path / "reports")
    assert code == EXIT_DATA and outcomes[0].message.startswith("399999.SZ: no price file")
