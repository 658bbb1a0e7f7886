"""What a placebo study is: :class:`PlaceboSpec` (its size, seed, windows, model, pseudo-studies, execution) and
how chunks are sized from a memory budget."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..data.universe import EW_BENCHMARK
from ..errors import ConfigError
from ..inference import EXPENSIVE, TESTS
from ..model.engine import MODEL_PARAMETERS
from ..model.estimation import MOMENT_MODELS
from ..spec.config import EXPENSIVE_CHOICES
from ..study.selection import left_out, runs_expensive
from .executors import FAST_FROM, PARALLEL_FROM

# Peak bytes the engine holds per firm-event and relative day (measured: about 26 float64 (N, W) arrays live
# at once inside abnormal_returns, cumulate and the battery); used to size chunks from a memory budget.
BYTES_PER_CELL = 26 * 8
DEFAULT_CHUNK_MB = 256
MAX_CHUNK = 1500  # small chunks balance the two processes and keep the (N, W) arrays near the caches (measured)
MAX_EVENTS = 10_000_000  # firm-events one placebo may draw: 10x the benchmarked 1M, checked before allocating
MAX_FIRMS_PER_STUDY = 100_000
FAST_MODELS = MOMENT_MODELS  # the models whose normal equations can come from running sums (engine="fast")


@dataclass(frozen=True)
class PlaceboSpec:
    n_events: int
    seed: int = 0
    window: tuple[int, int] = (-10, 10)
    estimation_window: tuple[int, int] = (-260, -11)
    model: str = "market_model"
    firms_per_study: int = 30
    min_estimation_returns: int = 120
    alpha: float = 0.05
    clustered: bool = False
    benchmark: str = EW_BENCHMARK
    chunk_size: int | None = None  # firm-events per chunk (rounded down to a multiple of firms_per_study)
    engine: str = "auto"  # "fast": estimation sums from running sums; "full": eventstudy.model.engine.abnormal_returns;
    # "auto": fast from FAST_FROM firm-events on (building the running sums costs about as much as 5,000 events)
    workers: int | None = None  # local executor: processes (this one and forked ones); None: 2 from PARALLEL_FROM
    extra_windows: tuple[tuple[int, int], ...] = ()  # more event windows tested on the same draw (tests only)
    injected: tuple[float, ...] = ()  # day-0 abnormal returns added to every firm-event (power; tests only)
    tests: tuple[str, ...] | None = None  # the tests run (in TESTS order); None: the battery (expensive_tests)
    expensive_tests: str = "auto"  # with tests=None, the per-firm-fit tests (EXPENSIVE): as a study's option

    def __post_init__(self) -> None:
        if not 1 <= self.n_events <= MAX_EVENTS:
            raise ConfigError(f"--events {self.n_events}: must be between 1 and {MAX_EVENTS:,}")
        if not 1 <= self.firms_per_study <= MAX_FIRMS_PER_STUDY:
            raise ConfigError(
                f"--firms-per-study {self.firms_per_study}: must be between 1 and {MAX_FIRMS_PER_STUDY:,}"
            )
        if not (isinstance(self.alpha, float | int) and 0.0 < self.alpha < 1.0):
            raise ConfigError(f"--alpha {self.alpha}: a test size strictly between 0 and 1 (e.g. 0.05)")
        if self.chunk_size is not None and not 1 <= self.chunk_size <= MAX_EVENTS:
            raise ConfigError(f"--chunk-size {self.chunk_size}: must be between 1 and {MAX_EVENTS:,}")
        if self.workers is not None and not 1 <= self.workers <= 64:
            raise ConfigError(f"--workers {self.workers}: must be between 1 and 64")
        if self.seed < 0:
            raise ConfigError(f"--seed {self.seed}: must be 0 or more")
        for name, w in (("--window", self.window), ("--estimation-window", self.estimation_window)):
            if max(abs(w[0]), abs(w[1])) > 2520:
                raise ConfigError(f"{name} {list(w)}: reaches beyond ±2520 sessions (about ten years)")
        for w in self.windows:
            if w[0] > w[1]:
                raise ConfigError(f"window {list(w)} is empty")
            if self.estimation_window[1] >= min(w[0], 0):
                raise ConfigError(f"estimation window {list(self.estimation_window)} must end before the event window")
        if not all(np.isfinite(self.injected)) or 0.0 in self.injected:
            raise ConfigError(f"injected abnormal returns {list(self.injected)}: finite and non-zero (0 is the null)")
        width = self.estimation_window[1] - self.estimation_window[0] + 1
        if self.engine not in ("auto", "fast", "full"):
            raise ConfigError(f"engine {self.engine!r}: expected 'auto', 'fast' or 'full'")
        if self.model not in MODEL_PARAMETERS:
            raise ConfigError(f"unknown model {self.model!r}")
        if self.tests is not None:
            unknown = [t for t in self.tests if t not in TESTS]
            if unknown or not self.tests:
                raise ConfigError(f"tests {list(self.tests)}: choose one or more of {', '.join(TESTS)}")
        if self.expensive_tests not in EXPENSIVE_CHOICES:
            raise ConfigError(f"expensive_tests {self.expensive_tests!r}: expected {', '.join(EXPENSIVE_CHOICES)}")
        if not 3 <= self.min_estimation_returns <= width:
            raise ConfigError(f"min_estimation_returns must be between 3 and {width}")

    @property
    def fast(self) -> bool:
        wanted = self.engine == "fast" or (self.engine == "auto" and self.n_events >= FAST_FROM)
        return wanted and self.model in FAST_MODELS

    @property
    def processes(self) -> int:
        if self.workers is not None:
            return max(1, self.workers)
        return min(2, os.cpu_count() or 1) if self.n_events >= PARALLEL_FROM else 1

    @property
    def windows(self) -> tuple[tuple[int, int], ...]:
        """The event windows tested: ``window`` (the firm table's) first, then ``extra_windows``."""
        return (self.window, *(w for w in self.extra_windows if w != self.window))

    @property
    def span(self) -> tuple[int, int]:
        """The relative days every window lies in (what eligibility and the engine cover)."""
        return min(w[0] for w in self.windows), max(w[1] for w in self.windows)

    @property
    def expensive_included(self) -> bool:
        """Whether ``tests=None`` runs the per-firm-fit tests (:data:`~eventstudy.inference.EXPENSIVE`,
        ``garch_bmp_t``: one GARCH(1,1) fit per firm-event, ~16 ms each, 100× the rest of the battery): a study's
        rule (:func:`~eventstudy.study.selection.runs_expensive`)."""
        return runs_expensive(self.expensive_tests, self.n_events)

    @property
    def test_names(self) -> list[str]:
        """The tests run, in :data:`~eventstudy.inference.TESTS` order: ``tests``, or the battery without the
        per-firm-fit tests unless :attr:`expensive_included`."""
        if self.tests is not None:
            return [t for t in TESTS if t in self.tests]
        return [t for t in TESTS if self.expensive_included or t not in EXPENSIVE]

    @property
    def not_computed(self) -> list[str]:
        """One note per battery test left out by ``expensive_tests`` (printed with the results)."""
        if self.tests is not None or self.expensive_included:
            return []
        return [
            left_out(t, self.expensive_tests, self.n_events, "--expensive-tests all") for t in TESTS if t in EXPENSIVE
        ]

    @property
    def levels(self) -> tuple[float, ...]:
        """The null (0) and each injected day-0 abnormal return."""
        return (0.0, *self.injected)

    @property
    def width(self) -> int:
        """Relative days the engine holds per firm-event."""
        return self.span[1] - min(self.span[0], self.estimation_window[0]) + 1

    def chunk_events(self) -> int:
        size = self.chunk_size or min(MAX_CHUNK, (DEFAULT_CHUNK_MB * 2**20) // (self.width * BYTES_PER_CELL))
        return max(self.firms_per_study, size // self.firms_per_study * self.firms_per_study)
