"""Building studies into a reports directory: one build, or a scheduled rebuild of many.

A build analyses a study (:func:`eventstudy.study.run.analyse_study`, which also hashes its inputs — the
study file's bytes, every price row it uses, the source description, the ``--as-of`` cut-off and the package
version) and records the hash in ``study.json``. A rebuild only decides what to build: it skips a
study whose hash is unchanged, publishes changed ones atomically (keeping the previous build as last-good),
and keeps ``reports/index.json`` and ``reports/index.html`` listing every study with its status. Outputs carry
no wall-clock time, so identical inputs give identical bytes; build times live only in ``index.json``.

Exit codes (also in ``docs/rebuild.md``): 0 every study built or up to date · 2 a study file is invalid ·
3 data unavailable or insufficient (the last good report is kept) · 4 partial: some studies failed, others
built · 75 another rebuild holds the reports directory's lock.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd

from ..claims import write_claims_csv
from ..data import fallback_notes
from ..data.base import PriceProvider
from ..errors import DISK_FULL, ConfigError, EventStudyError, bounded_message
from ..spec.config import Study
from ..study.results import StudyResults
from ..study.run import Analysis, analyse_study, load_checked
from .index import Outcome, update_index
from .lock import ReportsLocked, hold_lock
from .outputs import publish, published_problem, sweep_stale, write_outputs

log = logging.getLogger("eventstudy")

EXIT_OK, EXIT_CONFIG, EXIT_DATA, EXIT_PARTIAL, EXIT_LOCKED = 0, 2, 3, 4, 75


__all__ = ["Outcome", "ReportsLocked", "build", "rebuild", "reports_lock", "update_index"]


def _recorded_hash(directory: Path) -> str | None:
    try:
        return json.loads((directory / "study.json").read_text(encoding="utf-8")).get("input_hash")
    except (OSError, ValueError, AttributeError):
        return None


MATCHED_STUDIES = 1000
"""Pseudo-studies per design of the design-matched placebo a build runs when given a universe (Monte Carlo s.e.
of a 5 % size: 0.7 pp)."""


def matched_placebo(study: Study, universe: Path, studies: int | None = None) -> pd.DataFrame:
    """``placebo --like`` for a build: the primary test's size and power at each event's own design, drawn from
    ``universe`` (:mod:`eventstudy.placebo.like`; seed 0, so a rebuild on the same inputs gives the same figures)."""
    from ..data.universe import load_universe
    from ..placebo import run_placebo
    from ..placebo.like import design_table, matched_specs

    designs = matched_specs(study, studies or MATCHED_STUDIES, 0, tests=(study.primary_test,))  # what is shown
    market = load_universe(str(universe))
    return pd.concat([design_table(d, run_placebo(market, d.spec)) for d in designs], ignore_index=True)


def with_universe(input_hash: str, universe: Path) -> str:
    """The input hash of a build that also reads ``universe`` (its bytes, whole, and the number of pseudo-studies)."""
    digest = hashlib.sha256(f"{input_hash}\0matched:{MATCHED_STUDIES}\0".encode())
    with open(universe, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_report(analysis: Analysis, out_dir: Path, matched: pd.DataFrame | None = None) -> Path:
    """Render the report and publish every output file of ``analysis`` atomically into ``out_dir/<id>/``;
    ``matched``: :func:`matched_placebo`'s rows, shown next to the headline."""
    from ..report.render import render_report  # plotly and scipy.stats: only when a report is written

    results, claims = analysis.results, analysis.claims
    context: dict[str, object] = {"input_hash": analysis.input_hash}
    if matched is not None:
        context["matched"] = matched
    if claims is not None:
        context["claims"] = claims  # the report draws its charts
    skipped = [str(n) for n in results.extra.get("json:tests_not_computed", ())]  # type: ignore[attr-defined]
    context["warnings"] = fallback_notes(results.provenance, results.as_of) + skipped  # study/selection.py

    def render() -> str:
        return render_report(results, analysis.source, context)

    def also(directory: Path) -> None:
        if claims is not None:
            write_claims_csv(claims, directory / "claims.csv")

    def write(directory: Path) -> None:  # (the report rendered beside the tables: write_outputs)
        write_outputs(results, directory, analysis.source, render, also)

    return publish(Path(out_dir), results.study.id, write)


