"""Publication tables from a report directory (``eventstudy table REPORT_DIR``): LaTeX (pandas Styler) or Markdown.

Three tables, each read from the published CSV files (so a table always shows the numbers of the report):

``summary``  ``summary.csv`` — per event and window: N, CAAR, median CAR, share negative, the primary test's
             statistic, p and Holm-adjusted p (definitions: :mod:`eventstudy.study.summary`).
``car``      ``car.csv`` — per firm-event and window: CAR with its t and p (forecast-error variance), BHAR.
``tests``    ``tests.csv`` — per event window (not the one-day rows of the daily path): every test's statistic,
             p and Holm-adjusted p.
``sensitivity`` ``sensitivity.csv`` — per event, window and benchmark (the firms' own, then each alternative): N,
             CAAR, its change from the own benchmark's CAAR in percentage points, the primary test's statistic and
             p (unadjusted: no stars; :mod:`eventstudy.study.sensitivity`).

Significance stars (``--stars``) come from Holm-adjusted p-values (Holm 1979), ``*``/``**``/``***`` at
``p_holm`` < 0.10/0.05/0.01, and the table's note names the family each adjustment runs over:

* summary: ``p_holm`` of summary.csv as published — all rows of the study (events × windows);
* car: the firm-level ``car_p`` adjusted across every firm-event × window row with a return (``n_obs`` > 0);
* tests: each test's ``p_value`` adjusted across its event × window rows (for the primary test this is the
  summary's family, so the two tables agree).

Percentages are CAR/CAAR/BHAR × 100. A figure the data cannot support (no firm traded in the window) is
shown as a dash and the note says why.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..study.summary import holm

FORMATS = ("latex", "markdown")
WHAT = ("summary", "car", "tests", "sensitivity")
STARS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "—": "---", "×": r"$\times$",
    "−": "-",
}  # fmt: skip
_LATEX_STARS = re.compile(r"(?<=\d)(\*{1,3})(?= &| \\\\)")  # stars after a number at the end of a cell
FILES = {"summary": "summary.csv", "car": "car.csv", "tests": "tests.csv", "sensitivity": "sensitivity.csv"}


@dataclass(frozen=True)
class PaperTable:
    """Cells as text, which columns are numeric (right-aligned), a caption and the notes under the table."""

    frame: pd.DataFrame
    numeric: tuple[str, ...]
    caption: str
    notes: tuple[str, ...]


def stars(p: float) -> str:
    """``***``, ``**``, ``*`` for p below 0.01, 0.05, 0.10; nothing otherwise (or without a p-value)."""
    if p is None or not math.isfinite(p):
        return ""
    return next((mark for level, mark in STARS if p < level), "")


def _num(value: Any, spec: str, scale: float = 1.0, dash: str = "—") -> str:
    if value is None or not math.isfinite(float(value)):
        return dash
    return format(float(value) * scale, spec)


def _window(a: Any, b: Any) -> str:
    return f"[{int(a)}, {int(b)}]"


def _read(report_dir: Path, what: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The CSV of ``what`` and study.json; any problem is a one-line :class:`ConfigError` naming the file."""
    if not report_dir.is_dir():
        raise ConfigError(f"{report_dir}: not a report directory (no such directory)")
    meta_path, path = report_dir / "study.json", report_dir / FILES[what]
    for p in (meta_path, path):
        if not p.is_file():
            raise ConfigError(f"{p}: no such file; is {report_dir} a report directory written by eventstudy run?")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{meta_path}: cannot read: {str(exc).splitlines()[0]}") from None
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ConfigError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise ConfigError(f"{meta_path}: not a study.json written by eventstudy")
    return frame, meta


def _caption(meta: dict[str, Any], what: str) -> str:
    study = meta.get("study", {}) if isinstance(meta.get("study"), dict) else {}
    title = study.get("title") or study.get("id") or "event study"
    label = {
        "summary": "Cumulative average abnormal returns", "car": "Firm-level CARs", "tests": "Test statistics",
        "sensitivity": "CAAR under alternative benchmarks",
    }  # fmt: skip
    as_of = (meta.get("data") or {}).get("as_of")
    return f"{label[what]}: {title}" + (f" (prices as of {as_of})" if as_of else "")


