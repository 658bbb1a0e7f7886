"""The headline with and without the confounded firm-events: rows of ``sensitivity.csv``.

Whatever ``exclude_confounded`` says, a reader sees how much the confounded firm-events
(:mod:`eventstudy.study.confounders`) move the headline. Per event and event window, one row with the columns of
``sensitivity.csv`` (:mod:`eventstudy.study.sensitivity`):

* ``role`` ``without_confounded`` (``exclude_confounded: false``, the default): the headline of the event's firm-events
  that are not confounded; with ``exclude_confounded: true`` the headline already leaves them out, and the row is
  the other choice, ``with_confounded``: the headline counting them.
* ``benchmark``, ``exchange`` — the main run's; ``calendar`` — the calendars of the event's firms.
* ``n_firms``, ``caar``, ``test``, ``statistic``, ``p_value`` — the columns of ``summary.csv`` over those
  firm-events only: the same estimates and CARs (which do not depend on the other firm-events), the study's
  ``primary_test`` over them; ``caar_diff`` — ``caar`` less the headline's.
* An event without a confounded firm-event repeats its headline row (``caar_diff`` 0; ``note`` says so) without a
  re-run; an event whose firm-events are all confounded has no figure without them (``note``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..data.base import PriceProvider
from ..data.earnings_source import load_earnings
from ..inference import significance_table
from ..model.engine import AbnormalReturns
from .confounders import ConfounderScreen, flagged_rows
from .screen_inputs import ConfounderInputs
from .sensitivity import COLUMNS, Headline, _by_event, _event_keys, _row, _typed, empty_frame
from .summary import event_markets, study_summary, summary_frame

if TYPE_CHECKING:
    from .plan import StudyInputs
    from .results import StudyResults

WITHOUT, WITH = "without_confounded", "with_confounded"


def with_earnings(inputs: StudyInputs, provider: PriceProvider) -> StudyInputs:
    """``inputs`` with the earnings dates of its firms from ``provider``'s earnings source
    (:func:`eventstudy.data.earnings.load_earnings`; none for the snapshot, which the screen reports)."""
    tickers = [fe.ticker for fe in inputs.firm_events]
    return dataclasses.replace(inputs, confounders=ConfounderInputs(load_earnings(provider, tickers)))


def with_screen(inputs: StudyInputs, screen: ConfounderScreen) -> StudyInputs:
    """``inputs`` carrying the main run's confounded firm-events, for the runs over part of the study (benchmark
    sensitivity) to leave out the same ones under ``exclude_confounded``."""
    base = inputs.confounders or ConfounderInputs()
    keys = screen.keys(inputs.firm_events)
    return dataclasses.replace(inputs, confounders=dataclasses.replace(base, confounded=keys))


def _left_out(study, screen: ConfounderScreen, n: int) -> np.ndarray:
    """The firm-events the other choice leaves out: the confounded ones under the default, none under
    ``exclude_confounded`` (whose headline already leaves them out)."""
    return np.zeros(n, dtype=bool) if study.confounders.exclude else screen.confounded


def confounder_tests(
    inputs: StudyInputs, results: StudyResults, screen: ConfounderScreen, ab: AbnormalReturns, gaps: np.ndarray
) -> pd.DataFrame | None:
    """The other choice's primary test over the event windows (what :func:`confounder_sensitivity` reads; the
    main run's tests are not needed, so it can run beside them): the battery over ``ab`` without the firm-events
    it leaves out — the estimates do not depend on which firm-events are tested, so these are the numbers of a run
    over the others (``tests/study/test_confounders.py``). None in a run over part of a study
    (``inputs.mask_context`` set) or where no firm-event is confounded (every row is then the headline)."""
    if inputs.mask_context is not None or not screen.confounded.any():
        return None
    study = inputs.study
    return significance_table(
        ab,
        study.event_windows,
        tests=(study.primary_test,),
        event_keys=_event_keys(results),
        excluded=gaps | _left_out(study, screen, len(inputs.firm_events)),
    )


def confounder_sensitivity(
    inputs: StudyInputs,
    results: StudyResults,
    screen: ConfounderScreen,
    ab: AbnormalReturns,
    gaps: np.ndarray,
    tests: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows of the module docstring for the main run ``results`` of ``inputs`` (none in a run over part of a
    study: ``inputs.mask_context`` set). ``ab``: the run's abnormal returns, ``gaps``: the firm-events left out for
    benchmark gaps; ``tests``: :func:`confounder_tests` of the same, if already computed. The other choice's CAAR
    is the mean of its firm-events' CARs (:func:`summary_frame`)."""
    if inputs.mask_context is not None:
        return empty_frame()
    study, firm_events = inputs.study, list(inputs.firm_events)
    role = WITH if study.confounders.exclude else WITHOUT
    hit = {fe.event_id for fe, c in zip(firm_events, screen.confounded, strict=True) if c}
    keys = screen.keys(firm_events) if role == WITHOUT else frozenset()
    car = results.car
    kept = car[~flagged_rows(car, keys)]
    tests = tests if tests is not None else confounder_tests(inputs, results, screen, ab, gaps)
    by_event: dict[str, Headline] = {}  # each confounded event's rows without them, by window
    if tests is not None:  # (None: nothing confounded, every row is the headline itself)
        other = summary_frame(
            kept, tests, [ev.id for ev in study.events], study.event_windows, study.primary_test,
            event_markets(results), results.halts,
        )  # fmt: skip
        by_event = _by_event(other, list(hit))
    summary = study_summary(results)
    calendars: dict[str, dict[str, None]] = {}
    for fe, m in zip(firm_events, inputs.markets, strict=True):
        calendars.setdefault(fe.event_id, {})[m.calendar] = None
    rows: list[dict[str, Any]] = []
    for main in summary.to_dict(orient="records"):
        event_id, window = main["event_id"], (int(main["window_start"]), int(main["window_end"]))
        calendar = "; ".join(calendars.get(event_id, {}))
        if event_id not in hit:
            row = {c: main.get(c) for c in COLUMNS}
            row.update(calendar=calendar, role=role, note="no confounded firm-event: the headline itself")
        else:
            mine: Headline | str = by_event[event_id] or (
                "every firm-event of the event is confounded: no headline without them"
            )
            row = _row(event_id, window, calendar, main["benchmark"], role, mine, study.primary_test)
        row["caar_diff"] = row["caar"] - main["caar"]
        rows.append(row)
    return _typed(pd.DataFrame(rows, columns=COLUMNS)) if rows else empty_frame()


def with_confounder_rows(frame: pd.DataFrame, results: StudyResults) -> pd.DataFrame:
    """``sensitivity.csv``: the benchmark sensitivity rows ``frame``, then the confounder rows of the run."""
    extra = results.extra.get("confounder_sensitivity")
    if not isinstance(extra, pd.DataFrame) or extra.empty:
        return frame
    return _typed(pd.concat([frame, extra], ignore_index=True)) if not frame.empty else extra
