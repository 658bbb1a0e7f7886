"""Exchanges by name: what a study file may call an exchange, the exchange a ticker's suffix means, and whose
sessions an exchange follows.

Any exchange that ``exchange_calendars`` knows can be named, by its ISO 10383 MIC (``XNYS``, ``XHKG``, ``XTKS``, …)
or one of that library's aliases (``NYSE``, ``LSE``, …), besides the Chinese exchanges' short names (``SZSE``,
``SSE``). Shenzhen (``XSHE``) keeps Shanghai's holidays, so it follows the ``XSHG`` calendar. A firm whose exchange
is not given trades where its Yahoo-style ticker suffix says (:data:`SUFFIX_EXCHANGE`; no suffix: New York,
``XNYS`` — Nasdaq shares its sessions). The sessions themselves are :mod:`eventstudy.data.calendar`'s.
"""

from __future__ import annotations

import functools

import exchange_calendars as xcals

from ..errors import ConfigError

#: The day-0 rules a study file may choose (``day0:``), defined in :mod:`eventstudy.data.calendar`.
DAY0_RULES = ("close", "next_open")

# Names accepted in study files besides exchange_calendars' own: the Chinese exchanges' common short names.
_OWN_ALIASES = {"SZSE": "XSHE", "SSE": "XSHG", "NYSE": "XNYS", "NASDAQ": "XNAS"}
# Exchanges that exchange_calendars does not list under their own MIC but whose sessions another calendar follows.
_CALENDAR_OF = {"XSHE": "XSHG"}

#: Yahoo ticker suffix → the MIC of the exchange it trades on (no suffix: XNYS). Documented in
#: docs/events-schema.md; a ticker with another suffix needs an explicit ``exchange:``.
SUFFIX_EXCHANGE = {
    "SS": "XSHG", "SZ": "XSHE", "HK": "XHKG", "T": "XTKS", "L": "XLON", "DE": "XETR", "PA": "XPAR",
    "TO": "XTSE", "AX": "XASX", "KS": "XKRX", "TW": "XTAI", "SI": "XSES", "BO": "XBOM",
}  # fmt: skip


#: How reports name an exchange (its MIC where this has no entry).
EXCHANGE_NAMES = {
    "XSHE": "Shenzhen", "XSHG": "Shanghai", "XNYS": "NYSE", "XNAS": "Nasdaq", "ARCX": "NYSE Arca", "XASE": "NYSE American",
    "BATS": "Cboe BZX", "XHKG": "Hong Kong", "XTKS": "Tokyo", "XLON": "London", "XETR": "Xetra", "XPAR": "Paris",
    "XTSE": "Toronto", "XASX": "ASX", "XKRX": "Korea", "XTAI": "Taiwan", "XSES": "Singapore", "XBOM": "Bombay",
}  # fmt: skip
#: A suffix-less ticker whose exchange the study file does not give: it trades in New York (NYSE sessions), but
#: whether on the NYSE or on Nasdaq the ticker does not say.
NEW_YORK = "New York (NYSE or Nasdaq)"


def exchange_label(mic: str, ticker: str = "", given: bool = True) -> str:
    """What a report calls the exchange ``mic`` of ``ticker``: its name (``XNAS`` → Nasdaq, which keeps the NYSE
    sessions), or :data:`NEW_YORK` for a suffix-less ticker whose exchange was inferred rather than ``given``."""
    if not given and mic == "XNYS" and not ticker_suffix(ticker):
        return NEW_YORK
    return EXCHANGE_NAMES.get(mic, mic)


def ticker_suffix(ticker: str) -> str:
    """The upper-case part after the last dot of a Yahoo-style ticker ('' if none)."""
    return ticker.rsplit(".", 1)[1].upper() if "." in ticker else ""


def exchange_of_ticker(ticker: str) -> str:
    """The MIC a Yahoo-style ticker trades on, from its suffix (no suffix: New York)."""
    suffix = ticker_suffix(ticker)
    if not suffix:
        return "XNYS"
    if suffix not in SUFFIX_EXCHANGE:
        raise ConfigError(f"ticker {ticker!r}: unknown exchange suffix .{suffix}; give the firm an exchange: field")
    return SUFFIX_EXCHANGE[suffix]


def suffix_conflict(ticker: str, mic: str) -> str | None:
    """Why ``ticker``'s suffix contradicts exchange ``mic`` (None if it does not: no or unknown suffix, or a match)."""
    suffix = ticker_suffix(ticker)
    expected = SUFFIX_EXCHANGE.get(suffix)
    if expected is None or expected == mic:
        return None
    return f"ticker {ticker!r} has suffix .{suffix}, which means {expected}, not {mic}"


def ticker_exchange(ticker: str) -> str | None:
    """The MIC a ticker trades on as far as the ticker itself says: its Yahoo suffix, no suffix New York — but None
    for an unknown suffix and for a Yahoo index without one (``^N225``, ``^HSI`` and ``^GSPC`` alike name no
    market by their form)."""
    suffix = ticker_suffix(ticker)
    if not suffix:
        return None if ticker.startswith("^") else "XNYS"
    return SUFFIX_EXCHANGE.get(suffix)


def same_sessions(a: str, b: str) -> bool:
    """Whether exchanges ``a`` and ``b`` (MICs) trade on the same calendar (XNAS and XNYS, XSHE and XSHG)."""
    return calendar_name(a) == calendar_name(b)


def normalise_exchange(name: str) -> str:
    """The MIC for an exchange name of a study file; ConfigError if exchange_calendars has no calendar for it."""
    code = name.strip().upper()
    code = _OWN_ALIASES.get(code, code)
    if code in _CALENDAR_OF:
        return code
    known = xcals.get_calendar_names(include_aliases=True)
    if code not in known:
        raise ConfigError(f"{name!r} is not an exchange that exchange_calendars knows (an ISO MIC such as XNYS)")
    if code.startswith("X") and len(code) == 4 or code in ("ARCX", "BATS"):
        return code  # a MIC (possibly an alias of another MIC's calendar, e.g. XNAS → XNYS)
    return str(xcals.resolve_alias(code))  # a short name such as LSE → XLON


@functools.cache  # a study asks once per firm-event; the answer depends on the MIC only
def calendar_name(mic: str) -> str:
    """The exchange_calendars name whose sessions ``mic`` follows (XSHE → XSHG, XNAS → XNYS)."""
    name = _CALENDAR_OF.get(mic, mic)
    try:
        return str(xcals.resolve_alias(name))
    except Exception:  # not an alias
        return name
