"""Placebo studies on a whole exchange: random firm-events, the full engine and test battery, the null.

``eventstudy placebo --universe PATH --events N --seed S [--window a,b]`` (options:
:mod:`eventstudy.cli.placebo`) draws ``N`` firm-events at random
(a uniformly random (firm, session) pair among those with enough estimation history and data around day 0),
groups them into pseudo-studies of ``--firms-per-study`` firm-events (each its own ``event_id``), runs
:func:`eventstudy.model.engine.abnormal_returns` and :func:`eventstudy.inference.significance_table` on them in chunks,
and reports

* the null distribution of the firm-level CAR over the window (mean, sd, quantiles) and of the pseudo-studies'
  CAAR, and
* each test's rejection rate: the fraction of pseudo-studies whose p-value is below ``--alpha`` (with no event
  there should be about ``alpha``; more means the test over-rejects). ``firm_t`` is the per-firm-event t test
  of the CAR (share of firm-events rejected).

With ``--clustered`` all firms of a pseudo-study share one random day 0 (event-date clustering), the setting in
which tests that assume independent firms over-reject.

Eligibility of a (firm, day 0) pair: the firm's data cover every session from the start of the estimation
window to the end of the event window, the estimation window holds at least ``--min-estimation-returns``
single-session returns, and the firm trades at least once in the event window.

Execution: the firm-events are split into chunks (a multiple of the pseudo-study size, so no study straddles
two chunks; the size bounds memory). ``--executor local`` runs them in this process or, with ``--workers 2``
(the default from 20,000 firm-events on), round-robin between this process and a forked one;
``--executor dask[:ADDRESS]`` submits them to a ``dask.distributed`` cluster (a local one when no address is
given) after broadcasting the panel once. Results are concatenated in chunk order, so every executor gives
identical numbers.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .draw import Draw, DrawnEvents, draw_events, eligible, firm_events, study_groups, study_id
    from .result import FIRM_COLUMNS, QUANTILES, PlaceboResult
    from .run import Context, chunks, inject_day0, parse_executor, prepare, run_chunk, run_placebo, tests_table
    from .spec import BYTES_PER_CELL, DEFAULT_CHUNK_MB, FAST_MODELS, MAX_CHUNK, PlaceboSpec

# public name → the module of this package that defines it; imported on first use, so that the command line can
# read the placebo's options (:mod:`eventstudy.placebo.executors`) without numpy and pandas.
_EXPORTS = {
    **dict.fromkeys(("Draw", "DrawnEvents", "draw_events", "eligible", "firm_events", "study_groups", "study_id"), "draw"),
    **dict.fromkeys(("FIRM_COLUMNS", "QUANTILES", "PlaceboResult"), "result"),
    **dict.fromkeys(("Context", "chunks", "inject_day0", "parse_executor", "prepare", "run_chunk", "run_placebo",
                     "tests_table"), "run"),
    **dict.fromkeys(("BYTES_PER_CELL", "DEFAULT_CHUNK_MB", "FAST_MODELS", "MAX_CHUNK", "PlaceboSpec"), "spec"),
}  # fmt: skip

__all__ = [
    "BYTES_PER_CELL", "DEFAULT_CHUNK_MB", "FAST_MODELS", "FIRM_COLUMNS", "MAX_CHUNK", "QUANTILES", "Context", "Draw",
    "DrawnEvents", "PlaceboResult", "PlaceboSpec", "chunks", "draw_events", "eligible", "firm_events", "inject_day0",
    "parse_executor", "prepare", "run_chunk", "run_placebo", "study_groups", "study_id", "tests_table",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
