"""Study files (``events.yaml``) → a typed, validated :class:`Study`.

The schema is documented in ``docs/events-schema.md``. Every problem is reported as one line naming the file,
the field (as a path such as ``events[0].firms[1].ticker``) and the offending value.

YAML is read by :mod:`eventstudy.spec.yaml_safe`, with timestamps left as text, so that ``2019-10-07`` never silently
becomes a naive datetime: the announcement instant must carry a UTC offset or a ``timezone`` field, and a time of
day (a bare date is refused rather than read as midnight, which would move day 0 for a session that closes before
the news broke; :func:`eventstudy.spec.fields.parse_instant`). Fields are read through :class:`eventstudy.spec.fields.Reader`.

``events`` is a list of events or the path of a CSV table of firm-events (:mod:`eventstudy.spec.events_table`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import ConfigError
from .benchmarks import firm_benchmark, no_benchmark, read_benchmarks
from .events import Event, Firm, day0_rule, read_event
from .events_table import events_from_rows, read_events_table
from .factor_models import LIBRARY_MODELS, read_factor_region
from .fields import SLUG, TICKER, Reader, show
from .news import ConfounderSettings, confounder_settings
from .windows import estimation_exclude, read_windows
from .yaml_safe import read_yaml

# The tests of eventstudy.inference.TESTS (kept in step by tests/spec/test_config.py; the config stage imports no tests).
TEST_NAMES = (
    "csect_t", "bw_t", "patell_z", "bmp_t", "kp_bmp_t", "corrado_rank", "sign_cz", "gen_sign_z", "grank_t",
    "wilcoxon_z", "bhar_skew_t", "bhar_boot_t", "portfolio_t", "placebo_p", "mvrm_wald", "garch_bmp_t",
)  # fmt: skip
#: ``expensive_tests:`` values: when the tests that fit a model per firm run (see Study.expensive_tests).
EXPENSIVE_CHOICES = ("auto", "all", "none")
MODELS = ("market_model", "market_adjusted", "mean_adjusted", "scholes_williams", "dimson", "factor", *LIBRARY_MODELS,
          "garch")  # fmt: skip
EXCHANGE_ALIASES = {"SZSE": "XSHE", "SSE": "XSHG", "XSHE": "XSHE", "XSHG": "XSHG"}

#: Reports-directory names a study id may not take: the index files, and the previous build's folder.
RESERVED_IDS = frozenset({"index.html", "index.json"})
RESERVED_ID_SUFFIXES = (".last-good",)
#: Largest ``dimson_lags``: each lag and lead adds a regressor, and a month of them is already extreme.
MAX_DIMSON_LAGS = 20
MAX_STUDY_FILE_BYTES = 16 * 2**20  # a study file larger than this is refused before it is parsed


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
    factor_region: dict[str, str] = field(default_factory=dict)  # MIC or "*" → data-library region (ff3/ff5/carhart)
    benchmarks: dict[str, str] = field(default_factory=dict)  # exchange MIC → benchmark (``benchmark:`` mapping)
    day0_rule: str = "close"  # the study's default day-0 rule (an event may override it)
    events_file: str | None = None  # the CSV table named by ``events:``, if the events are given as one
    # Sessions left out of every estimation sample: ``study_events`` (each firm's other events' periods,
    # :attr:`event_period`), ``none``, or a tuple of dates (:func:`estimation_exclude`; docs/events-schema.md).
    estimation_exclude: str | tuple[date, ...] = "study_events"
    # The confounder screen's keys (``confounders``, ``exclude_confounded``, ``shock_threshold``): docs/confounders.md.
    confounders: ConfounderSettings = field(default_factory=ConfounderSettings)
    long_window: tuple[int, int] | None = None  # long-horizon BHARs and calendar-time alpha (long_horizon.csv)

    def benchmark_of(self, firm: Firm) -> str:
        """The benchmark of a firm: its own, else the mapping's entry for its exchange (or for another exchange on
        the same calendar, e.g. XNAS under XNYS), else the study's single benchmark if it trades on the firm's
        calendar (:func:`firm_benchmark`)."""
        found = firm_benchmark(None if self.benchmarks else self.benchmark, self.benchmarks, firm)
        if found is None:  # parse_study refuses such a study; a Study built by hand may still hold one
            raise ConfigError(f"{self.path}: {no_benchmark(firm, self.benchmark, self.benchmarks)}")
        return found

    primary_test: str = "kp_bmp_t"  # the test of the headline table (summary.csv)
    # Tests that fit a model per firm (garch_bmp_t): ``auto`` (up to EXPENSIVE_AUTO_FIRM_EVENTS firm-events, or
    # when it is the primary test), ``all`` or ``none`` (docs/events-schema.md).
    expensive_tests: str = "auto"
    # the pre-event drift test's window (eventstudy.inference.pretrend); None: the estimation window leaves no room
    pre_window: tuple[int, int] | None = (-10, -1)

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
        if isinstance(events, pd.DataFrame):
            rows, labels = events.to_dict(orient="records"), list(events.index)
        elif isinstance(events, Iterable) and not isinstance(events, (str, bytes, Mapping)):
            rows, labels = list(events), None
            bad = next((i for i, row in enumerate(rows) if not isinstance(row, Mapping)), None)
            if bad is not None:
                raise ConfigError(
                    f"from_events: row {bad} is a {type(rows[bad]).__name__}, not a mapping of column → value"
                )
        else:
            raise ConfigError(
                "from_events: expected a DataFrame or a list of rows (dicts of column → value), got "
                f"{type(events).__name__}"
            )
        if not isinstance(benchmark, (str, Mapping)):
            raise ConfigError(
                f"from_events: benchmark: expected a ticker or a mapping exchange → ticker, got {benchmark!r:.60}"
            )
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
        for firm in dict.fromkeys(f for ev in self.events for f in ev.firms):  # each firm once (it recurs)
            seen.setdefault(self.benchmark_of(firm))
        for t in (self.benchmark, *self.benchmarks.values(), *self.alternative_benchmarks):
            seen.setdefault(t)
        return tuple(seen)

    def input_files(self) -> dict[str, Path]:
        """Every file besides the study file that this study reads, by role: the events table, the factor file,
        the cross-section characteristics (relative names resolved against the study file's folder). A rebuild
        hashes each of them whole (:func:`eventstudy.study.run.input_hash`)."""
        here = Path(self.path).parent
        named = {
            "events": self.events_file,
            "factor_file": self.factor_file,
            "confounders": self.confounders.file,
            "cross_section.characteristics": (self.extra.get("cross_section") or {}).get("characteristics")
            if isinstance(self.extra.get("cross_section"), dict)
            else None,
        }
        return {
            role: (Path(name) if Path(name).is_absolute() else here / name)
            for role, name in named.items()
            if isinstance(name, str) and name
        }

    @property
    def event_period(self) -> tuple[int, int]:
        """The relative sessions an event's own analysis reads: from the first day of the earliest event window or
        of the daily path to the last day of the latest (``[-10, 20]`` by default). With ``estimation_exclude:
        study_events`` these sessions of a firm's other events are left out of its estimation sample."""
        windows = (*self.event_windows, self.daily_path)
        return min(w[0] for w in windows), max(w[1] for w in windows)

    @property
    def relative_span(self) -> tuple[int, int]:
        """The widest range of relative days any stage looks at."""
        lows = [self.estimation_window[0], self.daily_path[0], self.price_chart[0], *(self.pre_window or ())[:1]]
        highs = [self.daily_path[1], self.price_chart[1], *(w[1] for w in self.event_windows)]
        highs += [self.long_window[1]] if self.long_window is not None else []
        return min(lows), max(highs)


def parse_study(data: Any, file: str = "events.yaml", extra_sections: set[str] | None = None) -> Study:
    """Validate an already-loaded YAML document; see :func:`load_study`."""
    top = Reader(file, data)
    extra_sections = extra_sections or {"claims", "cross_section"}
    top.mapping({"study", "events", *extra_sections})
    for section in ("study", "events"):
        if not top.has(section):
            raise top.fail("is required", section)
    s = top.child("study")
    s.mapping(
        {
            "id", "title", "benchmark", "alternative_benchmarks", "model", "estimation_window",
            "min_estimation_returns", "event_windows", "daily_path", "price_chart", "dimson_lags", "factor_file",
            "factor_region", "day0",
            "primary_test", "estimation_exclude", "expensive_tests", "pre_window", "long_window",
            "confounders", "exclude_confounded", "shock_threshold",
        }
    )  # fmt: skip
    model = s.text("model", "market_model")
    if model not in MODELS:
        raise s.fail(f"{model!r} is not a model ({', '.join(MODELS)})", "model")
    if s.has("factor_region") and model not in LIBRARY_MODELS:
        raise s.fail(
            f"only models {', '.join(LIBRARY_MODELS)} read a factor region (model is {model!r})", "factor_region"
        )
    if model == "factor" and not s.has("factor_file"):
        raise s.fail("model 'factor' needs a factor_file: a CSV of daily factor returns (docs/factors.md)", "model")
    alternatives = s.get("alternative_benchmarks", [])
    if not isinstance(alternatives, list) or not all(isinstance(a, str) and TICKER.match(a) for a in alternatives):
        raise s.fail(f"expected a list of tickers, got {show(alternatives)}", "alternative_benchmarks")
    primary_test = s.text("primary_test", "kp_bmp_t")
    if primary_test not in TEST_NAMES:
        raise s.fail(f"{primary_test!r} is not a test ({', '.join(TEST_NAMES)})", "primary_test")
    expensive = s.text("expensive_tests", "auto")
    if expensive not in EXPENSIVE_CHOICES:
        raise s.fail(f"{expensive!r} is not one of {', '.join(EXPENSIVE_CHOICES)}", "expensive_tests")
    windows = read_windows(s)
    rule = day0_rule(s, "close")
    benchmark, benchmarks = read_benchmarks(s)
    table: str | None = None
    known: dict[tuple, Firm] = {}  # the firms read so far, by their entries (a ticker recurs across events)
    if isinstance(top.get("events"), str):
        table, rows = read_events_table(top, file)
        events = tuple(read_event(e, rule, known) for e in Reader(table, {"events": rows}).items("events"))
    else:
        events = tuple(read_event(e, rule, known) for e in top.items("events"))
    served: set[Firm] = set()  # the firms found a benchmark (the same firm, the same answer)
    for i, ev in enumerate(events):
        for j, firm in enumerate(ev.firms):
            if firm in served:
                continue
            if firm_benchmark(benchmark, benchmarks, firm) is None:
                where = (
                    top.child("events").child(i).child("firms").child(j)
                    if isinstance(top.data["events"], list)
                    else top
                )
                raise where.fail(
                    no_benchmark(firm, benchmark, benchmarks), "exchange" if where is not top else "events"
                )
            served.add(firm)
    if benchmark is None:  # every firm names its own: the first one is the study's default (claims)
        benchmark = next(f.benchmark for ev in events for f in ev.firms if f.benchmark is not None)
    seen_ids: set[str] = set()
    for i, ev_id in enumerate(e.id for e in events):
        if ev_id in seen_ids:
            raise top.child("events").child(i).fail(f"duplicate event id {ev_id!r}", "id")
        seen_ids.add(ev_id)
    study = Study(
        id=study_id(s),
        title=s.text("title"),
        benchmark=benchmark,
        alternative_benchmarks=tuple(alternatives),
        model=model,
        estimation_window=windows.estimation,
        min_estimation_returns=windows.min_estimation_returns,
        event_windows=windows.events,
        daily_path=windows.daily_path,
        price_chart=windows.price_chart,
        events=events,
        path=Path(file),
        extra={k: data[k] for k in extra_sections if k in data},
        dimson_lags=_dimson_lags(s),
        factor_file=s.text("factor_file") if s.has("factor_file") else None,
        factor_region=read_factor_region(s),
        benchmarks=benchmarks,
        day0_rule=rule,
        events_file=table,
        primary_test=primary_test,
        estimation_exclude=estimation_exclude(s),
        confounders=confounder_settings(s, file),
        expensive_tests=expensive,
        pre_window=windows.pre,
        long_window=windows.long,
    )
    check_benchmark_is_not_a_firm(study, top)
    return study


def study_id(node: Reader) -> str:
    """``study.id``: a slug that names ``reports/<id>/`` and collides with nothing else the reports folder holds."""
    value = node.text("id", pattern=SLUG)
    if value in RESERVED_IDS or value.endswith(RESERVED_ID_SUFFIXES):
        reserved = ", ".join([*sorted(RESERVED_IDS), *(f"*{x}" for x in RESERVED_ID_SUFFIXES)])
        raise node.fail(f"{value!r} is reserved in the reports folder ({reserved})", "id")
    return value


def _dimson_lags(node: Reader) -> int:
    lags = node.integer("dimson_lags", 1)
    if not 0 <= lags <= MAX_DIMSON_LAGS:
        raise node.fail(f"{lags} is out of range (0..{MAX_DIMSON_LAGS})", "dimson_lags")
    return lags


def check_benchmark_is_not_a_firm(study: Study, top: Reader) -> None:
    """A firm regressed on itself gives α = 0, β = 1, σ = 0 and no test at all: refuse it. The benchmark checked is
    each firm's effective one (``Study.benchmark_of`` where benchmarks are set per exchange or per firm)."""
    events = top.child("events")
    for i, ev in enumerate(study.events):
        for j, firm in enumerate(ev.firms):
            if firm.ticker == study.benchmark_of(firm):
                raise (
                    events.child(i)
                    .child("firms")
                    .child(j)
                    .fail(f"{firm.ticker!r} is also its benchmark; a firm cannot be its own market", "ticker")
                )


def load_study(path: str | Path) -> Study:
    """Read and validate a study file. Raises :class:`ConfigError` with a one-line message."""
    if not isinstance(path, (str, Path)):
        raise ConfigError(f"load_study: expected the path of a study file (str or Path), got {type(path).__name__}")
    path = Path(path)
    try:
        with path.open("rb") as handle:  # at most the cap and one byte: /dev/zero or a huge file ends here
            raw = handle.read(MAX_STUDY_FILE_BYTES + 1)
        if len(raw) > MAX_STUDY_FILE_BYTES:
            raise ConfigError(
                f"{path}: more than {MAX_STUDY_FILE_BYTES // 2**20} MiB; a study file is a page of YAML (put many "
                "events in an events table: events: FILE.csv)"
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {' '.join(str(exc).split())[:200]}") from None
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
