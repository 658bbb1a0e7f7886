"""Verdicts and their results: :class:`Outcome` per claim, :class:`ClaimsResults` with the sensitivity grid.

A verdict is

``supported``     the measured value satisfies the comparison
``contradicted``  it does not
``undetermined``  it cannot be measured (no data, not a session, no trade…); the reason is given

:func:`flip_summary` says which definitions of a return claim's sensitivity grid disagree with the primary verdict;
:func:`write_claims_csv` and :func:`format_verdicts` write the results for files and for the terminal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .paths import ClaimPath
from .spec import Claim, _anchor_words

SUPPORTED, CONTRADICTED, UNDETERMINED = "supported", "contradicted", "undetermined"
VERDICTS = (SUPPORTED, CONTRADICTED, UNDETERMINED)
VERDICT_COLUMNS = ["claim_id", "document", "quote", "quantity", "claimed", "measured", "verdict", "primary_definition"]
# What part of a return claim was abnormal (definitions: eventstudy.claims.long_horizon)
LONG_COLUMNS = [
    "bhar_benchmark", "bhar_benchmark_mean", "bhar_benchmark_p_skew", "bhar_benchmark_p_boot",
    "bhar_control", "bhar_control_mean", "bhar_control_p_skew", "bhar_control_p_boot",
    "ct_alpha", "ct_alpha_t", "ct_alpha_p", "long_horizon_note",
]  # fmt: skip
TABLE_COLUMNS = [*VERDICT_COLUMNS, *LONG_COLUMNS]  # claims.csv
GRID_COLUMNS = [
    "claim_id", "base", "end", "measure", "value", "verdict",
    "benchmark", "base_date", "end_date", "primary", "reason",
]  # fmt: skip
INDEX_NAMES = {"000300.SS": "CSI 300", "000001.SS": "SSE Composite", "399106.SZ": "SZSE Composite"}


@dataclass(frozen=True)
class Outcome:
    """A claim's verdict on its primary definition."""

    claim: Claim
    measured: float | int | str | None  # the primary measured value (None when undetermined)
    verdict: str
    reason: str  # the evidence behind the verdict, in one or two sentences
    primary_definition: str
    per_ticker: dict[str, Any] = field(default_factory=dict)

    @property
    def measured_text(self) -> str:
        """The measured value for people: a percentage with two decimals, 0/1, a MIC, or a dash."""
        return _show_measured(self.measured, self.claim.quantity.kind)


@dataclass
class ClaimsResults:
    """What :func:`evaluate_claims` produced."""

    study_id: str
    source: str
    outcomes: list[Outcome]
    table: pd.DataFrame  # claims.csv: TABLE_COLUMNS (the verdict, then the long-horizon figures)
    grid: pd.DataFrame  # GRID_COLUMNS
    paths: list[ClaimPath]
    long_horizon: dict[str, str] = field(default_factory=dict)  # claim id → long-horizon sentence (report)
    long_horizon_firms: pd.DataFrame | None = None  # per firm of each return claim's sample (claims/long_horizon)

    @property
    def details(self) -> pd.DataFrame:
        """The claims table with each verdict's reason."""
        out = self.table.copy()
        out["reason"] = [o.reason for o in self.outcomes]
        return out

    def grid_for(self, claim_id: str) -> pd.DataFrame:
        return self.grid[self.grid["claim_id"] == claim_id]

    def grid_tables(self) -> list[dict[str, Any]]:
        """The sensitivity grid shaped for the report: per claim, columns (base × end) and rows (measures)."""
        tables = []
        for outcome in self.outcomes:
            g = self.grid_for(outcome.claim.id)
            if g.empty:
                continue
            cols = list(dict.fromkeys(zip(g["base"], g["end"], strict=True)))
            columns = [
                {"base": b, "end": e,
                 "label": f"{_anchor_words(b)} → {_anchor_words(e)}",
                 "dates": _dates_of(g, b, e)}
                for b, e in cols
            ]  # fmt: skip
            rows = []
            for measure in dict.fromkeys(g["measure"]):
                cells = []
                for b, e in cols:
                    hit = g[(g["measure"] == measure) & (g["base"] == b) & (g["end"] == e)].iloc[0]
                    cells.append(
                        {"value": _show_measured(hit["value"], "return"), "verdict": hit["verdict"],
                         "primary": bool(hit["primary"]), "reason": hit["reason"]}
                    )  # fmt: skip
                rows.append({"measure": measure, "cells": cells})
            verdicts = set(g["verdict"]) - {UNDETERMINED}
            tables.append(
                {"claim_id": outcome.claim.id, "claimed": outcome.claim.comparison.describe("return"),
                 "columns": columns, "rows": rows, "flips": len(verdicts) > 1, "summary": flip_summary(g)}
            )  # fmt: skip
        return tables

    def counts(self) -> dict[str, int]:
        return {v: sum(o.verdict == v for o in self.outcomes) for v in VERDICTS}


