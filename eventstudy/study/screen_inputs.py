"""What the confounder screen (:mod:`eventstudy.study.confounders`) reads besides the prices, carried by
:class:`eventstudy.study.plan.StudyInputs`."""

from __future__ import annotations

from dataclasses import dataclass

from ..data.earnings import EarningsDates


@dataclass(frozen=True)
class ConfounderInputs:
    """What the screen needs beyond the prices: the earnings dates loaded for the study (None: not loaded, e.g. a
    run without a price provider) and, in a run over part of a study (benchmark sensitivity), the main run's
    confounded firm-events as ``(event_id, ticker)`` pairs, so that ``exclude_confounded`` leaves out the same ones."""

    earnings: EarningsDates | None = None
    confounded: frozenset[tuple[str, str]] | None = None
