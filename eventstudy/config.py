"""Study files (``events.yaml``) → a typed, validated :class:`Study`.

The schema is documented in ``docs/events-schema.md``. Every problem is reported as one line naming the file,
the field (as a path such as ``events[0].firms[1].ticker``) and the offending value.

YAML is read with timestamps left as text, so that ``2019-10-07`` never silently becomes a naive datetime: the
announcement instant must carry a UTC offset or a ``timezone`` field.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from .errors import ConfigError

# The tests of eventstudy.inference.TESTS (kept in step by tests/test_config.py; the config stage imports no tests).
TEST_NAMES = (
    "csect_t", "bw_t", "patell_z", "bmp_t", "kp_bmp_t", "corrado_rank", "sign_cz", "gen_sign_z", "grank_t",
    "wilcoxon_z", "bhar_skew_t", "bhar_boot_t", "portfolio_t", "placebo_p",
)  # fmt: skip
MODELS = ("market_model", "market_adjusted", "mean_adjusted", "scholes_williams", "dimson", "factor")
EXCHANGE_ALIASES = {"SZSE": "XSHE", "SSE": "XSHG", "XSHE": "XSHE", "XSHG": "XSHG"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_TICKER = re.compile(r"^[A-Za-z0-9^][A-Za-z0-9.^=_-]{0,31}$")

#: Reports-directory names a study id may not take: the index files, and the previous build's folder.
RESERVED_IDS = frozenset({"index.html", "index.json"})
RESERVED_ID_SUFFIXES = (".last-good",)
#: Largest |relative day| any window may reach: 2,520 sessions, about ten years of trading.
MAX_OFFSET = 2520
#: Largest ``dimson_lags``: each lag and lead adds a regressor, and a month of them is already extreme.
MAX_DIMSON_LAGS = 20
#: Largest number of YAML nodes a study file may describe once aliases are expanded (an "alias bomb"
#: describes billions in a few lines); the default study has about 300.
MAX_YAML_NODES = 200_000


@dataclass(frozen=True)
class Firm:
    """A listed security affected by an event."""

    ticker: str
    name: str
    exchange: str  # ISO 10383 MIC of the listing, e.g. XSHE for Shenzhen


@dataclass(frozen=True)
class Source:
    """A document an event (or claim) is taken from: file name, publication date, short quote."""

    document: str
    date: date
    quote: str
    date_approximate: bool = False


@dataclass(frozen=True)
class Event:
    """One announcement and the firms it concerns."""

    id: str
    title: str
    announced: pd.Timestamp  # tz-aware instant
    approximate: bool  # the time of day (or the date) is inferred, not stated by the documents
    note: str
    sources: tuple[Source, ...]
    firms: tuple[Firm, ...]


@dataclass(frozen=True)
class Study:
    """Everything a run needs to know, from one study file."""

    id: str
    title: str
    benchmark: str
    alternative_benchmarks: tuple[str, ...]
    model: str
    estimation_window: tuple[int, int]
    min_estimation_returns: int
    event_windows: tuple[tuple[int, int], ...]
    daily_path: tuple[int, int]
    price_chart: tuple[int, int]
    events: tuple[Event, ...]
    path: Path = field(default=Path("events.yaml"), compare=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # sections owned by later stages
    dimson_lags: int = 1  # lags (and leads) of the market in the Dimson model
    factor_file: str | None = None  # CSV of daily factor returns for model: factor (docs/factors.md)
    primary_test: str = "kp_bmp_t"  # the test of the headline table (summary.csv)

    @classmethod
    def from_events(
        cls,
        events: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        benchmark: str,
        windows: Iterable[Iterable[int]] | None = None,
        id: str = "events",  # noqa: A002 - the study file's field name
        title: str = "Event study",
        **settings: Any,
    ) -> Study:
        """A study from a table of events, one row per firm-event (see :func:`events_from_rows` for the columns).

        ``windows`` are the event windows (``event_windows``); ``settings`` are any other ``study:`` keys of the
        study file (``model``, ``estimation_window``, ``daily_path``, ...), validated exactly as in a study file.
        """
        rows = events.to_dict(orient="records") if isinstance(events, pd.DataFrame) else list(events)
        labels = list(events.index) if isinstance(events, pd.DataFrame) else None
        section: dict[str, Any] = {"id": id, "title": title, "benchmark": benchmark, **settings}
        if windows is not None:
            section["event_windows"] = [list(w) for w in windows]
        for key, value in section.items():  # YAML gives lists, never tuples
            if isinstance(value, tuple):
                section[key] = list(value)
        file = "events table"
        return parse_study({"study": section, "events": events_from_rows(rows, file, labels)}, file)

    @property
    def tickers(self) -> tuple[str, ...]:
        """Every firm ticker and the benchmarks, each once, in order of first mention."""
        seen: dict[str, None] = {}
        for ev in self.events:
            for firm in ev.firms:
                seen.setdefault(firm.ticker)
        for t in (self.benchmark, *self.alternative_benchmarks):
            seen.setdefault(t)
        return tuple(seen)

    @property
    def relative_span(self) -> tuple[int, int]:
        """The widest range of relative days any stage looks at."""
        lows = [self.estimation_window[0], self.daily_path[0], self.price_chart[0]]
        highs = [self.daily_path[1], self.price_chart[1], *(w[1] for w in self.event_windows)]
        return min(lows), max(highs)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings and rejects duplicate keys."""


