"""Long-horizon abnormal returns of a sample of firm-events over a long window (base close to end close):
buy-and-hold abnormal returns against the benchmark and against matched controls, with Lyon, Barber & Tsai's
tests, and the calendar-time portfolio alpha.

For firm i with total-return level ``P_i`` (product of ``close / prev_close`` over its trades, flat through a
halt; :mod:`eventstudy.data.returns`), base session ``b`` and end session ``e``:

``R_i = P_i(e) / P_i(b) − 1``                 buy-and-hold (total) return
``BHAR_i^bench = R_i − R_m``                  ``R_m`` the benchmark index's return over the same dates
``BHAR_i^ctrl = R_i − (1/k) Σ_j R_cj``        the equally weighted buy-and-hold return of firm i's ``k`` matched
                                              controls (:mod:`eventstudy.model.matching`) over the same sessions

(Barber & Lyon 1997, *JFE* 43, 341–372, eq. 2; Lyon, Barber & Tsai 1999, *J. Finance* 54, 165–201, eq. 1–3: a
buy-and-hold reference portfolio, bought at ``b`` and not rebalanced.) The mean BHAR of the sample is tested with
the skewness-adjusted t (``bhar_skew_t``) and its bootstrapped version (``bhar_boot_t``) of
:mod:`eventstudy.inference` — the same implementation the study's tests.csv uses, called by :func:`bhar_tests`.

Controls come from a :class:`ControlMarket`: a market universe (:mod:`eventstudy.data.universe`), where they are
matched, or a vendored file that holds a fixed selection and its prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.universe import Universe, load_universe
from ..model.matching import K_CONTROLS, MATCH_ON, characteristics, nearest
from ..spec.exchanges import same_sessions, ticker_exchange
from .vectorised import battery

NO_UNIVERSE = "no universe"
BOOT_DRAWS = 999  # bootstrap resamples of bhar_boot_t
SELECTION_COLUMNS = ["study_id", "event_id", "ticker", "base", "end", "rank", "control", "distance",
                     "beta", "volatility", "pre_return", "n_returns"]  # fmt: skip


def bhar_tests(samples: Sequence[np.ndarray], seed: int = 0) -> list[dict[str, float]]:
    """Mean, skewness-adjusted t and its p (``bhar_skew_t``), bootstrapped p (``bhar_boot_t``, 999 seeded
    resamples) and N of each sample of BHARs (NaN values left out), through :func:`eventstudy.inference.
    vectorised.battery`: one implementation per statistic."""
    width = max([len(s) for s in samples] + [1])
    g = len(samples)
    bhar = np.full((g, width), np.nan)
    for i, s in enumerate(samples):
        bhar[i, : len(s)] = s
    mask = np.isfinite(bhar)
    none = np.full((g, width, 0), np.nan)
    got = battery(np.zeros((g, width)), np.ones((g, width)), np.ones((g, width)), bhar, none, none, none, mask,
                  np.zeros(0, dtype=bool), names=["bhar_skew_t", "bhar_boot_t"], n_params=0, length=1,
                  placebo_draws=BOOT_DRAWS, seeds=[(seed, i) for i in range(g)])  # fmt: skip
    out = []
    for i in range(g):
        n = int(mask[i].sum())
        mean = float(bhar[i][mask[i]].mean()) if n else np.nan
        out.append({"mean": mean, "n": n, "t_skew": float(got["bhar_skew_t"][0][i]),
                    "p_skew": float(got["bhar_skew_t"][1][i]), "p_boot": float(got["bhar_boot_t"][1][i])})  # fmt: skip
    return out


@dataclass(frozen=True)
class Controls:
    """An event firm's matched controls over one long window, or why there are none."""

    tickers: tuple[str, ...]
    distances: tuple[float, ...]
    returns: tuple[float, ...]  # each control's buy-and-hold return over the window
    reason: str = ""
    details: tuple[dict[str, float | str], ...] = ()  # per control: its characteristics (matched from a universe)

    @property
    def mean_return(self) -> float:
        return float(np.mean(self.returns)) if self.returns else np.nan


