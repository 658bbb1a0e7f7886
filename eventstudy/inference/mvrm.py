"""``mvrm_wald``: the multivariate regression model with event-day dummies (Schipper & Thompson 1983; Binder
1985), the test of zero CAAR that carries the cross-correlation of firms sharing an event day, in closed form on the
battery's padded arrays (:func:`eventstudy.inference.vectorised.battery`; the definition in :func:`_mvrm_wald`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .sample import _estimation_cached, _t_p

#: Largest ``σ̂_ij X_i'X_j`` array kept (cells; 160 MB): one event of thousands of firms computes ``b_i'b_j`` per window.
CROSS_CELLS = 20_000_000


def _inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of each ``p × p`` matrix of ``a`` ``(..., p, p)`` and where it is singular (condition number above
    1e12, or not finite): those get NaN instead of raising."""
    cond = np.linalg.cond(np.where(np.isfinite(a), a, 0.0)) if a.shape[-1] else np.ones(a.shape[:-2])
    singular = ~(cond < 1e12)
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    inv = np.linalg.inv(np.where(singular[..., None, None], eye, a))
    return np.where(singular[..., None, None], np.nan, inv), singular


def _mvrm_wald(v):
    """Multivariate regression model with event-day dummies (Schipper & Thompson 1983, *J. Accounting Research*
    21, 184–221; Binder 1985, *J. Accounting Research* 23, 370–383): the Wald test of zero CAAR that carries the
    firms' cross-correlation, reported as the signed t (``t² = F(1, T − p)``, the Wald statistic of one linear
    restriction).

    The system, one equation per firm ``i`` over the common estimation days ``E`` and firm i's window returns
    ``W_i``: ``AR_it = x_it'δ_i + Σ_{k∈W_i} γ_ik D_kt + ε_it`` with ``x_it = (k_t, M_t)`` the model's design row
    and ``D_kt = 1`` on window day k only; ``Cov(ε_it, ε_jt) = σ_ij`` (per session), independent over days.
    Regressing the AR instead of the return ``R_it = x_it'θ_i + …`` changes only the design coefficients
    (``δ_i = θ_i − θ̂_i``, the engine's fit subtracted): ``AR = R − Xθ̂`` lies in the span of the equation's own
    regressors, so the dummy coefficients, the residuals, ``Σ̂`` and the test are the same. One dummy per window
    return makes its residual zero, so ``γ̂_ik = AR_ik − x_ik'δ̂_i``, the out-of-sample prediction error, and
    ``δ̂_i`` is the OLS fit on ``E`` alone (Karafiath 1988, *Financial Review* 23: the dummy
    coefficients are the prediction errors).

    Hypothesis ``H₀: Σ_i Σ_{k∈W_i} γ_ik = 0`` (the sum of the firms' CARs, N·CAAR). With the same regressors
    in every equation (one benchmark, one day 0) SUR's GLS equals OLS equation by equation (Zellner 1962,
    *JASA* 57, 348–368) and ``Var(Σ γ̂) = Σ_ij σ_ij c'(Z'Z)⁻¹c`` (Binder 1985), ``Z = [X, D]``, ``c`` the
    dummies' indicator. In general (halts, different benchmarks or days 0) the OLS estimate is kept with its
    exact covariance under the system's disturbances:

        Var(Σ γ̂) = Σ_ij σ_ij (S_ij + b_i'b_j),   b_i = X_i (X_i'X_i)⁻¹ g_i,  g_i = Σ_{k∈W_i} x_ik,
        S_ij = Σ_{k∈W} 1[k∈W_i ∩ W_j] min(s_ik, s_jk)

    (``b_i'b_j σ_ij`` the estimation error, Campbell, Lo & MacKinlay 1997 eq. 4.4.13 for a pair of firms;
    ``s_ik`` the sessions a return spans — two returns ending on the same day share the shorter one's sessions; ``S_ii = L_i``; a session one firm's multi-session return
    shares with another firm's return on an earlier day is not counted: exact without halts).
    ``σ̂_ij = Σ_E e_it e_jt / (T − p)``, ``T`` common estimation days, ``p`` design columns (the SUR
    covariance with linearmodels' ``debiased=True``, homoskedastic: White's estimator would see zero residuals
    on the dummies' days and miss the window variance). ``t = Σ γ̂ / √Var̂``, p from Student t with ``T − p``
    d.f. (exact under normality with identical regressors and every firm on every day: then it is the t of the
    equally weighted portfolio's prediction errors).

    The common sample: estimation days on which every firm of the group has a single-session return (the MVRM
    needs one sample; other days are dropped for every firm). A firm without a return on a window day has no
    dummy for it. Cross-checked against ``linearmodels.system.SUR`` in tests/inference/test_mvrm.py; the closed
    form is used here because a SUR fit costs ~0.5 s per 13-firm event (the placebo runs thousands)."""
    mask, w = v["mask"], v["in_window"]
    x = v["x"]
    p = 0 if x is None else x.shape[-1]
    dof, sigma, cross, xc, inv, delta, singular = _estimation_cached(v, "mvrm_system", lambda: _system_fit(v))
    real = mask[:, :, None]
    win = v["ar"][:, :, w]
    ok = np.isfinite(win) & real
    gamma = np.where(ok, win, 0.0)
    var = np.zeros(len(mask))
    if p:
        xw = np.where(ok[..., None], np.nan_to_num(x[:, :, w]), 0.0)
        gamma = gamma - np.where(ok, (xw @ delta[..., None])[..., 0], 0.0)
        u = inv @ xw.sum(axis=2)[..., None]  # (X_i'X_i)⁻¹ g_i, (G, F, p, 1)
        if cross is not None:  # Σ_ij σ_ij b_i'b_j = u' [σ_ij X_i'X_j] u
            stacked = np.nan_to_num(u.reshape(len(mask), -1))  # padded firms: σ_ij = 0, no term (as below)
            var += (stacked[:, None, :] @ cross @ stacked[:, :, None])[:, 0, 0]
        else:  # b_i = X_i u_i on the common days
            b = np.nan_to_num((xc @ u)[..., 0])
            var += (sigma * (b @ b.transpose(0, 2, 1))).sum(axis=(1, 2))
    var += _shared_sessions_term(sigma, np.where(ok, v["span"][:, :, w], 0.0))
    t = gamma.sum(axis=(1, 2)) / np.sqrt(var)
    bad = (v["n"] < 1) | (dof < 2) | ~(var > 0) | (singular & mask).any(axis=1) | ~ok.any(axis=(1, 2))
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, dof)), v["n"]