_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ConfigError(f"line {key_node.start_mark.line + 1}: a key must be text or a number, got {_show(key)}")
        if key in keys:
            raise ConfigError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        keys.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class _Reader:
    """Typed access to a YAML mapping that names the file and field path in every error."""

    def __init__(self, file: str, data: Any, path: str = "") -> None:
        self.file, self.data, self.path = file, data, path

    def fail(self, message: str, key: str | None = None) -> ConfigError:
        where = self._join(key) if key is not None else self.path
        return ConfigError(f"{self.file}: {where or '(top level)'}: {message}")

    def _join(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def mapping(self, allowed: set[str]) -> None:
        if not isinstance(self.data, dict):
            raise self.fail(f"expected a mapping, got {_show(self.data)}")
        for key in self.data:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", str(key))

    def child(self, key: str | int) -> _Reader:
        value = None
        if isinstance(self.data, dict):
            value = self.data[key]
        elif isinstance(self.data, list) and isinstance(key, int):
            value = self.data[key]
        return _Reader(self.file, value, self._join(key))

    def has(self, key: str) -> bool:
        return isinstance(self.data, dict) and key in self.data and self.data[key] is not None

    def get(self, key: str, default: Any = ...) -> Any:
        if not self.has(key):
            if default is ...:
                raise self.fail("is required", key)
            return default
        return self.data[key]

    def text(self, key: str, default: Any = ..., pattern: re.Pattern[str] | None = None) -> str:
        value = self.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"expected text, got {_show(value)}", key)
        if pattern is not None and not pattern.match(value):
            raise self.fail(f"{value!r} is not allowed here (pattern {pattern.pattern})", key)
        return value.strip()

    def integer(self, key: str, default: Any = ...) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"expected a whole number, got {_show(value)}", key)
        return value

    def window(self, key: str, default: tuple[int, int]) -> tuple[int, int]:
        return _window(self.child(key)) if self.has(key) else default

    def items(self, key: str) -> list[_Reader]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(f"expected a non-empty list, got {_show(value)}", key)
        node = self.child(key)
        return [node.child(i) for i in range(len(value))]


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel, _SHORT_REPR.maxdict, _SHORT_REPR.maxlist, _SHORT_REPR.maxtuple = 2, 4, 4, 4
_SHORT_REPR.maxstring, _SHORT_REPR.maxother = 50, 50


def _show(value: Any) -> str:
    """A short repr for error messages; bounded work and length however large or deep ``value`` is."""
    text = _SHORT_REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _window(node: _Reader) -> tuple[int, int]:
    value = node.data
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise node.fail(f"expected [first, last] relative days, got {_show(value)}")
    lo, hi = int(value[0]), int(value[1])
    if lo > hi:
        raise node.fail(f"window {[lo, hi]} is reversed (first day after last day)")
    if max(abs(lo), abs(hi)) > MAX_OFFSET:
        raise node.fail(f"window {[lo, hi]} reaches beyond ±{MAX_OFFSET} sessions (about ten years)")
    return lo, hi