def build(
    config: str | Path,
    provider: PriceProvider,
    out_dir: Path,
    as_of: date | None = None,
    force: bool = True,
    progress: bool = True,
    study: Study | None = None,
    strict: bool = False,
    universe: Path | None = None,
) -> tuple[Outcome, StudyResults]:
    """Build one study into ``out_dir/<id>/`` unless (``force`` False) its inputs are unchanged and the published
    tree is intact. ``study`` is the already checked study file (see :func:`load_checked`), if at hand; ``strict``:
    prices with a data flag are an error (exit 3), nothing published; ``universe``: a market universe to draw the
    design-matched placebo from (:func:`matched_placebo`; its bytes join the input hash)."""
    started = time.perf_counter()
    checked = study if study is not None else load_checked(config)
    analysis = analyse_study(checked, provider, as_of, progress, strict=strict, universe=universe)
    if universe is not None:
        digest = with_universe(analysis.input_hash, universe)
        extra = {**analysis.results.extra, "json:input_hash": digest}  # study.json records the hash
        analysis = dataclasses.replace(
            analysis, input_hash=digest, results=dataclasses.replace(analysis.results, extra=extra)
        )
    results = analysis.results
    repaired = ""
    if not force and _recorded_hash(Path(out_dir) / results.study.id) == analysis.input_hash:
        problem = published_problem(Path(out_dir), results.study.id)
        if problem is None:
            return outcome_of(analysis, "up to date", time.perf_counter() - started, config), results
        repaired = f"republished: {problem}"
    write_report(analysis, Path(out_dir), matched_placebo(results.study, universe) if universe is not None else None)
    outcome = outcome_of(analysis, "built", time.perf_counter() - started, config)
    return dataclasses.replace(outcome, message=repaired), results


def outcome_of(analysis: Analysis, status: str, seconds: float = 0.0, config: str | Path | None = None) -> Outcome:
    """The index entry of an analysed study (``config`` defaults to the study's file)."""
    results, study = analysis.results, analysis.results.study
    return Outcome(
        config=str(config if config is not None else study.path), status=status, study_id=study.id,
        title=study.title, input_hash=analysis.input_hash,
        as_of=results.as_of.isoformat() if results.as_of else None, source=analysis.source, seconds=seconds,
    )  # fmt: skip


@contextmanager
def reports_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir/.lock`` (see :mod:`eventstudy.publish.lock`) and, once held, sweep what interrupted runs left."""
    with hold_lock(Path(out_dir)):
        removed = sweep_stale(Path(out_dir))
        if removed:
            log.info("%s: removed %d leftover(s) of interrupted runs: %s", out_dir, len(removed), ", ".join(removed))
        yield


def study_files(args: list[str]) -> list[str]:
    """The study files named by ``args``: a pattern the shell left unexpanded (it matched nothing there) is
    expanded here, and skipped with a warning when it still matches nothing. One file named twice — ``cn.yaml``
    and ``./cn.yaml``, or through a symbolic link — is built once, under the first name given."""
    files: list[str] = []
    for arg in args:
        if glob.has_magic(arg) and not Path(arg).exists():
            matches = sorted(glob.glob(arg))
            if not matches:
                log.warning("%s: no study file matches this pattern; skipped", arg)
            files.extend(matches)
        else:
            files.append(arg)
    first: dict[str, str] = {}
    for name in files:
        first.setdefault(_identity(name), name)
    return list(first.values())


def _identity(name: str) -> str:
    """The file a name means (its resolved path; the name itself when it cannot be resolved)."""
    try:
        return str(Path(name).resolve(strict=True))
    except (OSError, RuntimeError):
        return name


def _check_all(configs: list[str]) -> list[Study | Outcome]:
    """Each file checked (:func:`load_checked`), or its "bad config" outcome; files sharing an id are all refused,
    since building either would overwrite the other's report."""
    checked: list[Study | Outcome] = []
    for config in configs:
        try:
            checked.append(load_checked(config))
        except ConfigError as exc:
            checked.append(Outcome(str(config), "bad config", message=bounded_message(str(exc))))
    owners: dict[str, list[str]] = {}
    for config, item in zip(configs, checked, strict=True):
        if isinstance(item, Study):
            owners.setdefault(item.id, []).append(config)
    for i, (config, item) in enumerate(zip(configs, checked, strict=True)):
        if isinstance(item, Study) and len(owners[item.id]) > 1:
            others = ", ".join(c for c in owners[item.id] if c != config)
            message = f"{config}: study.id: {item.id!r} is also the id of {others}; give each study its own id"
            checked[i] = Outcome(config, "bad config", study_id=item.id, title=item.title, message=message)
    return checked


