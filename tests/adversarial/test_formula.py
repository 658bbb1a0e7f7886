"""The cross-section formula is data: parsed by its own grammar, never evaluated as code.

On main a study file's ``cross_section.formula`` went to patsy, which evaluates its terms as Python: a formula
created a marker file, another read files. Each hostile formula below must be refused with exit 2 naming the file
and field, and must leave no trace."""

from __future__ import annotations

import textwrap

import pytest

from eventstudy.cli import main
from eventstudy.errors import ConfigError
from eventstudy.spec.formula import parse_formula

from ..conftest import ROOT

COLUMNS = {"car", "bhar", "beta", "size", "exchange", "day0"}


@pytest.mark.parametrize(
    ("text", "rebuilt", "used"),
    [
        ("car ~ beta", "car ~ beta", ("beta",)),
        ("bhar ~ beta + size - 1", "bhar ~ beta + size - 1", ("beta", "size")),
        ("car~beta*size+C(exchange)", "car ~ beta*size + C(exchange)", ("beta", "size", "exchange")),
        ("car ~ np.log(size) + beta:size + 0", "car ~ np.log(size) + beta:size + 0", ("size", "beta")),
        ("car ~ (beta + size):C(exchange)", "car ~ (beta + size):C(exchange)", ("beta", "size", "exchange")),
        ("car ~ standardize(size) - beta", "car ~ standardize(size) - beta", ("size", "beta")),
    ],
)
def test_the_grammar_reads_what_researchers_write(text, rebuilt, used):
    formula = parse_formula(text, COLUMNS, "f")
    assert formula.text == rebuilt and formula.columns == used


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("car ~ __import__('os').system('touch MARK')", "is not part of the formula grammar"),  # the quote
        ("car ~ open('/etc/passwd').read()", "is not part of the formula grammar"),
        ("car ~ eval(beta)", "eval(...) is not an allowed function"),
        ("car ~ __import__(os)", "__import__(...) is not an allowed function"),
        ("car ~ I(beta ** 2)", "I(...) is not an allowed function"),
        ("car ~ os.system", "'os.system' is not a column of the regression data"),
        ("car ~ beta + [x for x in ()]", "'[x for x in ()]' is not part of the formula grammar"),
        ("car ~ beta.__class__", "'beta.__class__' is not a column"),
        ("car ~ np.log(np.exp(beta))", "'np.exp' is not a column"),
        ("car ~ beta + 2", "the only numbers in a formula are 0 and 1"),
        ("car ~ beta + 'size'", "is not part of the formula grammar"),
        ("car ~ wealth", "'wealth' is not a column of the regression data"),
        ("car ~ beta ~ size", "unexpected '~'"),
        ("ar ~ beta", "the left-hand side must be car or bhar, not 'ar'"),
        ("car ~ ", "the right-hand side is empty"),
        ("car ~ (beta + size", "expected ')', found 'the end'"),
        ("car ~ " + " + ".join(["beta"] * 200), "at most 500 are read"),
    ],
)
def test_anything_outside_the_grammar_is_refused(text, message):
    with pytest.raises(ConfigError) as err:
        parse_formula(text, COLUMNS, "study.yaml: cross_section.formula")
    assert str(err.value).startswith("study.yaml: cross_section.formula: ") and message in str(err.value)


HOSTILE = [
    "car ~ __import__('pathlib').Path('MARKER').write_text('x')",
    "car ~ beta + __import__('os').system('touch MARKER')",
    "car ~ np.log(beta) + open('MARKER', 'w').close()",
]


@pytest.mark.parametrize("formula", HOSTILE)
def test_a_hostile_formula_runs_no_code_and_exits_2(tmp_path, capsys, monkeypatch, formula):
    """On main the first two created MARKER (patsy evaluated the terms). Now: exit 2, one line, no MARKER, no
    report, for validate, run and rebuild alike."""
    monkeypatch.chdir(tmp_path)
    study = tmp_path / "study.yaml"
    text = (ROOT / "events.yaml").read_text(encoding="utf-8")
    block = text[text.index("cross_section:") :]
    hostile = block.replace(block.split("formula:", 1)[1].splitlines()[0], f' "{formula}"')
    study.write_text(text.replace(block, hostile), encoding="utf-8")
    assert formula in study.read_text(encoding="utf-8")
    for argv in (["validate", str(study)], ["run", str(study), "--source", "snapshot", "--out", "r"],
                 ["rebuild", str(study), "--source", "snapshot", "--out", "r"]):  # fmt: skip
        assert main(argv) == 2
        captured = capsys.readouterr()
        err = (captured.err + captured.out).strip().splitlines()
        assert err and "cross_section.formula: " in err[-1] and "is not" in err[-1], captured
    assert not (tmp_path / "MARKER").exists()
    assert not (tmp_path / "r" / "entity-list-2019").exists()


def test_patsy_sees_only_the_rebuilt_formula(tmp_path):
    """Defence in depth: fit_cross_section, public, parses its formula too before any design matrix is built."""
    import pandas as pd

    from eventstudy.study.cross_section import fit_cross_section

    data = pd.DataFrame({"car": [0.1, 0.2, 0.3, 0.1], "beta": [1.0, 1.1, 0.9, 1.2], "day0": ["d"] * 4})
    with pytest.raises(ConfigError, match="is not part of the formula grammar"):
        fit_cross_section(data, "car ~ __import__('os').getcwd()")
    assert textwrap.dedent("x") == "x"
