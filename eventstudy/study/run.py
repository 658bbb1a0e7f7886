"""A study run around the analysis: the prices loaded and checked, the claims evaluated, what the run depends on
hashed (:func:`input_hash`, what a rebuild compares), its sources and warnings described. The API, ``eventstudy
run`` and the rebuild all call :func:`analyse_study`; :func:`run_study` is the analysis alone on a provider.
The analysis itself is :func:`eventstudy.study.analysis.analyse`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import __version__
from ..claims import ClaimsResults, evaluate_claims, parse_claims
from ..claims.long_horizon import control_market
from ..data import AsOfProvider, AutoProvider, fallback_notes
from ..data.base import PriceProvider, Provenance
from ..data.factors import model_options
from ..data.histories import price_digest
from ..data.progress import Progress
from ..data.quality import quality_warnings
from ..errors import ConfigError, DataError, EventStudyError, bounded_message
from ..spec.config import Study, load_study
from ..spec.factor_models import LIBRARY_MODELS
from .analysis import analyse
from .cross_section import parse_cross_section
from .long_horizon import study_long_horizon
from .plan import StudyInputs, plan_study, prepare_inputs
from .results import StudyResults
from .sensitivity import sensitivity_warnings, study_sensitivity
from .unconfounded import with_earnings


def input_hash(inputs: StudyInputs, source: str, claims: str = "") -> str:
    """SHA-256 of everything the outputs depend on: the claims table (``claims``), the package version, the study
    file's bytes and those of every other file it reads (events table, factor file, characteristics:
    :meth:`Study.input_files`), the factor-library rows of a ``ff3 | ff5 | carhart`` model (a re-fetched file
    rebuilds), the source description, the cut-off and every price row used."""
    digest = hashlib.sha256()
    digest.update(claims.encode())
    digest.update(f"eventstudy {__version__}\n".encode())
    digest.update(
        Path(inputs.study.path).read_bytes() if Path(inputs.study.path).is_file() else repr(inputs.study).encode()
    )
    for role, path in sorted(inputs.study.input_files().items()):  # every other file it reads, whole
        digest.update(f"\nfile {role} {path.name}\n".encode())
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")
    if inputs.study.model in LIBRARY_MODELS:  # the factor-library rows each market group read (cache or vendored)
        for group in inputs.groups:
            factors = model_options(inputs.study, group.calendar).get("factors")
            digest.update(f"\nfactors {group.calendar}\n".encode())
            digest.update(b"(none)" if factors is None else factors.to_csv(lineterminator="\n").encode())
    digest.update(f"\nsource {source}\nas_of {inputs.as_of}\n".encode())
    price_digest(digest, inputs.histories)
    if inputs.confounders is not None and inputs.confounders.earnings is not None:  # the confounder screen's
        digest.update(inputs.confounders.earnings.as_bytes())
    return digest.hexdigest()


def describe_source(provider: PriceProvider, source: str) -> str:
    """The sentence the report and study.json use for where prices came from."""
    provider = provider.inner if isinstance(provider, AsOfProvider) else provider
    if isinstance(provider, AutoProvider) and provider.fallback_reason:
        return f"{source} (auto: live source unreachable, fell back to the vendored snapshot)"
    if source == "snapshot":
        return "snapshot — real daily bars vendored in the package (see eventstudy/data/default_study/PROVENANCE.md)"
    return source


def provenance_after_claims(results: StudyResults, provider: PriceProvider) -> dict[str, Provenance]:
    """Each ticker's provenance, marked as fallen back if the claims' own reads (other dates) fell back."""
    merged = dict(results.provenance)
    for ticker, p in results.provenance.items():
        later = provider.provenance(ticker)
        if later.fell_back and not p.fell_back:
            merged[ticker] = dataclasses.replace(p, fell_back=later.fell_back, warning=later.warning)
    return merged


def load_checked(config: str | Path) -> Study:
    """Everything about a study file that can be checked before any price is read: the file itself, its claims
    and day 0 of every event on the exchange calendar. Any failure, of whatever kind, is a :class:`ConfigError`
    naming the file, on one line."""
    try:
        study = load_study(config)
        if "claims" in study.extra:
            parse_claims(study)
        parse_cross_section(study)
        model_options(study)  # a factor model's factor file, read and checked
        plan_study(study)
    except ConfigError:
        raise
    except EventStudyError as exc:
        raise ConfigError(bounded_message(f"{config}: {exc}")) from exc
    except Exception as exc:  # noqa: BLE001 - whatever a hostile file triggers is still that file's problem
        raise ConfigError(bounded_message(f"{config}: {type(exc).__name__}: {exc}")) from exc
    return study


@dataclass(frozen=True)
class Analysis:
    """One study analysed and ready to publish: its results, claims verdicts, source sentence and input hash."""

    results: StudyResults  # with ``extra`` carrying what study.json records beyond the tables
    inputs: StudyInputs
    claims: ClaimsResults | None
    source: str  # describe_source(): the sentence the report and study.json use
    input_hash: str


def data_flags(results: StudyResults) -> list[str]:
    """The data-quality flags of a run (possible unadjusted splits, one-session spikes, prev_close breaks), as the
    console prints them; ``--strict`` refuses a run that has any."""
    return quality_warnings(results.quality) if results.quality is not None else []


def analyse_study(
    study: Study, provider: PriceProvider, as_of: date | None = None, progress: bool = True, strict: bool = False,
    universe: Path | None = None,
) -> Analysis:  # fmt: skip
    """Load the prices ``study`` needs (up to ``as_of``), analyse them and evaluate its claims; write nothing.
    ``strict``: a :class:`DataError` (exit 3) if the prices carry any data flag (:func:`data_flags`); ``universe``:
    the market the claims' matched controls come from (None: the vendored selection)."""
    claims_spec = parse_claims(study) if "claims" in study.extra else ()
    if as_of is not None:
        provider = AsOfProvider(provider, as_of)
    bar = Progress(len(study.tickers), f"{study.id}: prices") if progress else None
    inputs = prepare_inputs(study, provider, as_of, on_fetch=bar.step if bar is not None else None)
    inputs = with_earnings(inputs, provider)  # earnings dates for the confounder screen (none from the snapshot)
    if bar is not None:
        bar.close()
    results = analyse(inputs)
    flags = data_flags(results) if strict else []
    if flags:
        more = f" (and {len(flags) - 1} more)" if len(flags) > 1 else ""
        raise DataError(f"{study.path}: --strict: the prices carry a data flag: {flags[0]}{more}")
    claims = evaluate_claims(study, provider, claims_spec, universe) if claims_spec else None
    source = describe_source(provider, results.source)
    digest = input_hash(inputs, source, claims.table.to_csv(lineterminator="\n") if claims else "")
    extra: dict[str, object] = {"json:input_hash": digest}
    if claims is not None:
        extra["json:claims"] = claims.details.to_dict(orient="records")
    if study.long_window is not None:  # long_horizon.csv
        extra["long_horizon"] = study_long_horizon(results, control_market(universe))
    provenance = provenance_after_claims(results, provider)  # the claims read other dates, which may fall back
    results = dataclasses.replace(results, extra={**results.extra, **extra}, provenance=provenance)
    return Analysis(results, inputs, claims, source, digest)


