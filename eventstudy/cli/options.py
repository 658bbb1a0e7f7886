"""The options several commands share: where prices come from (``--source``, ``--cache``, ``--out``,
``--as-of``), ``--quiet``, ``--strict`` and ``--universe``, each worded once for every command that takes it."""

from __future__ import annotations

import argparse
from pathlib import Path

from .placebo import UNIVERSE_ENV

SOURCE_HELP = "price source: auto (cache/Yahoo, else the vendored snapshot), snapshot, yahoo, or csv:DIR"


def quiet_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help=f"{what}; warnings and errors still go to stderr")


def universe_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--universe", default=None,
        help="market universe parquet: the report adds the primary test's size and power at each event's own design "
        "(a matched placebo of 1,000 pseudo-studies per design) and the long-horizon figures their matched control "
        f"firms (default: ${UNIVERSE_ENV}, else none: the default study's vendored controls)",
    )  # fmt: skip


def strict_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict", action="store_true",
        help="exit 3, publishing nothing, if the prices carry any data flag (a possible unadjusted split, a "
        "one-session spike, a prev_close break); without it they are warnings, noted next to the CARs",
    )  # fmt: skip


def data_options(
    parser: argparse.ArgumentParser,
    source: str | None = "auto",
    out: bool = True,
    as_of: bool = True,
    source_default: str | None = None,
) -> None:
    """The options every command that reads prices shares (``source_default``: the help's words for a default
    the command resolves itself, when ``source`` is None)."""
    parser.add_argument("--source", default=source, help=f"{SOURCE_HELP} (default: {source_default or source})")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="price cache directory (default: $EVENTSTUDY_CACHE, else the user cache directory, "
        "~/.cache/eventstudy on Linux)",
    )
    if out:
        parser.add_argument("--out", default="reports", help="reports directory (default: reports)")
    if as_of:
        parser.add_argument("--as-of", help="use only sessions up to this date (YYYY-MM-DD), reproducing a past report")
