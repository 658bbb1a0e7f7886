"""The headline table of a study (``summary.csv``): one row per event and event window.

Columns, for the firms of one event over one window ``W = [window_start, window_end]``:

* ``exchange``, ``benchmark`` — where the event's firms trade (``Shenzhen``, ``Nasdaq``, ``New York (NYSE or
  Nasdaq)`` for a suffix-less ticker whose exchange the study file does not give) and the index their abnormal
  returns are measured against; several, joined by ``; ``, when the event spans markets.

* ``n_firms`` — firms with at least one return in ``W`` (the cross-section the numbers are over);
  ``n_not_traded`` — firms of the event with no return in ``W`` (suspended throughout), left out of every figure.
* ``caar`` — the cumulative average abnormal return, ``CAAR = (1/N) Σ_i CAR_i`` over the ``N = n_firms`` firms
  (Campbell, Lo & MacKinlay 1997, eq. 4.4.18/4.4.23); ``CAR_i`` is the ``car`` column of ``car.csv``.
* ``median_car`` — the median of those ``CAR_i``; ``share_negative`` — the share of them below zero.
* ``note`` — empty unless the figures rest on less than asked, with every caveat the report shows for the row:
  firm-events without a CAR for a data problem (e.g. a benchmark gap, named in ``car.csv``'s ``note``; counted in
  neither ``n_firms`` nor ``n_not_traded``), CARs over an incomplete window (the data end
  before ``window_end``; ``car.csv`` column ``complete``), CARs whose returns span sessions outside ``W`` (a halt:
  ``covers 0..+39: suspended 0..+38``) and CARs that include closes at the daily price limit.
* ``test``, ``statistic``, ``p_value`` — the study's ``primary_test`` (default ``kp_bmp_t``, Kolari & Pynnönen
  2010, which stays valid when the firms share the event day), copied from ``tests.csv``.
* ``p_holm`` — ``p_value`` adjusted for multiplicity by Holm's (1979, *Scand. J. Statistics* 6, 65–70) step-down
  method across every row of the study (all events × all windows): with the ``m`` finite p-values sorted
  ``p_(1) ≤ … ≤ p_(m)``, ``p̃_(k) = min(1, max_{j ≤ k} (m − j + 1) p_(j))``. It controls the family-wise error
  rate at any dependence between the rows (overlapping windows are strongly dependent). A row without a
  p-value (no firm traded) is left out of the family and keeps ``p_holm`` empty.

The daily p-value grid of the report is adjusted the same way, one family per event and test across the days of
the daily path (:func:`daily_holm`). The report's CAAR path from day 0 and its 95% band are
:func:`eventstudy.report.paths.event_paths`, over :func:`caar_band`.

Pure: frames in, frame or text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.quality import limit_words
from .confounders import headline_car, with_left_out
from .coverage import coverage_words_of, is_gap_note

if TYPE_CHECKING:
    from .results import StudyResults

COLUMNS = [
    "event_id", "exchange", "benchmark", "window_start", "window_end", "n_firms", "n_not_traded", "caar", "median_car", "share_negative",
    "test", "statistic", "p_value", "p_holm", "note",
]  # fmt: skip

ALPHA = 0.05  # the level at which the report marks adjusted p-values
Z_975 = 1.959963984540054  # standard normal 97.5% quantile: the CAAR band is ± Z_975 standard errors


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values along the last axis (each row of a 2-D array is one family).

    ``p̃_(k) = min(1, max_{j ≤ k} (m − j + 1) p_(j))`` over the ``m`` finite p-values of the family, sorted
    ascending; NaN stays NaN and is not counted in ``m``. Identical to statsmodels'
    ``multipletests(p, method="holm")[1]`` (tests/study/test_summary.py checks it); written out here, vectorised over
    families, because ``multipletests`` runs a full ``gc.collect()`` on every call (≈0.1 s in a process with the
    report libraries loaded), which the one-family-per-event-and-test daily grid would pay dozens of times.
    """
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p.copy()
    rows = np.atleast_2d(p)
    order = np.argsort(rows, axis=-1, kind="stable")  # NaN sorts last
    ranked = np.take_along_axis(rows, order, axis=-1)
    m = np.isfinite(rows).sum(axis=-1, keepdims=True)
    factor = m - np.arange(rows.shape[-1])[None, :]  # m − j + 1 for the j-th smallest (1-based j)
    with np.errstate(invalid="ignore"):
        adjusted = np.minimum(1.0, np.fmax.accumulate(np.where(np.isfinite(ranked), factor * ranked, np.nan), axis=-1))
    adjusted = np.where(np.isfinite(ranked), adjusted, np.nan)
    out = np.empty_like(rows)
    np.put_along_axis(out, order, adjusted, axis=-1)
    return out.reshape(p.shape)


