"""Chart data of a claim (:class:`ClaimPath`): cumulative returns from the base close around what it is about.

Return claims get the path from the primary base anchor to the document's date, with every anchor marked;
``session_return`` and ``traded`` claims get ±5 sessions around their date; ``exchange`` claims have no path.
:mod:`eventstudy.claims.figures` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..data.calendar import sessions
from ..spec.config import Study
from .measures import Undetermined, _asof, _level, _mic, _Prices, last_traded_close, resolve_anchor
from .spec import BASES, ENDS, NUMERIC_COMPARISONS, Claim, _anchor_words


@dataclass
class ClaimPath:
    """Data of one claim's chart: cumulative returns from ``base_date`` on the ticker's sessions."""

    claim_id: str
    title: str  # plain text built from ids, tickers and dates only
    base_date: date
    dates: list[date]
    firms: dict[str, list[float]]  # ticker → cumulative total return from the base close
    firm_price: dict[str, list[float]]  # ticker → cumulative price return from the base close
    traded: dict[str, list[bool]]
    benchmark: str | None
    benchmark_path: list[float] | None
    threshold: float | None
    band: tuple[float, float] | None  # approximately: the tolerance band
    marks: list[tuple[date, str]] = field(default_factory=list)


def _path(claim: Claim, prices: _Prices, study: Study) -> ClaimPath | None:
    """Chart data: return claims from the primary base to the document date; dated claims ±5 sessions."""
    q = claim.quantity
    if q.kind == "exchange":
        return None
    ticker = q.tickers[0]
    try:
        mic = _mic(study, ticker)
        frames = {t: prices.history(t) for t in q.tickers}
        marks: list[tuple[date, str]] = []
        if q.kind == "return":
            announced = next(ev.announced for ev in study.events if ev.id == q.event)
            b = resolve_anchor(q.base or "", frame=frames[ticker], ticker=ticker, mic=mic, announced=announced,
                               document_date=claim.date)  # fmt: skip
            base = b.session
            axis = sessions(mic, base, pd.Timestamp(claim.date))
            for name in dict.fromkeys([*BASES, *ENDS, q.end or ""]):
                try:
                    a = resolve_anchor(name, frame=frames[ticker], ticker=ticker, mic=mic, announced=announced,
                                       document_date=claim.date)  # fmt: skip
                    marks.append((a.session.date(), _anchor_words(name)))
                except Undetermined:
                    pass
            title = f"{claim.id}: {ticker} since {q.event}"
        else:
            day = pd.Timestamp(q.on)
            around = sessions(mic, day - pd.Timedelta(days=30), day + pd.Timedelta(days=30))
            pos = int(around.searchsorted(day))
            axis = around[max(pos - 6, 0) : pos + 6]
            base = around[max(pos - 1, 0)]  # the close before the day: the one-session return's base
            marks.append((day.date(), str(q.on)))
            title = f"{claim.id}: {', '.join(q.tickers)} around {q.on}"
        axis = axis[axis <= min(f.index[-1] for f in frames.values())]
        firms, price, traded = {}, {}, {}
        for t, frame in frames.items():
            level = _level(frame)
            l0 = _asof(level, base)
            c0, _ = last_traded_close(frame, t, base)
            firms[t] = [_asof(level, d) / l0 - 1.0 for d in axis]
            price[t] = [last_traded_close(frame, t, d)[0] / c0 - 1.0 for d in axis]
            traded[t] = [bool(d in frame.index and frame.loc[d, "traded"]) for d in axis]
        bench = (
            q.benchmark
            if q.measure == "abnormal" and q.benchmark
            else (claim.benchmarks[0] if claim.benchmarks else study.benchmark)
        )
        bpath = None
        try:
            bf = prices.history(bench)
            blevel = _level(bf)
            b0 = _asof(blevel, base)
            bpath = [(_asof(blevel, d) / b0 - 1.0) if bf.index[0] <= d <= bf.index[-1] else math.nan for d in axis]
        except (Undetermined, IndexError):
            bpath = None
    except (Undetermined, IndexError):
        return None
    threshold = band = None
    comp = claim.comparison
    if comp.op in NUMERIC_COMPARISONS:
        threshold = float(comp.value)
        if comp.op == "approximately":
            lo, hi, _ = comp.bounds()
            band = (float(lo), float(hi))  # type: ignore[arg-type]
    return ClaimPath(
        claim_id=claim.id, title=title, base_date=pd.Timestamp(base).date(), dates=[d.date() for d in axis],
        firms=firms, firm_price=price, traded=traded, benchmark=bench, benchmark_path=bpath,
        threshold=threshold, band=band, marks=marks,
    )  # fmt: skip
