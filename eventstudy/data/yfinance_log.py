"""yfinance's logging routed through ours, and exceptions as one line: shared by the price and earnings fetches."""

from __future__ import annotations

import logging


def one_line(exc: BaseException) -> str:
    """``exc`` as ``"<Type>: <message>"`` on a single line (whitespace runs collapsed)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _ThroughOurLog(logging.Handler):
    """Re-emits yfinance's records on ``eventstudy.yfinance`` at DEBUG: our one line per failure says it all."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("eventstudy.yfinance").debug("%s", record.getMessage())


def route_yfinance_logging() -> None:
    """Send the ``yfinance`` logger (``Cookie/crumb fetch failed``, ``possibly delisted``...) through ours, at
    DEBUG, instead of printing it on stderr beside our own message."""
    yf_log = logging.getLogger("yfinance")
    if not any(isinstance(h, _ThroughOurLog) for h in yf_log.handlers):
        yf_log.addHandler(_ThroughOurLog())
    yf_log.propagate = False
