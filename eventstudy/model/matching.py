"""Matched control firms: the k firms of a market universe nearest to an event firm in its pre-event risk and
return, whose buy-and-hold return is the event firm's counterfactual (Barber & Lyon 1997, *JFE* 43, 341–372;
Lyon, Barber & Tsai 1999, *J. Finance* 54, 165–201, sec. I–II: a control firm or portfolio removes the
new-listing, rebalancing and skewness biases a market index leaves in long-horizon abnormal returns).

Characteristics, over the event's estimation window ``E`` (the study's ``estimation_window`` sessions relative
to day 0), from trade-to-trade returns (:mod:`eventstudy.data.returns`):

``beta``        OLS slope of the firm's single-session returns on the benchmark's returns of the same sessions
``volatility``  standard deviation (``N − 1``) of the firm's single-session returns
``pre_return``  ``Π_{t∈E} (1 + r_t) − 1`` over every return ending in ``E`` (a return after a halt included)

Size (market value) is not matched: the universe file has prices and volume but no shares outstanding.

Distance: Euclidean in standardised units, ``d_j = √(Σ_c ((x_jc − x_c) / s_c)²)`` with ``s_c`` the standard
deviation of characteristic ``c`` over the eligible candidates; the ``k`` nearest (ties: in ticker order) are the
controls. A candidate is eligible when it is not one of the study's event firms, has at least the study's
``min_estimation_returns`` single-session returns in ``E`` and traded on every session of the long window
(base to end, inclusive: a halted control has no price to buy or sell at on those days).
"""

from __future__ import annotations

import numpy as np

MATCH_ON = ("beta", "volatility", "pre_return")
K_CONTROLS = 5  # controls per event firm


def characteristics(returns: np.ndarray, single: np.ndarray, market: np.ndarray) -> dict[str, np.ndarray]:
    """Per column of ``returns`` ``(T, K)`` (trade-to-trade, NaN where none; ``single`` marks the single-session
    ones) over ``T`` estimation sessions with benchmark returns ``market`` ``(T,)``: beta, volatility, pre_return
    and ``n_returns`` (single-session returns with a benchmark return), each ``(K,)``."""
    r = np.asarray(returns, dtype=float)
    m = np.asarray(market, dtype=float)[:, None]
    use = np.asarray(single, dtype=bool) & np.isfinite(r) & np.isfinite(m)
    n = use.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rm = np.where(use, r, 0.0).sum(axis=0) / n
        mm = np.where(use, m, 0.0).sum(axis=0) / n
        dr, dm = np.where(use, r - rm, 0.0), np.where(use, m - mm, 0.0)
        beta = (dr * dm).sum(axis=0) / (dm * dm).sum(axis=0)
        volatility = np.sqrt((dr * dr).sum(axis=0) / (n - 1))
    grows = np.where(np.isfinite(r), 1.0 + r, 1.0)
    pre_return = np.prod(grows, axis=0) - 1.0
    return {"beta": beta, "volatility": volatility, "pre_return": pre_return, "n_returns": n}


def nearest(
    target: np.ndarray, pool: np.ndarray, eligible: np.ndarray, k: int = K_CONTROLS
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` eligible rows of ``pool`` ``(K, C)`` nearest to each row of ``target`` ``(N, C)`` (module
    docstring). ``eligible`` ``(N, K)``. Returns ``(index, distance)``, each ``(N, k)``; index −1 and distance NaN
    where fewer than ``k`` candidates are eligible."""
    target = np.atleast_2d(np.asarray(target, dtype=float))
    pool = np.asarray(pool, dtype=float)
    ok = (
        np.asarray(eligible, dtype=bool)
        & np.isfinite(pool).all(axis=1)[None, :]
        & np.isfinite(target).all(axis=1)[:, None]
    )
    index = np.full((len(target), k), -1, dtype=np.int64)
    dist = np.full((len(target), k), np.nan)
    for c in range(len(target)) if len(target) else ():  # one standardisation per target: its own eligible pool
        cand = np.flatnonzero(ok[c])
        if len(cand) < max(k, 2):
            continue
        scale = pool[cand].std(axis=0, ddof=1)
        scale = np.where(scale > 0, scale, 1.0)
        d = np.sqrt((((pool[cand] - target[c]) / scale) ** 2).sum(axis=1))
        order = np.argsort(d, kind="stable")[:k]
        index[c], dist[c] = cand[order], d[order]
    return index, dist
