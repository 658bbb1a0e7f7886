"""Write a study's outputs into ``<out>/<study-id>/`` all at once.

Files are first written into a temporary sibling directory; only when every file is complete is the
directory swapped into place (two ``os.replace`` calls), and the previous build is kept as
``<study-id>.last-good``. A crash at any point leaves either the old or the new report, never a mix.
CSV floats are written at full precision (shortest repr that round-trips).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import EventStudyError
from .study import StudyResults

COLUMNS = {
    "estimates.csv": [
        "event_id", "ticker", "model", "day0", "est_start", "est_end", "n_est", "alpha", "beta", "sigma", "shortened",
    ],
    "car.csv": [
        "event_id", "ticker", "window_start", "window_end", "car", "car_se", "car_t", "car_p", "bhar", "n_obs",
        "covered_start", "covered_end", "complete", "limit_up", "limit_down", "note",
    ],
    "ar.csv": ["event_id", "ticker", "rel_day", "date", "ar", "traded", "limit"],
    "tests.csv": ["event_id", "window_start", "window_end", "test", "statistic", "p_value", "n_firms"],
}  # fmt: skip


def _clean(value: Any) -> Any:
    """JSON-safe value: NaN → null, numpy scalars → Python, dates → ISO strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(row) for row in frame.to_dict(orient="records")]


def study_document(results: StudyResults, source: str) -> dict[str, Any]:
    """Everything in the CSVs plus parameters, data source, as-of date and package version (study.json)."""
    study = results.study
    return _clean(
        {
            "study": {"id": study.id, "title": study.title, "config": str(study.path)},
            "version": results.version,
            "parameters": {
                "benchmark": study.benchmark,
                "alternative_benchmarks": list(study.alternative_benchmarks),
                "model": study.model,
                "estimation_window": list(study.estimation_window),
                "min_estimation_returns": study.min_estimation_returns,
                "event_windows": [list(w) for w in study.event_windows],
                "daily_path": list(study.daily_path),
            },
            "data": {
                "source": source,
                "as_of": results.as_of,
                "tickers": {
                    t: {"source": p.source, "as_of": p.as_of, "detail": p.detail} for t, p in results.provenance.items()
                },
            },
            "events": [
                {
                    "id": ev.id,
                    "title": ev.title,
                    "announced": ev.announced.isoformat(),
                    "approximate": ev.approximate,
                    "day0": {mic: dz.session.date() for (eid, mic), dz in results.day_zero.items() if eid == ev.id},
                    "day0_explained": [dz.explain() for (eid, _), dz in results.day_zero.items() if eid == ev.id],
                }
                for ev in study.events
            ],
            "estimates": _records(results.estimates[COLUMNS["estimates.csv"]]),
            "car": _records(results.car[COLUMNS["car.csv"]]),
            "tests": _records(results.tests[COLUMNS["tests.csv"]]),
            "ar": _records(results.ar[COLUMNS["ar.csv"]]),
            "halts": _records(results.halts),
            "data_quality": _records(results.quality) if results.quality is not None else [],
            "benchmark_gaps": [
                {"event_id": g.event_id, "ticker": g.ticker, "benchmark": g.benchmark, "note": g.describe()}
                for g in results.benchmark_gaps
            ],
            **{k.removeprefix("json:"): v for k, v in results.extra.items() if k.startswith("json:")},
        }
    )


def write_csv(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EventStudyError(f"{path.name}: internal error, missing columns {missing}")
    frame[columns].to_csv(path, index=False, lineterminator="\n")


def publish(out_dir: Path, study_id: str, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp_dir)`` then swap ``tmp_dir`` into ``out_dir/study_id`` atomically; return the path.

    The previous build, if any, becomes ``out_dir/<study_id>.last-good``. If ``write`` raises, the
    temporary directory is removed and the published report is untouched.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / study_id
    if target.resolve().parent != out_dir.resolve():
        raise EventStudyError(f"study id {study_id!r} would write outside {out_dir}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{study_id}.", suffix=".tmp", dir=out_dir))
    try:
        write(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    last_good = out_dir / f"{study_id}.last-good"
    if target.exists():
        if last_good.exists():
            shutil.rmtree(last_good)
        os.replace(target, last_good)
    os.replace(tmp, target)
    os.chmod(target, 0o755)
    return target


def write_tables(results: StudyResults, directory: Path, source: str) -> None:
    """The four CSV files and study.json."""
    write_csv(results.estimates, directory / "estimates.csv", COLUMNS["estimates.csv"])
    write_csv(results.car, directory / "car.csv", COLUMNS["car.csv"])
    write_csv(results.ar, directory / "ar.csv", COLUMNS["ar.csv"])
    write_csv(results.tests, directory / "tests.csv", COLUMNS["tests.csv"])
    doc = study_document(results, source)
    (directory / "study.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
