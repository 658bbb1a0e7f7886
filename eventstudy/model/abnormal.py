"""The engine's results object: :class:`AbnormalReturns` holds every firm-event's returns, fit and abnormal
returns over relative days as ``(N, W)`` arrays, and cumulates them over any window — CAR with its
forecast-error standard error, t and p, and BHAR (definitions in :mod:`eventstudy.model.engine`'s docstring).
:class:`FirmEvent` is one firm's exposure to one event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import special

from .jit import compiled
from .normal_return import MODEL_PARAMETERS


@compiled
def _window_sums(
    mask, lo, hi, ar, span, design, returns, market, ar_var, n_obs, car, k, g, gross_firm, gross_market, var_sum
):  # pragma: no cover
    """Per firm-event, over the columns ``lo .. hi − 1`` where ``mask`` holds and the AR is finite, days
    ascending: the count, ``Σ AR``, ``Σ k``, ``Σ x`` (``g``), ``Π (1 + R)``, ``Π (1 + M)`` and ``Σ Var(AR)``
    (the output arrays start at 0, and at 1 for the products). A firm-event's sums run in local variables (in
    registers), written once."""
    for i in range(ar.shape[0]):
        count, total, sessions = n_obs[i], car[i], k[i]
        firm, bench, variance = gross_firm[i], gross_market[i], var_sum[i]
        for t in range(lo, hi):
            if mask[i, t] and np.isfinite(ar[i, t]):
                count += 1
                total += ar[i, t]
                sessions += span[i, t]
                for j in range(design.shape[2]):
                    g[i, j] += design[i, t, j]
                firm *= 1.0 + returns[i, t]
                bench *= 1.0 + market[i, t]
                variance += ar_var[i, t]
        n_obs[i], car[i], k[i] = count, total, sessions
        gross_firm[i], gross_market[i], var_sum[i] = firm, bench, variance


def t_statistics(
    total: np.ndarray, var: np.ndarray, dof: np.ndarray, empty: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A cumulated abnormal quantity's estimate, standard error ``√var``, ``t = total / se`` and two-sided p
    ``2 P(T_dof > |t|)`` (``stats.t.sf`` without its per-call overhead), each NaN where ``empty`` (no return
    counted): the CAR's (:meth:`AbnormalReturns.cumulate`) and the cumulative abnormal volume's
    (:mod:`eventstudy.model.volume`)."""
    se = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = total / se
    p = 2.0 * special.stdtr(dof, -np.abs(t))
    return (
        np.where(empty, np.nan, total),
        np.where(empty, np.nan, se),
        np.where(empty, np.nan, t),
        np.where(empty, np.nan, p),
    )


@dataclass(frozen=True)
class FirmEvent:
    """One firm's exposure to one event, with day 0 already on the firm's exchange calendar."""

    event_id: str
    ticker: str
    name: str
    day0: pd.Timestamp


#: The fields of :class:`AbnormalReturns` with one row per firm-event (``components`` too, model by model).
ROW_FIELDS = (
    "returns", "market", "span", "design", "estimation", "params", "xtx_inv", "sigma2", "n_est", "dof", "ar", "ar_var",
    "masked",
)  # fmt: skip


