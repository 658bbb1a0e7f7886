"""Typed fields of a study file: :class:`Reader` gives typed access to a YAML mapping and names the file and the
field path (``events[0].firms[1].ticker``) in every error; the field parsers (windows, instants, dates, time zones)
and the patterns of ids and tickers are shared by the study (:mod:`eventstudy.spec.config`), its events table
(:mod:`eventstudy.spec.events_table`) and its claims (:mod:`eventstudy.claims.spec`)."""

from __future__ import annotations

import re
import reprlib
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from ..errors import ConfigError
from .exchanges import exchange_of_ticker, normalise_exchange, suffix_conflict

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
TICKER = re.compile(r"^[A-Za-z0-9^][A-Za-z0-9.^=_-]{0,31}$")
DATE_ONLY = re.compile(r"^\s*\d{4}-?\d{2}-?\d{2}\s*$")
#: Largest |relative day| any window may reach: 2,520 sessions, about ten years of trading.
MAX_OFFSET = 2520


class Reader:
    """Typed access to a YAML mapping that names the file and field path in every error."""

    def __init__(self, file: str, data: Any, path: str = "") -> None:
        self.file, self.data, self.path = file, data, path

    def fail(self, message: str, key: str | None = None) -> ConfigError:
        where = self._join(key) if key is not None else self.path
        return ConfigError(f"{self.file}: {where or '(top level)'}: {message}")

    def _join(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def mapping(self, allowed: set[str]) -> None:
        if not isinstance(self.data, dict):
            raise self.fail(f"expected a mapping, got {show(self.data)}")
        for key in self.data:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", str(key))

    def child(self, key: str | int) -> Reader:
        value = None
        if isinstance(self.data, dict):
            value = self.data[key]
        elif isinstance(self.data, list) and isinstance(key, int):
            value = self.data[key]
        return Reader(self.file, value, self._join(key))

    def has(self, key: str) -> bool:
        return isinstance(self.data, dict) and key in self.data and self.data[key] is not None

    def get(self, key: str, default: Any = ...) -> Any:
        if not self.has(key):
            if default is ...:
                raise self.fail("is required", key)
            return default
        return self.data[key]

    def text(self, key: str, default: Any = ..., pattern: re.Pattern[str] | None = None) -> str:
        value = self.get(key, default)
        if isinstance(value, bool):
            raise self.fail(
                f"expected text, got {show(value)} (YAML reads bare yes/no/on/off as true/false: quote it)", key
            )
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"expected text, got {show(value)}", key)
        if pattern is not None and not pattern.match(value):
            raise self.fail(f"{value!r} is not allowed here (pattern {pattern.pattern})", key)
        return value.strip()

    def integer(self, key: str, default: Any = ...) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"expected a whole number, got {show(value)}", key)
        return value

    def window(self, key: str, default: tuple[int, int]) -> tuple[int, int]:
        return window_field(self.child(key)) if self.has(key) else default

    def items(self, key: str) -> list[Reader]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(f"expected a non-empty list, got {show(value)}", key)
        node = self.child(key)
        return [node.child(i) for i in range(len(value))]


SHORT_REPR = reprlib.Repr()
SHORT_REPR.maxlevel, SHORT_REPR.maxdict, SHORT_REPR.maxlist, SHORT_REPR.maxtuple = 2, 4, 4, 4
SHORT_REPR.maxstring, SHORT_REPR.maxother = 50, 50


def show(value: Any) -> str:
    """A short repr for error messages; bounded work and length however large or deep ``value`` is."""
    text = SHORT_REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def window_field(node: Reader) -> tuple[int, int]:
    """``[first, last]`` relative days: whole numbers, in order, within ±:data:`MAX_OFFSET`."""
    value = node.data
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise node.fail(f"expected [first, last] relative days, got {show(value)}")
    lo, hi = int(value[0]), int(value[1])
    if lo > hi:
        raise node.fail(f"window {[lo, hi]} is reversed (first day after last day)")
    if max(abs(lo), abs(hi)) > MAX_OFFSET:
        raise node.fail(f"window {[lo, hi]} reaches beyond ±{MAX_OFFSET} sessions (about ten years)")
    return lo, hi


def parse_instant(node: Reader, key: str, tz_key: str = "timezone") -> pd.Timestamp:
    """An ISO-8601 instant with a UTC offset, or a local time plus an IANA ``timezone`` field."""
    raw = node.text(key)
    if DATE_ONLY.match(raw):
        raise node.fail(
            f"{raw!r} is a date without a time of day; {key} needs a date-time (e.g. {raw}T18:00:00) — if the hour "
            "is not known, give the best estimate and set approximate: true",
            key,
        )
    try:
        stamp = pd.Timestamp(raw)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise node.fail(f"{show(raw)} is not an ISO-8601 date-time (years 1678-2261)", key)
    if stamp.tzinfo is None:
        if not node.has(tz_key):
            raise node.fail(
                f"{raw!r} has no time zone; add a UTC offset (e.g. 2019-10-07T18:00:00-04:00) or a {tz_key}: field",
                key,
            )
        zone = time_zone(node, tz_key)
        try:
            stamp = stamp.tz_localize(zone)
        except (ValueError, OverflowError) as exc:  # a nonexistent or ambiguous local time, or out of range
            raise node.fail(f"{raw!r} cannot be placed in {zone.key}: {show(str(exc))}", key) from None
    elif node.has(tz_key):
        stamp = stamp.tz_convert(time_zone(node, tz_key))
    return stamp


def time_zone(node: Reader, key: str) -> ZoneInfo:
    """The IANA time zone named by ``node[key]``."""
    name = node.text(key)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise node.fail(f"{name!r} is not an IANA time zone name", key) from None


def parse_date(node: Reader, key: str) -> date:
    raw = node.get(key)
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise node.fail(f"{raw!r} is not a date (YYYY-MM-DD)", key) from None


def firm_exchange(node: Reader, ticker: str, raw: str | None) -> str:
    """The MIC of a firm: its ``exchange`` (any exchange_calendars MIC or alias), else inferred from the ticker's
    suffix (:data:`eventstudy.spec.exchanges.SUFFIX_EXCHANGE`); a suffix that contradicts the exchange is an error."""
    try:
        if raw is None:
            return exchange_of_ticker(ticker)
        mic = normalise_exchange(raw)
    except ConfigError as exc:
        raise node.fail(str(exc), "exchange" if raw is not None else "ticker") from None
    conflict = suffix_conflict(ticker, mic)
    if conflict:
        raise node.fail(f"{conflict}; correct the ticker or the exchange", "exchange")
    return mic
