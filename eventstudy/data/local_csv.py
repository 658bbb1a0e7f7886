"""Price histories from a folder of CSV files, one per ticker (``<TICKER>.csv``).

The file schema is the snapshot's: ``date,open,high,low,close,prev_close,volume,traded`` (open/high/low are
optional), see ``eventstudy/data/default_study/PROVENANCE.md``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from ..errors import DataError, DataUnavailable
from .base import Provenance, clip, validate_history

#: Largest price file read, in bytes: 200 MB is about 3 million daily rows, a century of one ticker is 25,000.
#: Reading takes several times the file's size in memory, so a larger file is refused before it is read.
MAX_PRICE_FILE_BYTES = 200 * 1024 * 1024


def check_price_file_size(path: Path) -> None:
    """Refuse a price file above :data:`MAX_PRICE_FILE_BYTES` (a wrong file, or a whole market in one)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"{path}: cannot read CSV: {exc.strerror}") from None
    if size > MAX_PRICE_FILE_BYTES:
        raise DataError(
            f"{path}: {size:,} bytes is more than the {MAX_PRICE_FILE_BYTES:,}-byte limit for one ticker's price file"
        )


def read_price_csv(path: Path) -> pd.DataFrame:
    """Read one CSV price file and check it against the provider contract."""
    check_price_file_size(path)
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
    return validate_history(frame, str(path))


class CsvFolderProvider:
    """Reads ``<directory>/<ticker>.csv`` files in the snapshot schema."""

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
        return clip(self._loaded[ticker], start, end)

    def provenance(self, ticker: str) -> Provenance:
        frame = self._loaded.get(ticker)
        as_of = frame.index[-1].date() if frame is not None and len(frame) else None
        return Provenance(self.name, as_of, self.describe_file(ticker))

    def describe_file(self, ticker: str) -> str:
        """How the report names the file a ticker came from."""
        return str(self._file(ticker))

    def tickers(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.csv"))
