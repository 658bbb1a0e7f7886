"""eventstudy: market-reaction event studies from documents to tested abnormal returns.

The public Python API (``docs/api.md``, walk-through in ``docs/tutorial.md``)::

    import eventstudy as es
    r = es.run("events.yaml", source="snapshot")
    print(r.summary())

``run``, ``Study``, ``Results`` and the other names in ``__all__`` are imported on first use, so that
``import eventstudy`` stays light (no pandas, plotly, scipy.stats or pyarrow until they are needed).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name → the module that defines it
_EXPORTS = {
    "run": "api",
    "Study": "spec.config",
    "Event": "spec.events",
    "Firm": "spec.events",
    "load_study": "spec.config",
    "Results": "api",
    "PriceProvider": "data.base",
    "Provenance": "data.base",
    "open_provider": "data",
    "read_prices": "data.local_csv",
    "EventStudyError": "errors",
    "ConfigError": "errors",
    "DataError": "errors",
    "DataUnavailable": "errors",
}

__all__ = [
    "__version__", "run", "Study", "Event", "Firm", "load_study", "Results", "PriceProvider", "Provenance",
    "open_provider", "read_prices", "EventStudyError", "ConfigError", "DataError", "DataUnavailable",
]  # fmt: skip

if TYPE_CHECKING:
    from .api import Results, run
    from .data import open_provider
    from .data.base import PriceProvider, Provenance
    from .data.local_csv import read_prices
    from .errors import ConfigError, DataError, DataUnavailable, EventStudyError
    from .spec.config import Study, load_study
    from .spec.events import Event, Firm


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
