"""The model options of one market group of a study, with the factor-library check: a factor model whose factors
come from Kenneth French's data library (``model: ff3 | ff5 | carhart``, :mod:`eventstudy.data.french`) needs
factor dates from the first estimation session to the last event-window session of every firm-event of the group;
when the region's file does not reach that far, the run stops with one line naming the file, its dates and the
firm-event that needs more (instead of firm-events silently left with too few estimation returns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.factors import model_options
from ..data.french import check_coverage
from ..data.returns import ReturnsPanel
from ..model.abnormal import FirmEvent
from ..spec.config import Study
from ..spec.factor_models import LIBRARY_MODELS


def group_model_options(
    study: Study, calendar: str, panel: ReturnsPanel, firm_events: Sequence[FirmEvent], library: Any = None
) -> dict[str, Any]:
    """:func:`eventstudy.data.factors.model_options` for the firm-events of one market group on ``calendar``; for
    a factor-library model, checked to cover their estimation and event windows (``DataError`` otherwise)."""
    options = model_options(study, calendar, library)
    factors = options.get("factors")
    if study.model not in LIBRARY_MODELS or factors is None or not len(firm_events):
        return options
    sessions = panel.sessions
    day0 = sessions.get_indexer(pd.DatetimeIndex([fe.day0 for fe in firm_events]))
    last_day = max(w[1] for w in study.event_windows)
    first = sessions[np.clip(day0 + study.estimation_window[0], 0, len(sessions) - 1)]
    last = sessions[np.clip(day0 + last_day, 0, len(sessions) - 1)]
    early, late = int(np.argmin(first)), int(np.argmax(last))
    fe = firm_events[early if factors.index.min() > first[early] else late]
    what = f"event {fe.event_id} ({fe.ticker}, estimation window {list(study.estimation_window)} to day {last_day})"
    check_coverage(factors, first[early], last[late], what)
    return options
