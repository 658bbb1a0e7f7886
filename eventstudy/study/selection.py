"""Which tests a study computes: every test of :data:`eventstudy.inference.TESTS`, except that the tests fitting a
model per firm (:data:`~eventstudy.inference.EXPENSIVE`: ``garch_bmp_t``, one GARCH(1,1) maximum-likelihood fit
per firm-event, ~10 ms each) follow the study's ``expensive_tests:`` option:

* ``auto`` (default): computed when the study has at most :data:`EXPENSIVE_AUTO_FIRM_EVENTS` firm-events, or when
  one of them is the study's ``primary_test``;
* ``all``: always; ``none``: never (unless it is the primary test).

A test left out is said so in the run's warnings (:func:`eventstudy.study.run.data_warnings`), in study.json
and in the report, with the way to ask for it: never a silently missing row.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..inference import EXPENSIVE, TESTS
from ..spec.config import Study

#: Largest study (firm-events) for which ``expensive_tests: auto`` computes the per-firm-fit tests: 250 fits
#: cost ~2.5 s, a tenth of a second for the rest of such a study's battery.
EXPENSIVE_AUTO_FIRM_EVENTS = 250


@dataclass(frozen=True)
class TestSelection:
    """The tests a study computes (in :data:`TESTS` order) and one note per test left out."""

    tests: tuple[str, ...]
    notes: tuple[str, ...]


def runs_expensive(choice: str, firm_events: int) -> bool:
    """Whether ``expensive_tests: choice`` computes the per-firm-fit tests for ``firm_events`` firm-events (the rule
    of studies and placebos alike)."""
    return choice == "all" or (choice == "auto" and firm_events <= EXPENSIVE_AUTO_FIRM_EVENTS)


def left_out(name: str, choice: str, firm_events: int, ask: str) -> str:
    """The note for ``name`` left out by ``expensive_tests: choice``; ``ask``: how to ask for it."""
    why = (
        f"{firm_events:,} firm-events, more than the {EXPENSIVE_AUTO_FIRM_EVENTS} for which expensive_tests: auto "
        "computes it" if choice == "auto" else "expensive_tests: none"
    )  # fmt: skip
    return f"{name} not computed ({why}; one model fit per firm-event); {ask}"


def select_tests(study: Study, firm_events: int) -> TestSelection:
    """The tests of ``study`` with ``firm_events`` firm-events (see the module docstring)."""
    run_expensive = runs_expensive(study.expensive_tests, firm_events)
    kept, notes = [], []
    for name in TESTS:
        if name in EXPENSIVE and not run_expensive and name != study.primary_test:
            notes.append(left_out(name, study.expensive_tests, firm_events, "set expensive_tests: all"))
            continue
        kept.append(name)
    return TestSelection(tuple(kept), tuple(notes))