def _parameters(meta: dict[str, Any]) -> str:
    """The model and estimation window, and each event's benchmark(s) (study.json's ``events[].firms``)."""
    p = meta.get("parameters") or {}
    per_event = []
    for ev in meta.get("events") or []:
        if isinstance(ev, dict):
            marks = dict.fromkeys(str(f.get("benchmark")) for f in ev.get("firms") or [] if isinstance(f, dict))
            per_event.append(f"{ev.get('id', '?')} {', '.join(marks) or '?'}")
    benchmarks = "; ".join(per_event) if per_event else str(p.get("benchmark", "?"))
    return f"Model {p.get('model', '?')}, estimation window {p.get('estimation_window', '?')}. Benchmark: {benchmarks}."


def _summary(frame: pd.DataFrame, meta: dict[str, Any], with_stars: bool) -> PaperTable:
    out = pd.DataFrame(
        {
            "Event": frame["event_id"].astype(str),
            "Window": [_window(a, b) for a, b in zip(frame["window_start"], frame["window_end"], strict=True)],
            "N": frame["n_firms"].astype(int).astype(str),
            "CAAR (%)": [
                _num(v, "+.2f", 100) + (stars(p) if with_stars else "")
                for v, p in zip(frame["caar"], frame["p_holm"], strict=True)
            ],
            "Median CAR (%)": [_num(v, "+.2f", 100) for v in frame["median_car"]],
            "Negative (%)": [_num(v, ".0f", 100) for v in frame["share_negative"]],
            "Test": frame["test"].astype(str),
            "Statistic": [_num(v, "+.3f") for v in frame["statistic"]],
            "p": [_num(v, ".3f") for v in frame["p_value"]],
            "p (Holm)": [_num(v, ".3f") for v in frame["p_holm"]],
        }
    )
    notes = [
        "N: firms with a return in the window. CAAR: mean CAR over those firms; p (Holm): adjusted across all "
        f"{int(np.isfinite(frame['p_holm'].to_numpy(dtype=float)).sum())} rows of the study.",
        _parameters(meta),
    ]
    not_traded = frame["n_not_traded"].to_numpy(dtype=float)
    if (not_traded > 0).any():
        notes.append(
            "Firms without any return in a window (suspended throughout) are left out: "
            + ", ".join(
                f"{e} {_window(a, b)}: {int(n)}"
                for e, a, b, n in zip(frame["event_id"], frame["window_start"], frame["window_end"], not_traded)
                if n > 0
            )
            + "; — : no firm traded."
        )
    if "note" in frame.columns:  # figures resting on less than asked (summary.csv's note column), row by row
        for e, a, b, note in zip(frame["event_id"], frame["window_start"], frame["window_end"], frame["note"]):
            if isinstance(note, str) and note.strip():
                notes.append(f"{e} {_window(a, b)}: {note.strip()}")
    if with_stars:
        notes.append("*, **, ***: Holm-adjusted p < 0.10, 0.05, 0.01.")
    numeric = ("N", "CAAR (%)", "Median CAR (%)", "Negative (%)", "Statistic", "p", "p (Holm)")
    return PaperTable(out, numeric, _caption(meta, "summary"), tuple(notes))


