"""Filesystem faults around the reports directory (issue 20.3): each is exit 2 or 3 with one line, and nothing
of the user's is touched. On main: a hard-linked .lock had its target overwritten with the lock's pid, a user's
file at reports/<id> was replaced by the report link, a read-only reports directory and a full disk during
``rebuild --force`` ended with exit 1, a recovered folder name made a live ``javascript:`` link in index.html,
and a ``<script>`` in a title passed unescaped into ``eventstudy table --format markdown``."""

from __future__ import annotations

import errno
import os

from eventstudy.cli import main
from eventstudy.publish import outputs as outputs_module

from ..conftest import ROOT

EXAMPLE = str(ROOT / "events.yaml")


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_hard_linked_lock_is_refused_and_its_target_kept(tmp_path, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    mine = tmp_path / "thesis.txt"
    mine.write_text("chapter 1\n")
    os.link(mine, out / ".lock")
    assert main(["rebuild", EXAMPLE, "--source", "snapshot", "--out", str(out)]) == 2
    assert "the reports lock is a hard link to another file (2 names)" in _one_line(capsys.readouterr().err)
    assert mine.read_text() == "chapter 1\n"


def test_a_users_file_where_the_report_goes_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    mine = out / "entity-list-2019"
    mine.write_text("my notes on the Entity List\n")
    assert main(["run", EXAMPLE, "--source", "snapshot", "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{mine}: a file that is not a report is where the report goes; move it away" in line
    assert mine.is_file() and not mine.is_symlink() and mine.read_text() == "my notes on the Entity List\n"
    assert main(["rebuild", EXAMPLE, "--source", "snapshot", "--out", str(out)]) == 3  # a failed study: exit 3
    assert mine.read_text() == "my notes on the Entity List\n"


def test_rebuild_into_a_read_only_directory_exits_2(tmp_path, monkeypatch, capsys):
    import tempfile

    def denied(*args, **kwargs):  # tests run as root, for whom permission bits do not stop a write
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    out = tmp_path / "read-only"
    assert main(["rebuild", EXAMPLE, "--source", "snapshot", "--out", str(out)]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"eventstudy: error: --out {out}: cannot write there ({os.strerror(errno.EACCES)})"
    )


def test_disk_full_during_a_forced_rebuild_exits_3_and_keeps_the_last_good_report(tmp_path, monkeypatch, capsys):
    out = tmp_path / "reports"
    assert main(["rebuild", EXAMPLE, "--source", "snapshot", "--out", str(out)]) == 0
    published = out / "entity-list-2019"
    before = {p.name: p.read_bytes() for p in published.iterdir()}
    capsys.readouterr()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outputs_module, "write_tables", disk_full)
    assert main(["rebuild", EXAMPLE, "--source", "snapshot", "--out", str(out), "--force"]) == 3
    printed = capsys.readouterr().out
    assert f"entity-list-2019: disk full — {out}: report not written ({os.strerror(errno.ENOSPC)})" in printed
    assert {p.name: p.read_bytes() for p in published.iterdir()} == before


def test_a_hostile_study_id_in_the_index_is_no_live_link(tmp_path):
    """A recovered index entry whose id reads as a URL scheme: the link stays relative to the reports folder."""
    import json

    from eventstudy.publish.index import Outcome, update_index

    out = tmp_path / "reports"
    out.mkdir()
    (out / "javascript:alert(1)").mkdir()
    (out / "javascript:alert(1)" / "index.html").write_text("x")
    update_index(out, [Outcome(config="s.yaml", status="built", study_id="javascript:alert(1)", title="t")])
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="javascript:' not in html and 'href="./javascript%3Aalert%281%29/index.html"' in html
    assert json.loads((out / "index.json").read_text())["studies"]


def test_a_script_in_the_title_is_escaped_in_markdown(tmp_path, capsys):
    study = tmp_path / "study.yaml"
    text = (ROOT / "events.yaml").read_text(encoding="utf-8")
    study.write_text(text.replace('title: "US Entity List', 'title: "<script>alert(1)</script> US Entity List', 1))
    out = tmp_path / "reports"
    assert main(["run", str(study), "--source", "snapshot", "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    assert main(["table", str(out / "entity-list-2019"), "--format", "markdown"]) == 0
    printed = capsys.readouterr().out
    assert "<script>" not in printed and "&lt;script&gt;alert(1)&lt;/script&gt;" in printed


def test_an_index_json_with_nan_keeps_every_study(tmp_path):
    """NaN in one entry, and one entry that is not an entry at all: the other studies stay in the index, and the
    index written back is JSON that every parser reads (no NaN)."""
    import json

    out = tmp_path / "reports"
    out.mkdir()
    (out / "index.json").write_text(
        '{"studies": {"other": {"config": "x.yaml", "status": "built", "study_id": "other", "title": "Other", '
        '"seconds": NaN}, "broken": NaN}}'
    )
    assert main(["rebuild", EXAMPLE, "--source", "snapshot", "--out", str(out), "-q"]) == 0
    text = (out / "index.json").read_text()
    assert "NaN" not in text
    studies = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))["studies"]
    assert set(studies) == {"entity-list-2019", "other"} and studies["other"]["seconds"] is None
    assert "Other" in (out / "index.html").read_text(encoding="utf-8")