def _by_cell(cells: np.ndarray, texts: list[str], out: dict[int, list[str]], joined: str | None = None) -> None:
    """Append ``texts`` (one per row, rows in order, ``cells`` their summary rows) to the notes of their cells in
    ``out``: each on its own, or (``joined``: a prefix) all of a cell's in one clause, ``prefix: a, b``."""
    if not len(cells):
        return
    starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], len(cells)], strict=True):  # the cells with such rows only
        parts = out.setdefault(int(cells[a]), [])
        if joined is None:
            parts.extend(texts[a:b])
        else:
            parts.append(f"{joined}{', '.join(texts[a:b])}")


def _notes(
    firms: pd.DataFrame, cell: np.ndarray, traded: np.ndarray, left_out: np.ndarray, halts: pd.DataFrame | None
) -> dict[int, str]:
    """Every caveat the report gives for a row, in one sentence, for the rows (``cell``: each CAR's row; CARs
    sorted by row, in order within it) that have one: firm-events with returns but no CAR (a data problem named in
    ``car.csv``'s ``note``, e.g. a benchmark gap), CARs over incomplete windows, CARs whose returns reach outside the
    window (a halt: ``covers 0..+39: suspended 0..+38``) and CARs that include closes at the daily price limit (the
    reaction may be understated)."""
    tickers = firms["ticker"].to_numpy().astype(str)
    kinds: list[dict[int, list[str]]] = [{} for _ in range(5)]
    rows = np.flatnonzero(left_out)
    _by_cell(cell[rows], tickers[rows].tolist(), kinds[0], "left out (data problem, see car.csv note): ")
    if "complete" in firms.columns:
        rows = np.flatnonzero(traded & ~firms["complete"].fillna(True).to_numpy(dtype=bool))
        _by_cell(cell[rows], tickers[rows].tolist(), kinds[1], "incomplete window (data end early): ")
    if halts is not None and "covered_start" in firms.columns:
        words = coverage_words_of(firms, halts)
        rows = np.flatnonzero(traded & (np.array(words, dtype=object) != ""))
        _by_cell(cell[rows], [f"{tickers[i]} {words[i]}" for i in rows], kinds[2])
    if "note" in firms.columns:  # a flagged price among the returns or the estimation returns (car.csv's note)
        rows = np.flatnonzero(traded & firms["note"].fillna("").astype(str).str.contains("data flag").to_numpy())
        prefix = "data flag (a possible unadjusted split or spike, see car.csv note): "
        _by_cell(cell[rows], tickers[rows].tolist(), kinds[3], prefix)
    if "limit_up" in firms.columns:
        up = pd.to_numeric(firms["limit_up"]).to_numpy(dtype=float, na_value=np.nan)
        down = pd.to_numeric(firms["limit_down"]).to_numpy(dtype=float, na_value=np.nan)
        rows = np.flatnonzero(traded & np.isfinite(up) & np.isfinite(down) & ((up != 0) | (down != 0)))
        words = [f"{tickers[i]} {limit_words(int(up[i]), int(down[i]))}" for i in rows]
        _by_cell(cell[rows], words, kinds[4])
    noted = sorted({c for kind in kinds for c in kind})
    return {c: "; ".join(p for kind in kinds for p in kind.get(c, [])) for c in noted}


