"""Drawing a placebo's firm-events: which (firm, session) pairs may be day 0 (:func:`eligible`), the seeded draw
(:func:`draw_events`: random days, or one shared day 0 per pseudo-study with ``clustered``), and the drawn
positions as the engine's firm-events and the battery's pseudo-studies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import pandas as pd

from ..data.returns import ReturnsPanel
from ..data.universe import Universe
from ..errors import DataError
from ..model.engine import FirmEvent
from .spec import PlaceboSpec


@dataclass(frozen=True)
class Draw:
    """Drawn firm-events as positions: firm column, day-0 session and pseudo-study of each."""

    ticker: np.ndarray  # (N,) column in the panel
    day0: np.ndarray  # (N,) session position
    study: np.ndarray  # (N,) pseudo-study number

    def __len__(self) -> int:
        return len(self.ticker)

    def slice(self, lo: int, hi: int) -> Draw:
        return Draw(self.ticker[lo:hi], self.day0[lo:hi], self.study[lo:hi])


def running_counts(flags: np.ndarray) -> np.ndarray:
    """``(S + 1, T)`` int32: row ``s`` counts the true cells of each column of ``flags`` ``(S, T)`` above row ``s``
    (row 0: zeros). Summed a row at a time, each a vector addition over the columns: ``np.cumsum`` down the first
    axis of a row-major grid took 7x as long (56 against 7.5 ms on the Shenzhen universe's grid)."""
    out = np.zeros((flags.shape[0] + 1, flags.shape[1]), dtype=np.int32)
    for s in range(flags.shape[0]):
        np.add(out[s], flags[s], out=out[s + 1])
    return out


def eligible(universe: Universe, spec: PlaceboSpec) -> np.ndarray:
    """Boolean ``(sessions, firms)``: may this session be the firm's day 0?"""
    panel = universe.panel
    n_t = len(universe.tickers)
    span = panel.span.to_numpy()[:, :n_t]
    traded = panel.traded.to_numpy()[:, :n_t]
    n_s = span.shape[0]
    lo, hi = spec.estimation_window
    a, b = spec.span
    start, end = min(lo, a), max(b, 0)
    single, trades = running_counts(span == 1), running_counts(traded)
    out = np.zeros((n_s, n_t), dtype=bool)
    d = np.arange(max(-start, 0), min(n_s - end, n_s))
    if not len(d):
        return out
    covered = (d[:, None] + start >= universe.first[None, :]) & (d[:, None] + end <= universe.last[None, :])
    n_est = single[d + hi + 1] - single[d + lo]
    n_win = trades[d + b + 1] - trades[d + a]
    out[d] = covered & (n_est >= spec.min_estimation_returns) & (n_win > 0)
    return out


def draw_events(universe: Universe, spec: PlaceboSpec) -> Draw:
    """Seeded random firm-events (see the module docstring); the same seed gives the same draw."""
    rng = np.random.default_rng(spec.seed)
    ok = eligible(universe, spec)
    n, fps = spec.n_events, spec.firms_per_study
    study = np.arange(n) // fps
    if not spec.clustered:
        flat = np.flatnonzero(ok)
        if not len(flat):
            raise DataError("no (firm, session) pair has enough data for this window")
        pick = flat[rng.integers(0, len(flat), size=n)]
        day0, ticker = np.divmod(pick, ok.shape[1])
        return Draw(ticker.astype(np.int64), day0.astype(np.int64), study)
    counts = ok.sum(axis=1)
    n_studies = int(study[-1]) + 1
    sizes = np.bincount(study, minlength=n_studies)
    days = np.flatnonzero(counts >= fps)
    if not len(days):
        raise DataError(f"no session has {fps} eligible firms")
    day0 = np.empty(n, dtype=np.int64)
    ticker = np.empty(n, dtype=np.int64)
    pos = 0
    for size, d in zip(sizes, days[rng.integers(0, len(days), size=n_studies)], strict=True):
        day0[pos : pos + size] = d
        ticker[pos : pos + size] = rng.choice(np.flatnonzero(ok[d]), size=size, replace=False)
        pos += size
    return Draw(ticker, day0, study)


def study_id(study: int) -> str:
    return f"P{study:06d}"


class DrawnEvents(Sequence[FirmEvent]):
    """The drawn positions as a sequence of engine firm-events, each built only when read (the engine, given the
    positions through ``located``, reads none of them in a placebo chunk)."""

    def __init__(self, panel: ReturnsPanel, draw: Draw) -> None:
        self.panel, self.draw = panel, draw

    def __len__(self) -> int:
        return len(self.draw)

    @property
    def day0s(self) -> pd.DatetimeIndex:
        """Every firm-event's day 0, as one index (what :func:`eventstudy.inference.sample.day0_codes` reads)."""
        return self.panel.sessions[self.draw.day0]

    @overload
    def __getitem__(self, i: int) -> FirmEvent: ...
    @overload
    def __getitem__(self, i: slice) -> list[FirmEvent]: ...
    def __getitem__(self, i: int | slice) -> FirmEvent | list[FirmEvent]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        name = str(self.panel.returns.columns[self.draw.ticker[i]])  # IndexError past the end ends iteration
        return FirmEvent(study_id(int(self.draw.study[i])), name, name, self.panel.sessions[self.draw.day0[i]])


def study_groups(draw: Draw) -> tuple[dict[str, np.ndarray], list[int]]:
    """Rows of each pseudo-study (``P<study>`` → positions, in order of first appearance, as
    :func:`eventstudy.inference.sample._event_groups` gives them) and the studies' numbers (the placebo seeds'
    keys, so a pseudo-study's numbers do not depend on the chunking)."""
    studies, first, counts = np.unique(draw.study, return_index=True, return_counts=True)
    if len(studies) and (np.diff(draw.study) >= 0).all():  # contiguous studies (every draw): slices
        rows = {study_id(s): np.arange(f, f + c) for s, f, c in zip(studies.tolist(), first, counts, strict=True)}
        return rows, studies.tolist()
    order = np.argsort(first, kind="stable")
    rows = {study_id(int(s)): np.flatnonzero(draw.study == s) for s in studies[order]}
    return rows, studies[order].tolist()


def firm_events(panel: ReturnsPanel, draw: Draw) -> list[FirmEvent]:
    """The drawn positions as engine firm-events (event id ``P<study>``)."""
    names = panel.returns.columns.to_numpy(dtype=object)[draw.ticker].tolist()
    days = list(panel.sessions[draw.day0]) if len(draw) else []  # Timestamps of the drawn sessions only
    studies, inverse = np.unique(draw.study, return_inverse=True)
    ids = np.array([study_id(s) for s in studies.tolist()], dtype=object)[inverse].tolist()
    return [FirmEvent(i, t, t, d) for i, t, d in zip(ids, names, days, strict=True)]
