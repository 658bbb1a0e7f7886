"""Events as a CSV table: ``events: firm-events.csv`` in a study file, for studies with thousands of firm-events.

One row per firm-event with a header, columns in any order (documented in docs/events-schema.md): ``event_id``,
``ticker``, ``announced`` (required); ``timezone``, ``exchange``, ``name``, ``title``, ``approximate``, ``note``,
``benchmark`` (optional). The rows become the ``events:`` list of a study file through the same function as
:meth:`eventstudy.spec.config.Study.from_events` (:func:`events_from_rows`), and are then validated
exactly like events written in YAML. A relative path is read relative to the study file; errors name the CSV
file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError
from .fields import SLUG, TICKER, Reader, firm_exchange, parse_instant, show

EVENT_TABLE_REQUIRED = ("event_id", "ticker", "announced")
MAX_EVENTS_FILE_BYTES = 200 * 2**20  # an events table larger than this is refused before it is read
EVENT_TABLE_OPTIONAL = ("timezone", "exchange", "name", "title", "approximate", "note", "benchmark")
_EVENT_FIELDS = ("title", "announced", "timezone", "approximate", "note")  # must agree across an event's rows


def _cell(value: Any) -> Any:
    """A table cell as the YAML reader would give it: blanks/NaN dropped, instants and numpy scalars as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, str) and not value.strip():
        return None
    return value


def events_from_rows(
    rows: Sequence[Mapping[str, Any]], file: str, labels: Sequence[Any] | None = None, unit: str = "row"
) -> list[dict[str, Any]]:
    """Rows of an events table → the ``events:`` list of a study file (one entry per event, firms grouped).

    Columns: ``event_id``, ``ticker``, ``announced`` (required); ``timezone``, ``exchange``, ``name``,
    ``title``, ``approximate``, ``note``, ``benchmark`` (optional; ``name`` defaults to the ticker, ``title`` to
    the event id, ``exchange`` to the ticker suffix's, ``benchmark`` overrides the study's for that firm). The
    event's fields must agree on every row of the event. ``labels`` name the rows in errors
    (default: row 1, 2, ...); each error names the file, the row, the column and the value.
    """
    events: dict[str, dict[str, Any]] = {}
    first_row: dict[str, str] = {}
    tickers: dict[str, set[str]] = {}
    # the (announced, timezone) cells already parsed: an event's rows repeat them
    instants: set[tuple[str | None, str | None]] = set()
    allowed = {*EVENT_TABLE_REQUIRED, *EVENT_TABLE_OPTIONAL}
    if not rows:
        raise ConfigError(f"{file}: no events (the table has no rows)")
    for i, raw in enumerate(rows):
        label = f"{unit} {labels[i] if labels is not None else i + 1}"
        row = {str(k): _cell(v) for k, v in raw.items()}
        node = Reader(file, {k: v for k, v in row.items() if v is not None}, label)
        for key in row:
            if key not in allowed:
                raise node.fail(f"unknown column {key!r} (columns: {', '.join(sorted(allowed))})", key)
        event_id = node.text("event_id", pattern=SLUG)
        ticker = node.text("ticker", pattern=TICKER)
        instant = (row.get("announced"), row.get("timezone"))
        text = all(v is None or isinstance(v, str) for v in instant)
        if not text or instant not in instants:  # the same cells parse the same way: only their first row is parsed
            parse_instant(node, "announced")  # fails here, naming this row, rather than later in the events list
            if text:
                instants.add(instant)
        fields = {k: node.data[k] for k in _EVENT_FIELDS if node.has(k)}
        firm = {"ticker": ticker, "name": str(node.get("name", ticker))}
        if node.has("exchange"):
            firm["exchange"] = node.text("exchange")
        firm_exchange(node, ticker, firm.get("exchange"))  # a bad or contradicted exchange fails on its row
        if node.has("benchmark"):
            firm["benchmark"] = node.text("benchmark", pattern=TICKER)
        event = events.get(event_id)
        if event is None:
            events[event_id] = {"id": event_id, "title": event_id, **fields, "firms": [firm]}
            first_row[event_id] = label
            tickers[event_id] = {ticker}
            continue
        for key, value in fields.items():  # a blank cell repeats the event's value; a different one is an error
            if event.get(key) != value:
                raise node.fail(
                    f"{show(value)} differs from {show(event.get(key))} on {first_row[event_id]} of event {event_id!r}",
                    key,
                )
        if ticker in tickers[event_id]:  # a set: the check stays linear in the rows (100,000 firms in one event)
            raise node.fail(f"ticker {ticker!r} is listed twice for event {event_id!r}", "ticker")
        tickers[event_id].add(ticker)
        event["firms"].append(firm)
    return list(events.values())


def read_events_table(top: Reader, study_file: str) -> tuple[str, list[dict[str, Any]]]:
    """The CSV file named by the study file's ``events:`` value, and its rows as the ``events:`` list of a study
    file (:func:`events_from_rows`), for :mod:`eventstudy.spec.config` to validate like events written in YAML."""
    raw = str(top.get("events"))
    path = Path(raw)
    if not path.is_absolute():
        path = Path(study_file).parent / path
    try:
        if path.exists() and not path.is_file():
            raise top.fail(f"{show(raw)}: not a regular file ({path})", "events")
        if path.stat().st_size > MAX_EVENTS_FILE_BYTES:
            raise top.fail(f"{show(raw)}: larger than {MAX_EVENTS_FILE_BYTES // 2**20} MiB ({path})", "events")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            lines = list(csv.reader(handle))
    except FileNotFoundError:
        raise top.fail(f"{show(raw)}: no such events file ({path})", "events") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise top.fail(f"{show(raw)}: cannot read: {exc}", "events") from None
    if not lines:
        raise top.fail(f"{show(raw)}: the events file is empty", "events")
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
    return str(path), events_from_rows(rows, str(path), numbers, unit="line")
