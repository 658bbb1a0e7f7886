"""Exchanges by name: MICs, aliases and short names, the exchange a ticker's suffix means, whose sessions an
exchange follows."""

from __future__ import annotations

import pytest

from eventstudy.errors import ConfigError
from eventstudy.spec.exchanges import calendar_name, exchange_of_ticker, normalise_exchange, suffix_conflict


@pytest.mark.parametrize(
    ("ticker", "mic"),
    [("000300.SS", "XSHG"), ("002415.SZ", "XSHE"), ("0700.HK", "XHKG"), ("6758.T", "XTKS"), ("VOD.L", "XLON"),
     ("AAPL", "XNYS"), ("nvda", "XNYS"), ("7203.t", "XTKS")],
)  # fmt: skip
def test_exchange_from_suffix(ticker, mic):
    assert exchange_of_ticker(ticker) == mic


def test_unknown_suffix_needs_an_exchange():
    with pytest.raises(ConfigError, match=r"unknown exchange suffix \.ZZ"):
        exchange_of_ticker("ABC.ZZ")


def test_suffix_conflicts():
    assert suffix_conflict("002415.SZ", "XSHG") == "ticker '002415.SZ' has suffix .SZ, which means XSHE, not XSHG"
    assert suffix_conflict("002415.SZ", "XSHE") is None
    assert suffix_conflict("AAPL", "XNAS") is None  # no suffix: any exchange may be given
    assert suffix_conflict("BRK.B", "XNYS") is None  # unknown suffix: not a contradiction


def test_exchange_names_and_calendars():
    assert normalise_exchange("szse") == "XSHE" and normalise_exchange("SSE") == "XSHG"
    assert normalise_exchange("XNAS") == "XNAS" and calendar_name("XNAS") == "XNYS"
    assert normalise_exchange("LSE") == "XLON"
    assert calendar_name("XSHE") == "XSHG" and calendar_name("XHKG") == "XHKG"
    with pytest.raises(ConfigError, match="'XXXX' is not an exchange that exchange_calendars knows"):
        normalise_exchange("XXXX")