def parse_instant(node: _Reader, key: str, tz_key: str = "timezone") -> pd.Timestamp:
    """An ISO-8601 instant with a UTC offset, or a local time plus an IANA ``timezone`` field."""
    raw = node.text(key)
    try:
        stamp = pd.Timestamp(raw)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise node.fail(f"{_show(raw)} is not an ISO-8601 date-time (years 1678-2261)", key)
    if stamp.tzinfo is None:
        if not node.has(tz_key):
            raise node.fail(
                f"{raw!r} has no time zone; add a UTC offset (e.g. 2019-10-07T18:00:00-04:00) or a {tz_key}: field",
                key,
            )
        zone = _zone(node, tz_key)
        try:
            stamp = stamp.tz_localize(zone)
        except (ValueError, OverflowError) as exc:  # a nonexistent or ambiguous local time, or out of range
            raise node.fail(f"{raw!r} cannot be placed in {zone.key}: {_show(str(exc))}", key) from None
    elif node.has(tz_key):
        stamp = stamp.tz_convert(_zone(node, tz_key))
    return stamp


def _zone(node: _Reader, key: str) -> ZoneInfo:
    """The IANA time zone named by ``node[key]``."""
    name = node.text(key)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise node.fail(f"{name!r} is not an IANA time zone name", key) from None


def parse_date(node: _Reader, key: str) -> date:
    raw = node.get(key)
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise node.fail(f"{raw!r} is not a date (YYYY-MM-DD)", key) from None


def _source(node: _Reader) -> Source:
    node.mapping({"document", "date", "quote", "date_approximate"})
    approx = node.get("date_approximate", False)
    if not isinstance(approx, bool):
        raise node.fail(f"expected true or false, got {_show(approx)}", "date_approximate")
    return Source(node.text("document"), parse_date(node, "date"), node.text("quote"), approx)


def _firm(node: _Reader) -> Firm:
    node.mapping({"ticker", "name", "exchange"})
    ticker = node.text("ticker", pattern=_TICKER)
    exchange = node.text("exchange").upper()
    if exchange not in EXCHANGE_ALIASES:
        raise node.fail(f"{exchange!r} is not a known exchange ({', '.join(sorted(EXCHANGE_ALIASES))})", "exchange")
    return Firm(ticker, node.text("name"), EXCHANGE_ALIASES[exchange])


def _event(node: _Reader) -> Event:
    node.mapping({"id", "title", "announced", "timezone", "approximate", "note", "sources", "firms"})
    approx = node.get("approximate", False)
    if not isinstance(approx, bool):
        raise node.fail(f"expected true or false, got {_show(approx)}", "approximate")
    firms = tuple(_firm(f) for f in node.items("firms"))
    seen: set[str] = set()
    for i, firm in enumerate(firms):
        if firm.ticker in seen:
            raise node.child("firms").child(i).fail(f"ticker {firm.ticker!r} is listed twice in this event", "ticker")
        seen.add(firm.ticker)
    sources = tuple(_source(s) for s in node.items("sources")) if node.has("sources") else ()
    return Event(
        id=node.text("id", pattern=_SLUG),
        title=node.text("title"),
        announced=parse_instant(node, "announced"),
        approximate=approx,
        note=node.text("note", "") if node.has("note") else "",
        sources=sources,
        firms=firms,
    )


