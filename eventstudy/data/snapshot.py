"""The vendored default-study snapshot: real daily bars shipped inside the package (no network needed).

See ``default_study/PROVENANCE.md`` for where the numbers come from.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .local_csv import CsvFolderProvider

SNAPSHOT_DIR = Path(str(resources.files("eventstudy.data") / "default_study"))


class SnapshotProvider(CsvFolderProvider):
    """Price histories from the vendored snapshot of the default study's seven tickers."""

    def __init__(self) -> None:
        super().__init__(SNAPSHOT_DIR, name="snapshot")

    def describe_file(self, ticker: str) -> str:
        # Relative to the package, so the published bytes do not depend on where it is installed.
        return f"eventstudy/data/default_study/{ticker}.csv"
