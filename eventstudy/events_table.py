"""Events as a CSV table: ``events: firm-events.csv`` in a study file, for studies with thousands of firm-events.

One row per firm-event with a header, columns in any order (documented in docs/events-schema.md): ``event_id``,
``ticker``, ``announced`` (required); ``timezone``, ``exchange``, ``name``, ``title``, ``approximate``, ``note``,
``benchmark`` (optional). The rows become the ``events:`` list of a study file through the same function as
:meth:`eventstudy.config.Study.from_events` (:func:`eventstudy.config.events_from_rows`), and are then validated
exactly like events written in YAML. A relative path is read relative to the study file; errors name the CSV
file, the line and the column.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import Event, _Reader


def read_events_table(top: _Reader, study_file: str, day0_rule: str) -> tuple[Event, ...]:
    """The events of the CSV file named by the study file's ``events:`` value."""
    from .config import _event, _Reader, events_from_rows

    raw = str(top.get("events"))
    path = Path(raw)
    if not path.is_absolute():
        path = Path(study_file).parent / path
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            lines = list(csv.reader(handle))
    except FileNotFoundError:
        raise top.fail(f"{raw!r}: no such events file ({path})", "events") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise top.fail(f"{raw!r}: cannot read: {exc}", "events") from None
    if not lines:
        raise top.fail(f"{raw!r}: the events file is empty", "events")
    header = [h.strip() for h in lines[0]]
    missing = [c for c in ("event_id", "ticker", "announced") if c not in header]
    if missing:
        raise ConfigError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    rows, numbers = [], []
    for number, values in enumerate(lines[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ConfigError(f"{path}: line {number}: {len(values)} fields, the header has {len(header)}")
        rows.append({h: (v.strip() or None) for h, v in zip(header, values, strict=True)})
        numbers.append(number)
    events = events_from_rows(rows, str(path), numbers, unit="line")
    node = _Reader(str(path), {"events": events})
    return tuple(_event(e, day0_rule) for e in node.items("events"))
