"""Estimation windows free of the study's own events (``study.estimation_exclude``).

A firm in two events of one study — the default study's four Shenzhen firms were hit by the Huawei listing of
16 May 2019 and by their own listing of 8 October 2019 — would otherwise have the first event's reaction inside
the second event's estimation window, inflating ``σ`` and bending ``α``/``β``. The mask, per firm-event:

* ``study_events`` (the default): the sessions of the same ticker's *other* events in the study, each over the
  study's event period (:attr:`eventstudy.spec.config.Study.event_period`: from the first day of the earliest
  event window or of the daily path to the last day of the latest, ``[-10, 20]`` by default), counted on the
  firm's own exchange calendar from that other event's day 0;
* a list of dates: those dates, for every firm-event (a date that is not a session of the firm's calendar masks
  nothing);
* ``none``: nothing.

Only the masked sessions inside the firm-event's estimation window matter. They are left out of its estimation
sample (:func:`eventstudy.model.engine.masked_days`): the model is fitted without them, ``n_est`` drops, and every
test's estimation period leaves them out. The estimation window is **not** extended to make up for them: the
window stays what the study file says, and ``min_estimation_returns`` still applies to what remains.

``estimates.csv`` reports the mask (:func:`masked_columns`): ``n_masked``, the number of sessions of the estimation
window masked (whether or not the firm traded on them: ``n_est`` falls by the masked single-session returns only);
``masked``, those sessions as runs of consecutive sessions (``2019-05-06..2019-06-14``, runs joined by ``; ``);
``masked_by``, the other events whose periods they belong to (or ``estimation_exclude`` for listed dates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.calendar import sessions
from ..model.engine import AbnormalReturns, FirmEvent
from ..spec.config import Study
from .coverage import iso_dates
from .markets import FirmMarket

LISTED = "estimation_exclude"
"""The reason of sessions masked because the study file lists their dates."""


@dataclass(frozen=True)
class Exclusion:
    """The sessions to leave out of one firm-event's estimation sample, by reason: the id of another event of
    the study (that event's period on the firm's calendar) or :data:`LISTED`. Not yet cut to the estimation
    window: the engine does that (:func:`eventstudy.model.engine.masked_days`)."""

    reasons: tuple[tuple[str, pd.DatetimeIndex], ...] = ()

    @property
    def sessions(self) -> pd.DatetimeIndex:
        """Every session of every reason, once, in order."""
        if not self.reasons:
            return pd.DatetimeIndex([], name="date")
        return pd.DatetimeIndex(np.unique(np.concatenate([d.to_numpy() for _, d in self.reasons])), name="date")


def describe_exclusion(study: Study) -> str:
    """``study.estimation_exclude`` in words, as error messages and the text summary give it."""
    mode = study.estimation_exclude
    if mode == "study_events":
        return f"study_events, days {list(study.event_period)} of the firm's other events"
    return mode if isinstance(mode, str) else "a list of dates"


def estimation_exclusions(
    study: Study,
    firm_events: Sequence[FirmEvent],
    markets: Sequence[FirmMarket],
    context: tuple[Sequence[FirmEvent], Sequence[FirmMarket]] | None = None,
) -> list[Exclusion]:
    """Per firm-event (in the order of ``firm_events``; ``markets`` gives each one's calendar), what
    ``study.estimation_exclude`` leaves out of its estimation sample (see the module docstring). ``context``: the
    firm-events (with their markets) whose event periods are masked, when they are more than ``firm_events`` (a
    run over part of a study)."""
    mode = study.estimation_exclude
    if mode == "none":
        return [Exclusion() for _ in firm_events]
    if not isinstance(mode, str):  # a list of dates, for every firm-event, on its own calendar
        listed = pd.DatetimeIndex([pd.Timestamp(d) for d in mode])
        on_calendar = {c: listed[listed.isin(sessions(c))] for c in {m.calendar for m in markets}}
        return [Exclusion(((LISTED, on_calendar[m.calendar]),)) for m in markets]
    lo, hi = study.event_period
    all_events, all_markets = context if context is not None else (firm_events, markets)
    periods: dict[int, pd.DatetimeIndex] = {}  # firm-event → its own event period on its calendar
    by_ticker: dict[str, list[int]] = {}
    for i, fe in enumerate(all_events):
        by_ticker.setdefault(fe.ticker, []).append(i)
    axes: dict[str, pd.DatetimeIndex] = {}
    out = []
    for fe in firm_events:
        reasons = []
        for j in by_ticker.get(fe.ticker, []):
            other = all_events[j]
            if other.event_id == fe.event_id:
                continue
            if j not in periods:
                calendar = all_markets[j].calendar
                axis = axes[calendar] if calendar in axes else axes.setdefault(calendar, sessions(calendar))
                d0 = int(axis.get_loc(other.day0))
                periods[j] = axis[max(d0 + lo, 0) : max(d0 + hi + 1, 0)]
            reasons.append((other.event_id, periods[j]))
        out.append(Exclusion(tuple(reasons)))
    return out


def session_runs(days: pd.DatetimeIndex, axis: pd.DatetimeIndex) -> str:
    """``days`` (sessions of ``axis``) as runs of consecutive sessions, ``first..last`` (one date for a run of
    one), joined by ``; ``; ``""`` when there are none."""
    if not len(days):
        return ""
    pos = np.sort(axis.get_indexer(days))
    iso = iso_dates(axis)
    breaks = np.flatnonzero(np.diff(pos) != 1)
    starts, ends = np.r_[pos[0], pos[breaks + 1]], np.r_[pos[breaks], pos[-1]]
    return "; ".join(iso[a] if a == b else f"{iso[a]}..{iso[b]}" for a, b in zip(starts, ends, strict=True))


def masked_columns(
    ab: AbnormalReturns, axis: pd.DatetimeIndex, exclusions: Sequence[Exclusion]
) -> tuple[np.ndarray, list[str], list[str]]:
    """``n_masked``, ``masked`` and ``masked_by`` of ``estimates.csv`` for the firm-events of ``ab`` (one engine
    run on the session ``axis``; ``exclusions`` in the same order): the sessions the engine masked
    (:attr:`AbnormalReturns.masked`), their runs (:func:`session_runs`) and the reasons they belong to."""
    masked = np.asarray(ab.masked, dtype=bool)
    n_masked = masked.sum(axis=1).astype(np.int64)
    runs, reasons = np.full(len(n_masked), "", dtype=object), np.full(len(n_masked), "", dtype=object)
    rows, cols = np.nonzero(masked)  # row by row, days ascending
    if not len(rows):
        return n_masked, runs.tolist(), reasons.tolist()
    day0 = axis.get_indexer(pd.DatetimeIndex([ab.firm_events[i].day0 for i in np.unique(rows)]))
    pos = np.repeat(day0, n_masked[n_masked > 0]) + ab.rel_days[cols]
    iso = iso_dates(axis)
    # Runs: a new one where the firm-event changes or the sessions are not consecutive.
    new = np.r_[True, (rows[1:] != rows[:-1]) | (np.diff(pos) != 1)]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(pos)] - 1
    words = [iso[pos[a]] if a == b else f"{iso[pos[a]]}..{iso[pos[b]]}" for a, b in zip(starts, ends, strict=True)]
    owner = rows[starts]
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    for a, b in zip(first, np.r_[first[1:], len(owner)], strict=True):  # the masked firm-events only
        runs[owner[a]] = "; ".join(words[a:b])
    # Reasons: those among a firm-event's own whose sessions include one it masks.
    mask_keys = rows.astype(np.int64) * len(axis) + pos
    which = [(i, r, d) for i in np.unique(rows) for r, d in exclusions[i].reasons]
    if which:
        sizes = np.array([len(d) for _, _, d in which], dtype=np.int64)
        owner_of = np.repeat(np.array([i for i, _, _ in which], dtype=np.int64), sizes)
        at = axis.get_indexer(pd.DatetimeIndex(np.concatenate([d.to_numpy(dtype="datetime64[ns]") for _, _, d in which])))
        hit = np.zeros(len(at), dtype=bool)
        hit[at >= 0] = np.isin(owner_of[at >= 0] * len(axis) + at[at >= 0], mask_keys)
        total = np.r_[0, np.cumsum(hit)]
        offsets = np.r_[0, np.cumsum(sizes)]
        counts = total[offsets[1:]] - total[offsets[:-1]]
        found: dict[int, list[str]] = {}
        for (i, r, _), k in zip(which, counts, strict=True):
            if k:
                found.setdefault(int(i), []).append(r)
        for i, names in found.items():
            reasons[i] = "; ".join(names)
    return n_masked, runs.tolist(), reasons.tolist()