def _car(frame: pd.DataFrame, meta: dict[str, Any], with_stars: bool) -> PaperTable:
    traded = frame["n_obs"].to_numpy(dtype=float) > 0
    p_holm = np.full(len(frame), np.nan)
    p_holm[traded] = holm(frame["car_p"].to_numpy(dtype=float)[traded])
    out = pd.DataFrame(
        {
            "Event": frame["event_id"].astype(str),
            "Firm": frame["ticker"].astype(str),
            "Window": [_window(a, b) for a, b in zip(frame["window_start"], frame["window_end"], strict=True)],
            "CAR (%)": [
                _num(v, "+.2f", 100) + (stars(p) if with_stars else "")
                for v, p in zip(frame["car"], p_holm, strict=True)
            ],
            "t": [_num(v, "+.2f") for v in frame["car_t"]],
            "p": [_num(v, ".3f") for v in frame["car_p"]],
            "p (Holm)": [_num(v, ".3f") for v in p_holm],
            "BHAR (%)": [_num(v, "+.2f", 100) for v in frame["bhar"]],
            "Returns": frame["n_obs"].astype(int).astype(str),
        }
    )
    notes = [
        "CAR: sum of the firm's abnormal returns over the window; t and p from its forecast-error variance. "
        f"p (Holm): adjusted across the {int(traded.sum())} firm-event × window rows with a return.",
        _parameters(meta),
    ]
    if (~traded).any():
        notes.append(f"— : the firm did not trade in the window ({int((~traded).sum())} row(s)); no figure.")
    if with_stars:
        notes.append("*, **, ***: Holm-adjusted p < 0.10, 0.05, 0.01.")
    return PaperTable(
        out, ("CAR (%)", "t", "p", "p (Holm)", "BHAR (%)", "Returns"), _caption(meta, "car"), tuple(notes)
    )


def _tests(frame: pd.DataFrame, meta: dict[str, Any], with_stars: bool) -> PaperTable:
    windows = {tuple(w) for w in (meta.get("parameters") or {}).get("event_windows", [])}
    keep = [(int(a), int(b)) in windows for a, b in zip(frame["window_start"], frame["window_end"], strict=True)]
    frame = frame[np.array(keep, dtype=bool)].reset_index(drop=True)
    p_holm = np.full(len(frame), np.nan)
    for _, index in frame.groupby("test", sort=False).groups.items():
        rows = frame.index.get_indexer(index)
        p_holm[rows] = holm(frame["p_value"].to_numpy(dtype=float)[rows])
    out = pd.DataFrame(
        {
            "Event": frame["event_id"].astype(str),
            "Window": [_window(a, b) for a, b in zip(frame["window_start"], frame["window_end"], strict=True)],
            "Test": frame["test"].astype(str),
            "Statistic": [
                _num(v, "+.3f") + (stars(p) if with_stars else "")
                for v, p in zip(frame["statistic"], p_holm, strict=True)
            ],
            "p": [_num(v, ".3f") for v in frame["p_value"]],
            "p (Holm)": [_num(v, ".3f") for v in p_holm],
            "N": [_num(v, ".0f") for v in frame["n_firms"]],
        }
    )
    notes = [
        "p (Holm): each test's p-values adjusted across its event × window rows. Formulas: docs/statistics.md.",
        _parameters(meta),
    ]
    if with_stars:
        notes.append("*, **, ***: Holm-adjusted p < 0.10, 0.05, 0.01.")
    return PaperTable(out, ("Statistic", "p", "p (Holm)", "N"), _caption(meta, "tests"), tuple(notes))


def _sensitivity(frame: pd.DataFrame, meta: dict[str, Any], with_stars: bool) -> PaperTable:
    out = pd.DataFrame(
        {
            "Event": frame["event_id"].astype(str),
            "Window": [_window(a, b) for a, b in zip(frame["window_start"], frame["window_end"], strict=True)],
            "Benchmark": [
                f"{b}" if role == "alternative" else f"{b} (own)"
                for b, role in zip(frame["benchmark"].astype(str), frame["role"], strict=True)
            ],
            "N": [_num(v, ".0f") for v in frame["n_firms"]],
            "CAAR (%)": [_num(v, "+.2f", 100) for v in frame["caar"]],
            "Change (pp)": [_num(v, "+.2f", 100) for v in frame["caar_diff"]],
            "Test": frame["test"].astype(str),
            "Statistic": [_num(v, "+.3f") for v in frame["statistic"]],
            "p": [_num(v, ".3f") for v in frame["p_value"]],
        }
    )
    notes = [
        "Each firm's normal-return model re-estimated against the benchmark (same estimation window and returns); "
        "CAAR: mean CAR over the firms with a return in the window; Change: CAAR minus the CAAR against the firms' "
        "own benchmark; p unadjusted" + (", so no stars." if with_stars else "."),
        _parameters(meta),
    ]
    own: dict[tuple[Any, Any, Any], str] = {}  # the own benchmark's note per event and window (the summary's)
    for e, a, b, bench, role, note in zip(
        frame["event_id"], frame["window_start"], frame["window_end"], frame["benchmark"], frame["role"], frame["note"]
    ):
        text = note.strip() if isinstance(note, str) else ""
        if role != "alternative":
            own[(e, a, b)] = text
        elif text and text != own.get((e, a, b)):  # an alternative's own caveat: missing prices, a benchmark gap
            notes.append(f"{e} {_window(a, b)} against {bench}: {text}")
    numeric = ("N", "CAAR (%)", "Change (pp)", "Statistic", "p")
    return PaperTable(out, numeric, _caption(meta, "sensitivity"), tuple(notes))


