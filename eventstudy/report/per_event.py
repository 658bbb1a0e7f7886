"""A study table's rows per event, split in one pass: the report shows the first events one section each, and
selecting each event's rows by comparing the whole ``event_id`` column again costs a pass over the table per
event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


class EventRows:
    """The rows of ``frame`` per value of its ``column`` (in the frame's order; index labels kept);
    ``rows[event_id]`` is an empty frame with the same columns for an event without rows."""

    def __init__(self, frame: pd.DataFrame, column: str = "event_id") -> None:
        self.frame = frame
        codes, ids = pd.factorize(frame[column]) if len(frame) else (np.zeros(0, dtype=np.intp), [])
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1))
        self._positions = {ids[k]: order[bounds[k] : bounds[k + 1]] for k in range(len(ids))}

    def positions(self, event_id: str) -> np.ndarray:
        """The positions (``iloc``) of the event's rows, in the frame's order."""
        return self._positions.get(event_id, np.zeros(0, dtype=np.intp))

    def __getitem__(self, event_id: str) -> pd.DataFrame:
        return self.frame.iloc[self.positions(event_id)]

    def records(
        self, event_ids: Sequence[str], columns: Sequence[str] | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Per event of ``event_ids``, its rows as dicts (``to_dict(orient="records")``: Python values) of
        ``columns`` (default: all), converted in one call for all the events."""
        positions = [self.positions(e) for e in event_ids]
        frame = self.frame if columns is None else self.frame[list(columns)]
        rows = frame.iloc[np.concatenate(positions)].to_dict(orient="records") if positions else []
        bounds = np.cumsum([0] + [len(p) for p in positions]).tolist()
        return {e: rows[bounds[k] : bounds[k + 1]] for k, e in enumerate(event_ids)}


def in_windows(frame: pd.DataFrame, windows: Sequence[tuple[int, int]]) -> pd.DataFrame:
    """The rows of ``frame`` (``window_start``, ``window_end``) over one of ``windows``."""
    starts, ends = frame["window_start"].to_numpy(), frame["window_end"].to_numpy()
    keep = np.zeros(len(frame), dtype=bool)
    for a, b in windows:
        keep |= (starts == a) & (ends == b)
    return frame[keep]
