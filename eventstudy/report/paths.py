"""The cumulative paths the report charts, cumulated from day 0 so that the chart at day ``k`` is the table's
``[0, k]`` window: per firm ``CAR_i[0, t]`` and per event ``CAAR[0, t]`` with its 95% band.

``CAR_i[0, t]`` is ``car.csv``'s CAR over the window ``[0, t]``
(:meth:`eventstudy.model.abnormal.AbnormalReturns.cumulate` of the returns whose span overlaps the window,
:meth:`~eventstudy.model.abnormal.AbnormalReturns.overlap`: a firm halted on days 0 and +1 counts its return of day
+2 from day 0 on, as the table does), with its forecast-error variance; the event's ``CAAR[0, t]`` and its standard error are
:func:`eventstudy.study.summary.caar_band` over the event's firms, with ``r̄`` the mean cross-correlation of their
estimation-period abnormal returns (Kolari & Pynnönen 2010). Computed once for the events asked (one pass over the
days of the path, vectorised over their firm-events), then sliced per event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..inference import mean_cross_correlation
from ..study.results import StudyResults
from ..study.summary import Z_975, caar_band


@dataclass(frozen=True)
class EventPath:
    """One event's paths over ``days`` (0 … end of the daily path): ``car``/``se`` per firm (rows in
    ``firm_events`` order), the CAAR, its standard error, the firms counted each day and ``r̄``."""

    days: np.ndarray
    rows: np.ndarray  # positions of the event's firm-events in results.abnormal.firm_events
    car: np.ndarray
    se: np.ndarray
    caar: np.ndarray
    caar_se: np.ndarray
    n_firms: np.ndarray
    rbar: float

    @property
    def lower(self) -> np.ndarray:
        return self.caar - Z_975 * self.caar_se

    @property
    def upper(self) -> np.ndarray:
        return self.caar + Z_975 * self.caar_se


def event_paths(results: StudyResults, event_ids: list[str]) -> dict[str, EventPath]:
    """The :class:`EventPath` of each event of ``event_ids``, from day 0 to the end of the study's daily path."""
    ab = results.abnormal
    end = max(int(results.study.daily_path[1]), 0)
    days = ab.rel_days[ab.days((0, end))]
    event_of = np.array([fe.event_id for fe in ab.firm_events], dtype=object)
    wanted = np.isin(event_of, np.array(event_ids, dtype=object))[:, None]  # only these events' returns are summed
    cars, ses = [], []
    for day in days:  # one pass per day, vectorised over the events' firm-events
        res = ab.cumulate(ab.overlap((0, int(day))) & wanted)
        cars.append(res["car"])
        ses.append(res["car_se"])
    car, se = np.column_stack(cars), np.column_stack(ses)
    out = {}
    for event_id in event_ids:
        rows = np.flatnonzero(event_of == event_id)
        fitted = np.where(ab.estimation[rows], ab.ar[rows], np.nan)[:, ab.in_estimation]
        rbar = mean_cross_correlation(fitted) if len(rows) > 1 else float("nan")
        caar, caar_se, n = caar_band(car[rows], se[rows], rbar)
        out[event_id] = EventPath(days.astype(int), rows, car[rows], se[rows], caar, caar_se, n.astype(int), rbar)
    return out
