"""The estimation formulas, in one place: normal equations, α/β (θ̂), σ², abnormal returns and their variances.

Both ways of building the normal equations end here:

* from the firm-event's ``(N, W)`` rows, ``X'X = Σ_E x_t x_t'`` and ``X'y = Σ_E x_t y_t`` over the estimation
  sample ``E`` (:func:`normal_equations`), with ``SSR = Σ_E (y_t − x_t'θ̂)²`` summed as the ARs are computed
  (:func:`abnormal`; around the mean for the parameter-free model, :func:`residual_ssr`); and
* from running sums over sessions (:class:`Moments`): every model of :data:`MOMENT_MODELS` needs only
  ``n, Σm, Σm², Σr, Σrm, Σr²`` over the estimation sample, so any estimation window's sums are two lookups per
  firm-event (:func:`moment_equations`), and ``SSR = y'y − 2θ̂'X'y + θ̂'X'Xθ̂``.

Then ``θ̂ = (X'X)⁻¹X'y`` (:func:`solve`), ``σ² = SSR / (n − p)`` (:func:`sigma2`; ``n − 1`` for the
parameter-free market-adjusted model, Brown & Warner 1985), and for each day

    AR_t = y_t − x_t'θ̂,   Var(AR_t) = σ² (k_t + x_t' (X'X)⁻¹ x_t)

(Campbell, Lo & MacKinlay 1997, eq. 4.4.8; trade-to-trade spans ``k_t`` as in Maynes & Rumsey 1993) in
:func:`abnormal`. The design rows themselves are model specifics (:mod:`eventstudy.model.normal_return`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np

from ..data.returns import ReturnsPanel
from .jit import compiled, over_rows

MOMENT_MODELS = ("market_model", "mean_adjusted", "market_adjusted")


def normal_equations(x0: np.ndarray, y: np.ndarray, estimation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``X'X`` ``(N, p, p)`` and ``X'y`` ``(N, p)`` over the ``estimation`` days; ``x0`` is the design with NaN
    set to 0 ``(N, W, p)``, ``y`` ``(N, W)`` is 0 where unusable. One compiled pass over the firm-days, each sum
    over the days in order (no ``(N, W, p)`` copy of the design, and the same sums whatever the BLAS)."""
    n, _, p = x0.shape
    xtx, xty = np.empty((n, p, p)), np.empty((n, p))
    _normal_sums(x0, y, estimation, xtx, xty)
    return xtx, xty


@compiled
def _normal_sums(x0, y, estimation, xtx, xty):  # pragma: no cover
    """:func:`normal_equations`: per row, ``Σ x_j x_k`` and ``Σ x_j y`` over its estimation days, days in order
    (the market model's five sums side by side; otherwise one sum at a time, its accumulator in a register)."""
    n, w, p = x0.shape
    for i in range(n):
        if p == 2:
            s00 = s01 = s11 = s0y = s1y = 0.0
            for t in range(w):
                if estimation[i, t]:
                    a, b, v = x0[i, t, 0], x0[i, t, 1], y[i, t]
                    s00 += a * a
                    s01 += a * b
                    s11 += b * b
                    s0y += a * v
                    s1y += b * v
            xtx[i, 0, 0], xtx[i, 1, 1] = s00, s11
            xtx[i, 0, 1] = xtx[i, 1, 0] = s01
            xty[i, 0], xty[i, 1] = s0y, s1y
            continue
        for j in range(p):
            total = 0.0
            for t in range(w):
                if estimation[i, t]:
                    total += x0[i, t, j] * y[i, t]
            xty[i, j] = total
            for k in range(j + 1):
                total = 0.0
                for t in range(w):
                    if estimation[i, t]:
                        total += x0[i, t, j] * x0[i, t, k]
                xtx[i, j, k] = xtx[i, k, j] = total