@dataclass(frozen=True)
class AbnormalReturns:
    """Results for N firm-events over relative days ``rel_days``; arrays are ``(N, W)`` unless noted.

    ``returns``/``market``/``span`` are the firm's trade-to-trade return, the benchmark over the same span, and
    the span in sessions (0: no return; int32, half the memory of int64: a span is at most the sessions of the
    data). ``estimation`` marks the returns the model was fitted on; ``masked`` the sessions of the estimation
    window left out of it (the firm's other events in the study, :func:`eventstudy.model.engine.masked_days`), so
    a masked day is never an estimation day. ``ar`` is NaN where the firm has no return. ``params`` is ``(N, p)``,
    ``xtx_inv`` ``(N, p, p)``; ``sigma2``, ``n_est`` and ``dof`` are ``(N,)``.
    """

    model: str
    firm_events: Sequence[FirmEvent]  # a tuple, or the placebo's lazily built draw (``located``)
    rel_days: np.ndarray
    estimation_window: tuple[int, int]
    returns: np.ndarray
    market: np.ndarray
    span: np.ndarray
    design: np.ndarray
    estimation: np.ndarray
    params: np.ndarray
    xtx_inv: np.ndarray
    sigma2: np.ndarray
    n_est: np.ndarray
    dof: np.ndarray
    ar: np.ndarray
    ar_var: np.ndarray
    masked: np.ndarray
    param_names: tuple[str, ...] = ()
    components: dict[str, np.ndarray] | None = None  # model-specific extras, e.g. Dimson lag betas, ρ_M

    @property
    def n(self) -> int:
        return len(self.firm_events)

    def rows(self, at: slice | np.ndarray) -> AbnormalReturns:
        """The firm-events ``at`` (a slice of rows: views of the arrays; or row indices: copies), every per-row
        array (:data:`ROW_FIELDS`, ``components``) taken at them."""
        held = self.firm_events
        events = (
            held[at]
            if isinstance(at, slice) and isinstance(held, tuple)
            else tuple(held[int(i)] for i in np.arange(self.n)[at])
        )
        fields = {name: getattr(self, name)[at] for name in ROW_FIELDS}
        components = None if self.components is None else {k: v[at] for k, v in self.components.items()}
        return replace(self, firm_events=events, components=components, **fields)

    @property
    def sar(self) -> np.ndarray:
        """Standardised abnormal returns ``AR_t / √Var(AR_t)`` (forecast-error variance), NaN where no AR."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.ar / np.sqrt(self.ar_var)

    @property
    def in_estimation(self) -> np.ndarray:
        """Boolean ``(W,)`` mask of relative days inside the estimation window."""
        return self.days(self.estimation_window)

    def days(self, window: tuple[int, int]) -> np.ndarray:
        """Boolean ``(W,)`` mask of relative days inside ``window`` (inclusive)."""
        return (self.rel_days >= window[0]) & (self.rel_days <= window[1])

    def overlap(self, window: tuple[int, int]) -> np.ndarray:
        """Boolean ``(N, W)`` mask of the returns that count in ``window``: those whose span overlaps it.

        A return on relative day ``t`` spanning ``k`` sessions covers the sessions ``t − k + 1 .. t`` (the
        trade-to-trade return since the previous trade). It counts in ``[a, b]`` when ``t ≥ a`` and
        ``t − k + 1 ≤ b``: so the return of a firm suspended on days 0 and +1 that ends on day +2 (k = 3)
        counts in [0, 1] — the reaction to a day-0 announcement, delayed by the halt, belongs to the window.
        """
        out = np.zeros(self.span.shape, dtype=bool)
        late = np.flatnonzero(self.rel_days >= window[0])  # no return before the window's first day counts
        if len(late):
            at = slice(int(late[0]), None)  # (rel_days ascend)
            # t ≥ a holds on these days; k > 0 and t − k + 1 ≤ b together: k ≥ max(1, t − b + 1)
            out[:, at] = self.span[:, at] >= np.maximum(1, self.rel_days[at] - window[1] + 1)[None, :]
        return out

    def cumulate(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """CAR, its standard error, t, p, BHAR and n_obs over the days in ``mask`` (``(W,)`` or ``(N, W)``)."""
        mask = np.asarray(mask, dtype=bool)
        days = np.flatnonzero(mask if mask.ndim == 1 else mask.any(axis=0))
        # Only the days some firm-event uses enter the sums: the columns between the first and the last of them.
        at = slice(int(days[0]), int(days[-1]) + 1) if len(days) else slice(0, 0)
        n = len(self.ar)
        # The returns counted, firm-event by firm-event and days ascending; each sum or product runs over them in
        # that order (a window of one day under a long halt reaches far, but each firm counts only its own few).
        n_obs = np.zeros(n, dtype=np.int64)
        car, k, var_sum = np.zeros(n), np.zeros(n), np.zeros(n)
        gross_firm, gross_market = np.ones(n), np.ones(n)
        g = np.zeros((n, self.design.shape[2]))  # (no column: the market-adjusted model)
        _window_sums(
            np.broadcast_to(mask, self.ar.shape), at.start, at.stop, self.ar, self.span, self.design, self.returns,
            self.market, self.ar_var, n_obs, car, k, g, gross_firm, gross_market, var_sum,
        )  # fmt: skip
        var = self.sigma2 * (k + np.einsum("ni,nij,nj->n", g, self.xtx_inv, g))  # g'(X'X)⁻¹g, no BLAS call per row
        if self.components is not None and "garch_fitted" in self.components:  # Σ ĥ (eventstudy.model.garch)
            var = np.where(self.components["garch_fitted"], var_sum, var)
        empty = n_obs == 0
        cars, se, t, p = t_statistics(car, var, self.dof, empty)
        out = {
            "car": cars,
            "car_se": se,
            "car_t": t,
            "car_p": p,
            "bhar": np.where(empty, np.nan, gross_firm - gross_market),
            "n_obs": n_obs,
        }
        return out

    def car(self, window: tuple[int, int]) -> pd.DataFrame:
        """Tidy per-firm CAR table for one window (columns of ``car.csv``): the returns whose span overlaps the
        window (:meth:`overlap`); ``covered_start``/``covered_end`` are the relative sessions they span."""
        counted = self.overlap(window)
        res = self.cumulate(counted)
        days = np.flatnonzero(counted.any(axis=0))  # the columns the window counts (the others: no return of it)
        at = slice(int(days[0]), int(days[-1]) + 1) if len(days) else slice(0, 0)
        use = counted[:, at] & np.isfinite(self.ar[:, at])
        empty = res["n_obs"] == 0
        rel = self.rel_days[None, at]
        first = np.where(use, rel - self.span[:, at] + 1, np.iinfo(np.int64).max).min(
            axis=1, initial=np.iinfo(np.int64).max
        )
        last = np.where(use, rel, np.iinfo(np.int64).min).max(axis=1, initial=np.iinfo(np.int64).min)
        res["covered_start"] = pd.array(np.where(empty, 0, first), dtype="Int64")
        res["covered_end"] = pd.array(np.where(empty, 0, last), dtype="Int64")
        res["covered_start"][empty] = pd.NA
        res["covered_end"][empty] = pd.NA
        frame = pd.DataFrame(
            {
                "event_id": [fe.event_id for fe in self.firm_events],
                "ticker": [fe.ticker for fe in self.firm_events],
                "window_start": window[0],
                "window_end": window[1],
            }
        )
        for key, values in res.items():
            frame[key] = values
        return frame

    def estimates(self) -> pd.DataFrame:
        """Per firm-event estimation results (columns of ``estimates.csv`` but the dates)."""
        names = self.param_names or MODEL_PARAMETERS[self.model]
        frame = pd.DataFrame(
            {
                "event_id": [fe.event_id for fe in self.firm_events],
                "ticker": [fe.ticker for fe in self.firm_events],
                "model": self.model,
                "day0": [fe.day0.date().isoformat() for fe in self.firm_events],
                "n_est": self.n_est,
                "alpha": self.params[:, 0] if "alpha" in names else np.nan,
                "beta": self.params[:, 1] if "beta" in names else (1.0 if self.model == "market_adjusted" else np.nan),
                "sigma": np.sqrt(self.sigma2),
            }
        )
        for j, name in enumerate(names[2:], start=2):  # factor loadings
            frame[name] = self.params[:, j]
        for name, values in (self.components or {}).items():  # model: garch's ω, α, β and whether it was fitted
            if name.startswith("garch_"):
                frame[name] = values
        return frame