BUILDERS: dict[str, Callable[[pd.DataFrame, dict[str, Any], bool], PaperTable]] = {
    "summary": _summary, "car": _car, "tests": _tests, "sensitivity": _sensitivity,
}  # fmt: skip


def paper_table(report_dir: str | Path, what: str = "summary", with_stars: bool = False) -> PaperTable:
    """The ``what`` table of the report in ``report_dir`` (see the module docstring)."""
    if what not in BUILDERS:
        raise ConfigError(f"--what: {what!r} is not one of {', '.join(WHAT)}")
    frame, meta = _read(Path(report_dir), what)
    try:
        return BUILDERS[what](frame, meta, with_stars)
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"{Path(report_dir) / FILES[what]}: unexpected contents ({type(exc).__name__}: {exc})"
        ) from None


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def to_latex(table: PaperTable) -> str:
    """A booktabs ``table`` environment (pandas Styler), every cell, header and note escaped."""
    frame = table.frame.replace("—", "---")
    styler = frame.style.hide(axis="index").format(escape="latex").format_index(escape="latex", axis=1)
    align = "".join("r" if c in table.numeric else "l" for c in frame.columns)
    body = styler.to_latex(
        column_format=align,
        hrules=True,
        caption=latex_escape(table.caption),
        position="htbp",
        position_float="centering",
    )
    body = _LATEX_STARS.sub(lambda m: f"$^{{{m.group(1)}}}$", body)
    notes = "\n".join(f"\\par\\footnotesize {latex_escape(n)}" for n in table.notes)
    return body.replace("\\end{table}", f"{notes}\n\\end{{table}}") if notes else body


def _md_cell(text: str) -> str:
    """One Markdown cell: ``|`` and line breaks neutralised, and ``<``, ``>`` as HTML entities — Markdown
    renderers pass raw HTML through, so a ``<script>`` in a study's title must not reach the page as a tag."""
    escaped = str(text).replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def to_markdown(table: PaperTable) -> str:
    """A GitHub-flavoured Markdown table (numeric columns right-aligned), the caption above and notes below."""
    columns = list(table.frame.columns)
    rows = [[_md_cell(v) for v in row] for row in table.frame.itertuples(index=False)]
    widths = [max(len(c), 3, *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    head = "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |"
    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if c in table.numeric else "-" * (w + 2) for c, w in zip(columns, widths, strict=True)
        )
        + "|"
    )
    body = [
        "| "
        + " | ".join(v.rjust(w) if c in table.numeric else v.ljust(w) for c, v, w in zip(columns, r, widths))
        + " |"
        for r in rows
    ]
    notes = "\n\n".join(_md_cell(n) for n in table.notes)
    return "\n".join([f"**{_md_cell(table.caption)}**", "", head, rule, *body, "", notes]) + "\n"


def render(report_dir: str | Path, fmt: str = "markdown", what: str = "summary", with_stars: bool = False) -> str:
    """The table as text in ``fmt`` (``latex`` or ``markdown``)."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    table = paper_table(report_dir, what, with_stars)
    return to_latex(table) if fmt == "latex" else to_markdown(table)
