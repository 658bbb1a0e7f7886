"""The Python API: :func:`run` (a study and prices → :class:`Results`) and the :class:`Results` object.

``run`` calls the same analysis as ``eventstudy run`` and ``eventstudy rebuild``
(:func:`eventstudy.study.run.analyse_study`: load prices, analyse, evaluate claims) without writing anything;
:meth:`Results.to_report` publishes the report afterwards through the command's atomic path. This module is the
top of the package, beside the command line: it calls every stage and nothing below imports it.

The model (the study: events, windows, benchmark, normal-return model) lives in :class:`eventstudy.Study`;
:class:`Results` holds what a run of it produced, like a statsmodels or ``arch`` results object. Every frame has
the columns of the CSV file of the same name in the report directory (``docs/api.md``); the numbers are
computed once by the run and only selected here. plotly is imported when a figure is asked for.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .claims.verdicts import TABLE_COLUMNS
from .data import open_provider
from .data.base import PriceProvider
from .data.frames import FrameProvider
from .errors import ConfigError
from .model.diagnostics import COLUMNS as DIAGNOSTICS_COLUMNS
from .publish.destination import writable_directory
from .publish.outputs import COLUMNS, published_sensitivity
from .spec.config import Study, load_study, parse_study
from .study.confounders import screen_words, study_confounders
from .study.long_horizon import COLUMNS as LONG_HORIZON_COLUMNS
from .study.masking import describe_exclusion
from .study.reaction import FILES as REACTION_FILES
from .study.run import Analysis, analyse_study, data_warnings
from .study.summary import format_summary, study_summary
from .study.tables import as_texts

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from .study.results import StudyResults


def as_study(study: str | Path | Mapping[str, Any] | Study) -> Study:
    """A :class:`Study` from a study file's path, a dict with the file's structure, or a Study (returned as is)."""
    if isinstance(study, Study):
        return study
    if isinstance(study, (str, Path)):
        return load_study(study)
    if isinstance(study, Mapping):
        return parse_study(dict(study), "study dict")
    raise ConfigError(f"study: expected a path, a dict or a Study, got {type(study).__name__}")


def as_provider(
    source: str | PriceProvider | None,
    prices: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    cache: str | Path | None = None,
) -> PriceProvider:
    """The price provider for ``source`` (a ``--source`` value or a provider) or for ``prices`` (frames)."""
    if prices is not None:
        if source is not None:
            raise ConfigError("run: give either source= or prices=, not both")
        return FrameProvider(prices)
    if source is None:
        source = "auto"
    if isinstance(source, str):
        return open_provider(source, Path(cache) if cache is not None else None)
    if isinstance(source, PriceProvider):
        return source
    raise ConfigError(f"source: expected auto, snapshot, yahoo, csv:DIR or a PriceProvider, got {source!r}")


def as_date(value: object) -> date | None:
    """``as_of`` as a date: a date, a datetime or Timestamp (its date), an ISO ``YYYY-MM-DD`` string, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"as_of: {value!r:.60} is not a date (YYYY-MM-DD)") from None
    if isinstance(value, pd.Timestamp) or value is pd.NaT:
        if pd.isna(value):
            raise ConfigError("as_of: NaT is not a date; give a date (YYYY-MM-DD) or None")
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ConfigError(
        f"as_of: expected a date, a 'YYYY-MM-DD' string or None, got {type(value).__name__} {value!r:.40}"
    )


