"""The tests whose null comes from resampling the event's own data: the out-of-sample pseudo-windows of the
estimation period (:func:`_pseudo_cars`) behind ``placebo_p`` and ``gen_sign_z``'s expected fraction, and the
bootstrap of ``bhar_boot_t``. Same conventions as :mod:`eventstudy.inference.vectorised` (which registers them):
each ``_<test>(v)`` reads the battery's locals and returns ``(statistic, p_value, n_firms)`` per group."""

from __future__ import annotations

import numpy as np

from .sample import _cached, _estimation_cached, _skew_adjusted_t, _z_p
from .solve2 import solve_2x2_parts

BLOCK_CELLS = 30_000  # firm-days per block of the leave-run-out refits (about 240 kB an array: fits the cache)


def _window_sums(a: np.ndarray, length: int | np.ndarray, starts: int, *, total: bool = False):
    """Sums of ``a`` (``(G, F, T)``) over the runs of ``length`` days starting on each of the first ``starts``
    days: ``(G, F, starts)``; ``length`` is one number or one per firm row (``(G, F)``; a run that would end past
    day ``T`` is cut there: the caller masks it). With ``total``, also the sum over all ``T`` days (``(G, F)``,
    added in day order) first. Each sum is a difference of two running sums, whichever the form of ``length``."""
    c = np.zeros(a.shape[:2] + (a.shape[2] + 1,), dtype=a.dtype)
    np.cumsum(a, axis=2, out=c[:, :, 1:])
    if isinstance(length, np.ndarray):
        ends = np.minimum(np.arange(starts) + length[..., None], a.shape[2])
        runs = np.take_along_axis(c, ends, axis=2) - c[:, :, :starts]
    else:
        runs = c[:, :, length : length + starts] - c[:, :, :starts]
    return (c[:, :, -1], runs) if total else runs


def _estimation_days(a: np.ndarray, est_days: np.ndarray) -> np.ndarray:
    """``a[:, :, est_days]`` (the estimation days come first: a slice when they are a prefix of the axis)."""
    t = int(est_days.sum())
    return a[:, :, :t] if bool(est_days[:t].all()) else a[:, :, est_days]


