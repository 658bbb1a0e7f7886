"""Write a study's outputs into ``<out>/<study-id>/`` all at once.

Files are first written into a temporary sibling directory; only when every file is complete is it swapped
into place by replacing the link ``<study-id>`` (see :mod:`eventstudy.publish.atomic`), and the previous build is
kept as ``<study-id>.last-good``. A crash at any point leaves either the old or the new report, never a mix
and never none; what a crash leaves behind is removed by :func:`sweep_stale` under the next run's lock.
CSV floats are written at full precision (shortest repr that round-trips).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import EventStudyError
from ..inference.processes import from_both_ends
from ..model.diagnostics import COLUMNS as DIAGNOSTICS_COLUMNS
from ..model.jit import cores
from ..study.confounders import COLUMNS as CONFOUNDER_COLUMNS
from ..study.confounders import study_confounders
from ..study.cross_section import COLUMNS as CROSS_SECTION_COLUMNS
from ..study.reaction import FILES as REACTION_FILES
from ..study.results import StudyResults
from ..study.sensitivity import COLUMNS as SENSITIVITY_COLUMNS
from ..study.sensitivity import study_sensitivity
from ..study.summary import COLUMNS as SUMMARY_COLUMNS
from ..study.summary import study_summary
from ..study.unconfounded import with_confounder_rows
from .atomic import (
    BUILD_SUFFIX,
    TMP_SUFFIX,
    apply_umask_modes,
    can_link,
    link_target,
    new_directory,
    point,
    remove_tree,
    seal,
    umask_modes,
)
from .records import Records, clean, write_csv_rows, write_json

MANIFEST = "manifest.json"
COLUMNS = {
    "estimates.csv": [
        "event_id", "ticker", "model", "day0", "est_start", "est_end", "n_est", "alpha", "beta", "sigma", "shortened",
        "n_masked", "masked", "masked_by", *DIAGNOSTICS_COLUMNS,
    ],
    "car.csv": [
        "event_id", "ticker", "window_start", "window_end", "car", "car_se", "car_t", "car_p", "bhar", "n_obs",
        "covered_start", "covered_end", "complete", "limit_up", "limit_down", "note", "confounded",
    ],
    "ar.csv": ["event_id", "ticker", "rel_day", "date", "ar", "traded", "limit"],
    "tests.csv": ["event_id", "window_start", "window_end", "test", "statistic", "p_value", "n_firms"],
    "summary.csv": SUMMARY_COLUMNS,
    "cross_section.csv": CROSS_SECTION_COLUMNS,
    "sensitivity.csv": SENSITIVITY_COLUMNS,
    "confounders.csv": CONFOUNDER_COLUMNS,
}  # fmt: skip


def _records(
    frame: pd.DataFrame, csv_name: str | None = None, csv_source: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    return [clean(row) for row in frame.to_dict(orient="records")]


def _document(results: StudyResults, source: str, summary: pd.DataFrame, records: Callable[..., Any]) -> dict[str, Any]:
    """study.json's content, its tables as ``records(frame, csv_name, csv_source)`` (a list of row dicts, or
    :class:`Records` to stream, with the CSV file ``csv_name`` of the same rows of ``csv_source`` (default: of
    ``frame``) written alongside)."""
    study = results.study
    firms: dict[str, list[dict[str, Any]]] = {}  # per event, its firms (one pass over the firm-events)
    for fe, m in zip(results.abnormal.firm_events, results.markets, strict=True):
        firms.setdefault(fe.event_id, []).append(
            {"ticker": fe.ticker, "exchange": m.exchange, "calendar": m.calendar, "benchmark": m.benchmark}
        )
    day_zero: dict[str, list[tuple[str, Any]]] = {}
    for (eid, mic), dz in results.day_zero.items():
        day_zero.setdefault(eid, []).append((mic, dz))
    cross_section = results.extra.get("cross_section")
    confounders = study_confounders(results)
    return {
        "study": {"id": study.id, "title": study.title, "config": str(study.path)},
        "version": results.version,
        "parameters": clean({
            "benchmark": study.benchmark,
            "benchmarks_by_exchange": dict(study.benchmarks),
            "alternative_benchmarks": list(study.alternative_benchmarks),
            "day0_rule": study.day0_rule,
            "model": study.model,
            "estimation_window": list(study.estimation_window),
            "min_estimation_returns": study.min_estimation_returns,
            "estimation_exclude": study.estimation_exclude,
            "event_windows": [list(w) for w in study.event_windows],
            "daily_path": list(study.daily_path),
            "primary_test": study.primary_test,
        }),
        "data": clean({
            "source": source,
            "as_of": results.as_of,
            "tickers": {
                t: {"source": p.source, "as_of": p.as_of, "detail": p.detail} for t, p in results.provenance.items()
            },
        }),
        "events": clean([
            {
                "id": ev.id,
                "title": ev.title,
                "announced": ev.announced.isoformat(),
                "approximate": ev.approximate,
                "day0": {mic: dz.session.date() for mic, dz in day_zero.get(ev.id, [])},
                "day0_explained": [dz.explain() for _, dz in day_zero.get(ev.id, [])],
                "day0_rule": ev.day0_rule,
                "firms": firms.get(ev.id, []),
            }
            for ev in study.events
        ]),
        "summary": records(summary[COLUMNS["summary.csv"]], "summary.csv"),
        **({"cross_section": records(cross_section)} if isinstance(cross_section, pd.DataFrame) else {}),
        "sensitivity": records(published_sensitivity(results), "sensitivity.csv"),
        "confounders": records(confounders, "confounders.csv"),
        "estimates": records(results.estimates[COLUMNS["estimates.csv"]], "estimates.csv", results.estimates),
        "car": records(results.car[COLUMNS["car.csv"]], "car.csv"),
        "tests": records(results.tests[COLUMNS["tests.csv"]], "tests.csv"),
        "ar": records(results.ar[COLUMNS["ar.csv"]], "ar.csv"),
        "halts": records(results.halts),
        "data_quality": records(results.quality) if results.quality is not None else [],
        "benchmark_gaps": [
            {"event_id": g.event_id, "ticker": g.ticker, "benchmark": g.benchmark, "note": g.describe()}
            for g in results.benchmark_gaps
        ],
        **{k.removeprefix("json:"): clean(v) for k, v in results.extra.items() if k.startswith("json:")},
    }  # fmt: skip


def study_document(results: StudyResults, source: str) -> dict[str, Any]:
    """Everything in the CSVs plus parameters, data source, as-of date and package version (study.json), as
    Python objects (:func:`write_tables` streams the same content into the file instead)."""
    return clean(_document(results, source, study_summary(results), _records))


def published_sensitivity(results: StudyResults) -> pd.DataFrame:
    """sensitivity.csv: the benchmark sensitivity rows, then the headline without (or with) the confounded
    firm-events (:mod:`eventstudy.study.unconfounded`)."""
    return with_confounder_rows(study_sensitivity(results), results)[COLUMNS["sensitivity.csv"]]


def csv_frame(frame: pd.DataFrame, path: Path, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of ``frame`` that the CSV file ``path`` holds (an internal error if one is missing)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EventStudyError(f"{path.name}: internal error, missing columns {missing}")
    return frame[columns]


def write_csv(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    write_csv_rows(csv_frame(frame, path, columns), path)


def _csv_columns(name: str, frame: pd.DataFrame) -> list[str]:
    """The columns of the CSV file ``name``: :data:`COLUMNS`, and for estimates.csv the model's own (factor
    loadings, GARCH parameters) present in ``frame``."""
    if name == "estimates.csv":
        return COLUMNS[name] + [c for c in frame.columns if c.startswith(("b_", "garch_"))]
    return COLUMNS[name]


class OutputInTheWay(EventStudyError):
    """A file of the user's stands where a report would be published (exit 2: nothing is replaced)."""

    exit_code = 2


