"""solve2: stacks of 2 × 2 systems by Gaussian elimination with partial pivoting, checked against
numpy.linalg.solve (LAPACK dgesv) to within the error bound of a backward-stable solve, never bit for bit (the
last bits of LAPACK's answer depend on the BLAS kernel of the machine)."""

from __future__ import annotations

import numpy as np

from eventstudy.inference.solve2 import _fma, lu_det_2x2, solve_2x2

EPS = np.finfo(float).eps


def _agrees_with_lapack(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> None:
    """``x`` solves ``a x = b`` as well as LAPACK does: a normwise backward error ``‖a x − b‖ / (‖a‖ ‖x‖ + ‖b‖)``
    of a few units in the last place (Higham 2002, *Accuracy and Stability of Numerical Algorithms*, thm. 9.4 and
    eq. 7.23: Gaussian elimination with partial pivoting, growth factor ≤ 2 for n = 2), and within ``κ(a)`` units
    in the last place of LAPACK's own solution (forward error)."""
    residual = np.abs(np.einsum("...ij,...j->...i", a, x) - b).max(axis=-1)
    scale = np.abs(a).sum(axis=-1).max(axis=-1) * np.abs(x).max(axis=-1) + np.abs(b).max(axis=-1)
    assert (residual <= 8 * EPS * scale).all()
    want = np.linalg.solve(a, b[..., None])[..., 0]
    kappa = np.linalg.cond(a)[..., None]
    assert (np.abs(x - want) <= 16 * EPS * kappa * np.abs(want).max(axis=-1, keepdims=True)).all()


def test_hand_worked_system():
    # [[2, 1], [4, 3]] x = [3, 7]: the rows swap (|4| > |2|), l = 2/4 = 0.5, u11 = 1 − 0.5·3 = −0.5;
    # forward y = (7, 3 − 0.5·7 = −0.5), back x1 = −0.5 / −0.5 = 1, x0 = (7 − 3·1) / 4 = 1; det = −(4 · −0.5) = 2
    x, det = solve_2x2(np.array([[[2.0, 1.0], [4.0, 3.0]]]), np.array([[3.0, 7.0]]))
    assert np.array_equal(x, [[1.0, 1.0]]) and np.array_equal(det, [2.0])  # exact in binary: every step is


def test_agrees_with_numpy_linalg_solve_to_the_error_bound():
    rng = np.random.default_rng(7)
    n = 200_000
    general = rng.normal(size=(n, 2, 2)) * np.exp(rng.normal(size=(n, 1, 1)) * 4)
    # the placebo's systems: X'X of (k, m) rows without a run — [[n, Σm], [Σm, Σm²]], m ~ 1 % daily
    m = rng.normal(0.0, 0.01, size=(n, 230))
    count = rng.integers(200, 250, size=n).astype(float)
    xtx = np.stack([np.stack([count, m.sum(1)], -1), np.stack([m.sum(1), (m * m).sum(1)], -1)], -2)
    ties = general.copy()
    ties[:, 1, 0] = -ties[:, 0, 0]  # |a10| == |a00|: no swap
    for a in (general, xtx, ties, np.broadcast_to(np.eye(2), (10, 2, 2))):
        b = rng.normal(size=a.shape[:-1]) * 0.01
        got, det = solve_2x2(a, b)
        _agrees_with_lapack(a, b, got)
        assert np.allclose(det, np.linalg.det(a), rtol=1e-12, atol=0) and np.array_equal(det, lu_det_2x2(a))


def test_fused_multiply_add_is_rounded_once():
    # 1 + 2⁻³⁰ squared: the product's 2⁻⁶⁰ term is lost by a separate multiply, kept by a fused one
    a = np.array([1.0 + 2.0**-30])
    c = np.array([-(1.0 + 2.0**-29)])
    assert np.array_equal(_fma(a, a, c), [2.0**-60])
    assert (a * a + c)[0] == 0.0


def test_swapped_rows_mixed_with_unswapped():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(5000, 2, 2))
    a[::2, 1, 0] = 10.0 * a[::2, 0, 0]  # half the systems pivot on the second row
    b = rng.normal(size=(5000, 2))
    got, det = solve_2x2(a, b)
    _agrees_with_lapack(a, b, got)
    assert np.array_equal(det, lu_det_2x2(a)) and np.allclose(det, np.linalg.det(a), rtol=1e-12, atol=0)


def test_the_same_on_every_machine():
    """No BLAS or LAPACK call: the answer is numpy's elementwise IEEE arithmetic, so a fixed system gives fixed
    bits (these are worked out by hand above for a system exact in binary; here a general one must not change
    between two calls or with the order of the stack)."""
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(1000, 2, 2)), rng.normal(size=(1000, 2))
    order = rng.permutation(1000)
    x, _ = solve_2x2(a, b)
    y, _ = solve_2x2(a[order], b[order])
    assert np.array_equal(x[order], y)
