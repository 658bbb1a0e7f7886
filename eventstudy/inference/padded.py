"""Firm-events laid out as the battery reads them: event groups padded to ``(groups, firms, days)`` arrays
(:class:`Layout`), and what a study's many windows share (:class:`StudyRows`): a study tests each event over
several windows and every day of its daily path, mostly on the same firm-events."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..model.engine import AbnormalReturns
from .sample import _gather_design, _gather_returns, daily_rows, day0_codes, design_rows


@dataclass(frozen=True)
class Layout:
    """Where each firm-event sits in the padded arrays: group ``k``'s firm-events ``kept[k]`` in slots
    ``(k, 0 .. len(kept[k]) − 1)``, the rest of the ``f`` slots of a group padded (``mask`` false, NaN)."""

    sizes: np.ndarray  # (G,) firm-events per group
    flat: np.ndarray  # the firm-event rows, group after group
    f: int  # slots per group: the largest group (at least 1)
    gi: np.ndarray  # group of each of ``flat``
    fi: np.ndarray  # slot of each of ``flat`` in its group
    whole: bool  # every group full and the rows in order 0 .. N − 1 (of ``n_rows``): padding is a reshape

    @classmethod
    def of(cls, kept: Sequence[np.ndarray], n_rows: int) -> Layout:
        """The layout of the groups' firm-events ``kept`` (row indices into arrays of ``n_rows`` rows)."""
        sizes = np.array([len(r) for r in kept], dtype=np.int64)
        g, f = len(kept), max(int(sizes.max(initial=0)), 1)
        flat = np.concatenate(kept).astype(np.int64) if kept else np.zeros(0, dtype=np.int64)
        gi = np.repeat(np.arange(g), sizes)
        fi = np.arange(len(flat)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        whole = len(flat) == g * f == n_rows and bool((flat == np.arange(len(flat))).all())
        return cls(sizes, flat, f, gi, fi, whole)

    @property
    def g(self) -> int:
        return len(self.sizes)

    @property
    def key(self) -> tuple[bytes, bytes]:
        """Equal for equal layouts (the groups' sizes and rows)."""
        return self.sizes.tobytes(), self.flat.tobytes()

    @functools.cached_property
    def mask(self) -> np.ndarray:
        """``(G, F)``: true in the slots holding a firm-event."""
        out = np.zeros((self.g, self.f), dtype=bool)
        out[self.gi, self.fi] = True
        return out

    @functools.cached_property
    def source(self) -> np.ndarray:
        """``(G · F,)``: the firm-event row in each slot, −1 in a padded one."""
        out = np.full(self.g * self.f, -1, dtype=np.int64)
        out[self.gi * self.f + self.fi] = self.flat
        return out

    def pad(self, x: np.ndarray) -> np.ndarray:
        """Per-firm-event rows ``(N, ...)`` as ``(G, F, ...)``, NaN in the padded slots (a view when ``whole``)."""
        if self.whole:
            return x.reshape((self.g, self.f) + x.shape[1:])
        out = np.full((self.g, self.f) + x.shape[1:], np.nan)
        out[self.gi, self.fi] = x[self.flat]
        return out


@dataclass
class _DailyBlock:
    """The daily arrays of one layout's slots (rows ``G · F``) over ``width`` columns: the estimation days first
    (gathered once), then room for any window's days. ``key``: the layout's and the estimation columns'."""

    key: tuple[bytes, bytes, bytes]
    width: int
    ar: np.ndarray  # (G · F, width)
    sar: np.ndarray
    span: np.ndarray
    x: np.ndarray  # (G · F, width, p)


#: Columns a daily block keeps beyond the first window's, for the windows of the daily path that reach more days
#: (a later return of another halted firm); a wider window reallocates the block.
SPARE_COLUMNS = 32


class StudyRows:
    """What the windows of one :class:`~eventstudy.model.engine.AbnormalReturns` share: each firm-event's
    degrees of freedom and calendar day-0 code (:func:`~eventstudy.inference.sample.day0_codes`), and the padded
    per-firm arrays of the latest layout (a study's windows mostly test the same firm-events; consecutive days of
    its daily path lose or gain a halted firm at a time) with their daily arrays on the estimation days
    (:meth:`daily`: the same for every window)."""

    def __init__(self, ab: AbnormalReturns) -> None:
        self.ab = ab
        self.dof = ab.dof.astype(float)
        self.day0 = day0_codes(ab).astype(float)
        self._latest: tuple[tuple[bytes, bytes], dict[str, np.ndarray]] | None = None
        self._block: _DailyBlock | None = None

    def daily(
        self, layout: Layout, counted: np.ndarray, columns: np.ndarray, in_window: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``ar``, ``sar``, ``span`` ``(G, F, D)`` and the design rows ``x`` ``(G, F, D, p)`` of ``layout``'s slots on
        ``columns`` (``D`` column indices: :func:`~eventstudy.inference.sample.daily_rows`,
        :func:`~eventstudy.inference.sample.design_rows`). When the estimation days come first and no return the
        window counts falls on them, the estimation columns are gathered once per layout and only the window's
        columns per call: the arrays are then views of a wider block, overwritten by the next call's window days
        (what outlives a call — the battery's ``shared`` store — depends on the estimation days only)."""
        ab, g, f = self.ab, layout.g, layout.f
        n_est = int(np.count_nonzero(~in_window))
        estimation = columns[:n_est]
        if in_window[:n_est].any() or counted[:, estimation].any():  # not the shared estimation days: gathered whole
            ar, sar, span = daily_rows(ab, counted, columns, layout.source)
            x = design_rows(ab, columns, layout.source)
            return (
                ar.reshape(g, f, -1),
                sar.reshape(g, f, -1),
                span.reshape(g, f, -1),
                x.reshape(g, f, len(columns), -1),
            )
        block = self._block
        key = layout.key + (estimation.tobytes(),)
        if block is None or block.key != key or block.width < len(columns):
            width = min(len(columns) + SPARE_COLUMNS, ab.ar.shape[1])
            rows, p = g * f, ab.design.shape[-1]
            block = _DailyBlock(key, width, np.empty((rows, width)), np.empty((rows, width)),
                                np.empty((rows, width)), np.empty((rows, width, p)))  # fmt: skip
            self._block = None  # (the old block's memory freed before the new one fills)
            self._fill(block, counted, estimation, layout.source, 0)
            self._block = block
        self._fill(block, counted, columns[n_est:], layout.source, n_est)
        d = len(columns)
        return (block.ar[:, :d].reshape(g, f, d), block.sar[:, :d].reshape(g, f, d),
                block.span[:, :d].reshape(g, f, d), block.x[:, :d].reshape(g, f, d, -1))  # fmt: skip

    def release_daily(self) -> None:
        """Free the daily block (:meth:`daily`): the next call gathers its estimation days again. For a process
        that holds the block while it does other work (the block is ``G · F`` rows by the window's columns, five
        float arrays: about 70 MB at 5,000 firm-events)."""
        self._block = None

    def _fill(self, block: _DailyBlock, counted: np.ndarray, columns: np.ndarray, source: np.ndarray, at: int) -> None:
        """Gather ``columns`` of the slots ``source`` into the block's columns from ``at``."""
        ab, end = self.ab, at + len(columns)
        _gather_returns(ab.ar, ab.ar_var, ab.span, ab.estimation, counted, source, columns,
                        block.ar[:, at:end], block.sar[:, at:end], block.span[:, at:end])  # fmt: skip
        _gather_design(ab.design, source, columns, block.x[:, at:end])

    def per_firm(self, layout: Layout) -> dict[str, np.ndarray]:
        """``dof``, ``xtx_inv``, ``sigma2`` and ``clusters`` (the day-0 codes) of ``layout``'s slots, padded."""
        if self._latest is None or self._latest[0] != layout.key:
            ab = self.ab
            got = {"dof": layout.pad(self.dof), "xtx_inv": layout.pad(ab.xtx_inv), "sigma2": layout.pad(ab.sigma2),
                   "clusters": layout.pad(self.day0)}  # fmt: skip
            self._latest = (layout.key, got)
        return self._latest[1]
