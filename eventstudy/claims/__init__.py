"""Claims check: what the documents say about share prices, as checked, reproducible objects.

A *claim* (``claims:`` section of ``events.yaml``, schema in ``docs/claims.md``) is a short quote from a
document, the *quantity* it is about and the *comparison* it makes. :func:`evaluate_claims` measures the
quantity on the study's price source, compares it and gives a verdict:

``supported``     the measured value satisfies the comparison
``contradicted``  it does not
``undetermined``  it cannot be measured (no data, not a session, no trade…); the reason is given

The package holds one concept per module:

:mod:`~eventstudy.claims.spec`      the claim schema (Quantity, Comparison, Claim) and :func:`parse_claims`;
                                    how numbers are compared at a fixed resolution
:mod:`~eventstudy.claims.measures`  the quantities on prices (price, total, index, one-session returns, the
                                    traded flag) and the anchors a return is measured between
:mod:`~eventstudy.claims.paths`     chart data of a claim (ClaimPath)
:mod:`~eventstudy.claims.verdicts`  Outcome, ClaimsResults, the sensitivity-grid summary, claims.csv and the
                                    terminal table
:mod:`~eventstudy.claims.evaluate`  :func:`evaluate_claims`: verdicts and the sensitivity grid of every claim
:mod:`~eventstudy.claims.figures`   plotly figures of the chart data
:mod:`~eventstudy.claims.long_horizon`  what part of a "since" claim was abnormal: BHARs against the benchmark
                                    and matched controls, the calendar-time alpha (the claims table's last columns)

Every public name is re-exported here, so ``from eventstudy.claims import evaluate_claims`` works.
"""

from __future__ import annotations

from .evaluate import claims_window, evaluate_claims
from .figures import claims_figures, claims_figures_html
from .measures import (
    Anchor,
    Undetermined,
    index_return,
    last_traded_close,
    price_return,
    resolve_anchor,
    session_return,
    total_return,
    traded_flag,
)
from .paths import ClaimPath
from .spec import (
    BASES,
    COMPARISONS,
    DEFAULT_TOLERANCE,
    ENDS,
    EXCHANGE_NAMES,
    KINDS,
    MAX_QUOTE_WORDS,
    MEASURES,
    NUMERIC_COMPARISONS,
    RESOLUTION,
    Claim,
    Comparison,
    Quantity,
    parse_claims,
    quantize,
)
from .verdicts import (
    CONTRADICTED,
    GRID_COLUMNS,
    INDEX_NAMES,
    LONG_COLUMNS,
    SUPPORTED,
    TABLE_COLUMNS,
    UNDETERMINED,
    VERDICT_COLUMNS,
    VERDICTS,
    ClaimsResults,
    Outcome,
    flip_summary,
    format_verdicts,
    write_claims_csv,
)

__all__ = [
    "KINDS", "COMPARISONS", "NUMERIC_COMPARISONS", "BASES", "ENDS", "MEASURES", "SUPPORTED", "CONTRADICTED",
    "UNDETERMINED", "VERDICTS", "DEFAULT_TOLERANCE", "RESOLUTION", "MAX_QUOTE_WORDS", "TABLE_COLUMNS", "VERDICT_COLUMNS", "LONG_COLUMNS", "GRID_COLUMNS",
    "EXCHANGE_NAMES", "INDEX_NAMES", "Quantity", "Comparison", "Claim", "quantize", "parse_claims", "Undetermined",
    "Anchor", "last_traded_close", "price_return", "total_return", "index_return", "session_return", "traded_flag",
    "resolve_anchor", "Outcome", "ClaimPath", "ClaimsResults", "flip_summary", "claims_window", "evaluate_claims", "write_claims_csv",
    "format_verdicts", "claims_figures", "claims_figures_html",
]  # fmt: skip
