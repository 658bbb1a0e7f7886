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
from ..model.engine import AbnormalReturns, FirmEvent, SessionSets
from ..spec.config import Study
from .coverage import iso_dates
from .markets import FirmMarket

LISTED = "estimation_exclude"
"""The reason of sessions masked because the study file lists their dates."""


@dataclass(frozen=True)
class Exclusion:
    """The sessions to leave out of one firm-event's estimation sample, by reason: the id of another event of
    the study (that event's period on the firm's calendar) or :data:`LISTED`. Not yet cut to the estimation
    window: the engine does that (:func:`eventstudy.model.engine.masked_days`).

    ``named``: per reason, its session dates as a ``datetime64[ns]`` array (an event period is a view of its
    calendar's dates, shared by every firm-event it masks)."""

    named: tuple[tuple[str, np.ndarray], ...] = ()

    @property
    def reasons(self) -> tuple[tuple[str, pd.DatetimeIndex], ...]:
        """Per reason, its sessions."""
        return tuple((r, pd.DatetimeIndex(d, name="date")) for r, d in self.named)

    @property
    def sessions(self) -> pd.DatetimeIndex:
        """Every session of every reason, once, in order."""
        if not self.named:
            return _NO_SESSIONS
        return pd.DatetimeIndex(np.unique(np.concatenate([d for _, d in self.named])), name="date")


_NO_SESSIONS = pd.DatetimeIndex([], name="date")
_NOTHING = Exclusion()


def excluded_sessions(exclusions: Sequence[Exclusion]) -> SessionSets:
    """:attr:`Exclusion.sessions` of each of ``exclusions`` (every session of every reason, once, in order), for
    all of them at once, as the engine reads them (:class:`~eventstudy.model.engine.SessionSets`)."""
    parts = [(i, d) for i, e in enumerate(exclusions) for _, d in e.named]
    if not parts:
        return SessionSets(np.zeros(0, dtype=np.int64), np.zeros(0, dtype="datetime64[ns]"))
    owner = np.repeat(np.array([i for i, _ in parts], dtype=np.int64), [len(d) for _, d in parts])
    stamps = np.concatenate([d for _, d in parts]).astype("datetime64[ns]").view(np.int64)
    order = np.lexsort((stamps, owner))
    owner, stamps = owner[order], stamps[order]
    keep = np.r_[True, (owner[1:] != owner[:-1]) | (stamps[1:] != stamps[:-1])]
    return SessionSets(owner[keep], stamps[keep].view("datetime64[ns]"))


def exclusion_sessions(exclusions: Sequence[Exclusion]) -> list[pd.DatetimeIndex]:
    """:attr:`Exclusion.sessions` of each of ``exclusions`` (every session of every reason, once, in order),
    sorted and de-duplicated for all of them at once (:func:`excluded_sessions`)."""
    out = [_NO_SESSIONS] * len(exclusions)
    sets = excluded_sessions(exclusions)
    owner, stamps = sets.owner, sets.stamps
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else np.zeros(0, dtype=np.int64)
    for a, b in zip(first, np.r_[first[1:], len(owner)], strict=True):  # the firm-events with sessions only
        out[int(owner[a])] = pd.DatetimeIndex(stamps[a:b], name="date")
    return out


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
        return [_NOTHING] * len(firm_events)
    if not isinstance(mode, str):  # a list of dates, for every firm-event, on its own calendar
        listed = pd.DatetimeIndex([pd.Timestamp(d) for d in mode])
        on_calendar = {
            c: listed[listed.isin(sessions(c))].to_numpy(dtype="datetime64[ns]") for c in {m.calendar for m in markets}
        }
        return [Exclusion(((LISTED, on_calendar[m.calendar]),)) for m in markets]
    lo, hi = study.event_period
    all_events, all_markets = context if context is not None else (firm_events, markets)
    if not len(firm_events) or not len(all_events):
        return [_NOTHING] * len(firm_events)
    mine = pd.DataFrame({"i": np.arange(len(firm_events)), "ticker": [fe.ticker for fe in firm_events],
                         "event_id": [fe.event_id for fe in firm_events]})  # fmt: skip
    others = pd.DataFrame({"j": np.arange(len(all_events)), "ticker": [fe.ticker for fe in all_events],
                           "other": [fe.event_id for fe in all_events]})  # fmt: skip
    pairs = mine.merge(others, on="ticker")  # the same firm in another event of the study
    pairs = pairs[pairs["event_id"] != pairs["other"]].sort_values(["i", "j"], kind="stable")
    if pairs.empty:
        return [_NOTHING] * len(firm_events)
    periods: dict[int, np.ndarray] = {}  # firm-event → its own event period on its calendar
    needed = np.unique(pairs["j"].to_numpy())
    calendars = np.array([all_markets[j].calendar for j in needed], dtype=object)
    for calendar in dict.fromkeys(calendars):
        axis = sessions(calendar)
        dates = axis.to_numpy(dtype="datetime64[ns]")
        js = needed[calendars == calendar]
        days = pd.DatetimeIndex([all_events[j].day0 for j in js])
        d0 = axis.get_indexer(days)
        if (d0 < 0).any():
            raise KeyError(days[int(np.flatnonzero(d0 < 0)[0])])  # (day 0 is always a session of its calendar)
        for j, a, b in zip(js, np.maximum(d0 + lo, 0), np.maximum(d0 + hi + 1, 0), strict=True):
            periods[int(j)] = dates[a:b]
    out = [_NOTHING] * len(firm_events)
    i_of, j_of, name_of = pairs["i"].to_numpy(), pairs["j"].to_numpy(), pairs["other"].to_numpy(dtype=object)
    first = np.flatnonzero(np.r_[True, i_of[1:] != i_of[:-1]])
    for a, b in zip(first, np.r_[first[1:], len(i_of)], strict=True):  # the firm-events with another event only
        out[int(i_of[a])] = Exclusion(tuple((str(name_of[k]), periods[int(j_of[k])]) for k in range(a, b)))
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
    which = [(i, r, d) for i in np.unique(rows) for r, d in exclusions[i].named]
    if which:
        sizes = np.array([len(d) for _, _, d in which], dtype=np.int64)
        owner_of = np.repeat(np.array([i for i, _, _ in which], dtype=np.int64), sizes)
        at = axis.get_indexer(pd.DatetimeIndex(np.concatenate([d for _, _, d in which])))
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
