"""Building studies into a reports directory: one build, or a scheduled rebuild of many.

A build hashes its inputs — the study file's bytes, every price row it uses, the source description, the
``--as-of`` cut-off and the package version — and records the hash in ``study.json``. A rebuild skips a
study whose hash is unchanged, publishes changed ones atomically (keeping the previous build as last-good),
and keeps ``reports/index.json`` and ``reports/index.html`` listing every study with its status. Outputs carry
no wall-clock time, so identical inputs give identical bytes; build times live only in ``index.json``.

Exit codes (also in ``docs/rebuild.md``): 0 every study built or up to date · 2 a study file is invalid ·
3 data unavailable or insufficient (the last good report is kept) · 4 partial: some studies failed, others
built · 75 another rebuild holds the reports directory's lock.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import jinja2

from . import __version__
from .atomic import write_atomic
from .claims import ClaimsResults, claims_figures_html, evaluate_claims, parse_claims, write_claims_csv
from .config import Study, load_study
from .data import AsOfProvider, AutoProvider
from .data.base import PriceProvider
from .errors import ConfigError, EventStudyError
from .progress import Progress
from .publish import publish, write_tables
from .report import render_report
from .study import StudyInputs, StudyResults, analyse, prepare_inputs

log = logging.getLogger("eventstudy")

EXIT_OK, EXIT_CONFIG, EXIT_DATA, EXIT_PARTIAL, EXIT_LOCKED = 0, 2, 3, 4, 75


class ReportsLocked(EventStudyError):
    """Another process is rebuilding into the same reports directory."""

    exit_code = EXIT_LOCKED


@dataclass(frozen=True)
class Outcome:
    """What happened to one study file."""

    config: str
    status: str  # "built", "up to date", "bad config", "data unavailable", "failed"
    study_id: str | None = None
    title: str | None = None
    input_hash: str | None = None
    as_of: str | None = None
    source: str | None = None
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("built", "up to date")


def input_hash(inputs: StudyInputs, source: str, claims: str = "") -> str:
    """SHA-256 of everything the outputs depend on (see the module docstring); ``claims`` is the claims table."""
    digest = hashlib.sha256()
    digest.update(claims.encode())
    digest.update(f"eventstudy {__version__}\n".encode())
    digest.update(
        Path(inputs.study.path).read_bytes() if Path(inputs.study.path).is_file() else repr(inputs.study).encode()
    )
    digest.update(f"\nsource {source}\nas_of {inputs.as_of}\n".encode())
    for ticker in sorted(inputs.histories):
        digest.update(f"{ticker}\n".encode())
        digest.update(inputs.histories[ticker].to_csv(lineterminator="\n").encode())
    return digest.hexdigest()


def describe_source(provider: PriceProvider, source: str) -> str:
    """The sentence the report and study.json use for where prices came from."""
    if isinstance(provider, AutoProvider) and provider.fallback_reason:
        return f"{source} (auto: live source unreachable, fell back to the vendored snapshot)"
    if source == "snapshot":
        return "snapshot — real daily bars vendored in the package (see eventstudy/data/default_study/PROVENANCE.md)"
    return source


def _recorded_hash(directory: Path) -> str | None:
    try:
        return json.loads((directory / "study.json").read_text(encoding="utf-8")).get("input_hash")
    except (OSError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class Analysis:
    """One study analysed and ready to publish: its results, claims verdicts, source sentence and input hash."""

    results: StudyResults  # with ``extra`` carrying what study.json records beyond the tables
    inputs: StudyInputs
    claims: ClaimsResults | None
    source: str  # describe_source(): the sentence the report and study.json use
    input_hash: str


def analyse_study(study: Study, provider: PriceProvider, as_of: date | None = None, progress: bool = True) -> Analysis:
    """Load the prices ``study`` needs (up to ``as_of``), analyse them and evaluate its claims; write nothing."""
    claims_spec = parse_claims(study) if "claims" in study.extra else ()
    if as_of is not None:
        provider = AsOfProvider(provider, as_of)
    bar = Progress(len(study.tickers), f"{study.id}: prices") if progress else None
    inputs = prepare_inputs(study, provider, as_of, on_fetch=bar.step if bar is not None else None)
    if bar is not None:
        bar.close()
    results = analyse(inputs)
    claims = evaluate_claims(study, provider, claims_spec) if claims_spec else None
    source = describe_source(provider, results.source)
    digest = input_hash(inputs, source, claims.table.to_csv(lineterminator="\n") if claims else "")
    extra: dict[str, object] = {"json:input_hash": digest}
    if claims is not None:
        extra["json:claims"] = claims.details.to_dict(orient="records")
    results = dataclasses.replace(results, extra={**results.extra, **extra})
    return Analysis(results, inputs, claims, source, digest)


def write_report(analysis: Analysis, out_dir: Path) -> Path:
    """Render the report and publish every output file of ``analysis`` atomically into ``out_dir/<id>/``."""
    results, claims = analysis.results, analysis.claims
    context: dict[str, object] = {"input_hash": analysis.input_hash}
    if claims is not None:
        context.update(claims=claims, claims_figures_html=claims_figures_html(claims))
    context["warnings"] = list(dict.fromkeys(p.warning for p in results.provenance.values() if p.warning))
    html = render_report(results, analysis.source, context)

    def write(directory: Path) -> None:
        write_tables(results, directory, analysis.source)
        if claims is not None:
            write_claims_csv(claims, directory / "claims.csv")
        (directory / "index.html").write_text(html, encoding="utf-8")

    return publish(Path(out_dir), results.study.id, write)


def build(
    config: str | Path,
    provider: PriceProvider,
    out_dir: Path,
    as_of: date | None = None,
    force: bool = True,
    progress: bool = True,
) -> tuple[Outcome, StudyResults]:
    """Build one study into ``out_dir/<id>/`` unless (``force`` False) its inputs are unchanged."""
    started = time.perf_counter()
    analysis = analyse_study(load_study(config), provider, as_of, progress)
    results = analysis.results
    if not force and _recorded_hash(Path(out_dir) / results.study.id) == analysis.input_hash:
        return outcome_of(analysis, "up to date", time.perf_counter() - started, config), results
    write_report(analysis, Path(out_dir))
    return outcome_of(analysis, "built", time.perf_counter() - started, config), results


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
    """Hold ``out_dir/.lock`` exclusively for the duration, or raise :class:`ReportsLocked` at once."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".lock"
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the context's lifetime
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ReportsLocked(
                f"{path}: another rebuild is running ({holder}); try again when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def update_index(out_dir: Path, outcomes: list[Outcome], clock: datetime | None = None) -> None:
    """Merge ``outcomes`` into ``index.json`` (with times) and re-render ``index.html`` (without)."""
    path = out_dir / "index.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("studies", {})
    except (OSError, ValueError, AttributeError):
        entries = {}
    now = (clock or datetime.now(UTC)).isoformat(timespec="seconds")
    for o in outcomes:
        key = o.study_id or o.config
        previous = entries.get(key, {})
        entry = {**previous, **{k: v for k, v in dataclasses.asdict(o).items() if v is not None}, "checked_at": now}
        if o.status == "built":
            entry["built_at"] = now
        if not o.ok:  # keep describing the last good build, and say why it was not replaced
            entry.update({k: previous[k] for k in ("input_hash", "as_of", "source") if k in previous})
        entry["last_good"] = (out_dir / key / "index.html").is_file()
        entries[key] = entry
    write_atomic(path, json.dumps({"studies": dict(sorted(entries.items()))}, indent=2) + "\n")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("eventstudy") / "templates")), autoescape=True
    )
    html = env.get_template("index.html.j2").render(studies=[entries[k] for k in sorted(entries)], version=__version__)
    write_atomic(out_dir / "index.html", html)


