"""The report's confounder section: what the screen found (:mod:`eventstudy.study.confounders`), whether the tests
count the confounded firm-events, and the headline without them (:mod:`eventstudy.study.unconfounded`).

Pure: results in, a dict for the template partial ``confounders.html.j2`` out (the template escapes every text).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..study.confounders import KINDS, study_confounders
from ..study.results import StudyResults

MAX_ROWS = 200  # rows of confounders.csv listed in the report (all are in the CSV)


def confounder_view(results: StudyResults) -> dict[str, Any]:
    """The section's content: counts by kind, the listed rows, the checks not made, the sensitivity rows."""
    study = results.study
    table = study_confounders(results)
    found = table[table["kind"] != "not_screened"]
    confounded = results.car.drop_duplicates(["event_id", "ticker"]) if "confounded" in results.car else None
    n_confounded = int(confounded["confounded"].sum()) if confounded is not None else 0
    counts = [
        {"kind": kind, "rows": int((found["kind"] == kind).sum()),
         "firm_events": int(found.loc[found["kind"] == kind, ["event_id", "ticker"]].drop_duplicates().shape[0])}
        for kind in KINDS
        if kind != "not_screened"
    ]  # fmt: skip
    skipped = table[table["kind"] == "not_screened"]
    unscreened = [
        {"detail": detail, "tickers": list(group["ticker"])} for detail, group in skipped.groupby("detail", sort=False)
    ]
    extra = results.extra.get("confounder_sensitivity")
    rows = []
    if isinstance(extra, pd.DataFrame):
        for r in extra.to_dict(orient="records"):
            r["figure"] = bool(np.isfinite(r["caar"]))
            r["headline"] = r["caar"] - r["caar_diff"] if r["figure"] else None
            # the headline's own caveats (halts, limits) are shown with the headline: here only why a figure is
            # missing or that the row is the headline itself
            r["shown_note"] = r["note"] if not r["figure"] or r["note"].startswith("no confounded") else ""
            rows.append(r)
    return {
        "threshold": study.confounders.shock_threshold,
        "exclude": study.confounders.exclude,
        "news_file": study.confounders.file,
        "firm_events": len(results.abnormal.firm_events),
        "confounded": n_confounded,
        "counts": counts,
        "rows": found.head(MAX_ROWS).to_dict(orient="records"),
        "more": max(len(found) - MAX_ROWS, 0),
        "unscreened": unscreened,
        "sensitivity": rows,
    }
