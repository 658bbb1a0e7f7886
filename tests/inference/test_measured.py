"""measured: the tests' size on real returns, shipped with the package and shown in the report."""

from __future__ import annotations

import pandas as pd

from eventstudy.inference import TESTS
from eventstudy.inference.measured import COLUMNS, SizeRange, measured_rates, size_range


def _rates(values: list[float], test: str = "bw_t", design: str = "random") -> pd.DataFrame:
    windows = [(0, 0), (0, 1), (0, 5), (0, 10)][: len(values)]
    rows = [(design, 30, a, b, 0.0, test, 5500, r) for (a, b), r in zip(windows, values, strict=True)]
    rows.append((design, 30, 0, 0, 0.01, test, 5500, 0.9))  # a power cell: not a size
    rows.append((design, 100, 0, 0, 0.0, test, 5500, 0.2))  # another N
    return pd.DataFrame(rows, columns=list(COLUMNS))


def test_size_range_is_min_and_max_over_windows_of_the_null_cells():
    got = size_range("bw_t", "random", rates=_rates([0.049, 0.053, 0.057, 0.059]))
    assert got == SizeRange(0.049, 0.059, 5500)
    assert str(got) == "4.9–5.9 %" and got.within_band
    assert str(SizeRange(0.05, 0.0504, 10)) == "5.0 %"  # one value when both round alike


def test_outside_the_band_is_flagged():
    assert not size_range("bw_t", "random", rates=_rates([0.049, 0.066])).within_band  # 6.6 % > 5 % + 1.5 pp
    assert not size_range("bw_t", "random", rates=_rates([0.034, 0.05])).within_band
    assert size_range("bw_t", "random", rates=_rates([0.035, 0.065])).within_band  # the edges are inside


def test_not_validated_gives_none():
    rates = _rates([0.05])
    assert size_range("csect_t", "random", rates=rates) is None
    assert size_range("bw_t", "shared", rates=rates) is None
    assert size_range("bw_t", "random", firms=50, rates=rates) is None


NOT_YET_MEASURED = {"mvrm_wald", "garch_bmp_t"}


def test_the_package_ships_every_test_of_the_four_designs():
    rates = measured_rates()
    assert set(rates.columns) == set(COLUMNS)
    cells = rates.groupby(["design", "firms"]).size()
    assert set(cells.index) == {("random", 30), ("shared", 30), ("random", 100), ("shared", 100)}
    # mvrm_wald and garch_bmp_t (issue 21.5) are measured on real returns by the next `bench.validation --full`
    validated = [name for name in TESTS if name not in NOT_YET_MEASURED]
    assert set(rates.test) == set(validated)
    assert (cells == len(validated) * 4 * 4).all()  # tests × windows × (size + three injected levels)
    assert rates.studies.min() >= 5000 and rates.rejection_rate.between(0, 1).all()
    for name in validated:
        assert size_range(name, "random") is not None and size_range(name, "shared") is not None