def _shared_sessions_term(sigma: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``Σ_ij σ_ij S_ij`` with ``S_ij = Σ_d min(k_id, k_jd)`` (``k`` ``(G, F, D)`` the sessions each window return
    spans, 0 without one). With ``ℓ_1 < ℓ_2 < …`` the spans that occur on day ``d`` (``ℓ_0 = 0``),
    ``min(k_i, k_j) = Σ_m (ℓ_m − ℓ_{m−1}) [k_i ≥ ℓ_m][k_j ≥ ℓ_m]``, so the term is a weighted sum of quadratic forms
    ``q'σq`` of indicator vectors: one matmul instead of an ``F × F`` array per window day."""
    columns, weights = [], []
    for d in range(k.shape[2]):
        levels = np.unique(k[:, :, d])
        levels = levels[levels > 0]
        if not len(levels):  # a window day on which no firm of any group has a return
            continue
        for lo, hi in zip(np.r_[0.0, levels[:-1]], levels, strict=True):
            columns.append(k[:, :, d] >= hi)
            weights.append(hi - lo)
    if not columns:
        return np.zeros(len(sigma))
    q = np.stack(columns, axis=2).astype(float)  # (G, F, M)
    return ((sigma @ q) * q * np.asarray(weights)).sum(axis=(1, 2))


def _system_fit(v: dict) -> tuple[Any, ...]:
    """The estimation half of :func:`_mvrm_wald`, the same for every window of the same firm-events: ``T − p``
    on the common estimation days, ``σ̂_ij`` ``(G, F, F)``, ``σ̂_ij X_i'X_j`` stacked ``(G, F·p, F·p)`` (so that
    ``Σ_ij σ̂_ij b_i'b_j = u' [σ̂_ij X_i'X_j] u`` with ``u_i = (X_i'X_i)⁻¹ g_i``; None above :data:`CROSS_CELLS`),
    the design on the common days ``(G, F, T, p)``, ``(X_i'X_i)⁻¹``, ``δ̂_i`` and the singular fits."""
    ar, mask, w, x = v["ar"], v["mask"], v["in_window"], v["x"]
    p = 0 if x is None else x.shape[-1]
    est = ar[:, :, ~w]
    real = mask[:, :, None]
    fin = np.isfinite(est)
    if p:
        fin &= np.isfinite(x[:, :, ~w]).all(axis=-1)
    common = (fin | ~real).all(axis=1) & mask.any(axis=1)[:, None]  # (G, T)
    dof = common.sum(axis=1) - p
    keep = common[:, None, :] & real
    e = np.where(keep, est, 0.0)
    g, f = mask.shape
    singular = np.zeros(mask.shape, dtype=bool)
    inv = delta = np.zeros((g, f, 0))
    xc, cross = np.zeros(e.shape + (0,)), None
    if p:
        xc = np.where(keep[..., None], x[:, :, ~w], 0.0)  # (G, F, T, p)
        inv, singular = _inverse(xc.transpose(0, 1, 3, 2) @ xc)
        delta = (inv @ (xc.transpose(0, 1, 3, 2) @ e[..., None]))[..., 0]
        e = e - (xc @ delta[..., None])[..., 0]
    # Not finite (a singular fit, or no residual degree of freedom: groups without a statistic) as 0, so that their
    # terms of the variance vanish instead of overflowing
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = (e @ e.transpose(0, 2, 1)) / dof[:, None, None]
    sigma = np.where(np.isfinite(sigma), sigma, 0.0)
    if p and g * (f * p) ** 2 <= CROSS_CELLS:  # else b_i'b_j from b_i = X_i u_i, window by window
        stacked = xc.transpose(0, 1, 3, 2).reshape(g, f * p, -1)  # rows (i, a): column a of X_i over the days
        pairs = np.repeat(np.repeat(sigma, p, axis=1), p, axis=2)
        cross = np.where(np.isfinite(pairs), (stacked @ stacked.transpose(0, 2, 1)) * pairs, 0.0)
    return dof, sigma, cross, xc, inv, delta, singular