def _pseudo_cars(v: dict) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-sample pseudo-CARs of every firm over every run ``s`` of ``L_i`` estimation days:
    ``Σ_s (y_t − x_t'θ̂_{−s})`` with ``θ̂_{−s}`` the OLS fit without the run. From the in-sample residuals ``e``
    (the estimation ARs) and running sums: ``θ̂ − θ̂_{−s} = (X'X − X_s'X_s)⁻¹ X_s'e_s``, so the pseudo-CAR is
    ``Σ_s e_t + g_s'(X'X − X_s'X_s)⁻¹ X_s'e_s`` with ``g_s = Σ_s x_t`` (the leave-block-out identity; Belsley,
    Kuh & Welsch 1980, ch. 2).

    ``L_i`` is the number of sessions firm i's window CAR covers (:func:`_covered_sessions`): ``L`` for a firm
    that trades through the window, more for one whose first return after a halt spans several sessions (a
    trade-to-trade return over ``k`` sessions has about ``k`` times a session's variance, so it is compared with
    ``k``-session runs, not one-session ones). Run ``s`` starts on estimation day ``s`` for every firm
    (``S = T − L + 1`` starts); a longer run that would end past the estimation days has no data. Returns
    ``(pcar, has)`` ``(G, F, S)``: ``has`` where the run holds an AR of the firm and the refit is defined."""

    est = _estimation_days(v["ar"], v["est_days"])
    x = v["x"] if v["x"] is not None and v["x"].shape[-1] > 0 else None
    xs = None if x is None else [_estimation_days(x[..., j], v["est_days"]) for j in range(x.shape[-1])]
    length = int(v["length"])

    def runs_of_length():  # every firm's runs of the window's length: the same for every window of that length
        # Blocks of groups small enough for the CPU cache (every step is per firm row: the same bits unblocked).
        step = max(1, BLOCK_CELLS // max(est.shape[1] * est.shape[2], 1))
        parts = [
            _leave_run_out(est[lo : lo + step], None if xs is None else [c[lo : lo + step] for c in xs], length,
                           est.shape[2] - length + 1)  # fmt: skip
            for lo in range(0, max(len(est), 1), step)
        ]  # fmt: skip
        return parts[0] if len(parts) == 1 else (np.concatenate([q for q, _ in parts]),
                                                 np.concatenate([h for _, h in parts]))  # fmt: skip

    def make():
        pcar, has = _estimation_cached(v, ("pseudo_cars", length), runs_of_length)
        covered = _covered_sessions(v)
        odd = (covered != length) & (covered > 0)  # firms whose window returns cover more (or fewer) sessions
        if odd.any():
            pcar, has = pcar.copy(), has.copy()
            gi, fi = np.nonzero(odd)
            sessions = covered[gi, fi][None]
            q, h = _leave_run_out(est[gi, fi][None], None if xs is None else [c[gi, fi][None] for c in xs],
                                  sessions, pcar.shape[2])  # fmt: skip
            pcar[gi, fi] = q[0]
            has[gi, fi] = h[0] & (np.arange(pcar.shape[2]) + sessions[0][:, None] <= est.shape[2])
        return pcar, has

    # The runs of the window's length depend on the estimation days only: ``shared`` (battery) keeps them for
    # every window of that length and every injected level; the firms whose returns cover other spans are per call.
    return _cached(v, "pseudo_cars", make)


def _covered_sessions(v: dict) -> np.ndarray:
    """``(G, F)`` sessions covered by each firm's window returns: the sum of their spans (trade-to-trade returns
    tile the sessions, so this is the window's length plus the halted sessions before its first return and after
    its last one that the returns also cover); 0 for a firm without a return in the window."""
    win = v["in_window"]
    ar, span = v["ar"][:, :, win], v["span"][:, :, win]
    return np.where(np.isfinite(ar), np.nan_to_num(span), 0.0).sum(axis=2).astype(np.int64)


def _leave_run_out(
    est: np.ndarray, xs: list[np.ndarray] | None, length: int | np.ndarray, starts: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pseudo_cars` of a block of groups: ``est`` the estimation-day ARs ``(G, F, T)``, ``xs`` the
    design's columns on those days (None: no model parameters), ``length`` the run length (one, or per firm row)
    and ``starts`` the number of runs."""
    ok = np.isfinite(est)
    e = np.where(ok, est, 0.0)
    pcar = _window_sums(e, length, starts)
    count, in_run = _window_sums(ok.astype(np.int64), length, starts, total=True)
    has = in_run > 0
    if xs is None:
        return pcar, has
    p = len(xs)
    # A refit needs more returns outside the run than parameters (one residual degree of freedom at least). Decided
    # by the count: with p returns or fewer, X'X is singular in exact arithmetic but its rounded determinant (a
    # difference of running sums) can pass any threshold — a one-return refit gave pseudo-CARs of −6e13.
    too_few = (count[..., None] - in_run) <= p
    # The design's columns as contiguous (G, F, T) arrays, 0 off the firm's estimation returns; the products
    # x_i x_j for i <= j (X'X is symmetric: x_j x_i has the same bits). Sums over all days are the running sums'
    # last entries (the same sequential order as a sum over the day axis).
    xe = [np.where(ok, np.nan_to_num(c), 0.0) for c in xs]
    total, run = {}, {}
    for i in range(p):
        for j in range(i, p):
            total[i, j], run[i, j] = _window_sums(xe[i] * xe[j], length, starts, total=True)
    rest = {ij: total[ij][..., None] - run[ij] for ij in run}  # X'X without the run
    d = [_window_sums(xe[j] * e, length, starts) for j in range(p)]
    g = [_window_sums(xe[j], length, starts) for j in range(p)]
    if p == 2:  # the market model's refits: one vectorised solve, no LAPACK call per system (solve2)
        r00, r01, r11 = rest[0, 0], rest[0, 1], rest[1, 1]
        delta0, delta1, det = solve_2x2_parts(r00, r01, r01, r11, d[0], d[1])
        singular = too_few | ~(np.abs(det) > 1e-10 * (np.abs(r00) * np.abs(r11)))  # too few, or collinear
        # as below: the identity in place of a singular system, whose solution is d itself
        delta0, delta1 = np.where(singular, d[0], delta0), np.where(singular, d[1], delta1)
        pcar = pcar + (g[0] * delta0 + g[1] * delta1)
    else:
        a = np.stack([np.stack([rest[min(i, j), max(i, j)] for j in range(p)], -1) for i in range(p)], -2)
        det = np.linalg.det(a)
        scale = np.prod(np.abs(np.diagonal(a, axis1=-2, axis2=-1)), axis=-1)
        singular = too_few | ~(np.abs(det) > 1e-10 * scale)
        safe = np.where(singular[..., None, None], np.eye(p), a)
        delta = np.linalg.solve(safe, np.stack(d, -1)[..., None])[..., 0]
        pcar = pcar + (np.stack(g, -1) * delta).sum(axis=-1)
    return pcar, has & ~singular


