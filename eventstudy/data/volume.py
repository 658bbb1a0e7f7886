"""Trading volume on a session axis: the ``log(1 + V)`` transform and the universe file's matrices the
abnormal-volume model reads (:mod:`eventstudy.model.volume`, which reads a study's firm-events' own days from the
stacked rows: :func:`eventstudy.model.volume.log_volume_days`).

Every price source keeps a history's ``volume`` column (the provider contract, :mod:`eventstudy.data.base`):
shares traded, 0 on a suspended session, NaN when the source does not know it (close-only frames). Here a
session has a volume observation only when the security traded on it and its volume is known: a suspension, a
session without a row and an unknown volume are all NaN — a suspended session is *no trade*, not a zero volume.
The universe file's ``volume`` column is read the same way (:func:`universe_log_volume`), with the market's log
volume taken as the mean log volume of the stocks that traded on each session.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .universe import Universe


def log_volume(volume: np.ndarray, traded: np.ndarray) -> np.ndarray:
    """``log(1 + V)`` on traded sessions with a known, non-negative volume; NaN elsewhere (a suspension is no
    trade, not a zero volume)."""
    volume = np.asarray(volume, dtype=float)
    ok = np.asarray(traded, dtype=bool) & np.isfinite(volume) & (volume >= 0)
    with np.errstate(invalid="ignore"):
        return np.where(ok, np.log1p(np.where(ok, volume, 0.0)), np.nan)


def gather_days(matrix: np.ndarray, day0: np.ndarray, cols: np.ndarray, rel_days: np.ndarray) -> np.ndarray:
    """``(N, W)``: ``matrix[day0 + rel_day, col]`` of each firm-event, NaN off the session axis."""
    n, w = matrix.shape[0], len(rel_days)
    pos = day0[:, None] + rel_days[None, :]
    inside = (pos >= 0) & (pos < n)
    if w and matrix.flags.f_contiguous and inside.all() and (np.diff(rel_days) == 1).all():
        # each firm-event's days are one run of a column, contiguous in memory: copied as blocks
        blocks = np.lib.stride_tricks.sliding_window_view(matrix.ravel(order="F"), w)
        return blocks[np.asarray(cols, dtype=np.int64) * n + pos[:, 0]]
    out = matrix[np.clip(pos, 0, n - 1), cols[:, None]]
    return np.where(inside, out, np.nan)


def universe_log_volume(path: str | Path, universe: Universe) -> tuple[np.ndarray, np.ndarray]:
    """``(firms, market)``: the universe file's ``log(1 + volume)`` as a ``(sessions, firms)`` matrix aligned with
    ``universe`` (its sessions and tickers; NaN where a stock did not trade) and the market's log volume per
    session: the mean over the stocks traded on it (NaN where none traded)."""
    import pyarrow.parquet as pq

    path = Path(path)
    schema = pq.read_schema(path)
    if schema.get_field_index("volume") < 0:
        raise DataError(f"{path}: column 'volume' missing: the universe carries no volume")
    table = pq.read_table(path, columns=["date", "ticker", "volume", "traded"])
    dates = table.column("date").to_numpy().astype("datetime64[ns]")
    tickers = np.asarray(table.column("ticker").to_pandas().astype(str))
    volume = table.column("volume").to_numpy().astype(float)
    traded = table.column("traded").to_numpy().astype(bool)
    del table
    s_pos = universe.sessions.get_indexer(pd.DatetimeIndex(dates))
    t_pos = universe.tickers.get_indexer(pd.Index(tickers))
    keep = (s_pos >= 0) & (t_pos >= 0)
    firms = np.full((len(universe.sessions), len(universe.tickers)), np.nan)
    firms[s_pos[keep], t_pos[keep]] = log_volume(volume[keep], traded[keep])
    counts = np.isfinite(firms).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        market = np.where(counts > 0, np.nansum(firms, axis=1) / counts, np.nan)
    return firms, market
