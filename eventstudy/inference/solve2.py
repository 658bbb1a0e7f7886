"""Many 2 × 2 linear systems at once: Gaussian elimination with partial pivoting, vectorised over the stack.

``numpy.linalg.solve`` on a stack of 2 × 2 systems calls LAPACK once per system; for the placebo's leave-run-out
refits (hundreds of thousands of systems a chunk) the per-call overhead dominates. :func:`solve_2x2` performs the
arithmetic of LAPACK's ``dgesv`` (``getf2`` then ``trsv``) in numpy, the same on every machine:

* LU with partial pivoting: the rows swap when ``|a10| > |a00|`` (``idamax`` keeps the first of equal values);
  ``l = a10 · (1 / a00)`` (``getf2`` scales by the reciprocal of the pivot); ``u11 = a11 − l · a01``;
* forward substitution ``y1 = b1 − l · y0`` and back substitution ``x1 = y1 / u11``, ``x0 = (y0 − x1 · u01) /
  u00``, where each ``y − c · x`` update is one fused multiply-add (the ``axpy`` kernels), emulated exactly with
  Dekker's error-free product and Knuth's two-sum.

Its results do not depend on the BLAS or LAPACK that numpy loaded (nothing here calls them), so a study or a
placebo gives the same numbers on every CPU. tests/inference/test_solve2.py checks it against ``numpy.linalg.solve``
to within the backward-error bound of either (a few units in the last place times the condition number), never
bit for bit: the last bits of a LAPACK solve depend on its kernel (with or without fused multiply-adds).
"""

from __future__ import annotations

import numpy as np

_SPLIT = 134217729.0  # 2**27 + 1 (Veltkamp splitting of a double into two 26-bit halves)


def _fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``a · b + c`` rounded once: the exact product as ``p + e1`` (Dekker 1971), the exact sum ``p + c`` as
    ``s + e2`` (Knuth), then ``s + (e1 + e2)``."""
    p = a * b  # (non-finite inputs give non-finite results, as the fused operation would)
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    e1 = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    z = s - p
    e2 = (p - (s - z)) + (c - z)
    return s + (e1 + e2)


def lu_det_2x2(a: np.ndarray) -> np.ndarray:
    """The determinant from the same LU factors: ``u00 · u11 · (−1 if the rows swapped)``."""
    swap = np.abs(a[..., 1, 0]) > np.abs(a[..., 0, 0])
    a00 = np.where(swap, a[..., 1, 0], a[..., 0, 0])
    a01 = np.where(swap, a[..., 1, 1], a[..., 0, 1])
    a10 = np.where(swap, a[..., 0, 0], a[..., 1, 0])
    a11 = np.where(swap, a[..., 0, 1], a[..., 1, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        u11 = a11 - a10 * (1.0 / a00) * a01
    return np.where(swap, -1.0, 1.0) * (a00 * u11)


def solve_2x2(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` with ``a x = b`` for ``a`` ``(..., 2, 2)`` and ``b`` ``(..., 2)``, and the LU determinant
    (:func:`lu_det_2x2`). Singular systems give non-finite ``x`` (no error): the caller masks them."""
    x0, x1, det = solve_2x2_parts(a[..., 0, 0], a[..., 0, 1], a[..., 1, 0], a[..., 1, 1], b[..., 0], b[..., 1])
    return np.stack([x0, x1], axis=-1), det


def solve_2x2_parts(
    a00: np.ndarray, a01: np.ndarray, a10: np.ndarray, a11: np.ndarray, b0: np.ndarray, b1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`solve_2x2` on the entries as separate arrays (contiguous arrays run faster than strided views of a
    stack): ``(x0, x1, det)``."""
    swap = np.abs(a10) > np.abs(a00)
    if swap.any():
        a00, a10 = np.where(swap, a10, a00), np.where(swap, a00, a10)
        a01, a11 = np.where(swap, a11, a01), np.where(swap, a01, a11)
        b0, b1 = np.where(swap, b1, b0), np.where(swap, b0, b1)
    # (else, as for the placebo's X'X, where the count n always dominates Σm: no copies)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = a10 * (1.0 / a00)
        u11 = a11 - lower * a01
        x1 = _fma(-lower, b0, b1) / u11
        x0 = _fma(-x1, a01, b0) / a00
    det = a00 * u11
    if swap.any():
        det = np.where(swap, -det, det)
    return x0, x1, det