@overload
def solve(xtx: np.ndarray, xty: np.ndarray, fit: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def solve(xtx: np.ndarray, xty: None, fit: np.ndarray) -> tuple[None, np.ndarray]: ...
def solve(xtx: np.ndarray, xty: np.ndarray | None, fit: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """``θ̂ = (X'X)⁻¹X'y`` (None when ``xty`` is None: parameters estimated otherwise) and ``(X'X)⁻¹``; rows not
    ``fit`` use the identity (their results are masked by the caller)."""
    n, p = xtx.shape[0], xtx.shape[-1]
    if not p:
        return np.zeros((n, 0)), np.zeros((n, 0, 0))
    safe = np.where(fit[:, None, None], xtx, np.eye(p)[None, :, :])
    params = np.linalg.solve(safe, xty[..., None])[..., 0] if xty is not None else None
    return params, np.linalg.inv(safe)


def residual_ssr(resid: np.ndarray, estimation: np.ndarray, n_est: np.ndarray, p: int) -> np.ndarray:
    """SSR of the estimation residuals (``resid`` 0 off the sample); with no parameters the sum of squares around
    the estimation-window mean (the sample variance's numerator, Brown & Warner 1985)."""
    if p:
        return (resid**2).sum(axis=1)
    mean = resid.sum(axis=1) / np.maximum(n_est, 1)
    return (np.where(estimation, resid - mean[:, None], 0.0) ** 2).sum(axis=1)


def sigma2(ssr: np.ndarray, dof: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """``σ² = SSR / (n − p)`` where the firm-event is fitted, NaN elsewhere."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(fit, ssr / dof, np.nan)


def abnormal(
    x0: np.ndarray,
    y: np.ndarray,
    params: np.ndarray,
    xtx_inv: np.ndarray,
    span: np.ndarray,
    valid: np.ndarray,
    s2: np.ndarray | None = None,
    *,
    estimation: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(AR, Var(AR), SSR)``: ``AR = y − x'θ̂`` and its forecast-error variance ``Var(AR) = σ² (k + x'(X'X)⁻¹x)``
    (CLM 1997, eq. 4.4.8) on ``valid`` days (both NaN elsewhere: no AR), ``(N, W)`` each, with ``σ²`` = ``s2``
    ``(N,)`` — None: per unit σ² (``k + x'(X'X)⁻¹x``, for a caller that estimates σ² from the residuals); and with
    ``estimation`` ``(N, W)``, the residuals' sum of squares over those days ``Σ_E (y − x'θ̂)²`` ``(N,)`` (None
    without it), summed in the same pass (no array of fitted values). ``params`` must be finite (0 where not
    fitted)."""
    shape = x0.shape[:-1]
    ar, var = np.empty(shape), np.empty(shape)
    scale = np.ones(shape[0]) if s2 is None else np.asarray(s2, dtype=float)
    days = np.zeros((0, 0), dtype=bool) if estimation is None else np.asarray(estimation, dtype=bool)
    ssr = np.zeros(shape[0] if estimation is not None else 0)

    # each row's ARs, variances and SSR from its own inputs (without ``estimation``, ``days`` and ``ssr`` have no
    # rows, and any slice of them none)
    def run(at: slice) -> None:
        _forecast_errors(x0[at], y[at], params[at], xtx_inv[at], span[at], valid[at], scale[at], days[at],
                         ar[at], var[at], ssr[at])  # fmt: skip

    over_rows(run, shape[0], ar.size)
    return ar, var, ssr if estimation is not None else None


@compiled
def _forecast_errors(x0, y, params, xtx_inv, span, valid, s2, estimation, ar, var, ssr):  # pragma: no cover
    """One pass over the firm-days of :func:`abnormal`: ``x'θ̂`` and ``x'(X'X)⁻¹x = Σ_j (Σ_k x_k A_kj) x_j``,
    each sum in index order; ``(y − x'θ̂)²`` added to ``ssr`` on the ``estimation`` days (when it has rows)."""
    n, w, p = x0.shape
    keep_ssr = estimation.shape[0] > 0
    for i in range(n):
        squares = 0.0
        if p == 2:  # the market model's two columns, the same sums written out (one vector loop over the days)
            a, b = params[i, 0], params[i, 1]
            a00, a01, a10, a11 = xtx_inv[i, 0, 0], xtx_inv[i, 0, 1], xtx_inv[i, 1, 0], xtx_inv[i, 1, 1]
            for t in range(w):
                x_0, x_1 = x0[i, t, 0], x0[i, t, 1]
                fitted = 0.0 + x_0 * a + x_1 * b
                quad = 0.0 + (0.0 + x_0 * a00 + x_1 * a10) * x_0 + (0.0 + x_0 * a01 + x_1 * a11) * x_1
                ok = valid[i, t]
                ar[i, t] = y[i, t] - fitted if ok else np.nan
                var[i, t] = s2[i] * (span[i, t] + quad) if ok else np.nan
                if keep_ssr and estimation[i, t]:
                    e = y[i, t] - fitted
                    squares += e * e
        else:
            for t in range(w):
                fitted = 0.0
                quad = 0.0
                for j in range(p):
                    fitted += x0[i, t, j] * params[i, j]
                    q = 0.0
                    for k in range(p):
                        q += x0[i, t, k] * xtx_inv[i, k, j]
                    quad += q * x0[i, t, j]
                if valid[i, t]:
                    ar[i, t] = y[i, t] - fitted
                    var[i, t] = s2[i] * (span[i, t] + quad)
                else:
                    ar[i, t] = np.nan
                    var[i, t] = np.nan
                if keep_ssr and estimation[i, t]:
                    e = y[i, t] - fitted
                    squares += e * e
        if keep_ssr:
            ssr[i] = squares


# --------------------------------------------------------------------------------------------- running sums


@dataclass(frozen=True)
class Moments:
    """Running sums over sessions of the estimation quantities, per firm column, for one benchmark.

    With ``c_t`` = 1 on a usable single-session return (span 1, finite return and benchmark return), ``r_t``
    the firm's return and ``m_t`` the benchmark's single-session return, row ``s`` holds the sums over sessions
    ``< s`` of ``c``, ``c m``, ``c m²``, ``c r``, ``c r m``, ``c r²``. Any estimation window's sums — all the
    three models need — are then two lookups: the cost per firm-event no longer grows with the window length.
    """

    sums: np.ndarray  # (S + 1, T, 6) float64: the six sums of one session and firm side by side (one lookup), in
    # the order above; the count is exact (whole numbers far below 2⁵³)

    @property
    def nbytes(self) -> int:
        return int(self.sums.nbytes)


def moments(panel: ReturnsPanel, benchmark: str) -> Moments:
    returns = panel.returns.to_numpy(dtype=float)
    level = panel.level[benchmark].to_numpy(dtype=float)
    bench = np.full(len(level), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        bench[1:] = level[1:] / level[:-1] - 1.0
    span = panel.span.to_numpy(dtype=np.int64)
    sums = np.empty((returns.shape[0] + 1, returns.shape[1], 6))
    _running_sums(returns, span, bench, sums)
    return Moments(sums)


@compiled
def _running_sums(returns, span, bench, sums):  # pragma: no cover
    """``sums[s + 1, f]``: the six sums of :class:`Moments` over sessions ``≤ s`` of firm column ``f``, each added
    session by session (``sums[0]`` zero): one pass over the sessions, every firm's running sums kept side by side."""
    sessions, firms = returns.shape
    acc = np.zeros((firms, 6))
    sums[0] = 0.0
    for t in range(sessions):
        m = bench[t]
        for f in range(firms):
            r = returns[t, f]
            if span[t, f] == 1 and np.isfinite(r) and np.isfinite(m):
                acc[f, 0] += 1.0
                acc[f, 1] += m
                acc[f, 2] += m * m
                acc[f, 3] += r
                acc[f, 4] += r * m
                acc[f, 5] += r * r
            for q in range(6):
                sums[t + 1, f, q] = acc[f, q]


def moment_equations(
    mom: Moments, model: str, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(n, X'X, X'y, y'y − ȳ-correction)`` over sessions ``[lo, hi)`` of firm columns ``cols`` from the running
    sums. The last item is ``y'y`` for models with parameters; for the market-adjusted model (``y = r − m``, no
    parameters) it is already ``Σ(y − ȳ)²``, the SSR of :func:`residual_ssr`."""
    if model not in MOMENT_MODELS:
        raise ValueError(f"no running-sum estimation for model {model!r}")
    window = mom.sums[hi, cols] - mom.sums[lo, cols]  # (N, 6)
    n = window[:, 0].astype(np.int64)
    sm, smm, sr, srm, srr = (window[:, q] for q in range(1, 6))
    n_f = n.astype(float)
    if model == "market_model":
        xtx = np.stack([np.stack([n_f, sm], -1), np.stack([sm, smm], -1)], -2)
        return n, xtx, np.stack([sr, srm], -1), srr
    if model == "mean_adjusted":
        return n, n_f[:, None, None], sr[:, None], srr
    sy, yy = sr - sm, srr - 2.0 * srm + smm
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = yy - sy * sy / np.maximum(n_f, 1.0)
    return n, np.zeros((len(n), 0, 0)), np.zeros((len(n), 0)), centred


def moment_ssr(params: np.ndarray, xtx: np.ndarray, xty: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """``SSR = y'y − 2θ̂'X'y + θ̂'X'Xθ̂`` from the sums (clipped at 0 against rounding); with no parameters ``yy``
    is already the centred sum of squares."""
    if not params.shape[-1]:
        return np.maximum(yy, 0.0)
    quad = ((params[:, None, :] @ xtx)[:, 0, :] * params).sum(-1)
    return np.maximum(yy - 2.0 * (params * xty).sum(-1) + quad, 0.0)
