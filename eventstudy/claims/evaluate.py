"""Evaluating claims: measure each claim on the study's prices, compare it and give a verdict.

:func:`evaluate_claims` measures every claim's primary definition and, for return claims, the sensitivity grid
(every base anchor × end anchor × measure: price, total, abnormal against each benchmark), and collects the chart
data (:mod:`eventstudy.claims.paths`) into :class:`~eventstudy.claims.verdicts.ClaimsResults`.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.base import PriceProvider
from ..errors import ConfigError
from ..spec.config import Study
from ..spec.exchanges import exchange_of_ticker
from .long_horizon import FIRM_COLUMNS, control_market, long_horizon, with_long_horizon
from .measures import (
    Anchor,
    Undetermined,
    _exchange_of,
    _mic,
    _Prices,
    _require_session,
    index_return,
    resolve_anchor,
    session_return,
    total_return,
    traded_flag,
)
from .paths import ClaimPath, _path
from .spec import _DATE, BASES, ENDS, EXCHANGE_NAMES, Claim, Quantity, _anchor_words, parse_claims
from .verdicts import (
    CONTRADICTED,
    GRID_COLUMNS,
    LONG_COLUMNS,
    SUPPORTED,
    UNDETERMINED,
    VERDICT_COLUMNS,
    ClaimsResults,
    Outcome,
    _bench_name,
    _show_measured,
    flip_summary,
)

_FETCH_MARGIN_DAYS = 90  # calendar days fetched before the earliest and after the latest date a claim needs


def claims_window(study: Study, claims: tuple[Claim, ...]) -> tuple[date, date]:
    """The dates of prices the claims read: every anchor, session and document date, with a margin."""
    days: list[date] = []
    events = {ev.id: ev for ev in study.events}
    for c in claims:
        days.append(c.date)
        q = c.quantity
        if q.on is not None:
            days.append(q.on)
        if q.event is not None:
            days.append(events[q.event].announced.date())
        for anchor in (q.base, q.end):
            if anchor and _DATE.match(anchor):
                days.append(date.fromisoformat(anchor))
    lo, hi = min(days), max(days)
    return (
        (pd.Timestamp(lo) - pd.Timedelta(days=_FETCH_MARGIN_DAYS)).date(),
        (pd.Timestamp(hi) + pd.Timedelta(days=_FETCH_MARGIN_DAYS)).date(),
    )


def _measure_return(
    claim: Claim, prices: _Prices, study: Study, base: str, end: str, measure: str, benchmark: str | None
) -> tuple[float, Anchor, Anchor, float | None]:
    """(value, base anchor, end anchor, benchmark return) of one definition of a return claim."""
    q = claim.quantity
    ticker = q.tickers[0]
    mic = _mic(study, ticker)
    frame = prices.history(ticker)
    announced = next(ev.announced for ev in study.events if ev.id == q.event)
    b = resolve_anchor(base, frame=frame, ticker=ticker, mic=mic, announced=announced, document_date=claim.date)
    e = resolve_anchor(end, frame=frame, ticker=ticker, mic=mic, announced=announced, document_date=claim.date)
    if e.session <= b.session:
        raise Undetermined(f"the end ({e.session.date()}) is not after the base ({b.session.date()})")
    if measure == "price":
        return e.close / b.close - 1.0, b, e, None
    total = total_return(frame, ticker, b.session, e.session)
    if measure == "total":
        return total, b, e, None
    assert benchmark is not None
    bench = index_return(prices.history(benchmark), benchmark, b.session, e.session)
    return total - bench, b, e, bench


def _definition(q: Quantity, b: Anchor | None, e: Anchor | None, measure: str, benchmark: str | None) -> str:
    what = {
        "price": "price return close_end/close_base − 1 (unadjusted closes)",
        "total": "total return: product of close/prev_close over traded sessions in (base, end], − 1",
        "abnormal": f"BHAR: total return − {_bench_name(benchmark)} return over the same dates",
    }[measure]
    base = b.words() if b else _anchor_words(q.base)
    end = e.words() if e else _anchor_words(q.end)
    return f"{what}; base = {base}; end = {end}; event {q.event}"


def _verdict(claim: Claim, measured: Any) -> str:
    return SUPPORTED if claim.comparison.holds(measured) else CONTRADICTED


def _evaluate_return(claim: Claim, prices: _Prices, study: Study) -> tuple[Outcome, list[dict[str, Any]]]:
    q = claim.quantity
    assert q.base is not None and q.end is not None  # a return claim always has both anchors (spec._quantity)
    rows: list[dict[str, Any]] = []
    bases = list(dict.fromkeys([*BASES, q.base]))
    ends = list(dict.fromkeys([*ENDS, q.end]))
    measures: list[tuple[str, str | None]] = [("price", None), ("total", None)]
    measures += [("abnormal", b) for b in claim.benchmarks]
    primary: Outcome | None = None
    for measure, bench in measures:
        for base in bases:
            for end in ends:
                is_primary = (base, end, measure) == (q.base, q.end, q.measure) and (
                    measure != "abnormal" or bench == q.benchmark
                )
                label = measure if measure != "abnormal" else f"abnormal vs {bench}"
                try:
                    value, b, e, _ = _measure_return(claim, prices, study, base, end, measure, bench)
                    verdict, reason = _verdict(claim, value), ""
                    bd, ed = b.session.date().isoformat(), e.session.date().isoformat()
                except Undetermined as exc:
                    value, verdict, reason, b, e, bd, ed = math.nan, UNDETERMINED, str(exc), None, None, "", ""
                rows.append(
                    {"claim_id": claim.id, "base": base, "end": end, "measure": label, "value": value,
                     "verdict": verdict, "benchmark": bench or "", "base_date": bd, "end_date": ed,
                     "primary": is_primary, "reason": reason}
                )  # fmt: skip
                if is_primary:
                    definition = _definition(q, b, e, measure, bench)
                    if verdict == UNDETERMINED:
                        primary = Outcome(claim, None, UNDETERMINED, reason, definition)
                    else:
                        ticker = q.tickers[0]
                        because = (
                            f"{ticker}: {_show_measured(value, 'return')} "
                            f"({'satisfies' if verdict == SUPPORTED else 'does not satisfy'} "
                            f"'{claim.comparison.describe('return')}')"
                        )
                        primary = Outcome(claim, value, verdict, because, definition, {ticker: value})
    assert primary is not None
    grid = pd.DataFrame(rows, columns=GRID_COLUMNS)
    summary = flip_summary(grid)
    if primary.verdict != UNDETERMINED:
        primary = Outcome(
            claim, primary.measured, primary.verdict, f"{primary.reason}; sensitivity: {summary}",
            primary.primary_definition, primary.per_ticker,
        )  # fmt: skip
    return primary, rows


def _evaluate_simple(claim: Claim, prices: _Prices, study: Study) -> Outcome:
    q = claim.quantity
    per: dict[str, Any] = {}
    reasons: list[str] = []
    verdicts: list[str] = []
    if q.kind == "session_return":
        definition = f"one-session return close/prev_close − 1 on {q.on} (the exchange's reference previous close)"
    elif q.kind == "traded":
        definition = f"traded flag on {q.on}: 1 = traded, 0 = a session inside the data with no trade (suspended)"
    else:
        definition = (
            "listing exchange (MIC) from the firm's exchange field in the study file, checked against the ticker suffix"  # noqa: E501
        )
    for ticker in q.tickers:
        try:
            if q.kind == "exchange":
                try:
                    mic, where = _exchange_of(study, ticker)
                except ConfigError as exc:
                    raise Undetermined(str(exc)) from None
                try:
                    by_suffix = exchange_of_ticker(ticker)
                except ConfigError:
                    by_suffix = None
                if by_suffix is not None and by_suffix != mic:
                    raise Undetermined(
                        f"{ticker}: {where} says {mic} but the ticker suffix says {by_suffix}; fix the study file"
                    )
                value: Any = mic
                agree = f"; the ticker suffix .{ticker.rsplit('.', 1)[1]} agrees" if by_suffix and "." in ticker else ""
                text = f"{ticker} is listed on {mic} ({EXCHANGE_NAMES.get(mic, mic)}), from {where}{agree}"
            else:
                mic = _mic(study, ticker)
                day = pd.Timestamp(q.on)
                _require_session(mic, day, ticker)
                frame = prices.history(ticker)
                if q.kind == "session_return":
                    value = session_return(frame, ticker, day)
                    text = f"{ticker} on {q.on}: {_show_measured(value, 'session_return')}"
                else:
                    value = traded_flag(frame, ticker, day)
                    text = f"{ticker} on {q.on}: traded = {value} ({'traded' if value else 'suspended'})"
            verdict = _verdict(claim, value)
            if q.kind == "exchange":
                text += f"; the document says {claim.comparison.value} ({EXCHANGE_NAMES.get(str(claim.comparison.value), '')})"  # noqa: E501
            per[ticker] = value
            reasons.append(text)
            verdicts.append(verdict)
        except Undetermined as exc:
            reasons.append(str(exc))
            verdicts.append(UNDETERMINED)
    if CONTRADICTED in verdicts:
        verdict = CONTRADICTED
    elif UNDETERMINED in verdicts:
        verdict = UNDETERMINED
    else:
        verdict = SUPPORTED
    if len(q.tickers) == 1:
        measured = per.get(q.tickers[0])
    else:
        measured = "; ".join(f"{t}={per[t]!r}" if t in per else f"{t}=undetermined" for t in q.tickers)
    return Outcome(claim, measured, verdict, "; ".join(reasons), definition, per)


def evaluate_claims(
    study: Study, provider: PriceProvider, claims: tuple[Claim, ...] | None = None, universe: str | Path | None = None
) -> ClaimsResults:
    """Measure every claim of ``study`` on ``provider``'s prices; verdicts, sensitivity grid, chart data and the
    long-horizon figures of the return claims (:mod:`eventstudy.claims.long_horizon`; matched controls from
    ``universe``, else from the vendored selection)."""
    claims = parse_claims(study) if claims is None else claims
    outcomes: list[Outcome] = []
    grid_rows: list[dict[str, Any]] = []
    paths: list[ClaimPath] = []
    long, firms = pd.DataFrame(columns=LONG_COLUMNS), pd.DataFrame(columns=FIRM_COLUMNS)
    sentences: dict[str, str] = {}
    if claims:
        start, end = claims_window(study, claims)
        prices = _Prices(provider, start, end)
        for claim in claims:
            if claim.quantity.kind == "return":
                outcome, rows = _evaluate_return(claim, prices, study)
                grid_rows += rows
            else:
                outcome = _evaluate_simple(claim, prices, study)
            outcomes.append(outcome)
            path = _path(claim, prices, study)
            if path is not None:
                paths.append(path)
        long, firms, sentences = long_horizon(claims, prices, study, control_market(universe), provider)
    table = pd.DataFrame(
        [
            {"claim_id": o.claim.id, "document": f"{o.claim.document} ({o.claim.date}"
             f"{', approximate' if o.claim.date_approximate else ''})", "quote": o.claim.quote,
             "quantity": o.claim.quantity.describe(), "claimed": o.claim.comparison.describe(o.claim.quantity.kind),
             "measured": o.measured, "verdict": o.verdict, "primary_definition": o.primary_definition}
            for o in outcomes
        ],
        columns=VERDICT_COLUMNS,
    )  # fmt: skip
    table = with_long_horizon(table, long)
    return ClaimsResults(
        study_id=study.id,
        source=getattr(provider, "name", ""),
        outcomes=outcomes,
        table=table,
        grid=pd.DataFrame(grid_rows, columns=GRID_COLUMNS),
        paths=paths,
        long_horizon=sentences,
        long_horizon_firms=firms,
    )
