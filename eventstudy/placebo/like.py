"""Size and power at a study's own design: pseudo-studies matched to each event of a study file
(``eventstudy placebo --like STUDY.yaml``).

The size tables of ``docs/validation.md`` are for a few fixed designs. An event of 4 firms on one day 0 tested over
[0, 1] is its own design; :func:`matched_specs` turns every event into a :class:`~eventstudy.placebo.PlaceboSpec` of
pseudo-studies with the same number of firms (those with a market, as the study counts them), all on one shared
random day 0, the study's event windows, model and estimation window; events with the same number of firms share
one draw. :func:`design_table` gives each test's rejection rate at ``alpha`` with nothing injected (the size) and
with 1 %, 2 % and 5 % added to every firm's day-0 return (the power; :func:`eventstudy.placebo.inject_day0`), each
with its Monte Carlo standard error ``√(r (1 − r) / S)`` over the ``S`` pseudo-studies where the test is defined.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..spec.config import Study
from .result import PlaceboResult
from .spec import PlaceboSpec

LIKE_INJECTED = (0.01, 0.02, 0.05)
"""Day-0 abnormal returns of the power columns (1 %, 2 %, 5 %)."""

PLACEBO_MODELS = ("market_model", "mean_adjusted", "market_adjusted")
LIKE_COLUMNS = ("event_ids", "firms", "window_start", "window_end", "injected", "test", "studies", "rejection_rate",
                "mc_se")  # fmt: skip


@dataclass(frozen=True)
class MatchedDesign:
    """The events of a study that share one design (their number of firms) and the placebo that matches it."""

    event_ids: tuple[str, ...]
    spec: PlaceboSpec


def matched_specs(study: Study, studies: int = 1000, seed: int = 0, **options: object) -> list[MatchedDesign]:
    """One placebo per distinct number of firms among the study's events: ``studies`` pseudo-studies of that many
    firm-events on one shared random day 0, the study's event windows (the longest first), estimation window and
    model. ``options``: further :class:`PlaceboSpec` fields (``min_estimation_returns``, ``workers``, ...)."""
    if study.model not in PLACEBO_MODELS:
        raise ConfigError(
            f"--like: the study's model {study.model!r} has no placebo (choose from {', '.join(PLACEBO_MODELS)})"
        )
    if not 1 <= studies <= 100_000:
        raise ConfigError(f"--studies {studies}: must be between 1 and 100,000")
    counts = Counter({ev.id: len(ev.firms) for ev in study.events})
    by_size: dict[int, list[str]] = {}
    for event_id, n in counts.items():
        by_size.setdefault(n, []).append(event_id)
    windows = sorted(study.event_windows, key=lambda w: (w[1] - w[0], w), reverse=True)
    out = []
    for k, (n, ids) in enumerate(sorted(by_size.items())):
        spec = PlaceboSpec(
            n_events=studies * n, seed=seed + k, window=windows[0], extra_windows=tuple(windows[1:]),
            estimation_window=study.estimation_window, model=study.model, firms_per_study=n, clustered=True,
            injected=LIKE_INJECTED, **{"min_estimation_returns": study.min_estimation_returns, **options},  # type: ignore[arg-type]
        )  # fmt: skip
        out.append(MatchedDesign(tuple(ids), spec))
    return out


def design_table(design: MatchedDesign, result: PlaceboResult) -> pd.DataFrame:
    """Rows of ``like.csv``: per window, injected level and test, the pseudo-studies with a p-value, the rejection
    rate at ``alpha`` and its Monte Carlo standard error."""
    rates = result.rejection_table()
    r, s = rates["rejection_rate"].to_numpy(dtype=float), rates["studies"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(r * (1.0 - r) / s)
    return rates.assign(event_ids=" ".join(design.event_ids), firms=design.spec.firms_per_study, mc_se=se)[
        list(LIKE_COLUMNS)
    ]


def format_like(table: pd.DataFrame, alpha: float) -> str:
    """The text of ``placebo --like``: per design and window, each test's size and power (%, ± Monte Carlo s.e.)."""
    lines = []
    for (ids, n, a, b), g in table.groupby(["event_ids", "firms", "window_start", "window_end"], sort=False):
        lines += ["", f"{ids}: {n} firm(s) on one day 0, window [{a},{b}] — rejection rate at {alpha:g} (%):"]
        wide = g.pivot(index="test", columns="injected", values="rejection_rate").reindex(g["test"].unique())
        err = g.pivot(index="test", columns="injected", values="mc_se").reindex(wide.index)
        header = ["size"] + [f"power +{100 * lv:g} %" for lv in wide.columns[1:]]
        cells = [
            [f"{100 * wide.iloc[i, j]:.1f} ± {100 * err.iloc[i, j]:.1f}" for j in range(wide.shape[1])]
            for i in range(len(wide))
        ]
        width = max(len(t) for t in wide.index)
        lines.append(" " * width + "  " + "  ".join(f"{h:>15}" for h in header))
        lines += [
            f"{t:<{width}}  " + "  ".join(f"{c:>15}" for c in row) for t, row in zip(wide.index, cells, strict=True)
        ]
    return "\n".join(lines)