def rebuild(
    configs: list[str],
    provider: PriceProvider,
    out_dir: Path,
    as_of: date | None = None,
    force: bool = False,
    progress: bool = True,
) -> tuple[int, list[Outcome]]:
    """Rebuild every study file under the reports lock; return the exit code and what happened."""
    out_dir = Path(out_dir)
    outcomes: list[Outcome] = []
    with reports_lock(out_dir):
        for config in configs:
            started = time.perf_counter()
            try:
                outcome, _ = build(config, provider, out_dir, as_of, force, progress)
            except ConfigError as exc:
                outcome = Outcome(str(config), "bad config", message=str(exc))
            except EventStudyError as exc:
                study_id = _study_id(config)
                outcome = Outcome(str(config), "data unavailable", study_id=study_id, message=str(exc))
            except Exception as exc:  # noqa: BLE001 - one study's crash must not stop the others
                outcome = Outcome(
                    str(config), "failed", study_id=_study_id(config), message=f"{type(exc).__name__}: {exc}"
                )
            outcome = dataclasses.replace(outcome, seconds=time.perf_counter() - started)
            outcomes.append(outcome)
            detail = f" (input {outcome.input_hash[:12]}, as of {outcome.as_of})" if outcome.input_hash else ""
            log.info("%s: %s in %.1fs%s%s", outcome.study_id or config, outcome.status, outcome.seconds, detail,
                     f" — {outcome.message}" if outcome.message else "")  # fmt: skip
        update_index(out_dir, outcomes)
    return exit_code(outcomes), outcomes


def _study_id(config: str | Path) -> str | None:
    try:
        return load_study(config).id
    except EventStudyError:
        return None


def exit_code(outcomes: list[Outcome]) -> int:
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return EXIT_OK
    if len(failed) < len(outcomes):
        return EXIT_PARTIAL
    return (
        EXIT_CONFIG if failed[0].status == "bad config" else EXIT_DATA if failed[0].status == "data unavailable" else 1
    )
