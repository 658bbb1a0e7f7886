"""A report's publication tables as one Excel workbook (``eventstudy table REPORT_DIR --format xlsx``): a sheet per
table of :mod:`eventstudy.report.tables` (summary, car, tests, sensitivity), each with its caption above, its
notes below and the same cells, numbers stored as numbers (percentages as in the LaTeX and Markdown tables, ×100).

Needs openpyxl (the ``xlsx`` extra): without it, a one-line error says how to install it.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from .tables import FILES, WHAT, PaperTable, paper_table


def _value(text: str, numeric: bool) -> str | float | None:
    """A cell as Excel should hold it: a number where the text is one (no stars), empty for "—"."""
    if text == "—":
        return None
    if numeric:
        try:
            return float(text.replace("−", "-"))
        except ValueError:
            return text  # a number with significance stars, or a word
    return text


def _sheet(book: object, name: str, table: PaperTable) -> None:
    from openpyxl.styles import Alignment, Font

    ws = book.create_sheet(title=name)  # type: ignore[attr-defined]
    ws.append([table.caption])
    ws["A1"].font = Font(bold=True)
    columns = list(table.frame.columns)
    ws.append(columns)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in table.frame.itertuples(index=False):
        ws.append([_value(str(v), c in table.numeric) for c, v in zip(columns, row, strict=True)])
    ws.append([])
    for note in table.notes:
        ws.append([note])
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=False)
    ws.freeze_panes = "A3"
    for k, column in enumerate(columns, start=1):
        width = max(len(column), *(len(str(v)) for v in table.frame[column])) if len(table.frame) else len(column)
        ws.column_dimensions[ws.cell(row=2, column=k).column_letter].width = min(width + 2, 40)


def write_workbook(report_dir: str | Path, out: str | Path, with_stars: bool = False) -> Path:
    """Write every table of the report in ``report_dir`` whose CSV is there into ``out`` (.xlsx); return ``out``."""
    try:
        from openpyxl import Workbook
    except ImportError:
        raise ConfigError(
            "--format xlsx: needs openpyxl, which is not installed (pip install 'eventstudy-kit[xlsx]')"
        ) from None
    report = Path(report_dir)
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise ConfigError(f"--out: {str(out)!r} does not end in .xlsx")
    book = Workbook()
    book.remove(book.active)
    for what in WHAT:
        if what != "summary" and not (report / FILES[what]).is_file():
            continue  # summary.csv is required (paper_table says so); the others only where the study has them
        _sheet(book, what, paper_table(report, what, with_stars))
    try:
        book.save(out)
    except OSError as exc:
        raise ConfigError(f"--out: cannot write {out}: {exc.strerror or exc}") from None
    return out
