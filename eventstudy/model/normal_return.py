"""Model design matrices and the thin-trading betas: what distinguishes the models of :mod:`eventstudy.model.engine`.

``design`` gives the rows ``x_t`` of each model's normal equations (see the engine's module docstring for the
models); Scholes & Williams (1977) and Dimson (1979) estimate their betas here from lead/lag market returns
(``shifted_market``); the factor model sums daily factor returns over each return's span (``span_sums``).
"""

from __future__ import annotations

import numpy as np

from ..data.returns import ReturnsPanel
from .estimation import normal_equations, solve
from .jit import compiled, over_rows

MODEL_PARAMETERS = {
    "market_model": ("alpha", "beta"),
    "mean_adjusted": ("alpha",),
    "market_adjusted": (),
    "scholes_williams": ("alpha", "beta"),
    "dimson": ("alpha", "beta"),
    "factor": ("alpha", "beta"),  # followed by one loading per factor column (see ``param_names``)
    "ff3": ("alpha", "beta"),  # factor models with data-library factors (eventstudy.data.french): as "factor"
    "ff5": ("alpha", "beta"),
    "carhart": ("alpha", "beta"),
    "garch": ("alpha", "beta"),  # the market model's mean; GARCH(1,1) variances (eventstudy.model.garch)
}
FACTOR_MODELS = ("factor", "ff3", "ff5", "carhart")  # market model plus the columns of a factor frame
MODELS = tuple(MODEL_PARAMETERS)


def design(model: str, span: np.ndarray, market: np.ndarray, factors: np.ndarray | None = None) -> np.ndarray:
    """Design rows ``x_t`` of shape ``(N, W, p)`` for ``model`` (see the module docstring), as the fit reads them:
    a missing value (NaN) as 0 and ±inf as ± the largest float (``np.nan_to_num``; such days hold no AR).

    ``factors`` is ``(N, W, q)``: each factor summed over the return's span (factor model only).
    """
    if model in ("market_model", "scholes_williams", "dimson", "garch"):
        out = np.empty(span.shape + (2,))
        largest = np.finfo(np.float64).max
        over_rows(lambda at: _market_design(span[at], market[at], largest, out[at]), len(out), span.size)
        return out  # (one pass: the design is (N, W, 2))
    k = span.astype(float)
    if model in FACTOR_MODELS:
        if factors is None:
            raise ValueError("the factor model needs factor returns")
        return finite(np.concatenate([np.stack([k, market], axis=-1), factors], axis=-1))
    if model == "mean_adjusted":
        return k[..., None]
    if model == "market_adjusted":
        return np.zeros(span.shape + (0,))
    raise ValueError(f"unknown model {model!r}")


@compiled
def _market_design(span, market, largest, out):  # pragma: no cover
    """``out[i, t] = (span, market)`` with the market's NaN as 0 and ±inf as ``±largest``."""
    for i in range(span.shape[0]):
        for t in range(span.shape[1]):
            m = market[i, t]
            out[i, t, 0] = span[i, t]
            out[i, t, 1] = 0.0 if np.isnan(m) else largest if m == np.inf else -largest if m == -np.inf else m


def finite(x: np.ndarray) -> np.ndarray:
    """``np.nan_to_num(x)`` (NaN → 0, ±inf → ± the largest float) in place, in one pass (``x`` a fresh array nobody
    else holds; a copy if not contiguous)."""
    x = np.ascontiguousarray(x)
    _to_finite(x.reshape(-1), np.finfo(np.float64).max)
    return x


@compiled
def _to_finite(x, largest):  # pragma: no cover
    for i in range(x.shape[0]):
        v = x[i]
        if np.isnan(v):
            x[i] = 0.0
        elif v == np.inf:
            x[i] = largest
        elif v == -np.inf:
            x[i] = -largest


