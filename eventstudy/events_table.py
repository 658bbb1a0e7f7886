"""Events as a table: ``events: firm-events.csv`` in a study file, for studies with thousands of firm-events.

One row per firm-event, columns (header required, any order; documented in docs/events-schema.md):

``event_id``   slug; rows with the same id form one event
``ticker``     Yahoo-style ticker
``announced``  ISO-8601 date-time (a bare date is refused, as in YAML study files)
``timezone``   IANA name localising a naive ``announced`` (may be empty when ``announced`` has a UTC offset)
``exchange``   optional MIC; inferred from the ticker's suffix when empty
``name``       optional firm name (default: the ticker)
``title``      optional event title (default: the event id)
``benchmark``  optional per-firm benchmark override

The rows of one event must agree on ``announced`` (and on ``title`` where given). A relative path is read
relative to the study file. Errors name the CSV file, the line and the column.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from .config import Event, Firm, _Reader

REQUIRED = ("event_id", "ticker", "announced")
OPTIONAL = ("timezone", "exchange", "name", "title", "benchmark")


def read_events_table(top: _Reader, study_file: str, day0_rule: str) -> tuple[Event, ...]:
    """The events of the CSV file named by the study file's ``events:`` value."""
    from .config import _SLUG, _TICKER, Event, Firm, _Reader, firm_exchange, parse_instant

    raw = str(top.get("events"))
    path = Path(raw)
    if not path.is_absolute():
        path = Path(study_file).parent / path
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise top.fail(f"{raw!r}: no such events file ({path})", "events") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise top.fail(f"{raw!r}: cannot read: {exc}", "events") from None
    if not rows:
        raise top.fail(f"{raw!r}: the events file is empty", "events")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in (*REQUIRED, *OPTIONAL)]
    if missing or unknown:
        what = f"missing column(s) {', '.join(missing)}" if missing else f"unknown column(s) {', '.join(unknown)}"
        raise ConfigError(f"{path}: line 1: {what} (columns: {', '.join((*REQUIRED, *OPTIONAL))})")
    firms: dict[str, list[Firm]] = {}
    meta: dict[str, tuple[pd.Timestamp, str, int]] = {}
    seen: set[tuple[str, str]] = set()
    instants: dict[tuple[str, str], pd.Timestamp] = {}
    for line, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ConfigError(f"{path}: line {line}: {len(values)} fields, the header has {len(header)}")
        row = {h: v.strip() for h, v in zip(header, values, strict=True) if v.strip()}
        node = _Reader(str(path), row, f"line {line}")
        event_id = node.text("event_id", pattern=_SLUG)
        ticker = node.text("ticker", pattern=_TICKER)
        key = (row["announced"], row.get("timezone", ""))
        if key not in instants:
            instants[key] = parse_instant(node, "announced")
        announced = instants[key]
        exchange = firm_exchange(node, ticker, row.get("exchange"))
        benchmark = node.text("benchmark", pattern=_TICKER) if "benchmark" in row else None
        if (event_id, ticker) in seen:
            raise node.fail(f"ticker {ticker!r} is listed twice in event {event_id!r}", "ticker")
        seen.add((event_id, ticker))
        title = row.get("title", "")
        if event_id not in meta:
            meta[event_id] = (announced, title, line)
            firms[event_id] = []
        else:
            first, first_title, first_line = meta[event_id]
            if announced != first:
                raise node.fail(
                    f"{row['announced']!r} differs from the announcement on line {first_line} of event {event_id!r}",
                    "announced",
                )
            if title and first_title and title != first_title:
                raise node.fail(f"{title!r} differs from the title on line {first_line} of event {event_id!r}", "title")
            if title and not first_title:
                meta[event_id] = (first, title, first_line)
        firms[event_id].append(Firm(ticker, row.get("name", ticker), exchange, benchmark))
    if not meta:
        raise top.fail(f"{raw!r}: the events file has no rows", "events")
    return tuple(
        Event(
            id=event_id,
            title=title or event_id,
            announced=announced,
            approximate=False,
            note="",
            sources=(),
            firms=tuple(firms[event_id]),
            day0_rule=day0_rule,
        )
        for event_id, (announced, title, _) in meta.items()
    )
