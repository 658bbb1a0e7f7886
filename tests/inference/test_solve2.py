"""solve2: stacks of 2 × 2 systems with exactly numpy.linalg.solve's bits (LAPACK dgesv)."""

from __future__ import annotations

import numpy as np

from eventstudy.inference.solve2 import _fma, lu_det_2x2, matches_lapack, solve_2x2


def test_hand_worked_system():
    # [[2, 1], [4, 3]] x = [3, 7]: the rows swap (|4| > |2|), x = (1, 1); det = 2·3 − 1·4 = 2
    x, det = solve_2x2(np.array([[[2.0, 1.0], [4.0, 3.0]]]), np.array([[3.0, 7.0]]))
    assert np.array_equal(x, [[1.0, 1.0]]) and np.allclose(det, [2.0])


def test_bit_for_bit_against_numpy_linalg_solve():
    assert matches_lapack()
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
        want = np.linalg.solve(a, b[..., None])[..., 0]
        got, det = solve_2x2(a, b)
        assert np.array_equal(got, want)
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
    assert np.array_equal(got, np.linalg.solve(a, b[..., None])[..., 0])
    assert np.array_equal(det, lu_det_2x2(a)) and np.allclose(det, np.linalg.det(a), rtol=1e-12, atol=0)
