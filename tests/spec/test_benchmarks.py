"""No implicit benchmark: every firm is measured against an index of its own market that the study file names (a
single ticker on the firm's calendar, an exchange mapping, or the firm's own ``benchmark:``), and a benchmark from
another market only where the file sets it on the firm, stated next to the figures.

On main before this, a US study without ``benchmark:`` regressed NVDA, AMBA and MU on the CSI 300 and a Shenzhen
firm ran against VONE, both with exit 0.
"""

from __future__ import annotations

import textwrap

import pytest

from eventstudy.cli import main
from eventstudy.errors import ConfigError
from eventstudy.spec.config import load_study

US = """
study:
  id: us
  title: US suppliers
BENCHMARK
events:
  - id: oct
    title: Entity List
    announced: "2019-10-07T18:00:00-04:00"
    firms:
      - {ticker: NVDA, name: Nvidia}
      - {ticker: AMBA, name: Ambarella}
      - {ticker: MU, name: Micron}
"""

CN = """
study:
  id: cn
  title: Hikvision
BENCHMARK
events:
  - id: oct
    title: Entity List
    announced: "2019-10-07T18:00:00-04:00"
    firms:
      - {ticker: 002415.SZ, name: Hikvision FIRM}
"""


def _write(tmp_path, template: str, benchmark: str, firm: str = "") -> str:
    path = tmp_path / "study.yaml"
    path.write_text(textwrap.dedent(template).replace("BENCHMARK", benchmark).replace(" FIRM", firm))
    return str(path)


@pytest.mark.parametrize(
    ("template", "benchmark", "message"),
    [
        (US, "", "events[0].firms[0].exchange: NVDA trades on XNYS and the study names no benchmark (there is no "
                 "default); add XNYS: <index ticker> to study.benchmark"),
        (CN, "  benchmark: VONE", "events[0].firms[0].exchange: 002415.SZ trades on XSHE, but the study's benchmark "
                                  "VONE trades on XNYS, another calendar"),
        (US, "  benchmark: 000300.SS", "events[0].firms[0].exchange: NVDA trades on XNYS, but the study's benchmark "
                                       "000300.SS trades on XSHG, another calendar"),
        (CN, "  benchmark: {XSHE: VONE}", "study.benchmark.XSHE: VONE trades on XNYS, not on XSHE's calendar; a "
                                          "benchmark from another market may only be set on a firm itself"),
        (US, "  benchmark: {XSHE: 000300.SS}", "events[0].firms[0].exchange: NVDA trades on XNYS, which the benchmark "
                                               "mapping lacks (XSHE)"),
    ],
)  # fmt: skip
def test_a_firm_without_a_benchmark_of_its_market_is_exit_2(tmp_path, capsys, template, benchmark, message):
    path = _write(tmp_path, template, benchmark)
    with pytest.raises(ConfigError) as err:
        load_study(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)
    assert main(["run", path, "--source", "snapshot", "--out", str(tmp_path / "reports")]) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and message in err_lines[0]
    assert not (tmp_path / "reports" / "us").exists() and not (tmp_path / "reports" / "cn").exists()


@pytest.mark.parametrize(
    ("template", "benchmark", "expected"),
    [
        (US, "  benchmark: VONE", "VONE"),  # a single ticker on the firms' own calendar
        (US, "  benchmark: ^GSPC", "^GSPC"),  # a Yahoo index without suffix counts as New York's
        (US, "  benchmark: {XNAS: ONEQ}", "ONEQ"),  # Nasdaq's entry serves NYSE firms: the same sessions
        (CN, "  benchmark: 000300.SS", "000300.SS"),  # Shanghai's index on the Shenzhen calendar (XSHE follows XSHG)
        (CN, "  benchmark: {XHKG: ^HSI, XSHE: 399106.SZ}", "399106.SZ"),
    ],
)  # fmt: skip
def test_a_benchmark_of_the_firms_market_is_accepted(tmp_path, template, benchmark, expected):
    study = load_study(_write(tmp_path, template, benchmark))
    assert {study.benchmark_of(f) for ev in study.events for f in ev.firms} == {expected}


def test_a_suffixless_index_of_another_market_needs_the_mapping(tmp_path):
    hk = CN.replace("002415.SZ", "0700.HK").replace("Hikvision", "Tencent")
    with pytest.raises(ConfigError, match=r"0700\.HK trades on XHKG, but the study's benchmark \^HSI trades on XNYS"):
        load_study(_write(tmp_path, hk, "  benchmark: ^HSI"))
    assert load_study(_write(tmp_path, hk, "  benchmark: {XHKG: ^HSI}")).benchmark == "^HSI"


def test_a_benchmark_of_another_market_set_on_the_firm_runs_and_is_stated(tmp_path, capsys):
    """Hikvision against VONE, set on the firm: allowed, and the report, the console and Results say so."""
    import eventstudy as es

    path = _write(tmp_path, CN, "", ", benchmark: VONE")
    study = load_study(path)
    assert study.benchmark == "VONE" and study.benchmark_of(study.events[0].firms[0]) == "VONE"
    out = tmp_path / "reports"
    code = main(["run", path, "--source", "snapshot", "--out", str(out)])
    assert code == 0
    note = (
        "benchmark VONE trades on XNYS, not on the XSHG calendar of the firm (XSHE); set on the firm in the study file"
    )
    assert f"oct 002415.SZ: {note}" in capsys.readouterr().err
    assert note in (out / "cn" / "index.html").read_text(encoding="utf-8")
    assert f"oct 002415.SZ: {note}" in es.run(path, source="snapshot").warnings


def test_init_writes_an_exchange_mapping(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "new-study"]) == 0
    study = load_study(tmp_path / "new-study.yaml")
    assert study.benchmarks == {"XSHE": "000300.SS", "XNYS": "VONE"}


def test_every_output_names_each_events_market_and_benchmark(tmp_path, capsys):
    """summary.csv, the console, Results.summary() and ``eventstudy table`` say which market and benchmark each
    row is about; XNAS is shown as Nasdaq (on the NYSE sessions), a suffix-less ticker without exchange: as what
    it is known to be, New York (NYSE or Nasdaq)."""
    import pandas as pd

    import eventstudy as es

    path = _write(tmp_path, US.replace("{ticker: AMBA, name: Ambarella}", "{ticker: AMBA, name: Ambarella, exchange: XNAS}"),
                  "  benchmark: VONE")  # fmt: skip
    out = tmp_path / "reports"
    assert main(["run", path, "--source", "snapshot", "--out", str(out)]) == 0
    console = capsys.readouterr().out
    summary = pd.read_csv(out / "us" / "summary.csv")
    assert list(summary.columns[:3]) == ["event_id", "exchange", "benchmark"]
    assert set(summary["exchange"]) == {"New York (NYSE or Nasdaq); Nasdaq"} and set(summary["benchmark"]) == {"VONE"}
    assert "oct: New York (NYSE or Nasdaq); Nasdaq against VONE" in console.splitlines()
    assert "oct: New York (NYSE or Nasdaq); Nasdaq against VONE" in es.run(path, source="snapshot").summary()
    assert main(["table", str(out / "us"), "--format", "markdown"]) == 0
    assert "Benchmark: oct VONE." in capsys.readouterr().out
    assert "New York (NYSE or Nasdaq); Nasdaq · against VONE" in (out / "us" / "index.html").read_text(encoding="utf-8")
