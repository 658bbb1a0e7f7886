"""Shared helpers of the claims tests: tiny constructed price series, a fake provider, tiny study files, and the
default study's claims evaluated once on the vendored snapshot (fixture ``default_claims``).

Test modules import the helpers with ``from .conftest import ...``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from eventstudy import claims as C
from eventstudy.data import open_provider
from eventstudy.data.calendar import sessions
from eventstudy.errors import DataUnavailable
from eventstudy.spec.config import load_study, parse_study

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events.yaml"
TEMPLATES = ROOT / "eventstudy" / "report" / "templates"


def frame(rows: dict[str, tuple[float, float, bool]]) -> pd.DataFrame:
    """A price history from {date: (close, prev_close, traded)}."""
    index = pd.DatetimeIndex(pd.to_datetime(list(rows)), name="date")
    close, prev, traded = zip(*rows.values(), strict=True)
    return pd.DataFrame(
        {"close": close, "prev_close": prev, "volume": [1000.0 if t else 0.0 for t in traded], "traded": traded},
        index=index,
    )


def steady(start: str, end: str, first: float = 10.0, step: float = 0.0) -> dict[str, tuple[float, float, bool]]:
    """Every XSHE session in [start, end], all traded, close first, first+step, ..."""
    out, prev = {}, first
    for i, day in enumerate(sessions("XSHE", pd.Timestamp(start), pd.Timestamp(end))):
        close = first + step * i
        out[day.date().isoformat()] = (close, prev, True)
        prev = close
    return out


class FakeProvider:
    name = "fake"

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames

    def history(self, ticker, start=None, end=None):
        if ticker not in self.frames:
            raise DataUnavailable(f"{ticker}: not in the fake provider")
        f = self.frames[ticker]
        return f.loc[pd.Timestamp(start) if start else None : pd.Timestamp(end) if end else None]

    def provenance(self, ticker):  # pragma: no cover - not used
        raise NotImplementedError


def study_dict(claims: list[dict]) -> dict:
    return {
        "study": {"id": "tiny", "title": "Tiny", "benchmark": "IDX.SZ", "alternative_benchmarks": ["IDX2.SZ"]},
        "events": [
            {
                "id": "ev",
                "title": "Event",
                "announced": "2019-10-07T18:00:00",
                "timezone": "America/New_York",
                "firms": [{"ticker": "AAA.SZ", "name": "Alpha", "exchange": "XSHE"}],
            }
        ],
        "claims": claims,
    }


def since_claim(**quantity) -> dict:
    q = {"kind": "return", "ticker": "AAA.SZ", "event": "ev", "base": "last_close_before_announcement",
         "end": "last_close_before_document", "measure": "price"}  # fmt: skip
    q.update(quantity)
    return {"id": "up", "document": "doc.txt", "date": "2019-10-18", "quote": "up a lot since", "quantity": q,
            "claim": {"comparison": "more_than", "value": "10%"}}  # fmt: skip


def tiny_results(claim: dict, frames: dict[str, pd.DataFrame]) -> C.ClaimsResults:
    return C.evaluate_claims(parse_study(study_dict([claim]), "tiny.yaml"), FakeProvider(frames))


@pytest.fixture(scope="session")
def default_claims() -> C.ClaimsResults:
    """The five claims of the default study (events.yaml) on the snapshot prices."""
    return C.evaluate_claims(load_study(EVENTS), open_provider("snapshot"))
