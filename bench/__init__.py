"""Benchmarks and validation runs; they read the shared data beside the repository checkout."""

from pathlib import Path

#: The Shenzhen universe (every SZSE A-share, 2015-2022) in ``../shared/data`` beside the repository.
SZSE_UNIVERSE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "szse-universe-2015-2022.parquet"
