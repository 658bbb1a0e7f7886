"""``mvrm_wald``: the multivariate regression model with event-day dummies (Schipper & Thompson 1983; Binder
1985), the test of zero CAAR that carries the cross-correlation of firms sharing an event day, in closed form on the
battery's padded arrays (:func:`eventstudy.inference.vectorised.battery`; the definition in :func:`_mvrm_wald`).

The work: the estimation half (:func:`_system_fit`: the common days, each firm's fit) once per set of
firm-events, kept across windows; per window, one compiled pass (:func:`_window_terms`) over the window returns
and the firms' estimation residuals, which carry ``σ̂`` without forming it (a group of F firms would need an
``F × F`` matrix, 8 MB at F = 1,000, per group and per set of firm-events): the shared-sessions term by window
day, the estimation-error term through one ``p × p`` matrix where every firm of a group has the same design on
the common days (one benchmark and day 0, the usual event study), else through ``b_i = X_i u_i``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.jit import compiled
from .sample import _estimation_cached, _t_p


def _inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of each symmetric ``p × p`` matrix of ``a`` ``(..., p, p)`` (the fits' ``X'X``) and where it is
    singular (2-norm condition number ``max|λ| / min|λ|`` above 1e12, or not finite): those get NaN instead of
    raising. For ``p = 2`` in closed form (:func:`_inverse_2`), else by LAPACK (``eigvalsh``, ``inv``)."""
    if a.shape[-1] == 2:
        return _inverse_2(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.abs(np.linalg.eigvalsh(np.where(np.isfinite(a), a, 0.0)))
        cond = size.max(axis=-1) / size.min(axis=-1)
    singular = ~(cond < 1e12) | ~np.isfinite(a).all(axis=(-2, -1))
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    inv = np.linalg.inv(np.where(singular[..., None, None], eye, a))
    return np.where(singular[..., None, None], np.nan, inv), singular


def _inverse_2(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_inverse` of symmetric ``2 × 2`` matrices ``[[α, β], [β, δ]]`` (the market model's ``X'X``), in closed
    form: eigenvalues ``μ ± ρ``, ``μ = (α + δ)/2``, ``ρ = √(((α − δ)/2)² + β²)``, the smaller in magnitude taken as
    ``det / λ_max`` (``det = αδ − β²``; no cancellation in ``μ − ρ``), and the inverse ``[[δ, −β], [−β, α]] / det``
    (for ``X'X`` of a constant and a market return ``det = n Σ (m − m̄)²``, far from cancelling)."""
    alpha, beta, delta = a[..., 0, 0], 0.5 * (a[..., 0, 1] + a[..., 1, 0]), a[..., 1, 1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean, half = 0.5 * (alpha + delta), 0.5 * (alpha - delta)
        radius = np.sqrt(half * half + beta * beta)
        largest = np.abs(mean) + radius  # |μ| + ρ: the eigenvalue of largest magnitude
        det = alpha * delta - beta * beta
        cond = largest / (np.abs(det) / largest)
        singular = ~(cond < 1e12) | ~np.isfinite(a).all(axis=(-2, -1))
        inv = (
            np.stack([np.stack([delta, -beta], axis=-1), np.stack([-beta, alpha], axis=-1)], axis=-2)
            / det[..., None, None]
        )
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
    x = np.zeros(v["ar"].shape + (0,)) if v["x"] is None else v["x"]
    dof, inv, delta, singular, days, n_common, one_design, design = _estimation_cached(
        v, "mvrm_system", lambda: _system_fit(v)
    )
    total, returns, scaled = _window_terms(
        v["ar"], x, v["span"], mask, np.flatnonzero(w), delta, inv, days, n_common, one_design, design
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        var = scaled / dof  # σ̂_ij = Σ_E e_it e_jt / (T − p)
        t = total / np.sqrt(var)
    bad = (v["n"] < 1) | (dof < 2) | ~(var > 0) | (singular & mask).any(axis=1) | (returns == 0)
    return np.where(bad, np.nan, t), np.where(bad, np.nan, _t_p(t, dof)), v["n"]


def _system_fit(v: dict) -> tuple[Any, ...]:
    """The estimation half of :func:`_mvrm_wald`, the same for every window of the same firm-events: ``T − p``
    on the common estimation days ``(G,)``, ``(X_i'X_i)⁻¹`` and ``δ̂_i``, the singular fits, the common days
    (their columns ``(G, T)`` and number), which groups have one design on them (every firm's ``X_i`` the same)
    and that ``X'X`` ``(G, p, p)``. No ``F × F`` matrix: ``σ̂`` enters the variance only through sums
    ``Σ_ij σ̂_ij a_i'a_j = Σ_t (Σ_i e_it a_i)'(Σ_j e_jt a_j) / (T − p)``, which :func:`_window_terms` forms from the
    residuals, firm by firm."""
    ar, mask, w = v["ar"], v["mask"], v["in_window"]
    x = np.zeros(ar.shape + (0,)) if v["x"] is None else v["x"]
    p = x.shape[-1]
    days, n_common, xtx, xty, one_design = _common_sample(ar, x, mask, np.flatnonzero(~w))
    dof = n_common - p
    inv, singular = _inverse(xtx) if p else (xtx, np.zeros(mask.shape, dtype=bool))
    delta = (inv @ xty[..., None])[..., 0]
    design = xtx[np.arange(len(mask)), np.argmax(mask, axis=1)]  # X'X of the group's first firm
    return dof, inv, delta, singular, days, n_common, one_design, design


@compiled
def _common_sample(ar, x, mask, est_cols):
    """The common estimation days of each group (every real firm with a finite AR and design): their columns
    ``(G, T)`` (the first ``n`` of each row) and number ``n`` ``(G,)``, ``X_i'X_i`` ``(G, F, p, p)`` and
    ``X_i'AR_i`` ``(G, F, p)`` over them, and whether every real firm of the group has the same design on
    them ``(G,)``."""
    groups, firms = mask.shape
    p = x.shape[3]
    days = np.zeros((groups, len(est_cols)), np.int64)
    n_common = np.zeros(groups, np.int64)
    xtx = np.zeros((groups, firms, p, p))
    xty = np.zeros((groups, firms, p))
    one_design = np.ones(groups, np.bool_)
    for g in range(groups):
        n = len(est_cols) if mask[g].any() else 0  # a group without firms has no common day
        days[g, :n] = est_cols[:n]
        first = -1
        for i in range(firms):
            if mask[g, i]:
                first = i if first < 0 else first
                kept = 0  # the days every firm so far has, compacted in place
                for c in range(n):
                    t = days[g, c]
                    fine = np.isfinite(ar[g, i, t])
                    for a in range(p):
                        fine = fine and np.isfinite(x[g, i, t, a])
                    if fine:
                        days[g, kept] = t
                        kept += 1
                n = kept
        n_common[g] = n
        for i in range(firms):
            if not mask[g, i]:
                continue
            if p == 2:  # the market model: the five sums side by side, each over the days in order
                s0y = s1y = s00 = s10 = s11 = 0.0
                for c in range(n):
                    t = days[g, c]
                    y, x0, x1 = ar[g, i, t], x[g, i, t, 0], x[g, i, t, 1]
                    s0y += x0 * y
                    s1y += x1 * y
                    s00 += x0 * x0
                    s10 += x1 * x0
                    s11 += x1 * x1
                xty[g, i, 0], xty[g, i, 1] = s0y, s1y
                xtx[g, i, 0, 0], xtx[g, i, 1, 1] = s00, s11
                xtx[g, i, 1, 0] = xtx[g, i, 0, 1] = s10
            for a in range(p if p != 2 else 0):  # (one sum at a time: the accumulator stays in a register)
                total = 0.0
                for c in range(n):
                    total += x[g, i, days[g, c], a] * ar[g, i, days[g, c]]
                xty[g, i, a] = total
                for b in range(a + 1):
                    total = 0.0
                    for c in range(n):
                        total += x[g, i, days[g, c], a] * x[g, i, days[g, c], b]
                    xtx[g, i, a, b] = xtx[g, i, b, a] = total
            for c in range(n if one_design[g] else 0):
                for a in range(p):
                    one_design[g] = one_design[g] and x[g, i, days[g, c], a] == x[g, first, days[g, c], a]
    return days, n_common, xtx, xty, one_design


@compiled
def _window_terms(ar, x, span, mask, window, delta, inv, days, n_common, one_design, design):
    """Per group the sum of the dummies ``Σ_i Σ_{W_i} γ̂_ik`` (``γ̂_ik = AR_ik − x_ik'δ̂_i``), the number of
    window returns and ``(T − p) Var(Σ γ̂) = (T − p) Σ_ij σ̂_ij (S_ij + b_i'b_j)`` from the residuals
    ``e_it = AR_it − x_it'δ̂_i`` on the common days (0 for a firm without a fit: padded or singular), so that no
    ``σ̂`` matrix is formed:

    * ``Σ_ij σ̂_ij S_ij``, ``S_ij = Σ_k min(s_ik, s_jk)`` over the window days on which both firms have a return
      spanning ``s > 0`` sessions. With the day's distinct spans ``v_1 < … < v_L`` (``v_0 = 0``),
      ``min(s_i, s_j) = Σ_l (v_l − v_{l−1}) 1[s_i ≥ v_l] 1[s_j ≥ v_l]``, so a day adds
      ``Σ_l (v_l − v_{l−1}) ‖Σ_{s_i ≥ v_l} e_i‖²``: one pass over its firms' residuals, no pair loop;
    * ``Σ_ij σ̂_ij b_i'b_j``, ``b_i = X_i u_i``, ``u_i = (X_i'X_i)⁻¹ g_i``, ``g_i = Σ_{W_i} x_ik`` (0 for a firm
      without a fit): with one design ``X`` for the group ``b_i'b_j = u_i'(X'X)u_j`` and the sum is
      ``Σ_t q_t'(X'X)q_t``, ``q_t = Σ_i e_it u_i``; else ``Σ_{t,s} (Σ_i e_it b_is)²`` (``b_is`` on common day s)."""
    groups, firms, p = delta.shape
    total = np.zeros(groups)
    returns = np.zeros(groups, np.int64)
    scaled = np.zeros(groups)
    u = np.zeros((firms, p))
    g_i = np.zeros(p)
    q = np.zeros(p)
    present = np.empty((len(window), firms), np.int64)  # per window day, the firms with a return on it
    spans = np.empty((len(window), firms))
    count = np.empty(len(window), np.int64)
    for g in range(groups):
        n = n_common[g]
        e = np.zeros((firms, n))
        acc = np.zeros(n)
        count[:] = 0
        for i in range(firms):
            u[i, :] = 0.0
            if not mask[g, i]:
                continue
            fitted = True
            for a in range(p):
                fitted = fitted and np.isfinite(delta[g, i, a])
            for c in range(n if fitted else 0):
                t = days[g, c]
                value = ar[g, i, t]
                for a in range(p):
                    value -= x[g, i, t, a] * delta[g, i, a]
                e[i, c] = value
            g_i[:] = 0.0
            for k in range(len(window)):
                d = window[k]
                value = ar[g, i, d]
                if np.isfinite(value):
                    returns[g] += 1
                    for a in range(p):
                        xa = x[g, i, d, a]
                        xa = xa if np.isfinite(xa) else 0.0
                        value -= xa * delta[g, i, a]
                        g_i[a] += xa
                    total[g] += value
                    if span[g, i, d] > 0:
                        present[k, count[k]] = i
                        spans[k, count[k]] = span[g, i, d]
                        count[k] += 1
            usable = True
            for a in range(p):
                u_a = 0.0
                for b in range(p):
                    u_a += inv[g, i, a, b] * g_i[b]
                u[i, a] = u_a
                usable = usable and np.isfinite(u_a)
            if not usable:
                u[i, :] = 0.0
        day = 0.0  # Σ_ij e_i'e_j min(s_i, s_j) over the firms with a return on window day k
        for k in range(len(window)):
            same = k > 0 and count[k] == count[k - 1]  # the same firms and spans as the day before: the same sum
            for m in range(count[k]):
                same = same and present[k, m] == present[k - 1, m] and spans[k, m] == spans[k - 1, m]
            if not same:
                order = np.argsort(-spans[k, : count[k]])  # longest span first
                acc[:] = 0.0
                day = 0.0
                m = 0
                while m < count[k]:
                    level = spans[k, order[m]]
                    while m < count[k] and spans[k, order[m]] == level:  # the firms whose span reaches level
                        for c in range(n):
                            acc[c] += e[present[k, order[m]], c]
                        m += 1
                    below = spans[k, order[m]] if m < count[k] else 0.0
                    square = 0.0
                    for c in range(n):
                        square += acc[c] * acc[c]
                    day += (level - below) * square
            scaled[g] += day
        if p == 0 or n == 0:
            continue
        if one_design[g]:
            for c in range(n):
                q[:] = 0.0
                for i in range(firms):
                    for a in range(p):
                        q[a] += e[i, c] * u[i, a]
                for a in range(p):
                    for b in range(p):
                        scaled[g] += q[a] * design[g, a, b] * q[b]
        else:
            b_rows = np.zeros((firms, n))
            for i in range(firms):
                if not mask[g, i]:  # (a padded firm's design is NaN)
                    continue
                for c in range(n):
                    t = days[g, c]
                    value = 0.0
                    for a in range(p):
                        value += x[g, i, t, a] * u[i, a]
                    b_rows[i, c] = value
            if firms < n:  # Σ_ij (Σ_t e_it e_jt)(Σ_s b_is b_js): two F × F products, fewer than one n × n
                gram_e = np.dot(e, e.T)
                gram_b = np.dot(b_rows, b_rows.T)
                for i in range(firms):
                    for j in range(firms):
                        scaled[g] += gram_e[i, j] * gram_b[i, j]
            else:
                cross = np.dot(e.T, b_rows)  # (Σ_i e_it b_is) over the common days t, s
                for c in range(n):
                    for s in range(n):
                        scaled[g] += cross[c, s] * cross[c, s]
    return total, returns, scaled
