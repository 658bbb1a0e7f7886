"""Firm-events laid out as the battery reads them: event groups padded to ``(groups, firms, days)`` arrays
(:class:`Layout`), and what a study's many windows share (:class:`StudyRows`): a study tests each event over
several windows and every day of its daily path, mostly on the same firm-events."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..model.engine import AbnormalReturns
from .sample import day0_codes


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


class StudyRows:
    """What the windows of one :class:`~eventstudy.model.engine.AbnormalReturns` share: each firm-event's
    degrees of freedom and calendar day-0 code (:func:`~eventstudy.inference.sample.day0_codes`), and the padded
    per-firm arrays of the latest layout (a study's windows mostly test the same firm-events; consecutive days of
    its daily path lose or gain a halted firm at a time)."""

    def __init__(self, ab: AbnormalReturns) -> None:
        self.ab = ab
        self.dof = ab.dof.astype(float)
        self.day0 = day0_codes(ab).astype(float)
        self._latest: tuple[tuple[bytes, bytes], dict[str, np.ndarray]] | None = None

    def per_firm(self, layout: Layout) -> dict[str, np.ndarray]:
        """``dof``, ``xtx_inv``, ``sigma2`` and ``clusters`` (the day-0 codes) of ``layout``'s slots, padded."""
        if self._latest is None or self._latest[0] != layout.key:
            ab = self.ab
            got = {"dof": layout.pad(self.dof), "xtx_inv": layout.pad(ab.xtx_inv), "sigma2": layout.pad(ab.sigma2),
                   "clusters": layout.pad(self.day0)}  # fmt: skip
            self._latest = (layout.key, got)
        return self._latest[1]
