"""Scheduled rebuilds: incremental, idempotent, atomic, deterministic, and hardened against bad input and faults."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli.commands import main
from eventstudy.data import AutoProvider, open_provider
from eventstudy.data.base import Provenance
from eventstudy.data.cache import CachedProvider
from eventstudy.errors import DataUnavailable
from eventstudy.publish import outputs as outputs_module
from eventstudy.publish.atomic import umask_modes
from eventstudy.publish.rebuild import EXIT_CONFIG, EXIT_DATA, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, rebuild, reports_lock
from eventstudy.study import run as run_module

from ..conftest import ROOT, SNAPSHOT_CSV

DEFAULT = (ROOT / "events.yaml").read_text(encoding="utf-8")
LOADED = (  # the tickers the default study loads, in order: firms (Chinese, then US), benchmarks, alternatives
    "002415.SZ, 002236.SZ, 002230.SZ, 300188.SZ, NPTN, LITE, QRVO, SWKS, AVGO, XLNX, QCOM, MU, INTC, AAOI, ACIA, "
    "IIVI, MRVL, AMBA, NVDA, STX, WDC, ON, TXN, ADI, 000300.SS, VONE, 000001.SS, 399106.SZ, QQQ, ONEQ, SOXX"
)


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
    assert 'href="./study-a/index.html"' in index and 'href="./study-b/index.html"' in index


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

    monkeypatch.setattr(outputs_module, "write_tables", explode)
    code, outcomes = rebuild([config], open_provider("snapshot"), out, force=True)
    assert code == 1 and outcomes[0].status == "failed" and "No space left" in outcomes[0].message
    assert snapshot_bytes(out / "study-a") == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert 'href="./study-a/index.html"' in (out / "index.html").read_text()


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
    assert (
        "live prices unavailable (Yahoo download failed: DNSError: could not resolve host); used cache data for "
        f"{LOADED}; data as of 2019-12-20" in html
    )


def test_unknown_ticker_names_it(tmp_path):
    folder = tmp_path / "prices"
    shutil.copytree(SNAPSHOT_CSV, folder)
    config = study_file(tmp_path, "a.yaml", "study-a", DEFAULT.replace("ticker: 300188.SZ", "ticker: 399999.SZ"))
    code, outcomes = rebuild([config], open_provider(f"csv:{folder}"), tmp_path / "reports")
    assert code == EXIT_DATA and outcomes[0].message.startswith("399999.SZ: no price file")


# -- one bad file never breaks a rebuild; index hygiene; a safe lock; self-healing publish (issues 13, 14) ---------

BROKEN = {
    "no-study.yaml": DEFAULT.replace("study:\n", "stud:\n", 1),
    "offset-and-zone.yaml": DEFAULT.replace("timezone: America/New_York", "timezone: Not/AZone", 1).replace(
        'announced: "2019-10-07T18:00:00"', 'announced: "2019-10-07T18:00:00-04:00"', 1
    ),
    "unhashable.yaml": DEFAULT.replace("study:\n", "study:\n  [1, 2]: x\n", 1),
    "deep.yaml": "study: " + "[" * 20_000 + "]" * 20_000 + "\n",
    "after-the-calendar.yaml": DEFAULT.replace('announced: "2019-10-07T18:00:00"', 'announced: "2250-10-07T18:00:00"'),
    "before-the-calendar.yaml": DEFAULT.replace('announced: "2019-10-07T18:00:00"', 'announced: "1900-10-07T18:00:00"'),
    "lags.yaml": DEFAULT.replace("model: market_model", "model: dimson\n  dimson_lags: 100000", 1),
    "bomb.yaml": DEFAULT.replace("study:\n", "x: &a [y, y, y, y, y, y, y, y, y, y]\n" + "".join(
        f"x{i}: &a{i} [{', '.join(['*a' if i == 0 else f'*a{i - 1}'] * 10)}]\n" for i in range(8)
    ) + "study:\n", 1),
}  # fmt: skip


def test_a_folder_with_broken_files_builds_the_good_one_indexes_all_and_exits_4(tmp_path, capsys):
    """The done-when of issue 14: every broken file is its own one-line "bad config"; the good one is built."""
    folder = tmp_path / "studies"
    folder.mkdir()
    study_file(folder, "good.yaml", "good")
    for name, text in BROKEN.items():
        (folder / name).write_text(text, encoding="utf-8")
    out = tmp_path / "reports"
    argv = [
        "rebuild",
        str(folder / "*.yaml"),
        str(tmp_path / "missing.yaml"),
        "--source",
        "snapshot",
        "--out",
        str(out),
    ]
    assert main(argv) == EXIT_PARTIAL == 4
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    lines = dict(line.split(": ", 1) for line in printed.out.splitlines())
    assert lines.pop("good") == "built"
    assert set(lines) == {str(folder / n) for n in BROKEN} | {str(tmp_path / "missing.yaml")}
    assert all(status.startswith("bad config — ") and len(status) < 460 for status in lines.values())
    assert lines[str(tmp_path / "missing.yaml")].endswith("missing.yaml: no such file")
    assert "malformed YAML: nested too deeply" in lines[str(folder / "deep.yaml")]
    assert "'Not/AZone' is not an IANA time zone name" in lines[str(folder / "offset-and-zone.yaml")]
    assert "a key must be text or a number" in lines[str(folder / "unhashable.yaml")]
    assert "dimson_lags: 100000 is out of range" in lines[str(folder / "lags.yaml")]
    assert "expands to more than 200,000 values" in lines[str(folder / "bomb.yaml")]
    assert (
        "study: is required" in lines[str(folder / "no-study.yaml")] or "stud" in lines[str(folder / "no-study.yaml")]
    )
    index = json.loads((out / "index.json").read_text())["studies"]
    assert index["good"]["status"] == "built" and (out / "good" / "index.html").is_file()
    assert {k for k, e in index.items() if e["status"] == "bad config"} == set(lines)


def test_a_file_that_breaks_while_building_does_not_stop_the_others(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    a, b = study_file(tmp_path, "a.yaml", "study-a"), study_file(tmp_path, "b.yaml", "study-b")
    real = run_module.analyse

    def analyse(inputs):
        if inputs.study.id == "study-a":
            raise RecursionError("maximum recursion depth exceeded")
        return real(inputs)

    monkeypatch.setattr(run_module, "analyse", analyse)
    code, outcomes = rebuild([a, b], open_provider("snapshot"), out)
    assert code == EXIT_PARTIAL
    assert [(o.study_id, o.status) for o in outcomes] == [("study-a", "failed"), ("study-b", "built")]
    assert outcomes[0].message == "RecursionError: maximum recursion depth exceeded"


def test_two_files_with_one_id_are_both_refused(tmp_path):
    out = tmp_path / "reports"
    a, b = study_file(tmp_path, "a.yaml", "same"), study_file(tmp_path, "b.yaml", "same")
    code, outcomes = rebuild([a, b], open_provider("snapshot"), out)
    assert code == EXIT_CONFIG
    assert [o.status for o in outcomes] == ["bad config", "bad config"]
    assert outcomes[0].message == f"{a}: study.id: 'same' is also the id of {b}; give each study its own id"
    assert not (out / "same").exists()


@pytest.mark.parametrize("study_id", ["index.json", "index.html", "study-b.last-good"])
def test_a_reserved_id_cannot_break_the_index(tmp_path, study_id):
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", study_id)
    code, outcomes = rebuild([config], open_provider("snapshot"), out)
    assert code == EXIT_CONFIG and "is reserved in the reports folder" in outcomes[0].message
    assert (out / "index.json").is_file() and (out / "index.html").is_file()
    assert json.loads((out / "index.json").read_text())["studies"][config]["status"] == "bad config"


def test_an_unmatched_pattern_is_skipped_with_a_warning(tmp_path, caplog):
    out = tmp_path / "reports"
    (tmp_path / "more").mkdir()
    pattern = str(tmp_path / "more" / "*.yaml")
    code, outcomes = rebuild([pattern], open_provider("snapshot"), out)
    assert code == EXIT_CONFIG and outcomes == []
    assert f"{pattern}: no study file matches this pattern; skipped" in caplog.text
    assert json.loads((out / "index.json").read_text())["studies"] == {}


def test_bad_config_row_goes_once_the_file_is_fixed_and_prune_drops_gone_files(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="eventstudy")
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", "study-a", DEFAULT.replace("model: market_model", "model: capm"))
    gone = study_file(tmp_path, "gone.yaml", "gone", DEFAULT.replace("model: market_model", "model: capm"))
    rebuild([config, gone], open_provider("snapshot"), out)
    assert set(json.loads((out / "index.json").read_text())["studies"]) == {config, gone}
    Path(config).write_text(Path(config).read_text().replace("model: capm", "model: market_model"))
    Path(gone).unlink()
    code, _ = rebuild([config], open_provider("snapshot"), out)
    assert code == EXIT_OK
    assert set(json.loads((out / "index.json").read_text())["studies"]) == {"study-a", gone}  # fixed: its row went
    Path(config).unlink()
    code, outcomes = rebuild([str(tmp_path / "*.yaml")], open_provider("snapshot"), out, prune=True)
    assert code == EXIT_CONFIG and outcomes == []
    assert json.loads((out / "index.json").read_text())["studies"] == {}
    assert (out / "study-a" / "index.html").is_file()  # pruning the index keeps the published report
    assert "study-a: study file gone; dropped from the index" in caplog.text


def test_a_corrupt_index_is_rebuilt_from_the_published_studies(tmp_path, caplog):
    out = tmp_path / "reports"
    a = study_file(tmp_path, "a.yaml", "study-a")
    _, first = rebuild([a], open_provider("snapshot"), out)
    (out / "index.json").write_text('{"studies": {"study-a": ')  # torn by hand or by a full disk elsewhere
    bad = study_file(tmp_path, "b.yaml", "study-b", DEFAULT.replace("model: market_model", "model: capm"))
    rebuild([bad], open_provider("snapshot"), out)
    index = json.loads((out / "index.json").read_text())["studies"]
    assert set(index) == {"study-a", bad}
    assert index["study-a"]["input_hash"] == first[0].input_hash and index["study-a"]["config"] == a
    assert "index.json is unreadable" in caplog.text and "rebuilt it from 1 published study.json file(s)" in caplog.text
    assert 'href="./study-a/index.html"' in (out / "index.html").read_text()


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo"])
def test_a_lock_path_that_is_not_a_regular_file_is_refused(tmp_path, kind, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("do not truncate me")
    lock = out / ".lock"
    {"symlink": lambda: lock.symlink_to(victim), "directory": lock.mkdir, "fifo": lambda: os.mkfifo(lock)}[kind]()
    code = main(["rebuild", str(ROOT / "events.yaml"), "--source", "snapshot", "--out", str(out)])
    assert code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"{lock}: the reports lock is" in err and "remove it and run again" in err and "Traceback" not in err
    assert victim.read_text() == "do not truncate me"
    assert not (out / "entity-list-2019").exists()


def test_interrupted_runs_are_swept_and_a_damaged_report_is_republished(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="eventstudy")
    out = tmp_path / "reports"
    config = study_file(tmp_path, "a.yaml", "study-a")
    rebuild([config], open_provider("snapshot"), out)
    (out / ".study-a.k1ll3d.tmp").mkdir()  # SIGTERM from systemd while writing
    (out / ".index.json.x.tmp").write_text("{")
    os.chmod(out / "study-a", 0o700)  # a kill between chmod and swap, as the layout before links allowed
    code, outcomes = rebuild([config], open_provider("snapshot"), out)
    assert code == EXIT_OK and outcomes[0].status == "built"
    assert outcomes[0].message.startswith("republished: ") and "has mode 700" in outcomes[0].message
    assert "removed 2 leftover(s) of interrupted runs: .index.json.x.tmp, .study-a.k1ll3d.tmp" in caplog.text
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert stat.S_IMODE((out / "study-a").stat().st_mode) == umask_modes()[1]
    (out / "study-a" / "car.csv").unlink()
    _, outcomes = rebuild([config], open_provider("snapshot"), out)
    assert outcomes[0].status == "built" and outcomes[0].message.endswith("car.csv is missing")
    _, outcomes = rebuild([config], open_provider("snapshot"), out)
    assert outcomes[0].status == "up to date"


def test_auto_falls_back_to_the_snapshot_on_a_corrupt_cache_and_names_every_ticker(tmp_path):
    out, live = tmp_path / "reports", FlakyYahoo()
    cache = CachedProvider(live, tmp_path / "cache", clock=lambda: datetime(2022, 3, 1, tzinfo=UTC))
    cache.history("002415.SZ", date(2018, 1, 2), date(2020, 12, 31))
    (tmp_path / "cache" / "002415.SZ.parquet").write_bytes(b"PAR1 torn by a full disk")
    live.offline = True
    config = study_file(tmp_path, "a.yaml", "study-a")
    code, outcomes = rebuild([config], AutoProvider(cache, open_provider("snapshot")), out)
    assert code == EXIT_OK and outcomes[0].status == "built"
    assert "fell back to the vendored snapshot" in outcomes[0].source
    html = (out / "study-a" / "index.html").read_text()
    assert "Live data could not be refreshed; this report uses older data." in html
    assert "checksum mismatch; live refresh failed: 002415.SZ: Yahoo download failed: DNSError" in html
    assert f"used snapshot data for {LOADED}; data as of 2020-12-11" in html


def test_a_refresh_that_fails_only_for_the_claims_dates_gives_a_banner(tmp_path):
    from eventstudy.spec.config import load_study
    from eventstudy.study.plan import plan_study

    out, live = tmp_path / "reports", FlakyYahoo()
    config = study_file(tmp_path, "a.yaml", "study-a")
    study = load_study(config)
    plan = plan_study(study)
    cache = CachedProvider(live, tmp_path / "cache", clock=lambda: datetime(2022, 3, 1, tzinfo=UTC))
    for ticker in study.tickers:  # what `fetch` of an older version stored: the event windows, not the claims
        cache.history(ticker, plan.start.date(), plan.end.date())
    live.offline = True
    code, outcomes = rebuild([config], CachedProvider(live, tmp_path / "cache", clock=cache._clock), out)
    assert code == EXIT_OK and outcomes[0].status == "built"
    html = (out / "study-a" / "index.html").read_text()
    assert "Live data could not be refreshed" in html
    assert "live prices unavailable (Yahoo download failed: DNSError: could not resolve host); used cache data" in html