def _build_one(
    config: str,
    study: Study,
    provider: PriceProvider,
    out_dir: Path,
    as_of: date | None,
    force: bool,
    progress: bool,
    strict: bool = False,
    universe: Path | None = None,
) -> Outcome:
    """One study's build; whatever goes wrong becomes its outcome, never the end of the rebuild."""
    try:
        outcome, _ = build(
            config, provider, out_dir, as_of, force, progress, study=study, strict=strict, universe=universe
        )
        return outcome
    except ConfigError as exc:
        status, message = "bad config", str(exc)
    except EventStudyError as exc:
        status, message = "data unavailable", str(exc)
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            status, message = "failed", f"{type(exc).__name__}: {exc}"
        else:  # publish removed its partial build: the last good report is untouched
            status, message = (
                "disk full",
                f"{out_dir}: report not written ({exc.strerror}); the last good report is kept",
            )
    except Exception as exc:  # noqa: BLE001 - one study's crash must not stop the others
        status, message = "failed", f"{type(exc).__name__}: {exc}"
    return Outcome(config, status, study_id=study.id, title=study.title, message=bounded_message(message))


def rebuild(
    configs: list[str],
    provider: PriceProvider,
    out_dir: Path,
    as_of: date | None = None,
    force: bool = False,
    progress: bool = True,
    prune: bool = False,
    strict: bool = False,
    universe: Path | None = None,
) -> tuple[int, list[Outcome]]:
    """Rebuild every study file under the reports lock; return the exit code and what happened.

    ``prune`` drops index entries whose study file is gone (their published folders are kept); ``universe``: a
    market universe for each report's design-matched placebo (:func:`build`; it joins each input hash).
    """
    out_dir = Path(out_dir)
    outcomes: list[Outcome] = []
    with reports_lock(out_dir):
        files = study_files(configs)
        for config, item in zip(files, _check_all(files), strict=True):
            started = time.perf_counter()
            outcome = (
                item
                if isinstance(item, Outcome)
                else _build_one(config, item, provider, out_dir, as_of, force, progress, strict, universe)
            )
            outcome = dataclasses.replace(outcome, seconds=time.perf_counter() - started)
            outcomes.append(outcome)
            detail = f" (input {outcome.input_hash[:12]}, as of {outcome.as_of})" if outcome.input_hash else ""
            log.info("%s: %s in %.1fs%s%s", outcome.study_id or config, outcome.status, outcome.seconds, detail,
                     f" — {outcome.message}" if outcome.message else "")  # fmt: skip
        for key in update_index(out_dir, outcomes, prune=prune):
            log.info("%s: study file gone; dropped from the index", key)
    if not files:
        log.warning("no study file to rebuild")
        return EXIT_CONFIG, outcomes
    return exit_code(outcomes), outcomes


def exit_code(outcomes: list[Outcome]) -> int:
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return EXIT_OK
    if len(failed) < len(outcomes):
        return EXIT_PARTIAL
    status = failed[0].status
    return EXIT_CONFIG if status == "bad config" else EXIT_DATA if status in ("data unavailable", "disk full") else 1
