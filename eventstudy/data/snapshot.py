"""The vendored snapshot: real daily bars shipped inside the package (no network needed).

Two folders, one provider: ``default_study/`` (Chinese A-shares and indices, snapshot schema) and ``us_2019/``
(US-listed suppliers and benchmark ETFs, Yahoo's download format). See each folder's ``PROVENANCE.md`` for
where the numbers come from.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .local_csv import CsvFolderProvider

SNAPSHOT_DIR = Path(str(resources.files("eventstudy.data") / "default_study"))
US_2019_DIR = Path(str(resources.files("eventstudy.data") / "us_2019"))
SNAPSHOT_DIRS = (SNAPSHOT_DIR, US_2019_DIR)


class SnapshotProvider(CsvFolderProvider):
    """Price histories from the vendored snapshot: the default study's Chinese tickers and the US tickers."""

    def __init__(self) -> None:
        super().__init__(SNAPSHOT_DIR, name="snapshot")
        self._folders = {p.stem: folder for folder in SNAPSHOT_DIRS for p in folder.glob("*.csv")}

    def _file(self, ticker: str) -> Path:
        folder = self._folders.get(ticker)
        return folder / f"{ticker}.csv" if folder is not None else super()._file(ticker)

    def describe_file(self, ticker: str) -> str:
        # Relative to the package, so the published bytes do not depend on where it is installed.
        folder = self._folders.get(ticker, SNAPSHOT_DIR)
        return f"eventstudy/data/{folder.name}/{ticker}.csv"

    def tickers(self) -> list[str]:
        return sorted(self._folders)