def _dates_of(g: pd.DataFrame, base: str, end: str) -> str:
    hit = g[(g["base"] == base) & (g["end"] == end)]
    b = next((d for d in hit["base_date"] if d), "")
    e = next((d for d in hit["end_date"] if d), "")
    return f"{b} → {e}" if b and e else ""


def _show_measured(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind in ("return", "session_return") and isinstance(value, float):
        return f"{value * 100:+.2f}%"
    return str(value)


def flip_summary(grid: pd.DataFrame) -> str:
    """Which definitions of a claim's grid disagree with the primary verdict, in one sentence."""
    if grid.empty:
        return ""
    primary = grid[grid["primary"]]
    pv = primary["verdict"].iloc[0] if len(primary) else None
    others = grid[(~grid["primary"]) & (grid["verdict"] != UNDETERMINED) & (grid["verdict"] != pv)]
    undetermined = grid[grid["verdict"] == UNDETERMINED]
    if others.empty:
        text = f"every determined definition agrees with the primary verdict ({pv})"
    else:
        cells = "; ".join(
            f"{r.measure}, {_anchor_words(r.base)} → {_anchor_words(r.end)} ({_show_measured(r.value, 'return')})"
            for r in others.itertuples()
        )
        text = f"the verdict flips to {others['verdict'].iloc[0]} for {len(others)} of {len(grid)} definitions: {cells}"
    if len(undetermined):
        text += f"; {len(undetermined)} undetermined"
    return text


def _bench_name(ticker: str | None) -> str:
    if ticker is None:
        return ""
    name = INDEX_NAMES.get(ticker)
    return f"{name} ({ticker})" if name else ticker


def write_claims_csv(results: ClaimsResults, path: str | Path) -> Path:
    """Write ``claims.csv`` (columns :data:`TABLE_COLUMNS`; measured values at full float precision)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = results.table.copy()
    out["measured"] = [_csv_value(v) for v in out["measured"]]
    out.to_csv(path, index=False, lineterminator="\n")
    return path


def _csv_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def format_verdicts(results: ClaimsResults) -> str:
    """The verdict table as plain text for the terminal, with each verdict's reason and definition."""
    if not results.outcomes:
        return "No claims in this study (add a claims: section, see docs/claims.md)."
    head = ("claim", "verdict", "measured", "claimed")
    rows = [(o.claim.id, o.verdict.upper(), o.measured_text, o.claim.comparison.describe(o.claim.quantity.kind))
            for o in results.outcomes]  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*head).rstrip(), line.format(*("-" * w for w in widths)).rstrip()]
    for o, row in zip(results.outcomes, rows, strict=True):
        out.append(line.format(*row).rstrip())
        out.append(f'    quote:      "{o.claim.quote}" ({o.claim.document}, {o.claim.date})')
        out.append(f"    definition: {o.primary_definition}")
        out.append(f"    why:        {o.reason}")
        if o.claim.id in results.long_horizon:
            out.append(f"    abnormal:   {results.long_horizon[o.claim.id]}")
    counts = results.counts()
    out.append("")
    out.append(", ".join(f"{n} {v}" for v, n in counts.items()) + f" (prices: {results.source})")
    return "\n".join(out)