@dataclass(frozen=True)
class ControlMarket:
    """Where controls come from: ``universe`` (prices of candidate firms) and, for a vendored file, the fixed
    ``selection`` (:data:`SELECTION_COLUMNS`) made from the full universe by ``bench/vendor_controls.py``."""

    universe: Universe
    label: str  # e.g. the universe file's name, said next to the figures
    selection: pd.DataFrame | None = None
    k: int = K_CONTROLS

    @property
    def exchange(self) -> str | None:
        """The market of the universe, from its first ticker's suffix (None when the suffix names none)."""
        return ticker_exchange(str(self.universe.tickers[0])) if len(self.universe.tickers) else None

    def foreign_to(self, mic: str) -> str:
        """Why the universe cannot give controls to a firm listed on ``mic`` (another calendar), else ''."""
        own = self.exchange
        if self.selection is not None or own is None or same_sessions(own, mic):  # a selection says for itself
            return ""
        return f"{self.label} is a {own} universe, not on the calendar of {mic}"

    @classmethod
    def from_universe(cls, path: str | Path) -> ControlMarket:
        return cls(load_universe(path), Path(path).name)

    @classmethod
    def vendored(cls, folder: Path) -> ControlMarket:
        selection = pd.read_csv(folder / "selection.csv", dtype={"base": str, "end": str})
        return cls(load_universe(folder / "prices.parquet"), f"{folder.name} (vendored selection)", selection)

    def _returns(self, tickers: Sequence[str], base: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        panel = self.universe.panel
        pos = panel.sessions.get_indexer([base, end])
        cols = panel.level.columns.get_indexer(list(tickers))
        if (pos < 0).any() or (cols < 0).any():
            return np.full(len(tickers), np.nan)
        level = panel.level.to_numpy()[:, cols]
        return level[pos[1]] / level[pos[0]] - 1.0

    def controls(
        self, study_id: str, event_id: str, ticker: str, firm: dict[str, float], estimation: pd.DatetimeIndex,
        market: np.ndarray, base: pd.Timestamp, end: pd.Timestamp, exclude: set[str], min_returns: int,
    ) -> Controls:  # fmt: skip
        """The firm's ``k`` controls and their buy-and-hold returns over ``(base, end]``: from the vendored
        selection if there is one, else matched on ``firm``'s characteristics (:data:`MATCH_ON`) among the
        universe's eligible firms (``market``: the benchmark's returns on the ``estimation`` sessions)."""
        if self.selection is not None:
            s = self.selection
            hit = s[(s.study_id == study_id) & (s.event_id == event_id) & (s.ticker == ticker)
                    & (s.base == str(base.date())) & (s.end == str(end.date()))].sort_values("rank")  # fmt: skip
            if hit.empty:
                return Controls((), (), (), f"{NO_UNIVERSE}: the vendored selection has no controls for {ticker} "
                                f"from {base.date()} to {end.date()} (run with --universe)")  # fmt: skip
            tickers = tuple(hit.control)
            return self._checked(tickers, tuple(hit.distance.astype(float)), base, end)
        return self._match(ticker, firm, estimation, market, base, end, exclude, min_returns)

    def _checked(self, tickers: tuple[str, ...], dist: tuple[float, ...], base, end, details=()) -> Controls:
        r = self._returns(tickers, base, end)
        if not np.isfinite(r).all():
            return Controls(
                tickers, dist, (), f"{self.label} has no price for a control on {base.date()} or {end.date()}"
            )
        return Controls(tickers, dist, tuple(float(x) for x in r), details=details)

    def candidates(self, estimation: pd.DatetimeIndex, market: np.ndarray, base, end, exclude, min_returns):
        """Characteristics ``(K, 3)`` and eligibility ``(K,)`` of the universe's firms (module docstring of
        :mod:`eventstudy.model.matching`)."""
        u = self.universe
        panel, n_t = u.panel, len(u.tickers)
        at = panel.sessions.get_indexer(estimation)
        have = at >= 0
        rows = at[have]
        r = np.full((len(estimation), n_t), np.nan)
        single = np.zeros((len(estimation), n_t), dtype=bool)
        r[have] = panel.returns.to_numpy()[rows, :n_t]
        single[have] = panel.span.to_numpy()[rows, :n_t] == 1
        c = characteristics(r, single, market)
        pool = np.column_stack([c[name] for name in MATCH_ON])
        lo, hi = panel.sessions.get_indexer([base, end])
        if lo < 0 or hi < 0:
            return pool, np.zeros(n_t, dtype=bool), c
        through = panel.traded.to_numpy()[lo : hi + 1, :n_t].all(axis=0)
        eligible = through & (c["n_returns"] >= min_returns) & ~u.tickers.isin(sorted(exclude))
        return pool, eligible, c

    def _match(self, ticker, firm, estimation, market, base, end, exclude, min_returns) -> Controls:
        pool, eligible, c = self.candidates(estimation, market, base, end, exclude, min_returns)
        target = np.array([[firm[name] for name in MATCH_ON]])
        if not np.isfinite(target).all():
            return Controls((), (), (), f"{ticker} has too few estimation returns to be matched")
        idx, dist = nearest(target, pool, eligible[None, :], self.k)
        if (idx[0] < 0).any():
            return Controls((), (), (), f"fewer than {self.k} eligible control firms in {self.label}")
        tickers = tuple(self.universe.tickers[idx[0]])
        details = tuple(
            {"rank": r + 1, "control": tickers[r], "distance": float(dist[0, r]),
             **{name: float(c[name][j]) for name in (*MATCH_ON, "n_returns")}}
            for r, j in enumerate(idx[0])
        )  # fmt: skip
        return self._checked(tickers, tuple(float(d) for d in dist[0]), base, end, details)
