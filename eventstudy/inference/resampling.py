"""The tests whose null comes from resampling the event's own data: the out-of-sample pseudo-windows of the
estimation period (:func:`_pseudo_cars`) behind ``placebo_p`` and ``gen_sign_z``'s expected fraction, and the
bootstrap of ``bhar_boot_t``. Same conventions as :mod:`eventstudy.inference.vectorised` (which registers them):
each ``_<test>(v)`` reads the battery's locals and returns ``(statistic, p_value, n_firms)`` per group."""

from __future__ import annotations

import numpy as np

from .pseudo_windows import (
    bootstrap_p,
    covered_sessions,
    drawn_caars,
    enumerated_caars,
    leave_run_out,
    leave_run_out_2,
    run_signs,
)
from .random_streams import stream_keys, uniform_integers
from .sample import _cached, _estimation_cached, _skew_adjusted_t, _z_p

_NO_DESIGN = np.zeros((1, 1, 1, 0))  # a model without parameters (the market-adjusted, or a sample built by hand)


#: Bytes of drawn indices (placebo_p's offsets, bhar_boot_t's picks) made at a time (the groups whose draws fit,
#: at least one): written and read back within the core's cache (measured on the 1M placebo: ~0.7 ms less CPU per
#: chunk of 1,500 than all at once).
DRAWN_BYTES = 256 * 1024


def _index_type(high: int) -> type:
    """The narrowest integer type of the drawn indices ``0 .. high − 1`` (:func:`.random_streams.uniform_integers`):
    ``uint16`` (up to 65,536 values, the usual case) halves the memory the draws are written to and read from
    (``int32`` above)."""
    return np.uint16 if high <= 1 << 16 else np.int32


