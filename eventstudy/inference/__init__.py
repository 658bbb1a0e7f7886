"""Aggregate test statistics over the firms of one event and one window (or one day of the daily path).

Each test takes a :class:`WindowSample` (the firm-events of one event, one window) and returns a
:class:`StatisticResult`. Firms with no return in the window ("not traded") are left out and ``n_firms`` says how
many remained. Notation: ``CAR_i`` and its forecast-error standard error ``s_i`` come from
:mod:`eventstudy.model.engine`; ``SCAR_i = CAR_i / s_i``; ``d_i`` is firm i's estimation degrees of freedom;
``AR_it`` are the daily (trade-to-trade) abnormal returns over the estimation days ``t ∈ E`` (``T`` days; only
the single-session returns the model was fitted on) and the window days ``t ∈ W`` (``L`` days; every return,
including one spanning a halt), NaN where the firm has no return; ``AAR_t`` is their mean over the firms
with a return on ``t``. ``BHAR_i`` is the buy-and-hold abnormal return over the window.

``CLUSTERING_ROBUST`` names the tests whose variance is estimated from the time series of cross-sectional
averages (or that resample whole cross-sections), and so stays valid when the firms share an event day and
their abnormal returns are cross-correlated; the others assume independent firms. ``TEST_REFERENCES`` gives
each test's source; ``docs/statistics.md`` has the formulas.
"""

from .battery import (
    CLUSTERING_ROBUST,
    EXPENSIVE,
    TEST_FORMULAS,
    TEST_REFERENCES,
    TESTS,
    mean_cross_correlation,
    with_markers,
)
from .sample import StatisticResult, WindowSample, rank_rows, window_samples
from .significance import COLUMNS, significance_table

csect_t, bw_t, patell_z, bmp_t, kp_bmp_t = (TESTS[k] for k in ("csect_t", "bw_t", "patell_z", "bmp_t", "kp_bmp_t"))
corrado_rank, sign_cz, gen_sign_z, grank_t = (TESTS[k] for k in ("corrado_rank", "sign_cz", "gen_sign_z", "grank_t"))
wilcoxon_z, bhar_skew_t, portfolio_t, placebo_p = (
    TESTS[k] for k in ("wilcoxon_z", "bhar_skew_t", "portfolio_t", "placebo_p")
)
bhar_boot_t = TESTS["bhar_boot_t"]
mvrm_wald, garch_bmp_t = TESTS["mvrm_wald"], TESTS["garch_bmp_t"]

__all__ = [
    "CLUSTERING_ROBUST", "COLUMNS", "EXPENSIVE", "TESTS", "TEST_FORMULAS", "TEST_REFERENCES", "StatisticResult",
    "WindowSample", "bhar_boot_t", "bhar_skew_t", "bmp_t", "bw_t", "corrado_rank", "csect_t", "garch_bmp_t",
    "gen_sign_z", "grank_t", "kp_bmp_t", "mean_cross_correlation", "mvrm_wald", "patell_z", "placebo_p",
    "portfolio_t", "rank_rows", "sign_cz", "significance_table", "wilcoxon_z", "window_samples", "with_markers",
]  # fmt: skip
