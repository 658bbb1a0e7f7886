"""A user file of dated news about the study's firms (``study.confounders: FILE.csv``), screened as confounders.

The file is a CSV with a header and the columns ``ticker``, ``date`` and ``description`` (in any order; no other
column): one row per piece of news a reader knows moved, or could have moved, a firm's price — a court ruling, a
profit warning, a merger rumour. ``date`` is the calendar date the news became public (``YYYY-MM-DD``); the
screen places it on the firm's exchange calendar at the first session on or after that date
(:mod:`eventstudy.study.confounders`). A relative path is read relative to the study file, like the events table.

Every problem is one line naming the file, the line, the column and the value. The file is data: its text is
only ever shown (escaped in HTML), never evaluated.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import ConfigError
from .fields import TICKER, Reader, show

NEWS_COLUMNS = ("ticker", "date", "description")
MAX_NEWS_FILE_BYTES = 50 * 2**20  # a news file larger than this is refused before it is read
MAX_DESCRIPTION = 500  # characters of one description
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class NewsItem:
    """One dated piece of news about one firm (a row of the user's news file)."""

    ticker: str
    date: date
    description: str
    line: int  # the line of the file it came from (1 is the header)


def news_path(name: str, study_file: str | Path) -> Path:
    """The news file ``name`` as the study file names it, relative names resolved against the study file's folder."""
    path = Path(name)
    return path if path.is_absolute() else Path(study_file).parent / path


def read_news(path: Path) -> tuple[NewsItem, ...]:
    """The rows of the news file at ``path``, validated (see the module docstring); ConfigError on the first problem."""
    try:
        if path.exists() and not path.is_file():
            raise ConfigError(f"{path}: not a regular file")
        if path.stat().st_size > MAX_NEWS_FILE_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_NEWS_FILE_BYTES // 2**20} MiB")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            lines = list(csv.reader(handle))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such news file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read: {' '.join(str(exc).split())[:200]}") from None
    if not lines:
        raise ConfigError(f"{path}: the news file is empty; it needs the header {','.join(NEWS_COLUMNS)}")
    header = [h.strip() for h in lines[0]]
    unknown = [h for h in header if h not in NEWS_COLUMNS]
    if unknown:
        raise ConfigError(f"{path}: line 1: unknown column {show(unknown[0])} (columns: {', '.join(NEWS_COLUMNS)})")
    missing = [c for c in NEWS_COLUMNS if c not in header]
    if missing:
        raise ConfigError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise ConfigError(f"{path}: line 1: a column is named twice")
    items = []
    for number, values in enumerate(lines[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ConfigError(f"{path}: line {number}: {len(values)} fields, the header has {len(header)}")
        row = {h: v.strip() for h, v in zip(header, values, strict=True)}
        items.append(_item(path, number, row))
    return tuple(items)


def _item(path: Path, number: int, row: dict[str, str]) -> NewsItem:
    """One row of the news file, checked field by field."""

    def fail(column: str, message: str) -> ConfigError:
        return ConfigError(f"{path}: line {number}: {column} {show(row[column])}: {message}")

    if not TICKER.match(row["ticker"]):
        raise fail("ticker", "not a ticker (letters, digits and . ^ = _ -, at most 32 characters)")
    if not _ISO_DAY.match(row["date"]):
        raise fail("date", "not a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(row["date"])
    except ValueError:
        raise fail("date", "no such day") from None
    if not row["description"]:
        raise fail("description", "empty; say what the news was")
    if len(row["description"]) > MAX_DESCRIPTION:
        raise fail("description", f"longer than {MAX_DESCRIPTION} characters")
    return NewsItem(row["ticker"], day, row["description"], number)


DEFAULT_SHOCK_THRESHOLD = 3.0
"""``study.shock_threshold``: a session of an event window, outside the return that holds day 0, whose standardised
abnormal return exceeds this in absolute value is a separate shock (:mod:`eventstudy.study.confounders`)."""


@dataclass(frozen=True)
class ConfounderSettings:
    """The study file's confounder-screen keys: ``confounders`` (the news file, as written, and its rows),
    ``exclude_confounded`` and ``shock_threshold``."""

    file: str | None = None
    news: tuple[NewsItem, ...] = ()
    exclude: bool = False
    shock_threshold: float = DEFAULT_SHOCK_THRESHOLD


def confounder_settings(node: Reader, study_file: str) -> ConfounderSettings:
    """Read ``confounders``, ``exclude_confounded`` and ``shock_threshold`` of the ``study:`` section ``node`` (the
    news file is read and checked here, so that a bad row fails ``eventstudy validate``)."""
    exclude = node.get("exclude_confounded", False)
    if not isinstance(exclude, bool):
        raise node.fail(f"expected true or false, got {show(exclude)}", "exclude_confounded")
    threshold = node.get("shock_threshold", DEFAULT_SHOCK_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1e6:
        raise node.fail(
            f"expected a positive number (|SAR| above it is a shock), got {show(threshold)}", "shock_threshold"
        )
    name = node.text("confounders") if node.has("confounders") else None
    news = read_news(news_path(name, study_file)) if name else ()
    return ConfounderSettings(name, news, exclude, float(threshold))
