"""Rebuilds that notice every input (issue 20.2) and one study file named twice (issue 20.6).

On main a changed events table, factor file or characteristics file left the report "up to date", and
``rebuild cn.yaml ./cn.yaml`` refused both names as two files sharing an id, so the study was never built."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import open_provider
from eventstudy.publish.rebuild import EXIT_OK, rebuild

from ..conftest import ROOT

DEFAULT = (ROOT / "events.yaml").read_text(encoding="utf-8")


def study_file(tmp_path: Path, name: str, study_id: str, text: str = DEFAULT) -> str:
    path = tmp_path / name
    path.write_text(text.replace("id: entity-list-2019", f"id: {study_id}", 1), encoding="utf-8")
    return str(path)


TABLE_STUDY = """study:
  id: table-study
  title: Hikvision and Dahua from a table
  benchmark: 000300.SS
  event_windows: [[0, 1]]
  model: factor
  factor_file: factors.csv
events: firm-events.csv
cross_section:
  window: [0, 1]
  formula: "car ~ size"
  characteristics: firms.csv
"""


def _table_study(folder: Path) -> str:
    (folder / "firm-events.csv").write_text(
        "event_id,ticker,name,title,announced,timezone\n"
        "oct,002415.SZ,Hikvision,Entity List,2019-10-07T18:00:00,America/New_York\n"
        "oct,002236.SZ,Dahua,Entity List,2019-10-07T18:00:00,America/New_York\n"
        "oct,002230.SZ,iFlytek,Entity List,2019-10-07T18:00:00,America/New_York\n",
        encoding="utf-8",
    )
    sessions = pd.bdate_range("2018-06-01", "2019-12-31")
    smb = np.sin(np.arange(len(sessions))) / 100  # a factor return series, fixed
    pd.DataFrame({"date": sessions.strftime("%Y-%m-%d"), "smb": smb}).to_csv(folder / "factors.csv", index=False)
    (folder / "firms.csv").write_text(
        "ticker,event_id,size\n002415.SZ,oct,1.0\n002236.SZ,oct,2.0\n002230.SZ,oct,4.0\n", encoding="utf-8"
    )
    (folder / "study.yaml").write_text(TABLE_STUDY, encoding="utf-8")
    return str(folder / "study.yaml")


@pytest.mark.parametrize(
    ("file", "edit"),
    [
        ("firm-events.csv", lambda t: t.replace("Hikvision", "Hangzhou Hikvision")),  # a firm name
        ("firm-events.csv", lambda t: t.replace("Entity List,", "Entity List (7 Oct),")),  # the event's title
        ("factors.csv", lambda t: t.replace(t.splitlines()[300].split(",")[1], "0.05", 1)),  # one factor return
        ("firms.csv", lambda t: t.replace("002230.SZ,oct,4.0", "002230.SZ,oct,8.0")),  # a characteristic
    ],
)  # fmt: skip
def test_rebuild_notices_a_change_in_every_file_the_study_reads(tmp_path, file, edit):
    """On main a changed events table, factor file or characteristics file left the report "up to date" (a
    changed factor file kept a CAR of 0.001008 where --force gave 0.001493)."""
    out, provider = tmp_path / "reports", open_provider("snapshot")
    config = _table_study(tmp_path)
    code, first = rebuild([config], provider, out)
    assert code == EXIT_OK and [o.status for o in first] == ["built"], first
    assert [o.status for o in rebuild([config], provider, out)[1]] == ["up to date"]
    path = tmp_path / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    code, second = rebuild([config], provider, out)
    assert code == EXIT_OK and [o.status for o in second] == ["built"]
    assert second[0].input_hash != first[0].input_hash
    forced = rebuild([config], provider, tmp_path / "forced", force=True)[1][0]
    assert forced.input_hash == second[0].input_hash  # what was published is what --force gives


def test_one_file_named_twice_is_built_once(tmp_path, monkeypatch):
    """``rebuild cn.yaml ./cn.yaml`` and a symbolic link to it: on main both names were refused as two files
    sharing an id, so the study was never built."""
    monkeypatch.chdir(tmp_path)
    study_file(tmp_path, "cn.yaml", "cn")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "cn.yaml")
    code, outcomes = rebuild(["cn.yaml", "./cn.yaml", "link.yaml", str(tmp_path / "cn.yaml")], open_provider("snapshot"),
                             tmp_path / "reports")  # fmt: skip
    assert code == EXIT_OK
    assert [(o.config, o.study_id, o.status) for o in outcomes] == [("cn.yaml", "cn", "built")]