def summary_frame(
    car: pd.DataFrame,
    tests: pd.DataFrame,
    event_ids: Sequence[str],
    windows: Sequence[tuple[int, int]],
    primary_test: str = "kp_bmp_t",
    markets: Mapping[str, tuple[str, str]] | None = None,
    halts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows of ``summary.csv`` from the ``car.csv`` and ``tests.csv`` frames (see the module docstring).

    Rows in the order of ``event_ids`` then ``windows``; an event/window missing from ``car`` has no row.
    ``markets``: per event, its ``(exchange, benchmark)`` cells (:func:`event_markets`; absent: empty); ``halts``:
    the study's halts (``StudyResults.halts``), for the notes on CARs that span one. Computed for every row at once.
    """
    key = ["event_id", "window_start", "window_end"]
    grid = pd.MultiIndex.from_tuples(
        [(e, int(lo), int(hi)) for e in dict.fromkeys(event_ids) for lo, hi in dict.fromkeys(windows)], names=key
    )
    at = grid.get_indexer(pd.MultiIndex.from_arrays([car[k] for k in key])) if len(car) and len(grid) else []
    at = np.asarray(at, dtype=np.int64)
    order = np.argsort(at, kind="stable")
    order = order[at[order] >= 0]  # CARs by summary row, in car.csv's order within one
    firms, cell = car.iloc[order], at[order]
    observed = firms["n_obs"].to_numpy() > 0
    values = firms["car"].to_numpy(dtype=float)
    traded = observed & np.isfinite(values)
    # No CAR for a data problem that car.csv's note names: a benchmark gap empties the firm-event's returns too, so
    # it has no return in W either; left out, not "not traded" (other notes, such as a data flag or an incomplete
    # window, leave a firm without a return in W not traded).
    gap = is_gap_note(firms["note"]) if "note" in firms.columns else np.zeros(len(firms), dtype=bool)
    left_out = ~traded & (observed | gap)
    size = len(grid)
    present = np.bincount(cell, minlength=size) > 0
    n_firms = np.bincount(cell, weights=traded, minlength=size).astype(int)
    n_not_traded = np.bincount(cell, weights=~observed & ~left_out, minlength=size).astype(int)
    cars = pd.Series(values[traded]).groupby(cell[traded])
    with np.errstate(invalid="ignore"):
        caar = cars.mean().reindex(range(size)).to_numpy()
        median = cars.median().reindex(range(size)).to_numpy()
        negative = (pd.Series(values[traded] < 0).groupby(cell[traded]).mean()).reindex(range(size)).to_numpy()
    primary = tests[tests["test"] == primary_test].drop_duplicates(key, keep="last")  # (a repeated key: the last)
    found = (
        pd.MultiIndex.from_arrays([primary[k] for k in key]).get_indexer(grid) if len(primary) else np.full(size, -1)
    )
    statistic, p_value = (
        np.where(found >= 0, np.r_[primary[c].to_numpy(dtype=float), np.nan][found], np.nan)
        for c in ("statistic", "p_value")
    )  # (found -1: the NaN appended)
    notes = _notes(firms, cell, traded, left_out, halts)
    rows = np.flatnonzero(present)
    events = grid.get_level_values(0)
    cells = markets or {}
    frame = pd.DataFrame(
        {
            "event_id": events[rows].tolist(),
            "exchange": [cells.get(e, ("", ""))[0] for e in events[rows]],
            "benchmark": [cells.get(e, ("", ""))[1] for e in events[rows]],
            "window_start": grid.get_level_values(1)[rows].to_numpy(dtype=int),
            "window_end": grid.get_level_values(2)[rows].to_numpy(dtype=int),
            "n_firms": n_firms[rows],
            "n_not_traded": n_not_traded[rows],
            "caar": caar[rows],
            "median_car": median[rows],
            "share_negative": negative[rows],
            "test": primary_test,
            "statistic": statistic[rows],
            "p_value": p_value[rows],
            "note": [notes.get(int(c), "") for c in rows],
        },
        columns=[c for c in COLUMNS if c != "p_holm"],
    )  # fmt: skip
    frame.insert(COLUMNS.index("p_holm"), "p_holm", holm(frame["p_value"].to_numpy(dtype=float)))
    return frame.astype({"window_start": int, "window_end": int, "n_firms": int, "n_not_traded": int})


def event_markets(results: StudyResults) -> dict[str, tuple[str, str]]:
    """Per event, the exchanges its firms trade on and their benchmarks, each list in firm order without repeats
    and joined by ``; `` (the ``exchange`` and ``benchmark`` cells of ``summary.csv``)."""
    exchanges: dict[str, dict[str, None]] = {}
    benchmarks: dict[str, dict[str, None]] = {}
    for fe, m in zip(results.abnormal.firm_events, results.markets, strict=True):
        exchanges.setdefault(fe.event_id, {})[m.label or m.exchange] = None
        benchmarks.setdefault(fe.event_id, {})[m.benchmark] = None
    return {e: ("; ".join(exchanges[e]), "; ".join(benchmarks[e])) for e in exchanges}


def study_summary(results: StudyResults) -> pd.DataFrame:
    """:func:`summary_frame` of a run: its CARs and tests, events and windows of the study file."""
    study = results.study

    def frame(car: pd.DataFrame) -> pd.DataFrame:
        return summary_frame(
            car, results.tests, [ev.id for ev in study.events], study.event_windows, study.primary_test,
            event_markets(results), results.halts,
        )  # fmt: skip

    kept, left_out = headline_car(results.car, study.confounders.exclude)  # exclude_confounded (study/confounders.py)
    return with_left_out(frame(kept), frame(results.car), left_out) if left_out else frame(results.car)


def holm_by(p_values: np.ndarray, family: np.ndarray) -> np.ndarray:
    """:func:`holm` within each family (``family``: a code per p-value), for every family at once: the p-values
    sorted within their family (NaN last, ties in order), ``(m − j + 1) p_(j)``, its running maximum within the
    family, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    family = np.asarray(family)
    if not len(p):
        return p.copy()
    finite = np.isfinite(p)
    order = np.lexsort((np.where(finite, p, np.inf), ~finite, family))  # stable: ties keep their order
    fam, ranked, ok = family[order], p[order], finite[order]
    start = np.flatnonzero(np.r_[True, fam[1:] != fam[:-1]])
    size = np.diff(np.r_[start, len(fam)])
    rank = np.arange(len(fam)) - np.repeat(start, size)  # j − 1 within the family
    m = np.repeat(np.add.reduceat(ok.astype(np.int64), start), size)  # finite p-values of the family
    scaled = np.where(ok, (m - rank) * ranked, np.nan)
    running = pd.Series(scaled).groupby(np.repeat(np.arange(len(start)), size)).cummax().to_numpy()
    out = np.empty_like(p)
    out[order] = np.where(ok, np.minimum(1.0, running), np.nan)
    return out


def daily_holm(tests: pd.DataFrame, windows: Sequence[tuple[int, int]]) -> pd.DataFrame:
    """The one-day rows of the daily path in ``tests`` (``window_start == window_end`` and not an event window)
    with ``p_holm``: Holm-adjusted within each event and test, across the days of the path (:func:`holm_by`)."""
    starts, ends = tests["window_start"].to_numpy(), tests["window_end"].to_numpy()
    daily_rows = starts == ends
    for a, b in {(int(a), int(b)) for a, b in windows}:
        daily_rows &= ~((starts == a) & (ends == b))
    daily = tests[daily_rows].copy()
    family = daily.groupby(["event_id", "test"], sort=False).ngroup().to_numpy()
    daily["p_holm"] = holm_by(daily["p_value"].to_numpy(dtype=float), family)
    return daily


def caar_band(car: np.ndarray, se: np.ndarray, rbar: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(CAAR_t, SE(CAAR_t), N_t)`` from per-firm ``CAR_it`` and forecast-error standard errors ``s_it``
    (arrays ``(N, L)``, NaN where firm i has no return up to day t; those firms are left out of day t).

    ``CAAR_t = (1/N_t) Σ_i CAR_it`` and

        ``Var(CAAR_t) = (1/N_t²) [Σ_i s_it² + r̄₊ Σ_{i≠j} s_it s_jt]``,

    the variance of a mean of CARs whose forecast errors have variances ``s_it²`` (Campbell, Lo & MacKinlay 1997,
    eq. 4.4.22 — where ``r̄ = 0``) and a common pairwise correlation ``r̄``, the mean cross-correlation of the
    firms' estimation-period abnormal returns (Kolari & Pynnönen 2010, the ``r̄`` of ``kp_bmp_t``): firms that
    share the event day move together, and independence would make the band too narrow. ``r̄₊ = max(r̄, 0)``
    (a negative estimate, or none with one firm, counts as 0), so the band is never narrower than under
    independence. ``Σ_{i≠j} s_i s_j = (Σ_i s_i)² − Σ_i s_i²``. NaN where no firm has a return.
    """
    ok = np.isfinite(car) & np.isfinite(se)
    n = ok.sum(axis=0)
    s = np.where(ok, se, 0.0)
    sum_sq, total = (s * s).sum(axis=0), s.sum(axis=0)
    r = max(float(rbar), 0.0) if np.isfinite(rbar) else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        caar = np.where(n > 0, np.where(ok, car, 0.0).sum(axis=0) / n, np.nan)
        var = np.where(n > 0, (sum_sq + r * (total * total - sum_sq)) / (n * n), np.nan)
    return caar, np.sqrt(var), n


def market_notes(frame: pd.DataFrame) -> list[str]:
    """One line per event of a summary frame: where its firms trade and against which benchmark."""
    if "benchmark" not in frame.columns:
        return []
    rows = frame.drop_duplicates("event_id")
    return [
        f"{r.event_id}: {r.exchange} against {r.benchmark}" if r.exchange else f"{r.event_id}: against {r.benchmark}"
        for r in rows.itertuples(index=False)
        if isinstance(r.benchmark, str) and r.benchmark
    ]


def _has_note(row: object) -> bool:
    note = getattr(row, "note", "")
    return isinstance(note, str) and bool(note)


def _cell(value: float, spec: str) -> str:
    return format(value, spec) if np.isfinite(value) else "—"


def format_summary(frame: pd.DataFrame, title: str | None = None) -> str:
    """A fixed-width plain-text rendering of a summary frame (what the console prints after a run)."""
    header = [
        "event",
        "window",
        "N",
        "not traded",
        "CAAR",
        "median CAR",
        "% negative",
        "test",
        "stat",
        "p",
        "p Holm",
        "",
    ]
    body = []
    for r in frame.itertuples(index=False):
        body.append(
            [
                str(r.event_id),
                f"[{r.window_start}, {r.window_end}]",
                str(r.n_firms),
                str(r.n_not_traded),
                _cell(100 * r.caar, "+.2f") + ("%" if np.isfinite(r.caar) else ""),
                _cell(100 * r.median_car, "+.2f") + ("%" if np.isfinite(r.median_car) else ""),
                _cell(100 * r.share_negative, ".0f"),
                str(r.test),
                _cell(r.statistic, "+.3f"),
                _cell(r.p_value, ".3f"),
                _cell(r.p_holm, ".3f") + (" *" if r.p_holm < ALPHA else ""),
                "!" if _has_note(r) else "",
            ]  # fmt: skip
        )
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(header)]
    left = {0, 7}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = "-" * len(line(header))
    out = ([title] if title else []) + [rule, line(header), rule, *(line(row) for row in body), rule]
    notes = [f"* Holm-adjusted p < {ALPHA} across all {int(np.isfinite(frame['p_holm']).sum())} rows of the study."]
    notes += market_notes(frame)
    if ((frame["n_firms"] == 0) & (frame["n_not_traded"] > 0)).any():
        notes.append("— no firm of the event traded in the window: no figure.")
    for r in frame.itertuples(index=False):
        if _has_note(r):
            notes.append(f"! {r.event_id} [{r.window_start}, {r.window_end}]: {r.note}")
    return "\n".join(out + notes)
