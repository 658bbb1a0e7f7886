"""The formula of a cross-sectional regression (``cross_section.formula``), read as data, never run as code.

A study file is data: a formula is parsed here, by a grammar of its own, and only a formula that parses is handed,
rebuilt from its parts, to the design-matrix builder. Anything else — a call to any other function, an attribute,
an operator outside the grammar, a string, a number other than 0 and 1 — is a :class:`ConfigError` (exit 2)
naming the file, the field and the offending text. (patsy, like formulaic, evaluates the terms of a formula as
Python: ``car ~ __import__('os').system(...)`` ran a command on main before this.)

Grammar::

    formula   :=  outcome "~" terms
    outcome   :=  "car" | "bhar"
    terms     :=  ["-"] product (("+" | "-") product)*
    product   :=  factor ((":" | "*") factor)*
    factor    :=  NAME | "C(" NAME ")" | TRANSFORM "(" NAME ")" | "1" | "0" | "(" terms ")"
    TRANSFORM :=  np.log | np.log1p | np.exp | np.sqrt | np.abs | center | standardize

``NAME`` is a column of the regression data (a built-in column or one of the characteristics file); ``+ a``
adds a term, ``- a`` removes it (``- 1`` or ``+ 0``: no intercept), ``a:b`` is the interaction and ``a*b``
stands for ``a + b + a:b``; ``C(a)`` treats ``a`` as categorical. ``center`` and ``standardize`` are patsy's
stateful transforms (subtract the mean; and divide by the standard deviation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError

TRANSFORMS = ("np.log", "np.log1p", "np.exp", "np.sqrt", "np.abs", "center", "standardize")
OUTCOMES = ("car", "bhar")
MAX_LENGTH = 500  # characters: a formula is a line, not a program

_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)|(?P<num>\d+)|(?P<op>[~+\-:*()]))"
)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the outcome, the right-hand side rebuilt from its parts, and the columns it uses."""

    outcome: str
    rhs: str
    columns: tuple[str, ...]

    @property
    def text(self) -> str:
        """The formula as handed to the design-matrix builder (only what the grammar allows)."""
        return f"{self.outcome} ~ {self.rhs}"


def _tokens(text: str, fail) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise fail(f"{text[pos:].strip()[:20]!r} is not part of the formula grammar")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], columns: frozenset[str], fail) -> None:
        self.tokens, self.i, self.columns, self.fail = tokens, 0, columns, fail
        self.used: dict[str, None] = {}

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if value is not None and token[1] != value:
            raise self.fail(f"expected {value!r}, found {token[1] or 'the end'!r}")
        self.i += 1
        return token

    def column(self) -> str:
        kind, value = self.take()
        if kind != "name" or value not in self.columns:
            known = ", ".join(sorted(self.columns))
            raise self.fail(f"{value or 'the end'!r} is not a column of the regression data ({known})")
        self.used[value] = None
        return value

    def terms(self) -> str:
        parts = []
        if self.peek()[1] == "-":
            self.take()
            parts.append("- " + self.product())
        else:
            parts.append(self.product())
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            parts.append(f"{op} {self.product()}")
        return " ".join(parts)

    def product(self) -> str:
        out = self.factor()
        while self.peek()[1] in (":", "*"):
            op = self.take()[1]
            out = f"{out}{op}{self.factor()}"
        return out

    def factor(self) -> str:
        kind, value = self.peek()
        if kind == "num":
            self.take()
            if value not in ("0", "1"):
                raise self.fail(f"{value!r}: the only numbers in a formula are 0 and 1 (the intercept)")
            return value
        if value == "(":
            self.take()
            inner = self.terms()
            self.take(")")
            return f"({inner})"
        if kind == "name" and self.i + 1 < len(self.tokens) and self.tokens[self.i + 1][1] == "(":
            self.take()
            if value != "C" and value not in TRANSFORMS:
                allowed = ", ".join(("C", *TRANSFORMS))
                raise self.fail(f"{value}(...) is not an allowed function ({allowed})")
            self.take("(")
            name = self.column()
            self.take(")")
            return f"{value}({name})"
        return self.column()


def parse_formula(text: object, columns: frozenset[str] | set[str], where: str) -> Formula:
    """``text`` parsed by the grammar of the module docstring, every name one of ``columns``; a
    :class:`ConfigError` naming ``where`` and the problem otherwise."""
    if not isinstance(text, str) or "~" not in text:
        raise ConfigError(f"{where}: expected a formula such as 'car ~ beta', got {text!r:.60}")
    if len(text) > MAX_LENGTH:
        raise ConfigError(f"{where}: the formula has {len(text):,} characters; at most {MAX_LENGTH} are read")

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{where}: {text!r:.80}: {message}")

    outcome, rhs = (part.strip() for part in text.split("~", 1))
    if outcome not in OUTCOMES:
        raise fail(f"the left-hand side must be car or bhar, not {outcome!r:.40}")
    parser = _Parser(_tokens(rhs, fail), frozenset(columns), fail)
    if not parser.tokens:
        raise fail("the right-hand side is empty")
    rebuilt = parser.terms()
    if parser.i != len(parser.tokens):
        raise fail(f"unexpected {parser.peek()[1]!r}")
    return Formula(outcome, rebuilt, tuple(parser.used))