def _cluster_codes(clusters: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group (row), each firm's day-0 code ``0 .. K − 1`` in the order of the day 0s (``np.unique``'s
    ``return_inverse`` of the row's masked values), and ``K``. Padded firms get codes past ``K − 1``."""
    keyed = np.where(mask, clusters, np.inf)
    order = np.argsort(keyed, axis=1, kind="stable")
    ordered = np.take_along_axis(keyed, order, axis=1)
    new = np.ones(ordered.shape, dtype=np.int64)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    codes = np.empty(ordered.shape, dtype=np.int64)
    np.put_along_axis(codes, order, np.cumsum(new, axis=1) - 1, axis=1)
    n_codes = np.where(mask, codes + 1, 0).max(axis=1, initial=0)
    return codes, n_codes


def _gen_sign_z(v):
    """Cowan (1992, *Rev. Quant. Finance & Accounting* 2, 343–358) generalised sign test, sec. 2 (the
    generalised sign statistic ``Z_G``), with the expected fraction estimated for the window's length.

    ``Z = (w − N p̂) / √(N p̂ (1 − p̂))`` with ``w`` the number of firms with a positive CAR over the ``L``-day
    window and ``p̂ = (1/N) Σ_i p̂_i``, ``p̂_i`` the share of firm i's runs of estimation days (as many as its
    window CAR covers sessions, :func:`_pseudo_cars`) whose out-of-sample pseudo-CAR (the model refitted without
    the run, as in ``placebo_p``) is positive — for
    ``L = 1`` the share of positive estimation ARs, Cowan's eq. for one day. Taking ``p̂`` from one-day ARs for a
    multi-day window mis-centres the test when daily ARs are skewed. p from the standard normal. Assumes
    independent firms."""
    n = v["n"]
    if (~v["in_window"]).sum() < v["length"]:
        return np.full(len(n), np.nan), np.full(len(n), np.nan), n
    pcar, has = _pseudo_cars(v)
    frac = (has & (pcar > 0)).sum(axis=2) / has.sum(axis=2)
    fin = np.isfinite(frac)
    p = np.where(fin, frac, 0.0).sum(axis=1) / fin.sum(axis=1)
    w = (v["mask"] & (v["car"] > 0)).sum(axis=1)
    z = (w - n * p) / np.sqrt(n * p * (1.0 - p))
    bad = (n < 1) | (fin.sum(axis=1) == 0) | ~(p > 0.0) | ~(p < 1.0)
    return np.where(bad, np.nan, z), np.where(bad, np.nan, _z_p(z)), n


def _bhar_boot_t(v):
    """Bootstrapped skewness-adjusted t for the mean BHAR (Lyon, Barber & Tsai 1999, *J. Finance* 54,
    165–201, sec. III.B.2, after Sutton 1993).

    The statistic is ``t_sa`` of ``bhar_skew_t``. Its null distribution is bootstrapped: ``B = placebo_draws``
    seeded resamples of ``n_b`` BHARs drawn with replacement, each giving
    ``t_b = √n_b (S_b + γ̂_b S_b²/3 + γ̂_b/(6 n_b))`` with ``S_b = (mean_b − mean)/sd_b`` (centred on the sample
    mean: the null imposed) and ``γ̂_b`` the resample's skewness; ``p = min(1, 2 min(1 + #{t_b ≤ t_sa},
    1 + #{t_b ≥ t_sa}) / (B + 1))``. LBT draw ``n_b = N/4``; here ``n_b = max(⌊N/4⌋, min(N, 10))`` so that
    small samples keep enough values for a skewness. Unlike the Student-t p of ``bhar_skew_t``, it does not
    assume the adjusted statistic is t-distributed. Assumes independent firms.
    """
    b = v["bhar"]
    ok = v["mask"] & np.isfinite(b)
    t, mean, sd, n = _skew_adjusted_t(b, ok)
    p = np.full(len(n), np.nan)
    draws = v["placebo_draws"]
    run = np.flatnonzero((n >= 2) & (sd > 0.0) & np.isfinite(t)) if draws >= 1 else np.zeros(0, dtype=np.int64)
    # Groups of one sample size at once: only the seeded draws are per group (each group its own stream); the
    # arithmetic runs on (groups, B, n_b) arrays, reducing the last axis as the per-group (B, n_b) arrays did.
    for m in np.unique(n[run]):
        ks = run[n[run] == m]
        size = max(int(m) // 4, min(int(m), 10))
        values = np.stack([b[k][ok[k]] for k in ks])  # (groups, m)
        picks = np.stack([  # not placebo_p's stream (the trailing 2)
            np.random.default_rng([*np.atleast_1d(v["seeds"][k]).tolist(), 2]).integers(0, m, size=(draws, size))
            for k in ks
        ])  # fmt: skip
        x = np.take_along_axis(values[:, None, :], picks.reshape(len(ks), 1, -1), axis=2).reshape(picks.shape)
        mb = x.mean(axis=2)
        sb = x.std(axis=2, ddof=1)
        sb_ = (mb - mean[ks][:, None]) / sb
        d = x - mb[..., None]
        d *= d * d  # two products, not pow (75 ns each): only counted against t_sa; p unchanged (bench.fingerprint)
        gb = d.sum(axis=2) / (size * sb**3)
        tb = np.sqrt(size) * (sb_ + gb * sb_ * sb_ / 3.0 + gb / (6.0 * size))
        use = np.isfinite(tb) & ~(x == x[..., :1]).all(axis=2)  # a resample of one value repeated has no t
        tk = t[ks][:, None]
        tail = np.minimum((use & (tb <= tk)).sum(axis=1), (use & (tb >= tk)).sum(axis=1)) + 1.0
        used = use.sum(axis=1)
        p[ks] = np.where(used > 0, np.minimum(1.0, 2.0 * tail / (used + 1.0)), np.nan)
    bad = ~np.isfinite(p)
    return np.where(bad, np.nan, t), p, n


def _placebo_p(v):
    """Placebo (pseudo-event) test of the CAAR: statistic = CAAR, p-value from out-of-sample pseudo-events
    (Brown & Warner 1980, sec. 2, simulation procedure; the empirical-distribution test of e.g. Lyon, Barber &
    Tsai 1999, sec. III.B).

    The pseudo-windows are the runs starting on each of the ``S = T − L + 1`` first estimation days; firm i's run
    covers as many days as its window CAR covers sessions (``L``, or more when its first return after a halt
    spans several). Each firm's pseudo-CAR over a run is its out-of-sample prediction error (the model refitted
    without the run, :func:`_pseudo_cars`), so it has the variance of the event window's CAR,
    ``σ²(L + g'(X'X)⁻¹g)``, not the in-sample residuals' smaller one (by about ``(1 + L/T)/(1 − L/T)``). Firms that share a calendar day 0
    move by one common offset, so their cross-section (and its correlation under event-day clustering) is
    kept; firms on different days 0 are independent and take independent offsets.

    * All firms on one day 0 (the usual event): every run is enumerated, ``CAAR_s`` = mean over firms with data
      in the run, ``p = (1 + #{s: |CAAR_s| ≥ |CAAR|}) / (S + 1)`` over the ``S`` runs with data (a run inside
      sessions masked from every firm's estimation sample has none) — deterministic.
    * Several days 0: ``B = placebo_draws`` seeded draws of one offset per day 0,
      ``p = (1 + #{b: |CAAR_b| ≥ |CAAR|}) / (B + 1)``. With one common offset for firms on different dates the
      ``S`` overlapping runs hold only about ``T/L`` independent values, too few for the tail: on random days
      (100k placebo, 21-day window) that rejected 7.0 % at 5 %.
    """
    n, length = v["n"], v["length"]
    g, t = len(n), int((~v["in_window"]).sum())
    if t < length + 1:
        return np.full(g, np.nan), np.full(g, np.nan), n
    pcar, has = _pseudo_cars(v)
    caar = np.where(v["mask"], v["car"], 0.0).sum(axis=1) / n
    caar_by_start = np.where(has, pcar, 0.0).sum(axis=1) / has.sum(axis=1)  # (G, starts)
    fin = np.isfinite(caar_by_start)
    n_fin = fin.sum(axis=1)
    hits = (fin & (np.abs(caar_by_start) >= np.abs(caar)[:, None])).sum(axis=1)
    clusters, draws = v["clusters"], v["placebo_draws"]
    if clusters is not None and draws > 0:
        # Per group only its seeded offsets (one per day 0, mapped to its firms); the gathers and means run for
        # all groups of one size at once, each a sum over the last axis of (draws, firms) as per group before.
        codes, n_codes = _cluster_codes(clusters, v["mask"])
        several = np.flatnonzero(n_codes > 1)  # one day 0: the enumerated runs above
        f, s = pcar.shape[1:]
        flat_pcar, flat_has = np.where(has, pcar, 0.0).reshape(-1), has.reshape(-1)  # 0 where a run has no data
        for m in np.unique(n[several]):  # the firms of a group are its first m rows (padding comes last)
            ks = several[n[several] == m]
            at = np.empty((len(ks), draws, m), dtype=np.int64)  # flat positions of firm i at its day 0's offset
            for j, k in enumerate(ks):
                rng = np.random.default_rng(v["seeds"][k])
                at[j] = rng.integers(0, s, size=(draws, n_codes[k]))[:, codes[k, :m]]
            at += ((ks * f)[:, None] + np.arange(m)[None, :])[:, None, :] * s
            caar_b = flat_pcar.take(at).sum(axis=2) / flat_has.take(at).sum(axis=2)
            ok = np.isfinite(caar_b)
            n_fin[ks] = ok.sum(axis=1)
            hits[ks] = (ok & (np.abs(caar_b) >= np.abs(caar[ks])[:, None])).sum(axis=1)
    p = (1.0 + hits) / (n_fin + 1.0)
    bad = (n < 1) | (n_fin == 0)
    return np.where(bad, np.nan, caar), np.where(bad, np.nan, p), n