def data_warnings(results: StudyResults, fallback: bool = True) -> list[str]:
    """A run's data warnings: per-ticker data quality, firm-events left out for benchmark gaps, firms measured
    against a benchmark on another calendar, alternative benchmarks with sensitivity rows lacking a figure,
    (``fallback``) the live sources that fell back, with the tickers they served, and the tests not computed
    (:mod:`eventstudy.study.selection`) — what ``eventstudy run`` reports."""
    quality = quality_warnings(results.quality) if results.quality is not None else []
    gaps = [f"{g.event_id} {g.ticker}: {g.describe()}; left out of the tests" for g in results.benchmark_gaps]
    markets = [
        f"{fe.event_id} {fe.ticker}: {m.cross_market_note()}"
        for fe, m in zip(results.abnormal.firm_events, results.markets, strict=True)
        if m.benchmark_market is not None
    ]
    sensitivity = sensitivity_warnings(study_sensitivity(results))
    fell_back = fallback_notes(results.provenance, results.as_of) if fallback else []
    skipped = [str(n) for n in results.extra.get("json:tests_not_computed", ())]  # type: ignore[attr-defined]  # study/selection.py
    return quality + gaps + markets + sensitivity + fell_back + skipped


def run_study(study: Study, provider: PriceProvider, as_of: date | None = None) -> StudyResults:
    """Run every event of ``study`` on prices from ``provider`` (only sessions up to ``as_of`` if given)."""
    return analyse(prepare_inputs(study, provider, as_of))