def publish(out_dir: Path, study_id: str, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp_dir)`` then swap ``tmp_dir`` into ``out_dir/study_id`` atomically; return the path.

    ``out_dir/<study_id>`` is a link to the build directory (see :mod:`eventstudy.publish.atomic`) and is present at
    every instant; the previous build, if any, becomes ``out_dir/<study_id>.last-good`` (a link too). Every
    file gets the umask's mode and is listed, with its size and SHA-256, in ``manifest.json``. If ``write``
    raises, the temporary directory is removed and the published report is untouched.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if Path(study_id).name != study_id or study_id.startswith(".") or study_id in ("", "..") or "\\" in study_id:
        raise EventStudyError(f"study id {study_id!r} would write outside {out_dir}")
    target, last_good = out_dir / study_id, out_dir / f"{study_id}.last-good"
    for path in (target, last_good):  # a user's file where the report goes: refuse, never replace it
        if (path.exists() or path.is_symlink()) and not path.is_symlink() and not path.is_dir():
            raise OutputInTheWay(
                f"{path}: a file that is not a report is where the report goes; move it away and run again"
            )
    tmp = new_directory(out_dir, study_id)
    try:
        write(tmp)
        write_manifest(tmp)
        apply_umask_modes(tmp)
        build = seal(tmp)
    except BaseException:
        remove_tree(tmp)
        raise
    if can_link(out_dir):
        _swap_links(out_dir, target, last_good, build)
    else:  # no symbolic links here: rename directories, as before links
        if target.exists():
            remove_tree(last_good)
            os.replace(target, last_good)
        os.replace(build, target)
    return target


def _swap_links(out_dir: Path, target: Path, last_good: Path, build: Path) -> None:
    old_last_good = link_target(last_good)
    if last_good.is_dir() and not last_good.is_symlink():  # a directory from before links
        remove_tree(last_good)
    previous = link_target(target)
    if previous is None and target.is_dir():  # a directory from before links: missing between two renames, once
        previous = out_dir / f".{target.name}.{os.urandom(4).hex()}{BUILD_SUFFIX}"
        os.replace(target, previous)
        point(target, build)
        point(last_good, previous)
    else:
        if previous is not None:
            point(last_good, previous)
        point(target, build)
    if old_last_good is not None and old_last_good not in (previous, build) and _is_build_dir(old_last_good, out_dir):
        remove_tree(old_last_good)


