"""The reports folder's index: ``index.json`` (status, hashes and times of every study) and ``index.html``.

Entries are keyed by study id; a study file that could not be read has no id, so its "bad config" entry is keyed
by the file's path until the file is fixed, when that entry is dropped. A corrupt ``index.json`` is rebuilt
from the ``study.json`` of every published study, so no study falls out of the index; ``prune`` drops the
entries whose study file no longer exists.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from .. import __version__
from .atomic import write_atomic

log = logging.getLogger("eventstudy")


@dataclass(frozen=True)
class Outcome:
    """What happened to one study file."""

    config: str
    status: str  # "built", "up to date", "bad config", "data unavailable", "failed"
    study_id: str | None = None
    title: str | None = None
    input_hash: str | None = None
    as_of: str | None = None
    source: str | None = None
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("built", "up to date")


def read_index(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The entries of ``index.json``; if it is missing, empty; if it is unreadable, recovered from the
    published ``study.json`` files (with a warning)."""
    path = out_dir / "index.json"
    try:
        # NaN, Infinity (not JSON, though Python writes them) are read as null: one bad number loses no study
        studies = json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda _: None)["studies"]
        if isinstance(studies, dict):
            good = {str(k): v for k, v in studies.items() if isinstance(v, dict)}
            bad = [str(k) for k in studies if str(k) not in good]
            if bad:  # entries that are not entries: recovered from their study.json where published
                recovered = published_entries(out_dir)
                good.update({k: recovered[k] for k in bad if k in recovered})
                log.warning("%s: unreadable entries %s; recovered from study.json: %s", path, ", ".join(bad),
                            ", ".join(k for k in bad if k in recovered) or "none")  # fmt: skip
            return good
        problem = "'studies' is not a mapping of entries"
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    entries = published_entries(out_dir)
    log.warning("%s is unreadable (%s); rebuilt it from %d published study.json file(s)", path, problem, len(entries))
    return entries


def published_entries(out_dir: Path) -> dict[str, dict[str, Any]]:
    """One index entry per published study (``<id>/study.json``), as far as the report itself records it."""
    entries: dict[str, dict[str, Any]] = {}
    for doc_path in sorted(out_dir.glob("*/study.json")):
        folder = doc_path.parent.name
        if folder.startswith(".") or folder.endswith(".last-good"):
            continue
        try:
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
            study, data = doc["study"], doc.get("data", {})
            entries[folder] = {
                "config": study.get("config"), "status": "built", "study_id": folder, "title": study.get("title"),
                "input_hash": doc.get("input_hash"), "as_of": data.get("as_of"), "source": data.get("source"),
                "message": "index entry recovered from the published study.json", "last_good": True,
            }  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return entries


def update_index(
    out_dir: Path, outcomes: list[Outcome], clock: datetime | None = None, prune: bool = False
) -> list[str]:
    """Merge ``outcomes`` into ``index.json`` (with times) and re-render ``index.html`` (without).

    With ``prune``, entries whose study file is gone are dropped. Returns the keys of dropped entries.
    """
    entries = read_index(out_dir)
    now = (clock or datetime.now(UTC)).isoformat(timespec="seconds")
    for o in outcomes:
        key = o.study_id or _key_of_file(entries, o.config)
        previous = entries.get(key, {})
        entry = {**previous, **{k: v for k, v in dataclasses.asdict(o).items() if v is not None}, "checked_at": now}
        if o.status == "built":
            entry["built_at"] = now
        if not o.ok:  # keep describing the last good build, and say why it was not replaced
            entry.update({k: previous[k] for k in ("input_hash", "as_of", "source") if k in previous})
        entry["last_good"] = (out_dir / key / "index.html").is_file()
        entries[key] = entry
        if o.study_id and o.config != o.study_id and entries.get(o.config, {}).get("status") == "bad config":
            del entries[o.config]  # the file was fixed: its "bad config" row goes
    dropped = [k for k, e in entries.items() if not Path(str(e.get("config", ""))).is_file()] if prune else []
    for key in dropped:
        del entries[key]
    document = {"studies": {k: _finite(entries[k]) for k in sorted(entries)}}
    write_atomic(out_dir / "index.json", json.dumps(document, indent=2, allow_nan=False) + "\n")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("eventstudy.publish") / "templates")), autoescape=True
    )
    html = env.get_template("index.html.j2").render(studies=[entries[k] for k in sorted(entries)], version=__version__)
    write_atomic(out_dir / "index.html", html)
    return dropped


def _finite(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry with its non-finite numbers as null, so that index.json is JSON every parser reads."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in entry.items()}


def _key_of_file(entries: dict[str, dict[str, Any]], config: str) -> str:
    """The entry a study file without a readable id updates: the study it built last time, else its path."""
    for key, entry in entries.items():
        if entry.get("config") == config and entry.get("study_id") == key:
            return key
    return config