def _pseudo_cars(v: dict):
    """Out-of-sample pseudo-CARs of every firm over every run ``s`` of ``L_i`` estimation days:
    ``Σ_s (y_t − x_t'θ̂_{−s})`` with ``θ̂_{−s}`` the OLS fit without the run. From the in-sample residuals ``e``
    (the estimation ARs) and running sums: ``θ̂ − θ̂_{−s} = (X'X − X_s'X_s)⁻¹ X_s'e_s``, so the pseudo-CAR is
    ``Σ_s e_t + g_s'(X'X − X_s'X_s)⁻¹ X_s'e_s`` with ``g_s = Σ_s x_t`` (the leave-block-out identity; Belsley,
    Kuh & Welsch 1980, ch. 2).

    ``L_i`` is the number of sessions firm i's window CAR covers (:func:`_covered_sessions`): ``L`` for a firm
    that trades through the window, more for one whose first return after a halt spans several sessions (a
    trade-to-trade return over ``k`` sessions has about ``k`` times a session's variance, so it is compared with
    ``k``-session runs, not one-session ones). Run ``s`` starts on estimation day ``s`` for every firm
    (``S = T − L + 1`` starts); a longer run that would end past the estimation days has no data. A refit needs
    more returns outside the run than parameters (one residual degree of freedom at least: decided by the count,
    since with ``p`` returns or fewer the rounded determinant of ``X'X``, a difference of running sums, can pass
    any threshold) and a non-singular ``X'X``. The pseudo-CARs ``(G, F, S)`` and ``has`` (the run holds
    an AR of the firm and the refit is defined; the pseudo-CAR is NaN elsewhere), one pass per firm row
    (:func:`.pseudo_windows.leave_run_out`), come in parts ``(base, rows, patch)``. With nothing kept between calls
    (``shared`` None), ``base`` holds every firm's runs at its own length and ``rows`` and ``patch`` are None.
    Else ``base`` holds every firm's runs of the window's length ``L`` (kept in ``shared``: they depend on the
    estimation days only, the same for every window of that length and every injected level); ``rows``
    ``(gi, fi, covered)`` names the firms whose window returns cover other spans and ``patch`` their runs
    ``(R, S)`` (both None if there are none)."""

    def make():
        ar, cols = v["ar"], np.flatnonzero(v["est_days"])
        x = v["x"] if v["x"] is not None and v["x"].shape[-1] > 0 else _NO_DESIGN
        length = int(v["length"])
        starts = max(len(cols) - length + 1, 0)
        g, f = ar.shape[:2]

        def runs(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # every firm row, each at its run length
            gi, fi = np.divmod(np.arange(g * f), f)
            pcar, has = _leave_run_out(ar, cols, x, (gi, fi), lengths.reshape(-1), starts)
            return pcar.reshape(g, f, starts), has.reshape(g, f, starts)

        covered = _covered_sessions(v)
        odd = (covered != length) & (covered > 0)  # firms whose window returns cover more (or fewer) sessions
        if v.get("shared") is None:
            return runs(np.where(odd, covered, length)), None, None
        base = _estimation_cached(v, ("pseudo_cars", length), lambda: runs(np.full((g, f), length)))
        if not odd.any():
            return base, None, None
        gi, fi = np.nonzero(odd)
        return base, (gi, fi, covered), _leave_run_out(ar, cols, x, (gi, fi), covered[gi, fi], starts)

    return _cached(v, "pseudo_cars", make)


def _positive_shares(v: dict) -> np.ndarray:
    """``(G, F)`` each firm's share of positive pseudo-CARs among its runs with data (:func:`_pseudo_cars`; NaN
    without any), from per-firm counts: those of the runs of the window's length kept with them in ``shared``, the
    firms of other spans counted again."""
    (pcar, has), rows, patch = _pseudo_cars(v)

    def counts(p: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        positive, with_data = np.empty(p.shape[:-1], dtype=np.int64), np.empty(p.shape[:-1], dtype=np.int64)
        run_signs(p.reshape(-1, p.shape[-1]), h.reshape(-1, h.shape[-1]), positive.reshape(-1), with_data.reshape(-1))
        return positive, with_data

    if v.get("shared") is None:
        positive, with_data = counts(pcar, has)
    else:
        positive, with_data = _estimation_cached(v, ("pseudo_car_signs", int(v["length"])), lambda: counts(pcar, has))
    if rows is not None:
        gi, fi, _ = rows
        positive, with_data = positive.copy(), with_data.copy()
        positive[gi, fi], with_data[gi, fi] = counts(*patch)
    return positive / with_data


def _leave_run_out(
    ar: np.ndarray,
    cols: np.ndarray,
    x: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray],
    lengths: np.ndarray,
    starts: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pseudo_cars` of the firm rows ``rows`` (group and firm indices) of ``ar`` ``(G, F, D)`` with the
    design ``x`` ``(G, F, D, p)`` (``p = 0``: no model parameters), over the estimation days ``cols``, runs of
    ``lengths`` (one per row) days starting on each of the first ``starts`` days: ``(pcar, has)``, ``(R, starts)``."""
    gi, fi = (np.ascontiguousarray(r, dtype=np.int64) for r in rows)  # (np.nonzero's are strided: one compiled kernel)
    pcar = np.empty((len(gi), starts))
    has = np.empty((len(gi), starts), dtype=bool)
    if not (len(gi) and starts):
        return pcar, has
    cols, lengths = np.asarray(cols, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
    if x.shape[-1] != 2:
        leave_run_out(ar, cols, x, gi, fi, lengths, starts, pcar, has)
        return pcar, has
    other = np.zeros(len(gi), dtype=bool)  # rows whose constant column is not 1 on every day: the general loop
    leave_run_out_2(ar, cols, x, gi, fi, lengths, starts, pcar, has, other)
    if other.any():
        part = np.empty((int(other.sum()), starts)), np.empty((int(other.sum()), starts), dtype=bool)
        leave_run_out(ar, cols, x, gi[other], fi[other], lengths[other], starts, *part)
        pcar[other], has[other] = part
    return pcar, has


def _covered_sessions(v: dict) -> np.ndarray:
    """``(G, F)`` sessions covered by each firm's window returns: the sum of their spans (trade-to-trade returns
    tile the sessions, so this is the window's length plus the halted sessions before its first return and after
    its last one that the returns also cover); 0 for a firm without a return in the window."""
    out = np.empty(v["ar"].shape[:2], dtype=np.int64)
    covered_sessions(v["ar"], v["span"], np.flatnonzero(v["in_window"]), out)
    return out


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
    frac = _positive_shares(v)
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
    seeded resamples of ``n_b`` BHARs drawn with replacement (one random stream per group, not placebo_p's:
    :func:`.random_streams.uniform_integers`), each giving
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
    # Groups of one sample size at once: per group only its seeded draws (each group its own stream); the
    # resamples' statistics are one compiled loop (pseudo_windows.bootstrap_p); a few groups at a time (about
    # DRAWN_BYTES of picks, read back while in cache).
    keys = np.zeros(len(n), dtype=np.uint64)
    keys[run] = stream_keys([v["seeds"][k] for k in run], 2)  # not placebo_p's stream (one call: numpy per word)
    for m in np.unique(n[run]):
        size = max(int(m) // 4, min(int(m), 10))
        index_type = _index_type(int(m))
        step = max(1, DRAWN_BYTES // (draws * size * np.dtype(index_type).itemsize))
        same = run[n[run] == m]
        for lo in range(0, len(same), step):
            ks = same[lo : lo + step]
            values = b[ks][ok[ks]].reshape(len(ks), int(m))  # (groups, m): each row has m values
            picks = np.empty((len(ks), draws, size), dtype=index_type)
            uniform_integers(keys[ks], np.full(len(ks), m), np.full(len(ks), size), picks, False)
            out = np.empty(len(ks))
            bootstrap_p(values, picks, mean[ks], t[ks], out)
            p[ks] = out
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
    * Several days 0: ``B = placebo_draws`` seeded draws of one offset per day 0 (uniform over the ``S`` starts,
      one random stream per pseudo-study: :func:`.random_streams.uniform_integers`),
      ``p = (1 + #{b: |CAAR_b| ≥ |CAAR|}) / (B + 1)``. With one common offset for firms on different dates the
      ``S`` overlapping runs hold only about ``T/L`` independent values, too few for the tail: on random days
      (100k placebo, 21-day window) that rejected 7.0 % at 5 %.
    """
    n, length = v["n"], v["length"]
    g, t = len(n), int((~v["in_window"]).sum())
    if t < length + 1:
        return np.full(g, np.nan), np.full(g, np.nan), n
    (pcar, _), rows, patch = _pseudo_cars(v)
    # The firms of other spans read their own runs (``patch``, row ``patch_row``) in place of the kept ones.
    patch_row = np.full(pcar.shape[:2], -1, dtype=np.int64)
    patch_pcar = np.empty((0, pcar.shape[2]))
    if rows is not None:
        patch_row[rows[0], rows[1]] = np.arange(len(rows[0]))
        patch_pcar = patch[0]
    caar = np.where(v["mask"], v["car"], 0.0).sum(axis=1) / n
    clusters, draws = v["clusters"], v["placebo_draws"]
    several = np.zeros(0, dtype=np.int64)
    if clusters is not None and draws > 0:
        codes, n_codes = _cluster_codes(clusters, v["mask"])
        several = np.flatnonzero(n_codes > 1)  # the others share one day 0: their runs are enumerated
    hits, n_fin = np.zeros(g, dtype=np.int64), np.zeros(g, dtype=np.int64)
    one = np.setdiff1d(np.arange(g), several)
    enumerated_caars(pcar, patch_pcar, patch_row, one, caar, hits, n_fin)
    if len(several):
        # Per group its seeded offsets, one per day 0 (each group its own stream, drawn in bulk); the pseudo-CAARs
        # of the draws are one compiled loop over the groups (pseudo_windows.drawn_caars). A few groups at a time
        # (about DRAWN_BYTES of offsets): they are read back while still in the core's cache.
        keys = stream_keys([v["seeds"][k] for k in several])
        index_type = _index_type(pcar.shape[2])
        width = draws * int(n_codes[several].max()) * np.dtype(index_type).itemsize
        step = max(1, DRAWN_BYTES // width)
        sizes = n.astype(np.int64)
        for lo in range(0, len(several), step):
            part = slice(lo, lo + step)
            counts = n_codes[several[part]]
            offsets = np.empty((len(counts), int(counts.max()), draws), dtype=index_type)  # a day 0's draws in a row
            uniform_integers(keys[part], np.full(len(counts), pcar.shape[2]), counts, offsets, True)
            drawn_caars(pcar, patch_pcar, patch_row, codes, sizes, several[part], offsets, caar, hits, n_fin)
    p = (1.0 + hits) / (n_fin + 1.0)
    bad = (n < 1) | (n_fin == 0)
    return np.where(bad, np.nan, caar), np.where(bad, np.nan, p), n