def run(
    study: str | Path | Mapping[str, Any] | Study,
    source: str | PriceProvider | None = None,
    *,
    prices: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    as_of: date | str | None = None,
    cache: str | Path | None = None,
    universe: str | Path | None = None,
) -> Results:
    """Run ``study`` and return its :class:`Results`; nothing is written (see :meth:`Results.to_report`).

    ``source``: ``"auto"`` (default: cache/Yahoo when reachable, else the vendored snapshot), ``"snapshot"``,
    ``"yahoo"``, ``"csv:DIR"`` or any :class:`~eventstudy.data.base.PriceProvider`. ``prices``: instead of a
    source, price frames in memory (``{ticker: frame}``, a long frame with a ``ticker`` column, or a wide frame
    of closes; :mod:`eventstudy.data.frames`), the benchmark included. ``as_of``: use only sessions up to
    this date. ``cache``: the price cache directory for ``yahoo``/``auto``. ``universe``: a market universe parquet
    whose firms give the claims' and the ``long_window``'s matched controls (None: the default study's vendored
    selection; ``docs/statistics.md``, "Long-horizon abnormal returns"). Bad input raises
    :class:`~eventstudy.errors.ConfigError`, missing prices :class:`~eventstudy.errors.DataError`.
    """
    spec = as_study(study)
    provider = as_provider(source, prices, cache)
    as_of = as_date(as_of)
    return Results(analyse_study(spec, provider, as_of, progress=False, universe=Path(universe) if universe else None))