EVENT_TABLE_REQUIRED = ("event_id", "ticker", "announced")
EVENT_TABLE_OPTIONAL = ("timezone", "exchange", "name", "title", "approximate", "note")
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
    rows: Sequence[Mapping[str, Any]], file: str, labels: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Rows of an events table → the ``events:`` list of a study file (one entry per event, firms grouped).

    Columns: ``event_id``, ``ticker``, ``announced`` (required); ``timezone``, ``exchange``, ``name``,
    ``title``, ``approximate``, ``note`` (optional; ``name`` defaults to the ticker, ``title`` to the event
    id). The event's fields must agree on every row of the event. ``labels`` name the rows in errors
    (default: row 1, 2, ...); each error names the file, the row, the column and the value.
    """
    events: dict[str, dict[str, Any]] = {}
    first_row: dict[str, str] = {}
    allowed = {*EVENT_TABLE_REQUIRED, *EVENT_TABLE_OPTIONAL}
    if not rows:
        raise ConfigError(f"{file}: no events (the table has no rows)")
    for i, raw in enumerate(rows):
        label = f"row {labels[i] if labels is not None else i + 1}"
        row = {str(k): _cell(v) for k, v in raw.items()}
        node = _Reader(file, {k: v for k, v in row.items() if v is not None}, label)
        for key in row:
            if key not in allowed:
                raise node.fail(f"unknown column {key!r} (columns: {', '.join(sorted(allowed))})", key)
        event_id = node.text("event_id", pattern=_SLUG)
        ticker = node.text("ticker", pattern=_TICKER)
        parse_instant(node, "announced")  # fails here, naming this row, rather than later in the events list
        fields = {k: node.data[k] for k in _EVENT_FIELDS if node.has(k)}
        firm = {"ticker": ticker, "name": str(node.get("name", ticker))}
        if node.has("exchange"):
            firm["exchange"] = node.text("exchange")
        event = events.get(event_id)
        if event is None:
            events[event_id] = {"id": event_id, "title": event_id, **fields, "firms": [firm]}
            first_row[event_id] = label
            continue
        for key, value in fields.items():  # a blank cell repeats the event's value; a different one is an error
            if event.get(key) != value:
                raise node.fail(
                    f"{value!r} differs from {event.get(key)!r} on {first_row[event_id]} of event {event_id!r}", key
                )
        if any(f["ticker"] == ticker for f in event["firms"]):
            raise node.fail(f"ticker {ticker!r} is listed twice for event {event_id!r}", "ticker")
        event["firms"].append(firm)
    return list(events.values())


def parse_study(data: Any, file: str = "events.yaml", extra_sections: set[str] | None = None) -> Study:
    """Validate an already-loaded YAML document; see :func:`load_study`."""
    top = _Reader(file, data)
    extra_sections = extra_sections or {"claims", "cross_section"}
    top.mapping({"study", "events", *extra_sections})
    s = top.child("study")
    s.mapping(
        {
            "id", "title", "benchmark", "alternative_benchmarks", "model", "estimation_window",
            "min_estimation_returns", "event_windows", "daily_path", "price_chart", "dimson_lags", "factor_file",
            "primary_test",
        }
    )  # fmt: skip
    model = s.text("model", "market_model")
    if model not in MODELS:
        raise s.fail(f"{model!r} is not a model ({', '.join(MODELS)})", "model")
    alternatives = s.get("alternative_benchmarks", [])
    if not isinstance(alternatives, list) or not all(isinstance(a, str) and _TICKER.match(a) for a in alternatives):
        raise s.fail(f"expected a list of tickers, got {_show(alternatives)}", "alternative_benchmarks")
    primary_test = s.text("primary_test", "kp_bmp_t")
    if primary_test not in TEST_NAMES:
        raise s.fail(f"{primary_test!r} is not a test ({', '.join(TEST_NAMES)})", "primary_test")
    est = s.window("estimation_window", (-260, -11))
    windows = tuple(_window(w) for w in s.items("event_windows")) if s.has("event_windows") else (
        (-1, 1), (0, 1), (0, 5), (0, 10)
    )  # fmt: skip
    path = s.window("daily_path", (-10, 20))
    chart = s.window("price_chart", (-60, 60))
    min_obs = s.integer("min_estimation_returns", 120)
    if min_obs < 3:
        raise s.fail(
            f"{min_obs} is too few; at least 3 returns are needed to estimate a variance", "min_estimation_returns"
        )
    if est[1] >= 0:
        raise s.fail(f"estimation window {list(est)} must end before day 0", "estimation_window")
    if est[1] - est[0] + 1 < min_obs:
        raise s.fail(
            f"estimation window {list(est)} has {est[1] - est[0] + 1} sessions, fewer than min_estimation_returns={min_obs}",
            "estimation_window",
        )
    for i, w in enumerate((*windows, path)):
        if w[0] <= est[1]:
            name = "daily_path" if i == len(windows) else f"event_windows[{i}]"
            raise s.fail(f"window {list(w)} overlaps the estimation window {list(est)}", name)
    events = tuple(_event(e) for e in top.items("events"))
    ids = [e.id for e in events]
    for i, ev_id in enumerate(ids):
        if ev_id in ids[:i]:
            raise top.child("events").child(i).fail(f"duplicate event id {ev_id!r}", "id")
    study = Study(
        id=study_id(s),
        title=s.text("title"),
        benchmark=s.text("benchmark", "000300.SS", pattern=_TICKER),
        alternative_benchmarks=tuple(alternatives),
        model=model,
        estimation_window=est,
        min_estimation_returns=min_obs,
        event_windows=windows,
        daily_path=path,
        price_chart=chart,
        events=events,
        path=Path(file),
        extra={k: data[k] for k in extra_sections if k in data},
        dimson_lags=_dimson_lags(s),
        factor_file=s.text("factor_file") if s.has("factor_file") else None,
        primary_test=primary_test,
    )
    check_benchmark_is_not_a_firm(study, top)
    return study


def study_id(node: _Reader) -> str:
    """``study.id``: a slug that names ``reports/<id>/`` and collides with nothing else the reports folder holds."""
    value = node.text("id", pattern=_SLUG)
    if value in RESERVED_IDS or value.endswith(RESERVED_ID_SUFFIXES):
        reserved = ", ".join([*sorted(RESERVED_IDS), *(f"*{x}" for x in RESERVED_ID_SUFFIXES)])
        raise node.fail(f"{value!r} is reserved in the reports folder ({reserved})", "id")
    return value


def _dimson_lags(node: _Reader) -> int:
    lags = node.integer("dimson_lags", 1)
    if not 0 <= lags <= MAX_DIMSON_LAGS:
        raise node.fail(f"{lags} is out of range (0..{MAX_DIMSON_LAGS})", "dimson_lags")
    return lags


def check_benchmark_is_not_a_firm(study: Study, top: _Reader) -> None:
    """A firm regressed on itself gives α = 0, β = 1, σ = 0 and no test at all: refuse it. The benchmark checked is
    each firm's effective one (``Study.benchmark_of`` where benchmarks are set per exchange or per firm)."""
    benchmark_of = getattr(study, "benchmark_of", None)
    events = top.child("events")
    for i, ev in enumerate(study.events):
        for j, firm in enumerate(ev.firms):
            benchmark = benchmark_of(firm) if callable(benchmark_of) else study.benchmark
            if firm.ticker == benchmark:
                raise (
                    events.child(i)
                    .child("firms")
                    .child(j)
                    .fail(f"{firm.ticker!r} is also its benchmark; a firm cannot be its own market", "ticker")
                )


def load_study(path: str | Path) -> Study:
    """Read and validate a study file. Raises :class:`ConfigError` with a one-line message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = read_yaml(text)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: malformed YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: {where}malformed YAML: {problem}") from None
    return parse_study(data, str(path))


def read_yaml(text: str) -> Any:
    """Parse one YAML document with :class:`_StrictLoader`, refusing before construction one that would expand
    (through aliases) to more than :data:`MAX_YAML_NODES` nodes."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = expanded_size(node)
        if size > MAX_YAML_NODES:
            raise ConfigError(
                f"the document expands to more than {MAX_YAML_NODES:,} values (aliases reused too often); "
                "refusing to read it"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(root: yaml.Node) -> int:
    """Nodes in the document once every alias is expanded, counted without expanding (each node once, memoised);
    a node that contains itself counts as unbounded."""
    sizes: dict[int, int] = {}
    unbounded = MAX_YAML_NODES + 1
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            sizes[key] = min(unbounded, 1 + sum(sizes[id(c)] for c in children))
            open_nodes.discard(key)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return unbounded  # a recursive alias
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