def shifted_market(panel: ReturnsPanel, benchmark: str, pos: np.ndarray, span: np.ndarray, lag: int) -> np.ndarray:
    """Benchmark return over the span ``(pos − span − lag, pos − lag]``: the return's own span moved ``lag``
    sessions back (``lag < 0``: forward). NaN where the span is empty or falls outside the benchmark's data."""
    level = panel.level[benchmark].to_numpy()
    end = pos - lag
    start = end - span
    ok = (span > 0) & (start >= 0) & (end < len(level)) & (end >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = level[np.clip(end, 0, len(level) - 1)] / level[np.clip(start, 0, len(level) - 1)] - 1.0
    return np.where(ok, out, np.nan)


def span_sums(values: np.ndarray, pos: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Sum of per-session ``values`` ``(S, q)`` over each span ``(pos − span, pos]``: ``(N, W, q)``.

    NaN when any session of the span has no value (or the span is empty / off the axis).
    """
    n_sessions = values.shape[0]
    filled = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(np.nan_to_num(values), axis=0)])
    holes = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(np.isnan(values), axis=0)])
    end = pos + 1
    start = end - span
    ok = (span > 0) & (start >= 0) & (end <= n_sessions)
    e, s_ = np.clip(end, 0, n_sessions), np.clip(start, 0, n_sessions)
    total = filled[e] - filled[s_]
    missing = holes[e] - holes[s_]
    return np.where(ok[..., None] & (missing == 0), total, np.nan)


def _simple_slope(y: np.ndarray, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-row OLS slope of ``y`` on ``x`` (with intercept) over ``mask``; all ``(N, W)``."""
    n = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = np.where(mask, x, 0.0).sum(axis=1) / n
        ym = np.where(mask, y, 0.0).sum(axis=1) / n
        dx = np.where(mask, x - xm[:, None], 0.0)
        dy = np.where(mask, y - ym[:, None], 0.0)
        return (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)


def _scholes_williams(
    y: np.ndarray,
    m0: np.ndarray,
    m_lag: np.ndarray,
    m_lead: np.ndarray,
    m_session: np.ndarray,
    mask: np.ndarray,
    in_window: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Scholes & Williams (1977, *J. Financial Economics* 5, 309–327), eq. (14):

        β_SW = (β⁻ + β⁰ + β⁺) / (1 + 2ρ_M),   α_SW = mean(R) − β_SW mean(M)   (their eq. 15)

    ``β⁻, β⁰, β⁺`` are the simple-regression slopes of the firm's single-session returns (``mask``) on the
    market's return of the previous, same and next session; ``ρ_M`` is the first-order autocorrelation of the
    market's single-session returns over every session of the firm-event's estimation window
    (``m_session``, ``in_window``), traded by the firm or not. Multi-session returns are excluded from the
    estimation (they enter only as ARs, through ``α k + β_SW M_span``).
    """
    b_minus = _simple_slope(y, m_lag, mask)
    b_zero = _simple_slope(y, m0, mask)
    b_plus = _simple_slope(y, m_lead, mask)
    prev = np.concatenate([np.full((len(m_session), 1), np.nan), m_session[:, :-1]], axis=1)
    pair = (
        in_window[None, :]
        & np.concatenate([[False], in_window[:-1]])[None, :]
        & np.isfinite(m_session)
        & np.isfinite(prev)
    )
    n = pair.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(pair, m_session, 0.0)
        b = np.where(pair, prev, 0.0)
        am, bm = a.sum(axis=1) / n, b.sum(axis=1) / n
        da, db = np.where(pair, a - am[:, None], 0.0), np.where(pair, b - bm[:, None], 0.0)
        rho = (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
        beta = (b_minus + b_zero + b_plus) / (1.0 + 2.0 * rho)
        nobs = mask.sum(axis=1)
        alpha = np.where(mask, y, 0.0).sum(axis=1) / nobs - beta * np.where(mask, m0, 0.0).sum(axis=1) / nobs
    return alpha, beta, {"beta_minus": b_minus, "beta_zero": b_zero, "beta_plus": b_plus, "rho_market": rho}


def _dimson(
    y: np.ndarray, lagged: list[np.ndarray], mask: np.ndarray, lags: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Dimson (1979, *J. Financial Economics* 7, 197–226), eq. (9): OLS of the firm's single-session return on
    a constant and the market's returns lagged ``j = −L..L`` sessions (``lagged[j + L]``); the aggregated
    beta ``β_D = Σ_j β_j`` (his eq. 10) is the thin-trading-consistent beta. Estimated in one batched solve on
    single-session returns only (``mask``)."""
    x = np.stack([np.ones_like(y), *lagged], axis=-1)
    xtx, xty = normal_equations(np.nan_to_num(x), np.where(mask, y, 0.0), mask)
    ok = mask.sum(axis=1) > x.shape[-1] + 1
    coef, _ = solve(xtx, xty, ok)
    coef = np.where(ok[:, None], coef, np.nan)
    comps = {f"beta_{'lag' if j > 0 else 'lead'}{abs(j)}" if j else "beta_0": coef[:, 1 + j + lags]
             for j in range(-lags, lags + 1)}  # fmt: skip
    return coef[:, 0], coef[:, 1:].sum(axis=1), comps
