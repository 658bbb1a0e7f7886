"""What :func:`eventstudy.run` returns: one analysed study, as tidy frames, text, figures and a report.

The model (the study: events, windows, benchmark, normal-return model) lives in :class:`eventstudy.Study`;
this object holds what a run of it produced, like a statsmodels or ``arch`` results object. Every frame has
the columns of the CSV file of the same name in the report directory (``docs/api.md``); the numbers are
computed once by the run and only selected here. plotly is imported when a figure is asked for.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import ConfigError
from .publish import COLUMNS
from .summary import format_summary, study_summary

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from .config import Study
    from .rebuild import Analysis
    from .study import StudyResults


def data_warnings(results: StudyResults, fallback: bool = True) -> list[str]:
    """A run's data warnings: per-ticker data quality, firm-events left out for benchmark gaps and (``fallback``)
    the live sources that fell back, with the tickers they served (what ``eventstudy run`` reports)."""
    from .data import fallback_notes
    from .quality import quality_warnings

    quality = quality_warnings(results.quality) if results.quality is not None else []
    gaps = [f"{g.event_id} {g.ticker}: {g.describe()}; left out of the tests" for g in results.benchmark_gaps]
    return quality + gaps + (fallback_notes(results.provenance, results.as_of) if fallback else [])


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
        """The underlying :class:`~eventstudy.study.StudyResults` (returns panel, abnormal-return arrays, ...)."""
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

    # -- tidy frames (copies: changing them changes nothing here) -----------------------------------------
    def _table(self, name: str) -> pd.DataFrame:
        return getattr(self.raw, name)[COLUMNS[f"{name}.csv"]].reset_index(drop=True).copy()

    @property
    def headline(self) -> pd.DataFrame:
        """summary.csv: per event and window, N, CAAR, median CAR, share negative and the primary test with its
        Holm-adjusted p-value (definitions: :mod:`eventstudy.summary`)."""
        if self._headline is None:
            self._headline = study_summary(self.raw)
        return self._headline.copy()

    @property
    def caar(self) -> pd.DataFrame:
        """Per event and window: firms with a return (``n_firms``), firms left out (``n_not_traded``), CAAR,
        median CAR and share of negative CARs — the descriptive columns of :attr:`headline`."""
        columns = [
            "event_id",
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
    def estimates(self) -> pd.DataFrame:
        """estimates.csv: the normal-return model's estimation window, α, β and σ per firm-event."""
        return self._table("estimates")

    # -- text and HTML ------------------------------------------------------------------------------------
    def summary(self) -> SummaryText:
        """A plain-text summary: the study's parameters and data, then the headline table and its notes."""
        study, raw = self.study, self.raw
        pairs = [
            ("Study", f"{study.id} — {study.title}"),
            ("Model", f"{study.model}, benchmark {study.benchmark}"),
            ("Estimation window", f"{list(study.estimation_window)}, at least {study.min_estimation_returns} returns"),
            ("Events / firm-events", f"{len(study.events)} / {len(raw.abnormal.firm_events)}"),
            ("Prices", f"{self.source}; as of {self.as_of}"),
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
        from .figures import car_figure

        return car_figure(self.raw, self._event_id(event))

    def plot_prices(self, event: str | None = None) -> go.Figure:
        """The report's price chart of ``event`` (total-return indices, day −1 = 100), a plotly figure."""
        from .figures import price_figure

        return price_figure(self.raw, self._event_id(event))

    # -- the report ---------------------------------------------------------------------------------------
    def to_report(self, directory: str | Path = "reports") -> Path:
        """Publish the report into ``directory/<study-id>/`` atomically (as ``eventstudy run`` does, under the
        reports directory's lock, keeping the previous build as last-good); return the path of index.html."""
        from .rebuild import outcome_of, reports_lock, update_index, write_report

        out = Path(directory)
        with reports_lock(out):
            target = write_report(self._analysis, out)
            update_index(out, [outcome_of(self._analysis, "built")])
        return target / "index.html"
