"""workbook: ``eventstudy table --format xlsx`` — one sheet per table of the report, the cells of the LaTeX and
Markdown tables, numbers as numbers; bad input is a one-line error."""

from __future__ import annotations

import pytest

from eventstudy.cli.commands import main
from eventstudy.errors import ConfigError
from eventstudy.report.tables import paper_table

from .test_tables import report  # noqa: F401  (the hand-made report directory)


def test_one_sheet_per_table_with_the_same_cells(report, tmp_path, capsys):  # noqa: F811
    from openpyxl import load_workbook

    out = tmp_path / "tiny.xlsx"
    assert main(["table", str(report), "--format", "xlsx", "--out", str(out), "--stars"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    book = load_workbook(out)
    assert book.sheetnames == ["summary", "car", "tests"]  # no sensitivity.csv in this report: no sheet
    car = book["car"]
    table = paper_table(report, "car", with_stars=True)
    assert car["A1"].value == table.caption
    assert [c.value for c in car[2]] == list(table.frame.columns)
    rows = [[c.value for c in row] for row in car.iter_rows(min_row=3, max_row=2 + len(table.frame))]
    assert rows[0][:5] == ["ev", "A", "[0, 1]", "-5.00**", -5.0]  # stars keep the cell text; t is a number
    assert rows[0][6] == pytest.approx(0.012)  # p (Holm), hand-worked in test_tables
    assert rows[3][3] is None  # "—": no figure, an empty cell
    notes = [car.cell(row=r, column=1).value for r in range(3 + len(table.frame), car.max_row + 1)]
    assert [n for n in notes if n] == list(table.notes)


def test_default_name_and_bad_out(report, tmp_path, monkeypatch):  # noqa: F811
    from eventstudy.report.workbook import write_workbook

    monkeypatch.chdir(tmp_path)
    assert main(["table", str(report), "--format", "xlsx"]) == 0
    assert (tmp_path / "tiny-tables.xlsx").is_file()
    with pytest.raises(ConfigError, match=r"--out: 'x.csv' does not end in .xlsx"):
        write_workbook(report, "x.csv")


def test_without_openpyxl_one_line_says_how_to_install_it(report, tmp_path, monkeypatch):  # noqa: F811
    import builtins

    from eventstudy.report.workbook import write_workbook

    real = builtins.__import__

    def no_openpyxl(name, *args, **kwargs):
        if name.startswith("openpyxl"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    with pytest.raises(ConfigError, match=r"pip install 'eventstudy-kit\[xlsx\]'"):
        write_workbook(report, tmp_path / "t.xlsx")
