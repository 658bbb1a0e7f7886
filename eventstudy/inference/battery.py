"""The battery: the registry of tests (:data:`TESTS`), which stay valid under event-day clustering
(:data:`CLUSTERING_ROBUST`), their sources (:data:`TEST_REFERENCES`) and one-line formulas (:data:`TEST_FORMULAS`).
The table of every test for every event and window, the rows of ``tests.csv``, is
:mod:`eventstudy.inference.significance`.

There is one implementation of each test, :mod:`eventstudy.inference.vectorised`; the functions of
:data:`TESTS` (``bw_t(sample)`` …) run it on one :class:`WindowSample`. The per-event loops it was checked
against live in tests/inference/reference.py."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from . import vectorised
from .cross_correlation import mean_pair_correlation
from .sample import StatisticResult, WindowSample
from .vectorised import EXPENSIVE, battery  # noqa: F401  (EXPENSIVE: re-exported)

NAMES = ("csect_t", "bw_t", "patell_z", "bmp_t", "kp_bmp_t", "corrado_rank", "sign_cz", "gen_sign_z", "grank_t",
         "wilcoxon_z", "bhar_skew_t", "bhar_boot_t", "portfolio_t", "placebo_p", "mvrm_wald", "garch_bmp_t")  # fmt: skip


def _rel_days(sample: WindowSample) -> np.ndarray | None:
    days = sample.extra.get("rel_days")
    return None if days is None else np.asarray(days)


def _on_sample(name: str) -> Callable[[WindowSample], StatisticResult]:
    def test(sample: WindowSample) -> StatisticResult:
        n = sample.n
        if n == 0:
            return StatisticResult(float("nan"), float("nan"), 0)

        def one(x: np.ndarray) -> np.ndarray:
            return np.asarray(x, dtype=float)[None]

        def maybe(x: np.ndarray | None) -> np.ndarray | None:
            return None if x is None else one(x)

        bhar = sample.bhar if sample.bhar is not None else np.full(n, np.nan)
        no_days = np.full((n, 0), np.nan)  # a sample of CARs only: the daily tests are undefined
        ar = no_days if sample.ar is None else sample.ar
        sar = sample.sar if sample.sar is not None else np.full(ar.shape, np.nan)  # no SARs: their tests undefined
        span = sample.span if sample.span is not None else np.ones(ar.shape)
        in_window = np.zeros(0, dtype=bool) if sample.in_window is None else np.asarray(sample.in_window, dtype=bool)
        got = battery(one(sample.car), one(sample.car_se), one(sample.dof), one(bhar), one(ar),
                      one(sar), one(span), np.ones((1, n), dtype=bool), in_window,
                      names=[name], n_params=sample.n_params, length=sample.length, x=maybe(sample.x),
                      xtx_inv=maybe(sample.xtx_inv), sigma2=maybe(sample.sigma2), clusters=maybe(sample.clusters),
                      placebo_draws=sample.placebo_draws, seeds=[sample.seed],
                      rel_days=_rel_days(sample))[name]  # fmt: skip
        return StatisticResult(float(got[0][0]), float(got[1][0]), int(got[2][0]))

    test.__name__ = test.__qualname__ = name
    test.__doc__ = f"``{name}`` of one event's sample. " + (vectorised._TESTS[name].__doc__ or "")
    return test


TESTS: dict[str, Callable[[WindowSample], StatisticResult]] = {name: _on_sample(name) for name in NAMES}


def mean_cross_correlation(residuals: np.ndarray) -> float:
    """Average pairwise correlation ``r̄`` of the rows of ``residuals`` (pairwise-complete days), as in
    ``kp_bmp_t``."""
    x = np.asarray(residuals, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(mean_pair_correlation(x[None], np.array([len(x)]))[0])


# corrado_rank and sign_cz take their variance from the time series too, but over-reject when every firm shares
# day 0 (docs/statistics.md), so they are not labelled robust; nor is grank_t (issue 21: 6.5–9.0 % on random days,
# 13.5 % at N = 4 on a shared day 0, and i.i.d. fat-tailed noise alone gives 6.6–8.9 %). How far each robust test
# held on real returns: eventstudy.inference.measured.robustness_label.
CLUSTERING_ROBUST: frozenset[str] = frozenset({"bw_t", "kp_bmp_t", "portfolio_t", "placebo_p", "mvrm_wald"})


TEST_REFERENCES: dict[str, str] = {
    "csect_t": "Brown & Warner (1985), J. Financial Economics 14, 3-31; Campbell, Lo & MacKinlay (1997), eq. 4.4.24",
    "bw_t": "Brown & Warner (1980), J. Financial Economics 8, 205-258 (crude dependence adjustment); (1985) eq. 4-5",
    "patell_z": "Patell (1976), J. Accounting Research 14, 246-276",
    "bmp_t": "Boehmer, Musumeci & Poulsen (1991), J. Financial Economics 30, 253-272",
    "kp_bmp_t": "Kolari & Pynnönen (2010), Review of Financial Studies 23, 3996-4025",
    "corrado_rank": "Corrado (1989), J. Financial Economics 23, 385-395; Corrado & Zivney (1992)",
    "sign_cz": "Corrado & Zivney (1992), J. Financial and Quantitative Analysis 27, 465-478",
    "gen_sign_z": "Cowan (1992), Review of Quantitative Finance and Accounting 2, 343-358",
    "grank_t": "Kolari & Pynnönen (2011), J. Empirical Finance 18, 953-971",
    "wilcoxon_z": "Wilcoxon (1945), Biometrics Bulletin 1, 80-83",
    "bhar_skew_t": "Lyon, Barber & Tsai (1999), J. Finance 54, 165-201",
    "bhar_boot_t": "Lyon, Barber & Tsai (1999), J. Finance 54, 165-201, sec. III.B (bootstrapped skewness-adjusted t)",
    "portfolio_t": "Jaffe (1974), J. Business 47, 410-428; Mandelker (1974), J. Financial Economics 1, 303-335",
    "placebo_p": "Brown & Warner (1980) pseudo-event simulation; Lyon, Barber & Tsai (1999) empirical p-values",
    "mvrm_wald": "Schipper & Thompson (1983), J. Accounting Research 21, 184-221; Binder (1985), J. Accounting "
    "Research 23, 370-383 (multivariate regression with event-day dummies)",
    "garch_bmp_t": "Savickas (2003), J. Financial Research 26, 165-178; Bollerslev (1986) GARCH(1,1); "
    "Boehmer, Musumeci & Poulsen (1991) eq. 9",
}

TEST_FORMULAS: dict[
    str, str
] = {  # one line each (the report's methodology); full definitions: docstrings, docs/statistics.md
    "csect_t": "CAAR / (S_CAR / √N), Student t with N − 1 d.f.",
    "bw_t": "CAAR / √(S² L̄ + EE), CAAR = (1/N) Σ_i CAR_i (each firm once), L̄ the mean sessions a CAR covers, "
    "S² from the estimation-period series of AAR (N_t/N weights), EE the estimation error; t with T − 1 d.f.",
    "patell_z": "Σ SCAR_i / √(Σ d_i / (d_i − 2)), standard normal",
    "bmp_t": "mean SCAR / (S_SCAR / √N), t with N − 1 d.f.",
    "kp_bmp_t": "t_BMP · √((1 − r̄) / (1 + (N − 1) r̄)), r̄ the mean cross-correlation of estimation ARs",
    "corrado_rank": "(1/N) Σ_i Σ_W U_it / (S_U √m̄), m̄ the mean window ARs per firm, on ranks of standardised ARs "
    "over estimation and event days, standard normal",
    "sign_cz": "(1/N) Σ_i Σ_W G_it / (S_G √m̄), G = sign(SAR − firm median), standard normal",
    "gen_sign_z": "(w − N p̂) / √(N p̂ (1 − p̂)), w positive CARs, p̂ the share of positive out-of-sample "
    "pseudo-CARs of the window's length over the estimation period",
    "grank_t": "Z √((T − 2) / (T − 1 − Z²)) on ranks of standardised ARs and the scaled SCAR; t with T − 2 d.f.",
    "wilcoxon_z": "signed-rank statistic of the CARs, normal approximation with ties",
    "bhar_skew_t": "√N (S + γ̂ S² / 3 + γ̂ / (6N)), S = mean/sd of BHAR, γ̂ its skewness; t with N − 1 d.f.",
    "bhar_boot_t": "the statistic of bhar_skew_t; p from B bootstrap resamples of max(N/4, 10) BHARs, centred",
    "portfolio_t": "CAAR / √(σ_p² L̄ + EE), CAAR = (1/N) Σ_i CAR_i, σ_p from the equally weighted portfolio's "
    "estimation-period ARs; t with T − p d.f.",
    "placebo_p": "statistic = CAAR; p = (1 + #{|CAAR_s| ≥ |CAAR|}) / (S + 1) over out-of-sample pseudo-windows "
    "of the estimation period (every one for a shared day 0, B draws otherwise)",
    "mvrm_wald": "Σ_i Σ_W γ̂_it / √(Σ_ij σ̂_ij (S_ij + b_i'b_j)), γ̂ the event-day dummies of the firms' market "
    "models fitted as one system on the common estimation days, σ̂_ij their residual covariance; t with T − p d.f.",
    "garch_bmp_t": "mean SCAR^G / (S / √N), SCAR^G_i = CAR_i / √(Σ_W ĥ_it), ĥ the GARCH(1,1) forecasts of the "
    "firm's conditional variance; t with N − 1 d.f.",
}


for _name, _fn in TESTS.items():  # the report reads these attributes too
    _fn.clustering_robust = _name in CLUSTERING_ROBUST  # type: ignore[attr-defined]
    _fn.reference = TEST_REFERENCES[_name]  # type: ignore[attr-defined]
    _fn.formula = TEST_FORMULAS[_name]  # type: ignore[attr-defined]


def with_markers(tests: pd.DataFrame) -> pd.DataFrame:
    """``tests.csv`` rows plus ``clustering_robust`` (bool) and ``reference`` columns, for the report."""
    out = tests.copy()
    out["clustering_robust"] = out["test"].isin(CLUSTERING_ROBUST)
    out["reference"] = out["test"].map(TEST_REFERENCES)
    return out
