"""Price histories from a folder of CSV files, one per ticker (``<TICKER>.csv``).

Two file formats, told apart by the header:

* the snapshot schema ``date,open,high,low,close,prev_close,volume,traded`` (open/high/low are optional), see
  ``eventstudy/data/default_study/PROVENANCE.md``;
* Yahoo's historical-data download ``Date,Open,High,Low,Close,Adj Close,Volume``, converted by the very
  converter of the live yfinance provider (:func:`eventstudy.data.yahoo.convert`): adjusted closes, a
  zero-volume row repeating the price is a suspension, a row with empty prices is "no data" for that session.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, DataError, DataUnavailable
from ..spec.exchanges import exchange_of_ticker
from .base import Provenance, clip, validate_history
from .calendar import sessions
from .quality import check_limits
from .yahoo import is_yahoo_header, read_yahoo_csv


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's first line."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read CSV: {exc}") from None
    return [c.strip() for c in first.rstrip("\r\n").split(",")]


#: Largest price file read, in bytes: 200 MB is about 3 million daily rows, a century of one ticker is 25,000.
#: Reading takes several times the file's size in memory, so a larger file is refused before it is read.
MAX_PRICE_FILE_BYTES = 200 * 1024 * 1024


def check_price_file_size(path: Path) -> None:
    """Refuse a price file above :data:`MAX_PRICE_FILE_BYTES` (a wrong file, or a whole market in one)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"{path}: cannot read CSV: {exc.strerror}") from None
    if size == 0:
        raise DataError(f"{path}: the price file is empty (0 bytes); it needs a header and one row per session")
    if size > MAX_PRICE_FILE_BYTES:
        raise DataError(
            f"{path}: {size:,} bytes is more than the {MAX_PRICE_FILE_BYTES:,}-byte limit for one ticker's price file"
        )


def read_price_csv(path: Path) -> pd.DataFrame:
    """Read one CSV price file (snapshot or Yahoo format, by its header) and check it against the contract."""
    check_price_file_size(path)
    if is_yahoo_header(csv_header(path)):
        return read_yahoo_csv(path, path.stem)
    try:
        frame = pd.read_csv(path, dtype={"date": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read CSV: {str(exc).splitlines()[0]}") from None
    if "date" not in frame.columns:
        raise DataError(f"{path}: missing column date")
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise DataError(f"{path}: line {row + 2}: date {frame['date'].iloc[row]!r} is not YYYY-MM-DD")
    frame.index = pd.DatetimeIndex(dates, name="date")
    if "traded" in frame.columns:
        bad = ~frame["traded"].isin([0, 1, True, False])
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise DataError(f"{path}: line {row + 2}: traded {frame['traded'].iloc[row]!r} is not 0 or 1")
    out = validate_history(frame, str(path))
    out.attrs["prev_close"] = "exchange"  # the snapshot schema carries the exchange's reference previous close
    check_limits(out, path.stem, str(path))
    return out


def read_prices(path: str | Path) -> pd.DataFrame:
    """One price file read exactly as ``--source csv:DIR`` reads it: the snapshot schema, or Yahoo's download
    (``Date,Open,High,Low,Close,Adj Close,Volume``: adjusted closes, a halt where the volume is 0 and the close
    unchanged), checked against the contract of :mod:`eventstudy.data.base`. The result, indexed by session date
    with columns ``close``, ``prev_close``, ``volume``, ``traded``, can be edited and passed to
    ``eventstudy.run(..., prices={ticker: frame})``, which then gives the numbers the folder gives."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"read_prices: {path}: no such file")
    return read_price_csv(path)


def check_sessions(history: pd.DataFrame, path: Path, mic: str) -> None:
    """Every session of ``mic``'s calendar between the first and last rows must have a row (traded=0 for a
    suspension): in the snapshot schema a missing row would turn into an invented suspension, since the next
    row's prev_close is the missing session's close. Raises :class:`DataError` naming the file and the date."""
    if len(history) < 2:
        return
    expected = sessions(mic, history.index[0], history.index[-1])
    missing = expected.difference(history.index)
    if len(missing):
        raise DataError(
            f"{path}: no row for session {missing[0].date()} (between {history.index[0].date()} and "
            f"{history.index[-1].date()}{f'; {len(missing)} sessions missing' if len(missing) > 1 else ''}); "
            "a suspended session needs a row with traded=0"
        )


class CsvFolderProvider:
    """Reads ``<directory>/<ticker>.csv`` files in the snapshot schema or Yahoo's download format."""

    def __init__(self, directory: Path, name: str | None = None) -> None:
        self.directory = Path(directory)
        self.name = name or f"csv:{self.directory}"
        self._loaded: dict[str, pd.DataFrame] = {}

    def _file(self, ticker: str) -> Path:
        if "/" in ticker or "\\" in ticker or ticker.startswith("."):
            raise DataError(f"ticker {ticker!r} cannot name a file")
        return self.directory / f"{ticker}.csv"

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        if ticker not in self._loaded:
            path = self._file(ticker)
            if not path.is_file():
                raise DataUnavailable(f"{ticker}: no price file {path}")
            self._loaded[ticker] = read_price_csv(path)
        frame = clip(self._loaded[ticker], start, end)
        if frame.attrs.get("prev_close") == "exchange":
            try:
                mic = exchange_of_ticker(ticker)
            except ConfigError:  # no calendar to check against (unknown suffix)
                return frame
            check_sessions(frame, self._file(ticker), mic)
        return frame

    def provenance(self, ticker: str) -> Provenance:
        frame = self._loaded.get(ticker)
        as_of = frame.index[-1].date() if frame is not None and len(frame) else None
        return Provenance(self.name, as_of, self.describe_file(ticker))

    def describe_file(self, ticker: str) -> str:
        """How the report names the file a ticker came from."""
        return str(self._file(ticker))

    def tickers(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.csv"))