def _is_build_dir(path: Path, out_dir: Path) -> bool:
    """Whether ``path`` is one of the build directories publish makes in ``out_dir`` (never anything else)."""
    return (
        path.parent == out_dir
        and path.name.startswith(".")
        and path.name.endswith(BUILD_SUFFIX)
        and path.is_dir()
        and not path.is_symlink()
    )


def write_manifest(directory: Path) -> None:
    """``manifest.json``: every file of the build (relative path → bytes and SHA-256), sorted."""
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST):
        data = path.read_bytes()
        files[path.relative_to(directory).as_posix()] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (directory / MANIFEST).write_text(json.dumps({"files": files}, indent=2) + "\n", encoding="utf-8")


def published_problem(out_dir: Path, study_id: str) -> str | None:
    """What is wrong with the published ``out_dir/<study_id>`` (missing or resized files, modes other than the
    umask's), or None when it is exactly what :func:`publish` left there."""
    target = Path(out_dir) / study_id
    if not target.is_dir():
        return f"{target} is missing"
    try:
        listed = json.loads((target / MANIFEST).read_text(encoding="utf-8"))["files"]
        sizes = {str(name): int(entry["bytes"]) for name, entry in listed.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return f"{target / MANIFEST} is missing or unreadable"
    file_mode, dir_mode = umask_modes()
    modes = {target: dir_mode, target / MANIFEST: file_mode}
    for name, size in sizes.items():
        path = target / name
        try:
            info = path.stat()
        except OSError:
            return f"{path} is missing"
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return f"{path} is not the file that was published"
        modes[path] = file_mode
    for path, mode in modes.items():
        try:
            actual = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            return f"{path} is missing"
        if actual != mode:
            return f"{path} has mode {actual:o}, not {mode:o}"
    return None


def sweep_stale(out_dir: Path) -> list[str]:
    """Remove what interrupted runs left in ``out_dir``: ``.*.tmp`` files and directories, and build
    directories no published link points to. Call it only while holding the reports lock."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    entries = list(out_dir.iterdir())
    linked = {link_target(p) for p in entries if p.is_symlink()}
    removed = []
    for path in entries:
        stale_tmp = path.name.startswith(".") and path.name.endswith(TMP_SUFFIX)
        if stale_tmp or (_is_build_dir(path, out_dir) and path not in linked):
            remove_tree(path)
            removed.append(path.name)
    return sorted(removed)


def write_outputs(
    results: StudyResults,
    directory: Path,
    source: str,
    render: Callable[[], str],
    also: Callable[[Path], None] | None = None,
) -> None:
    """Every file of a study's report into ``directory``: index.html, the text ``render()`` returns, and the CSV files
    and study.json (:func:`write_tables`), then ``also(directory)``'s files.

    The two are independent and take about as long each (a 5,000-firm-event study: ~2 s to render, ~2.4 s for the
    tables), so where a process can be forked and two CPUs are free, the report is rendered in a forked process
    (which inherits ``results``; only the text comes back) while this one writes the tables
    (:func:`~eventstudy.inference.processes.from_both_ends`); else one after the other, the report first. The files
    are the same either way: each is made from ``results`` alone."""

    def part(name: str) -> str | None:
        if name == "index.html":
            return render()
        write_tables(results, directory, source)
        if also is not None:
            also(directory)
        return None

    with from_both_ends(part, ("index.html", "tables"), cores()) as finish:
        html, _ = finish()
    (directory / "index.html").write_text(html, encoding="utf-8")


def write_tables(results: StudyResults, directory: Path, source: str) -> None:
    """The CSV files (summary, cross_section, sensitivity, estimates, car, ar, tests) and study.json (streamed: its
    tables a chunk of rows at a time, each CSV file that holds the same rows as one of them written alongside it,
    :mod:`eventstudy.publish.records`)."""

    def records(frame: pd.DataFrame, csv_name: str | None = None, csv_source: pd.DataFrame | None = None) -> Records:
        if csv_name is None:
            return Records(frame)
        source, path = frame if csv_source is None else csv_source, directory / csv_name
        return Records(frame, (csv_frame(source, path, _csv_columns(csv_name, source)), path))

    cross_section = results.extra.get("cross_section")
    if isinstance(cross_section, pd.DataFrame):
        write_csv(cross_section, directory / "cross_section.csv", COLUMNS["cross_section.csv"])
    long_horizon = results.extra.get("long_horizon")  # a study with a long_window (eventstudy.study.long_horizon)
    if isinstance(long_horizon, pd.DataFrame):
        write_csv(long_horizon, directory / "long_horizon.csv", list(long_horizon.columns))
    for name, (key, columns) in REACTION_FILES.items():  # volume, volatility, their tests (study/reaction.py)
        write_csv(results.extra.get(key, pd.DataFrame(columns=columns)), directory / name, columns)
    # summary, sensitivity (always written, header only when the study has no alternative benchmark, so a rebuild
    # lists the same files), confounders, estimates, car, tests and ar: with their records in study.json
    write_json(_document(results, source, study_summary(results), records), directory / "study.json")
