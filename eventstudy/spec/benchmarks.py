"""Which benchmark each firm is measured against: the study's ``benchmark:`` (one ticker, or a mapping exchange →
ticker), a firm's own ``benchmark:``, and the rule that there is no built-in default (issue 19) — a firm whose
market has no benchmark in the study is refused with one line that names the firm, its exchange and the fix.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import ConfigError
from .exchanges import calendar_name, normalise_exchange, same_sessions, ticker_exchange
from .fields import TICKER, Reader, show


class Firm(Protocol):
    """What the rules read of a firm of the study file (:class:`eventstudy.spec.events.Firm`)."""

    @property
    def ticker(self) -> str: ...
    @property
    def exchange(self) -> str: ...
    @property
    def benchmark(self) -> str | None: ...


def mapped_benchmark(benchmarks: dict[str, str], mic: str) -> str | None:
    """``benchmarks[mic]``, else the entry of an exchange that follows the same calendar, else None."""
    if mic in benchmarks:
        return benchmarks[mic]
    same = [t for key, t in benchmarks.items() if calendar_name(key) == calendar_name(mic)]
    return same[0] if same else None


def read_benchmarks(node: Reader) -> tuple[str | None, dict[str, str]]:
    """``benchmark``: one ticker, or a mapping exchange → ticker (the first entry is the study's default); absent:
    (None, {}), and then every firm must name its own (there is no built-in benchmark).

    An entry of the mapping must trade on its exchange's calendar as far as its ticker tells (:func:`ticker_exchange`):
    ``{XSHE: VONE}`` is refused, ``{XTKS: ^N225}`` trusted. A benchmark on another calendar is set on the firm."""
    if not node.has("benchmark"):
        return None, {}
    raw = node.get("benchmark")
    if not isinstance(raw, dict):
        return node.text("benchmark", pattern=TICKER), {}
    child = node.child("benchmark")
    if not raw:
        raise node.fail("expected a ticker or a non-empty mapping exchange → ticker, got {}", "benchmark")
    mapping: dict[str, str] = {}
    for key, ticker in raw.items():
        try:
            mic = normalise_exchange(str(key))
        except ConfigError as exc:
            raise child.fail(str(exc), str(key)) from None
        if not isinstance(ticker, str) or not TICKER.match(ticker):
            raise child.fail(f"expected a ticker, got {show(ticker)}", str(key))
        market = ticker_exchange(ticker)
        if market is not None and not same_sessions(market, mic):
            raise child.fail(
                f"{ticker} trades on {market}, not on {mic}'s calendar; a benchmark from another market may only be "
                "set on a firm itself (firms: - {ticker: ..., benchmark: " + ticker + "})",
                str(key),
            )
        mapping[mic] = ticker
    return next(iter(mapping.values())), mapping


def firm_benchmark(study_benchmark: str | None, benchmarks: dict[str, str], firm: Firm) -> str | None:
    """A firm's benchmark: its own, else the mapping's entry for its exchange (or one on the same calendar), else
    the study's single benchmark when that trades on the firm's calendar (``ticker_exchange``; a suffix-less
    index such as ``^GSPC`` counts as New York's); None when the study has none for the firm's market."""
    if firm.benchmark is not None:
        return firm.benchmark
    if benchmarks:
        return mapped_benchmark(benchmarks, firm.exchange)
    if study_benchmark is None:
        return None
    return study_benchmark if same_sessions(ticker_exchange(study_benchmark) or "XNYS", firm.exchange) else None


def no_benchmark(firm: Firm, study_benchmark: str | None, benchmarks: dict[str, str]) -> str:
    """Why ``firm`` has no benchmark, and the fix, in one sentence."""
    fix = f"add {firm.exchange}: <index ticker> to study.benchmark (a mapping exchange → ticker) or give the firm a benchmark:"
    if benchmarks:
        return f"{firm.ticker} trades on {firm.exchange}, which the benchmark mapping lacks ({', '.join(benchmarks)}); {fix}"
    if study_benchmark is None:
        return f"{firm.ticker} trades on {firm.exchange} and the study names no benchmark (there is no default); {fix}"
    market = ticker_exchange(study_benchmark) or "XNYS"
    return (
        f"{firm.ticker} trades on {firm.exchange}, but the study's benchmark {study_benchmark} trades on {market}, "
        f"another calendar; {fix}"
    )
