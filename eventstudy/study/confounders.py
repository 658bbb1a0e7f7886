"""The confounder screen: what else could have moved a firm's price in its windows (``confounders.csv``).

An event study attributes the abnormal return of a window to the event. The claim fails for a firm-event whose
window holds other news. For every firm-event the screen lists, one row each (``event_id``, ``ticker``, ``date``,
``rel_day`` — the session on the firm's own exchange calendar and its place relative to day 0 — ``kind`` and a
``detail`` in words):

``study_event``
    another event of the same study for the same firm (the notion of :mod:`eventstudy.study.masking`: the same
    ticker, another event id), whose event period (:attr:`~eventstudy.spec.config.Study.event_period`, counted
    from its own day 0) overlaps this firm-event's event windows or its estimation window. ``date``/``rel_day``
    are the other event's day 0. In the estimation window it is listed, and confounds only when its sessions are
    *not* masked out of the estimation sample (``estimation_exclude: none`` or a list of dates that misses them).
``separate_shock``
    a return inside an event window (a return counts in a window when its span overlaps it, the rule of the CARs:
    :meth:`~eventstudy.model.abnormal.AbnormalReturns.overlap`), other than the one whose span holds day 0, whose
    standardised abnormal return exceeds the study's ``shock_threshold`` (default 3) in absolute value:
    ``|SAR_t| = |AR_t| / √Var(AR_t)`` with the forecast-error variance of the normal-return model (Patell 1976;
    Campbell, Lo & MacKinlay 1997, eq. 4.4.8). Under the model, ``SAR_t`` is Student t with ``n − p`` degrees of
    freedom, so a session exceeds 3 by chance with probability about 0.3 % (2 P(t > 3)); the screen lists such a
    session whatever its cause, with its AR and SAR.
``earnings``
    an earnings release (Yahoo's dates, :mod:`eventstudy.data.earnings`) placed on the first session whose close
    is at or after the release instant (day 0's rule ``close``: a release after the close moves the next session).
``distribution`` / ``split``
    an ex-date of a dividend, rights or bonus issue, or a split, read from the price data
    (:mod:`eventstudy.data.distributions`).
``news``
    a row of the user's news file (``study.confounders``, :mod:`eventstudy.spec.news`), placed on the first session
    on or after its date.
``not_screened``
    a check that could not be made, per ticker, and why (``earnings dates not screened: source snapshot has
    none``): the screen never stays silent about what it did not look at.

Earnings, distributions, splits and news are screened inside the event windows: a row's session lies between the
first day of the earliest event window and the last day of the latest. A firm-event is **confounded** (``car.csv``
column ``confounded``, every window of it) when any of its rows confounds: every row but ``not_screened`` and the
study events masked out of its estimation sample. With ``exclude_confounded: true`` the tests and the headline
leave the confounded firm-events out (:mod:`eventstudy.study.unconfounded` gives the sensitivity row either way).

Vectorised: every check is array arithmetic or a join over all firm-events at once (the ex-dates are read from all
tickers' stacked price rows in one pass, :func:`eventstudy.data.distributions.ex_dates`); the only Python loops run
over exchange calendars, the adjustment records kept with Yahoo-shaped histories and the hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.calendar import sessions
from ..inference.significance import BATCH_FIRM_EVENTS
from ..model.engine import AbnormalReturns, FirmEvent
from .dated_confounders import dated_rows, distribution_items, earnings_items, news_items
from .masking import Exclusion
from .screen_inputs import ConfounderInputs
from .tables import python_texts

if TYPE_CHECKING:
    from .plan import StudyInputs

COLUMNS = ["event_id", "ticker", "date", "rel_day", "kind", "detail"]
KINDS = ("study_event", "separate_shock", "earnings", "distribution", "split", "news", "not_screened")


@dataclass(frozen=True)
class ConfounderScreen:
    """The screen's rows (:data:`COLUMNS` and ``confounds``) and, per firm-event in the study's order, whether it is
    confounded and whether the tests leave it out (``exclude_confounded``)."""

    table: pd.DataFrame
    confounded: np.ndarray  # (N,) bool
    dropped: np.ndarray  # (N,) bool: left out of the tests and the headline

    def keys(self, firm_events: Sequence[FirmEvent]) -> frozenset[tuple[str, str]]:
        """The confounded firm-events as ``(event_id, ticker)`` pairs."""
        return frozenset((fe.event_id, fe.ticker) for fe, c in zip(firm_events, self.confounded, strict=True) if c)

    def mark(self, car: pd.DataFrame, firm_events: Sequence[FirmEvent]) -> pd.DataFrame:
        """``car`` with the column ``confounded`` (the firm-event's flag on each of its windows)."""
        out = car.copy()
        out["confounded"] = flagged_rows(car, self.keys(firm_events))
        return out


def flagged_rows(car: pd.DataFrame, keys: frozenset[tuple[str, str]]) -> np.ndarray:
    """Per row of ``car``, whether its ``(event_id, ticker)`` is one of ``keys`` (one hash look-up per row)."""
    if not keys or car.empty:
        return np.zeros(len(car), dtype=bool)
    rows = pd.MultiIndex.from_arrays([car["event_id"], car["ticker"]])  # (each level factorized as it is)
    return np.asarray(rows.isin(list(keys)), dtype=bool)


def _axes(calendars: Sequence[str]) -> dict[str, pd.DatetimeIndex]:
    return {c: sessions(c) for c in dict.fromkeys(calendars)}


def _located(
    firm_events: Sequence[FirmEvent], calendars: Sequence[str], axes: dict[str, pd.DatetimeIndex]
) -> pd.DataFrame:
    """One row per firm-event: its position ``i``, ticker, calendar and day 0's position on the calendar's axis."""
    frame = pd.DataFrame(
        {"i": np.arange(len(firm_events)), "ticker": [fe.ticker for fe in firm_events], "calendar": list(calendars),
         "event_id": [fe.event_id for fe in firm_events], "day0": [fe.day0 for fe in firm_events]}
    )  # fmt: skip
    frame["pos0"] = -1
    for calendar, rows in frame.groupby("calendar", sort=False).indices.items():
        frame.loc[frame.index[rows], "pos0"] = axes[calendar].get_indexer(pd.DatetimeIndex(frame["day0"].iloc[rows]))
    return frame


def same_ticker_pairs(located: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of rows of ``located`` with the same ticker and calendar (a row with itself included),
    as row positions ``(left, right)``: the left rows in order, each one's partners in row order. A self-join in
    integer positions: a join of the frames themselves carried their text columns through ~1 M pair rows of a
    50,000-firm-event study (~1 s)."""
    group = located.groupby(["ticker", "calendar"], sort=False).ngroup().to_numpy()
    order = np.argsort(group, kind="stable")  # the rows group by group, each group's in row order
    size = np.bincount(group, minlength=group.max(initial=-1) + 1)
    start = np.cumsum(size) - size
    k = size[group]  # each row's partners
    left = np.repeat(np.arange(len(group)), k)
    within = np.arange(len(left)) - np.repeat(np.cumsum(k) - k, k)
    return left, order[np.repeat(start[group], k) + within]


def _study_events(
    located: pd.DataFrame,
    study_windows: tuple[tuple[int, int], tuple[int, int], tuple[int, int]],
    exclusions: Sequence[Exclusion],
) -> pd.DataFrame:
    """``study_event`` rows: pairs (firm-event, another event of the same ticker) on the same calendar."""
    (w0, w1), (e0, e1), (lo, hi) = study_windows
    left, right = same_ticker_pairs(located)
    event, events = pd.factorize(located["event_id"])
    day, days = pd.factorize(located["day0"])
    pos0 = located["pos0"].to_numpy()
    other = event[left] != event[right]
    left, right = left[other], right[other]
    rel = pos0[right] - pos0[left]
    in_windows = (rel + lo <= w1) & (rel + hi >= w0)
    in_estimation = (rel + lo <= e1) & (rel + hi >= e0) & ~in_windows
    keep = in_windows | in_estimation
    left, right, rel, in_windows = left[keep], right[keep], rel[keep], in_windows[keep]
    firm = located["i"].to_numpy()[left]
    names = np.asarray(events, dtype=object)
    named = {(int(i), r) for i in np.unique(firm) for r, _ in exclusions[i].named}  # the reasons each one masks
    masked = np.array([(i, o) in named for i, o in zip(firm.tolist(), names[event[right]].tolist(), strict=True)],
                      bool)  # fmt: skip
    overlaps = (f"its event period [{lo}, {hi}] overlaps the event windows [{w0}, {w1}]",
                f"its event period [{lo}, {hi}] overlaps the estimation window [{e0}, {e1}]")  # fmt: skip
    notes = ("", "; masked out of the estimation sample (listed only)",
             "; NOT masked out of the estimation sample (estimation_exclude)")  # fmt: skip
    # Each pair's words from its other event, that event's day 0 and one of three cases: written once per distinct
    # combination (a firm in many of a large study's events makes hundreds of thousands of pairs, of a few hundred
    # combinations), then taken for every pair.
    case = np.where(in_windows, 0, np.where(masked, 1, 2))
    key, keys = pd.factorize((event[right] * len(days) + day[right]) * 3 + case)
    words = [
        f"event {names[k // 3 // len(days)]} (day 0 {days[k // 3 % len(days)].date()}): "
        f"{overlaps[min(k % 3, 1)]}{notes[k % 3]}"
        for k in keys.tolist()
    ]
    detail = np.array(words, dtype=object)[key] if len(words) else np.zeros(0, dtype=object)
    return pd.DataFrame({"i": firm, "rel_day": rel, "kind": python_texts("study_event", len(firm)),
                         "detail": python_texts(detail), "confounds": in_windows | ~masked})  # fmt: skip


def separate_shocks(ab: AbnormalReturns, windows: Sequence[tuple[int, int]], threshold: float) -> pd.DataFrame:
    """``separate_shock`` rows from the standardised abnormal returns (:attr:`AbnormalReturns.sar`) on the days
    the event windows count (a study's ``(N, W)`` arrays read only on those columns: no temporary of them whole)."""
    counted = np.logical_or.reduce([ab.overlap(w) for w in windows])
    cols = np.flatnonzero(counted.any(axis=0))
    rel = ab.rel_days[None, cols]
    none = np.zeros(0, dtype=np.int64)
    found: list[tuple[np.ndarray, ...]] = [(none, none, np.zeros(0), np.zeros(0), none)]  # (i, j, SAR, AR, span)
    for lo in range(0, len(ab.ar), BATCH_FIRM_EVENTS):  # rows at a time: their columns' copies, not the study's
        rows = slice(lo, lo + BATCH_FIRM_EVENTS)
        span, ar = ab.span[rows][:, cols], ab.ar[rows][:, cols]
        holds_day0 = (span > 0) & (rel >= 0) & (rel - span + 1 <= 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            sar = ar / np.sqrt(ab.ar_var[rows][:, cols])  # (as AbnormalReturns.sar)
            hit = counted[rows][:, cols] & ~holds_day0 & np.isfinite(sar) & (np.abs(sar) > threshold)
        i, j = np.nonzero(hit)
        found.append((i + lo, j, sar[i, j], ar[i, j], span[i, j]))
    i, j, sars, ars, spans = (np.concatenate([f[q] for f in found]) for q in range(5))
    detail = [
        f"SAR {s:+.3f} (|SAR| > {threshold:g}), AR {a:+.2%}" + (f", a return over {k} sessions" if k > 1 else "")
        for s, a, k in zip(sars, ars, spans.tolist(), strict=True)
    ]
    return pd.DataFrame({"i": i, "rel_day": ab.rel_days[cols[j]], "kind": python_texts("separate_shock", len(i)),
                         "detail": python_texts(detail), "confounds": True})  # fmt: skip


def screen_confounders(inputs: StudyInputs, ab: AbnormalReturns, exclusions: Sequence[Exclusion]) -> ConfounderScreen:
    """The screen of every firm-event of ``inputs`` (module docstring) from the combined abnormal returns ``ab``
    and the estimation mask ``exclusions`` (:func:`eventstudy.study.masking.estimation_exclusions`). A run over part
    of a study (``inputs.mask_context`` set: benchmark or confounder sensitivity) screens nothing itself: its
    confounded firm-events are the main run's (``inputs.confounders.confounded``), its table is empty."""
    study, firm_events = inputs.study, list(inputs.firm_events)
    settings = study.confounders
    extra = inputs.confounders or ConfounderInputs()
    if inputs.mask_context is not None:  # a run over part of a study: the main run's screen has decided
        keys = extra.confounded or frozenset()
        flags = np.array([(fe.event_id, fe.ticker) in keys for fe in firm_events], dtype=bool)
        return ConfounderScreen(empty_table().assign(confounds=False), flags, flags & settings.exclude)
    calendars = [m.calendar for m in inputs.markets]
    axes = _axes(calendars)
    located = _located(firm_events, calendars, axes)
    span = (min(w[0] for w in study.event_windows), max(w[1] for w in study.event_windows))
    earnings, no_earnings = earnings_items(located, extra.earnings, axes)
    distributions, no_record = distribution_items(located, inputs.histories, axes, span)
    news = news_items(located, settings.news, axes, settings.file)
    parts = [
        _study_events(located, (span, study.estimation_window, study.event_period), exclusions),
        separate_shocks(ab, study.event_windows, settings.shock_threshold),
        *(dated_rows(located, items, span) for items in (earnings, distributions, news)),
    ]  # fmt: skip
    hits = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) else None
    n = len(firm_events)
    if hits is None:
        hits = pd.DataFrame({"i": np.zeros(0, dtype=np.int64), "rel_day": np.zeros(0, dtype=np.int64), "kind": "",
                             "detail": "", "confounds": np.zeros(0, dtype=bool)})  # fmt: skip
    hits = hits.astype({"i": np.int64, "rel_day": np.int64, "confounds": bool})
    order = {k: r for r, k in enumerate(KINDS)}
    hits = hits.iloc[
        np.lexsort(([order[k] for k in hits["kind"].tolist()], hits["rel_day"].to_numpy(), hits["i"].to_numpy()))
    ]
    i, rel = hits["i"].to_numpy(), hits["rel_day"].to_numpy()
    pos0 = located["pos0"].to_numpy()[i]
    calendar, at = located["calendar"].to_numpy()[i], pos0 + rel
    dates = np.empty(len(i), dtype=object)
    for c in dict.fromkeys(calendar):  # the session of each row, calendar by calendar
        on = calendar == c
        dates[on] = np.asarray(axes[c][at[on]].strftime("%Y-%m-%d"), dtype=object)
    table = pd.DataFrame({"event_id": located["event_id"].to_numpy()[i], "ticker": located["ticker"].to_numpy()[i],
                          "date": dates, "rel_day": pd.array(rel, dtype="Int64"), "kind": hits["kind"].to_numpy(),
                          "detail": hits["detail"].to_numpy(), "confounds": hits["confounds"].to_numpy()})  # fmt: skip
    unscreened = [*no_earnings, *no_record]
    if unscreened:
        notes = pd.DataFrame({"event_id": "", "ticker": [t for t, _ in unscreened], "date": "",
                              "rel_day": pd.array([pd.NA] * len(unscreened), dtype="Int64"), "kind": "not_screened",
                              "detail": [w for _, w in unscreened], "confounds": False})  # fmt: skip
        table = pd.concat([table, notes], ignore_index=True)
    confounded = np.zeros(n, dtype=bool)
    confounded[i[hits["confounds"].to_numpy()]] = True
    return ConfounderScreen(table.reset_index(drop=True), confounded, confounded & settings.exclude)


def empty_table() -> pd.DataFrame:
    """``confounders.csv`` without rows (results built by hand)."""
    return pd.DataFrame({c: pd.Series([], dtype="Int64" if c == "rel_day" else object) for c in COLUMNS})


def study_confounders(results: object) -> pd.DataFrame:
    """The screen's rows of a run (``results.extra["confounders"]``, set by ``analyse``), :data:`COLUMNS` only."""
    frame = getattr(results, "extra", {}).get("confounders")
    return frame[COLUMNS].reset_index(drop=True) if isinstance(frame, pd.DataFrame) else empty_table()


def headline_car(car: pd.DataFrame, exclude: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    """The ``car.csv`` rows the headline is computed from and, per event, the note saying which firm-events were
    left out: with ``exclude`` (``exclude_confounded: true``) the confounded ones are not counted."""
    if not exclude or "confounded" not in car.columns:
        return car, {}
    flagged = car["confounded"].to_numpy(dtype=bool)
    notes = {
        str(e): f"left out as confounded (exclude_confounded; see confounders.csv): {', '.join(dict.fromkeys(g))}"
        for e, g in car.loc[flagged].groupby("event_id", sort=False)["ticker"]
    }
    return car.loc[~flagged], notes


def with_left_out(kept: pd.DataFrame, full: pd.DataFrame, notes: dict[str, str]) -> pd.DataFrame:
    """The headline rows ``kept`` (computed without the confounded firm-events) with ``notes`` added, and a row
    without figures for every event and window of ``full`` (the headline with them) that has none left."""
    key = ["event_id", "window_start", "window_end"]
    out = full[key].merge(kept, on=key, how="left")
    gone = out["n_firms"].isna().to_numpy()
    for column in ("exchange", "benchmark", "test"):  # (as objects: a column of only gone rows is all NaN)
        out[column] = out[column].astype(object)
        out.loc[gone, column] = full.loc[gone, column].to_numpy()
    out.loc[gone, ["n_firms", "n_not_traded"]] = 0
    out["note"] = [
        "; ".join(x for x in ("" if g else n, notes.get(str(e), "")) if isinstance(x, str) and x)
        for e, n, g in zip(out["event_id"], out["note"], gone, strict=True)
    ]
    return out.astype({"n_firms": int, "n_not_traded": int})[list(full.columns)]


def screen_words(results: object) -> str:
    """One line on what the screen found: confounded firm-events, rows by kind, checks not made, whether the tests
    count them (the console after ``run`` and ``Results.summary()``)."""
    table = study_confounders(results)
    car = getattr(results, "car", None)
    if car is None or "confounded" not in car.columns:
        return "not screened"
    flags = car.drop_duplicates(["event_id", "ticker"])["confounded"].to_numpy(dtype=bool)
    found = table[table["kind"] != "not_screened"]["kind"].value_counts()
    kinds = ", ".join(f"{int(found[k])} {k}" for k in KINDS if k in found.index)
    skipped = table[table["kind"] == "not_screened"].groupby("detail", sort=False)["ticker"].nunique()
    missing = "".join(f"; {d} ({n} ticker{'s' if n != 1 else ''})" for d, n in skipped.items())
    study = getattr(results, "study", None)
    excluded = study is not None and study.confounders.exclude
    how = "left out of the tests (exclude_confounded)" if excluded else "counted in the tests"
    return f"{int(flags.sum())} of {len(flags)} firm-events confounded, {how} ({kinds or 'no rows'}){missing}"