class SummaryText(str):
    """The plain-text summary; shown as is (not quoted) by ``repr``, so a notebook cell displays the table."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class Results:
    """An analysed study: :attr:`headline`, tidy frames, :meth:`summary`, figures and :meth:`to_report`."""

    def __init__(self, analysis: Analysis) -> None:
        self._analysis = analysis
        self._headline: pd.DataFrame | None = None

    # -- what was run --------------------------------------------------------------------------------------
    @property
    def study(self) -> Study:
        """The study that was run."""
        return self._analysis.results.study

    @property
    def raw(self) -> StudyResults:
        """The underlying :class:`~eventstudy.study.results.StudyResults` (returns panel, abnormal-return arrays, ...)."""
        return self._analysis.results

    @property
    def source(self) -> str:
        """Where the prices came from (the sentence the report shows)."""
        return self._analysis.source

    @property
    def as_of(self) -> date | None:
        """The last session in the data used."""
        return self._analysis.results.as_of

    @property
    def warnings(self) -> list[str]:
        """Data warnings (benchmark gaps, a live source that fell back to the snapshot); also in :meth:`summary`."""
        return data_warnings(self.raw)

    # -- tidy frames (copies, labels as texts: changing them changes nothing here) ----------------------------
    def _table(self, name: str) -> pd.DataFrame:
        return as_texts(getattr(self.raw, name)[COLUMNS[f"{name}.csv"]].reset_index(drop=True))

    @property
    def headline(self) -> pd.DataFrame:
        """summary.csv: per event and window, N, CAAR, median CAR, share negative and the primary test with its
        Holm-adjusted p-value (definitions: :mod:`eventstudy.study.summary`)."""
        if self._headline is None:
            self._headline = study_summary(self.raw)
        return self._headline.copy()

    @property
    def caar(self) -> pd.DataFrame:
        """Per event and window: its exchange(s) and benchmark(s), firms with a return (``n_firms``), firms left out (``n_not_traded``), CAAR,
        median CAR and share of negative CARs — the descriptive columns of :attr:`headline`."""
        columns = [
            "event_id",
            "exchange",
            "benchmark",
            "window_start",
            "window_end",
            "n_firms",
            "n_not_traded",
            "caar",
            "median_car",
            "share_negative",
        ]
        return self.headline[columns]

    @property
    def car(self) -> pd.DataFrame:
        """car.csv: CAR, its forecast-error standard error, t, p, BHAR and return count per firm-event and window."""
        return self._table("car")

    @property
    def ar(self) -> pd.DataFrame:
        """ar.csv: the daily abnormal return of each firm-event over the daily path (``traded`` 0: no trade)."""
        return self._table("ar")

    @property
    def tests(self) -> pd.DataFrame:
        """tests.csv: every test statistic and p-value per event and window (and per day of the daily path)."""
        return self._table("tests")

    @property
    def sensitivity(self) -> pd.DataFrame:
        """sensitivity.csv: per event, window and benchmark (the firms' own, ``role`` main, then each alternative of
        their calendar) the CAAR, its change from the main CAAR (``caar_diff``) and the primary test, the model
        re-estimated against each alternative; ``note`` says why a figure is missing (:mod:`eventstudy.study.sensitivity`).
        Then, per event and window, the headline without the confounded firm-events (``role``
        ``without_confounded``; ``with_confounded`` under ``exclude_confounded: true``, :mod:`eventstudy.study.unconfounded`)."""
        return published_sensitivity(self.raw).reset_index(drop=True).copy()

    @property
    def confounders(self) -> pd.DataFrame:
        """confounders.csv: per firm-event what else could have moved its price in its windows — the study's own
        other events, separate shocks (|SAR| above ``shock_threshold``), earnings releases, ex-dates and splits, the
        user's news — and the checks that could not be made (``not_screened``); :mod:`eventstudy.study.confounders`.
        car.csv's ``confounded`` says which firm-events they flag."""
        return study_confounders(self.raw).copy()

    @property
    def estimates(self) -> pd.DataFrame:
        """estimates.csv: the normal-return model's estimation window, α, β and σ per firm-event, and the sessions
        left out of its estimation sample (``n_masked``, ``masked``, ``masked_by``: ``study.estimation_exclude``,
        :mod:`eventstudy.study.masking`)."""
        return self._table("estimates")

    @property
    def volume(self) -> pd.DataFrame:
        """volume.csv: per firm-event, event window and day of the daily path, the cumulative abnormal log volume
        (log-volume market model; suspended sessions are no trade) with its standard error, t and p
        (:mod:`eventstudy.study.reaction`, :mod:`eventstudy.model.volume`)."""
        return self._extra("volume")

    @property
    def volatility(self) -> pd.DataFrame:
        """volatility.csv: per firm-event and event window, Beaver's U (mean squared standardised abnormal return)
        and its F p-value (:mod:`eventstudy.inference.volatility`)."""
        return self._extra("volatility")

    @property
    def reaction_tests(self) -> pd.DataFrame:
        """reaction_tests.csv: per event and window the aggregate tests of abnormal volume, of abnormal volatility
        and, over the pre-window, of pre-event drift (``measure``: volume, volatility, pretrend)."""
        return self._extra("reaction_tests")

    @property
    def pretrend(self) -> pd.DataFrame:
        """The pre-event drift rows of :attr:`reaction_tests`: the pre-window's CAAR, its tests and the joint F
        (:mod:`eventstudy.inference.pretrend`)."""
        tests = self.reaction_tests
        return tests[tests["measure"] == "pretrend"].reset_index(drop=True)

    @property
    def diagnostics(self) -> pd.DataFrame:
        """Per firm-event, the estimation diagnostics of estimates.csv: Ljung–Box, Jarque–Bera and the midpoint Chow
        test with p-values and the flags of those below 1 % (:mod:`eventstudy.model.diagnostics`)."""
        return self.estimates[["event_id", "ticker", *DIAGNOSTICS_COLUMNS]]

    def _extra(self, key: str) -> pd.DataFrame:
        columns = dict(REACTION_FILES.values())[key]
        frame = self.raw.extra.get(key)
        return as_texts((frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(columns=columns))[columns])

    @property
    def claims(self) -> pd.DataFrame:
        """claims.csv: each claim's verdict and, for the "since" claims, what part was abnormal (BHARs against the
        benchmark and matched controls, the calendar-time alpha; :mod:`eventstudy.claims.long_horizon`). No rows
        when the study has no claims."""
        claims = self._analysis.claims
        return claims.table.copy() if claims is not None else pd.DataFrame(columns=TABLE_COLUMNS)

    @property
    def long_horizon(self) -> pd.DataFrame:
        """long_horizon.csv of a study with a ``long_window`` (:mod:`eventstudy.study.long_horizon`); no rows
        without one."""
        frame = self.raw.extra.get("long_horizon")
        return frame.copy() if isinstance(frame, pd.DataFrame) else pd.DataFrame(columns=LONG_HORIZON_COLUMNS)

    # -- text and HTML ------------------------------------------------------------------------------------
    def summary(self) -> SummaryText:
        """A plain-text summary: the study's parameters and data, then the headline table and its notes."""
        study, raw = self.study, self.raw
        pairs = [
            ("Study", f"{study.id} — {study.title}"),
            ("Model", study.model),
            ("Benchmarks", "; ".join(dict.fromkeys(f"{m.label or m.exchange} {m.benchmark}" for m in raw.markets))),
            (
                "Estimation window",
                f"{list(study.estimation_window)}, at least {study.min_estimation_returns} returns"
                f"; sessions left out: {describe_exclusion(study)}",
            ),
            ("Events / firm-events", f"{len(study.events)} / {len(raw.abnormal.firm_events)}"),
            ("Prices", f"{self.source}; as of {self.as_of}"),
            ("Confounders", screen_words(raw)),  # eventstudy/study/confounders.py
        ]
        width = max(len(k) for k, _ in pairs)
        lines = [f"{k + ':':<{width + 1}}  {v}" for k, v in pairs]
        lines.append(format_summary(self.headline))
        lines.extend(f"warning: {w}" for w in self.warnings)
        return SummaryText("\n".join(lines))

    def __str__(self) -> str:
        return str(self.summary())

    def __repr__(self) -> str:
        study = self.study
        return (
            f"<eventstudy.Results {study.id}: {len(study.events)} event(s), "
            f"{len(self.raw.abnormal.firm_events)} firm-events, as of {self.as_of}>"
        )

    def _repr_html_(self) -> str:
        """The headline table for Jupyter (every text escaped)."""
        frame = self.headline
        for col in ("caar", "median_car", "share_negative"):
            frame[col] = frame[col].map(lambda v: "—" if pd.isna(v) else f"{100 * v:+.2f}%")
        for col in ("statistic", "p_value", "p_holm"):
            frame[col] = frame[col].map(lambda v: "—" if pd.isna(v) else f"{v:.3f}")
        caption = html.escape(f"{self.study.id}: {self.study.title} — prices {self.source}, as of {self.as_of}")
        warnings = "".join(f"<p><strong>warning:</strong> {html.escape(w)}</p>" for w in self.warnings)
        return f"<div><p>{caption}</p>{frame.to_html(index=False, escape=True)}{warnings}</div>"

    # -- figures ------------------------------------------------------------------------------------------
    def _event_id(self, event: str | None) -> str:
        ids = [ev.id for ev in self.study.events]
        if event is None:
            if len(ids) == 1:
                return ids[0]
            raise ConfigError(f"the study has {len(ids)} events; name one ({', '.join(ids)})")
        if event not in ids:
            raise ConfigError(f"event {event!r} is not in study {self.study.id} ({', '.join(ids)})")
        return event

    def plot_car(self, event: str | None = None) -> go.Figure:
        """The report's CAR chart of ``event`` (each firm's CAR path with its 95% band), a plotly figure."""
        from .report.figures import car_figure

        return car_figure(self.raw, self._event_id(event))

    def plot_prices(self, event: str | None = None) -> go.Figure:
        """The report's price chart of ``event`` (total-return indices, day −1 = 100), a plotly figure."""
        from .report.figures import price_figure

        return price_figure(self.raw, self._event_id(event))

    # -- the report ---------------------------------------------------------------------------------------
    def to_report(self, directory: str | Path = "reports") -> Path:
        """Publish the report into ``directory/<study-id>/`` atomically (as ``eventstudy run`` does, under the
        reports directory's lock, keeping the previous build as last-good); return the path of index.html."""
        from .publish.rebuild import outcome_of, reports_lock, update_index, write_report

        if not isinstance(directory, (str, Path)):
            raise ConfigError(f"to_report: expected a directory path, got {type(directory).__name__}")
        out = writable_directory(Path(directory), "to_report")  # a file there: ConfigError, nothing touched
        with reports_lock(out):
            target = write_report(self._analysis, out)
            update_index(out, [outcome_of(self._analysis, "built")])
        return target / "index.html"
