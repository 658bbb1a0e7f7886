"""eventstudy.claims.verdicts: claims.csv, the terminal table and the sensitivity-grid summary."""

from __future__ import annotations

import pandas as pd

from eventstudy import claims as C


def test_claims_csv_keeps_full_precision(default_claims, tmp_path):
    path = C.write_claims_csv(default_claims, tmp_path / "claims.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == C.TABLE_COLUMNS and len(back) == 5
    for _, row in back.iterrows():
        measured = default_claims.table.set_index("claim_id").loc[row["claim_id"], "measured"]
        if isinstance(measured, float):
            assert float(row["measured"]) == measured  # round-trips exactly
        else:
            assert row["measured"] == str(measured)


def test_format_verdicts(default_claims):
    text = C.format_verdicts(default_claims)
    assert "hikvision-up-25pct-since-blacklisting  CONTRADICTED  +18.95%" in text
    assert "iflytek-closed-down-nearly-3pct" in text and "-2.67%" in text
    assert "3 supported, 2 contradicted, 0 undetermined (prices: snapshot)" in text
    assert C.format_verdicts(C.ClaimsResults("s", "x", [], default_claims.table[:0], default_claims.grid[:0], []))


def test_flip_summary_names_the_definitions_that_disagree(default_claims):
    hik = default_claims.grid_for("hikvision-up-25pct-since-blacklisting")
    text = C.flip_summary(hik)
    assert text.startswith("the verdict flips to supported for ") and "of 16 definitions" in text
    assert "total, first traded close after announcement → last close before document (+" in text
    assert C.flip_summary(hik[:0]) == ""
