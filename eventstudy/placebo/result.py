"""What a placebo study gives: every firm-event's CAR and every pseudo-study's tests (:class:`PlaceboResult`), the
rejection rates (the size with nothing injected, the power otherwise) and the null distribution of CAR and CAAR."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .draw import study_id
from .spec import PlaceboSpec

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
FIRM_COLUMNS = ("car", "car_se", "car_t", "car_p", "bhar", "n_obs", "sessions", "n_est", "dof")
"""Per firm-event, in the placebo's ``window``: the CAR and its t, the BHAR, ``n_obs`` the returns counted and
``sessions`` the sessions they span (a firm that traded on every session of the window, and not just after a
halt, has ``n_obs == sessions == L``)."""


@dataclass
class PlaceboResult:
    spec: PlaceboSpec
    firms: pd.DataFrame  # one row per firm-event: study, ticker, day0 and FIRM_COLUMNS
    tests: pd.DataFrame  # significance_table rows of every pseudo-study
    seconds: dict[str, float] = field(default_factory=dict)
    chunks: int = 0

    def halted_studies(self) -> pd.Index:
        """The event ids (``P<study>``) of the pseudo-studies with a halted firm: a firm-event whose returns in
        ``window`` are not one single-session return per session of it (a suspension inside the window, one that
        ends on its first day, or one running past its last day, which is followed to the next trade)."""
        f = self.firms
        length = self.spec.window[1] - self.spec.window[0] + 1
        odd = (f["n_obs"].to_numpy() > 0) & ((f["n_obs"].to_numpy() != length) | (f["sessions"].to_numpy() != length))
        studies = np.unique(f["study"].to_numpy()[odd])
        return pd.Index([study_id(s) for s in studies.tolist()])

    def rejection_table(self, halted: bool | None = None) -> pd.DataFrame:
        """Every window and injected level: per test, pseudo-studies with a p-value and the share with
        p < alpha (the size at ``injected == 0``, the power otherwise). ``halted``: only the pseudo-studies with
        (True) or without (False) a halted firm (:meth:`halted_studies`); None: all."""
        t = self.tests
        if halted is not None:
            t = t[t["event_id"].isin(self.halted_studies()) == halted]
        ok = t["p_value"].notna()
        rejected = (t["p_value"] < self.spec.alpha) & ok
        keys = ["window_start", "window_end", "injected", "test"]
        g = t.assign(ok=ok, rejected=rejected).groupby(keys, sort=False)
        out = g[["ok", "rejected"]].sum().reset_index().rename(columns={"ok": "studies"})
        out["rejection_rate"] = out["rejected"] / out["studies"]
        return out.drop(columns="rejected")

    def rejection_rates(self) -> pd.DataFrame:
        """Per test, in ``window`` with no injected return: pseudo-studies with a p-value, share with p < alpha
        (also split by the statistic's sign)."""
        alpha = self.spec.alpha
        rows = []
        w = self.spec.window
        tests = self.tests
        null = (tests["window_start"] == w[0]) & (tests["window_end"] == w[1]) & (tests["injected"] == 0.0)
        for name, group in tests[null].groupby("test", sort=False):
            p = group["p_value"].to_numpy(float)
            s = group["statistic"].to_numpy(float)
            ok = np.isfinite(p)
            rows.append({"test": name, "studies": int(ok.sum()), "rejection_rate": float((p[ok] < alpha).mean()),
                         "reject_negative": float(((p < alpha) & (s < 0))[ok].mean()),
                         "reject_positive": float(((p < alpha) & (s > 0))[ok].mean())})  # fmt: skip
        p = self.firms["car_p"].to_numpy(float)
        t = self.firms["car_t"].to_numpy(float)
        ok = np.isfinite(p)
        rows.append({"test": "firm_t", "studies": int(ok.sum()), "rejection_rate": float((p[ok] < alpha).mean()),
                     "reject_negative": float(((p < alpha) & (t < 0))[ok].mean()),
                     "reject_positive": float(((p < alpha) & (t > 0))[ok].mean())})  # fmt: skip
        return pd.DataFrame(rows)

    def car_distribution(self) -> pd.DataFrame:
        """Null distribution of the firm-level CAR and of the pseudo-studies' CAAR."""
        car = self.firms["car"].to_numpy(float)
        car = car[np.isfinite(car)]
        caar = self.firms.groupby("study", sort=False)["car"].mean().to_numpy(float)
        caar = caar[np.isfinite(caar)]
        out = {}
        for name, x in (("CAR", car), ("CAAR", caar)):
            row = {"n": len(x), "mean": float(np.mean(x)), "sd": float(np.std(x, ddof=1)) if len(x) > 1 else np.nan}
            row.update({f"q{int(round(q * 100)):02d}": float(v) for q, v in zip(QUANTILES, np.quantile(x, QUANTILES))})
            out[name] = row
        return pd.DataFrame(out).T
