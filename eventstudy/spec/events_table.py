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
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
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
    if type(value) is str:  # (most cells: the rows of a CSV file)
        return value if value.strip() else None
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _Row:
    """One row's cells (``cells``), with the row's :class:`~eventstudy.spec.fields.Reader` made when a cell is
    checked or an error named (``reader``)."""

    __slots__ = ("cells", "_file", "_label", "_reader")

    def __init__(self, file: str, cells: dict[str, Any], label: Callable[[], str]) -> None:
        self.cells, self._file, self._label = cells, file, label
        self._reader: Reader | None = None

    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = Reader(self._file, {k: v for k, v in self.cells.items() if v is not None}, self._label())
        return self._reader


class _Checked:
    """The cells of an events table already validated, by value: a value is checked where it first appears (the
    first row that could fail on it), and a row repeating it takes the result. The checks are those of
    :class:`~eventstudy.spec.fields.Reader` and :func:`~eventstudy.spec.fields.firm_exchange`, which depend on the
    cell's value alone, so the rows give the same events and the same first error, on the same row, as checking
    every cell of every row; a table's ids and tickers repeat (50 events over 2,000 tickers in 50,000 rows)."""

    def __init__(self) -> None:
        self.texts: dict[tuple[str, str], str] = {}  # (column, raw text) → the stripped text
        self.firms: dict[tuple[Any, ...], dict[str, str]] = {}  # (ticker, name, exchange, benchmark) cells

    def text(self, row: _Row, key: str, pattern: re.Pattern[str]) -> str:
        """``Reader.text(key, pattern=pattern)`` of the row's cell."""
        value = row.cells.get(key)
        got = self.texts.get((key, value)) if type(value) is str else None
        if got is None:
            got = row.reader().text(key, pattern=pattern)
            if type(value) is str:
                self.texts[key, value] = got
        return got

    def firm(self, row: _Row, ticker: str) -> dict[str, str]:
        """The row's ``firms:`` entry: ticker, name, exchange and benchmark checked as the YAML reader would."""
        cells = row.cells
        others = (cells.get("name"), cells.get("exchange"), cells.get("benchmark"))
        # only texts are taken from earlier rows: a row given in Python may hold 1 where another holds True (equal
        # keys, different names) or a list (no key at all)
        cacheable = all(v is None or type(v) is str for v in others)
        key = (ticker, *others)
        known = self.firms.get(key) if cacheable else None
        if known is not None:
            return dict(known)
        reader = row.reader()
        firm = {"ticker": ticker, "name": str(reader.get("name", ticker))}
        if reader.has("exchange"):
            firm["exchange"] = reader.text("exchange")
        firm_exchange(reader, ticker, firm.get("exchange"))  # a bad or contradicted exchange fails on its row
        if reader.has("benchmark"):
            firm["benchmark"] = reader.text("benchmark", pattern=TICKER)
        if cacheable:
            self.firms[key] = firm
        return dict(firm)


def events_from_rows(
    rows: Sequence[Mapping[str, Any]], file: str, labels: Sequence[Any] | None = None, unit: str = "row"
) -> list[dict[str, Any]]:
    """Rows of an events table → the ``events:`` list of a study file (one entry per event, firms grouped).

    Columns: ``event_id``, ``ticker``, ``announced`` (required); ``timezone``, ``exchange``, ``name``,
    ``title``, ``approximate``, ``note``, ``benchmark`` (optional; ``name`` defaults to the ticker, ``title`` to
    the event id, ``exchange`` to the ticker suffix's, ``benchmark`` overrides the study's for that firm). The
    event's fields must agree on every row of the event. ``labels`` name the rows in errors
    (default: row 1, 2, ...); each error names the file, the row, the column and the value. Each distinct cell is
    checked once (:class:`_Checked`).
    """
    events: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    tickers: dict[str, set[str]] = {}
    # the (announced, timezone) cells already parsed: an event's rows repeat them
    instants: set[tuple[str | None, str | None]] = set()
    allowed = {*EVENT_TABLE_REQUIRED, *EVENT_TABLE_OPTIONAL}
    # the rows' column sets already checked (a CSV's rows share one), each with the event fields among its columns
    known_columns: dict[tuple[str, ...], tuple[str, ...]] = {}
    checked = _Checked()
    if not rows:
        raise ConfigError(f"{file}: no events (the table has no rows)")

    def label(i: int) -> str:
        return f"{unit} {labels[i] if labels is not None else i + 1}"

    for i, raw in enumerate(rows):
        cells = {str(k): _cell(v) for k, v in raw.items()}
        row = _Row(file, cells, partial(label, i))
        columns = tuple(cells)
        present = known_columns.get(columns)
        if present is None:
            for key in cells:
                if key not in allowed:
                    raise row.reader().fail(f"unknown column {key!r} (columns: {', '.join(sorted(allowed))})", key)
            present = known_columns[columns] = tuple(k for k in _EVENT_FIELDS if k in cells)
        event_id = checked.text(row, "event_id", SLUG)
        ticker = checked.text(row, "ticker", TICKER)
        instant = (cells.get("announced"), cells.get("timezone"))
        announced, zone = instant  # (two tests, not a generator: once per row)
        text = (announced is None or isinstance(announced, str)) and (zone is None or isinstance(zone, str))
        if not text or instant not in instants:  # the same cells parse the same way: only their first row is parsed
            # fails here, naming this row, rather than later in the events list
            parse_instant(row.reader(), "announced")
            if text:
                instants.add(instant)
        fields = {k: cells[k] for k in present if cells[k] is not None}
        firm = checked.firm(row, ticker)
        event = events.get(event_id)
        if event is None:
            events[event_id] = {"id": event_id, "title": event_id, **fields, "firms": [firm]}
            first_row[event_id] = i
            tickers[event_id] = {ticker}
            continue
        for key, value in fields.items():  # a blank cell repeats the event's value; a different one is an error
            if event.get(key) != value:
                raise row.reader().fail(
                    f"{show(value)} differs from {show(event.get(key))} on {label(first_row[event_id])} of event "
                    f"{event_id!r}",
                    key,
                )
        if ticker in tickers[event_id]:  # a set: the check stays linear in the rows (100,000 firms in one event)
            raise row.reader().fail(f"ticker {ticker!r} is listed twice for event {event_id!r}", "ticker")
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
        if not "".join(values).strip():  # a blank line
            continue
        if len(values) != len(header):
            raise ConfigError(f"{path}: line {number}: {len(values)} fields, the header has {len(header)}")
        rows.append(dict(zip(header, [v.strip() or None for v in values], strict=True)))
        numbers.append(number)
    return str(path), events_from_rows(rows, str(path), numbers, unit="line")
