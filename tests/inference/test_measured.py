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


def test_the_package_ships_every_test_of_the_six_designs():
    """Every test of the battery on 5,500 pseudo-studies of each design, but those that fit a model per firm
    (``EXPENSIVE``) and ``mvrm_wald`` (added by issue 21.5), run on their own: 1,000 pseudo-studies on a shared day
    0 with 4, 13 and 30 firms (``bench.validation --tests``)."""
    from eventstudy.inference import EXPENSIVE

    rates = measured_rates()
    assert set(rates.columns) == set(COLUMNS)
    designs = {("random", 30), ("shared", 30), ("random", 100), ("shared", 100), ("shared", 4), ("shared", 13)}
    assert set(zip(rates.design, rates.firms, strict=True)) == designs
    later = {"mvrm_wald", *EXPENSIVE}
    full = [name for name in TESTS if name not in later]
    for design, firms in designs:
        cell = rates[(rates.design == design) & (rates.firms == firms)]
        want = set(full) | (later if design == "shared" and firms in (4, 13, 30) else set())
        assert set(cell.test) == want and len(cell) == len(want) * 4 * 4  # × windows × (size + 3 injected levels)
        assert cell[cell.test.isin(full)].studies.min() >= 5000 and cell.studies.min() >= 900
    assert rates.rejection_rate.between(0, 1).all()
    for name in full:
        assert size_range(name, "random") is not None and size_range(name, "shared") is not None
    for name in later:
        assert all(size_range(name, "shared", n) is not None for n in (4, 13, 30))


def _shared(sizes: dict[int, list[float]], test: str = "kp_bmp_t") -> pd.DataFrame:
    windows = [(0, 0), (0, 1), (0, 5), (0, 10)]
    rows = [("shared", n, a, b, 0.0, test, 5500, r) for n, values in sizes.items()
            for (a, b), r in zip(windows, values, strict=True)]  # fmt: skip
    rows += [("shared", n, 0, 1, lv, test, 5500, pw) for n in sizes for lv, pw in ((0.01, 0.4), (0.02, 0.9))]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def test_robustness_label_says_up_to_which_n_the_size_held():
    """Issue 21, item 6: a clustering-robust test is labelled by how far its measured size held on a shared day 0."""
    from eventstudy.inference.measured import robustness_label

    held = _shared({4: [0.05, 0.052, 0.06, 0.064], 13: [0.05] * 4, 30: [0.051] * 4})
    assert robustness_label("kp_bmp_t", True, held) == "yes"
    assert robustness_label("kp_bmp_t", False, held) == ""  # not built for clustering: no label
    broke = _shared({4: [0.05] * 4, 13: [0.05, 0.059, 0.063, 0.05], 30: [0.05] * 3 + [0.072], 100: [0.05] * 4})
    assert robustness_label("kp_bmp_t", True, broke) == "up to N = 13 (N = 30: 5.0–7.2 %)"
    small = _shared({4: [0.135, 0.05, 0.05, 0.05], 13: [0.05] * 4})
    assert robustness_label("kp_bmp_t", True, small) == "not held (N = 4: 5.0–13.5 %)"


def test_nearest_validated_design_for_an_event():
    """An event of 4 firms on one day 0 reads N = 4; of 9, N = 13 (nearer on a log scale); its window the validated
    one of the same start nearest in length; size and power from that cell."""
    from eventstudy.inference.measured import nearest_design

    rates = _shared({4: [0.061, 0.063, 0.05, 0.05], 13: [0.05, 0.058, 0.05, 0.05]})
    four = nearest_design("kp_bmp_t", 4, True, (0, 1), rates)
    assert (four.firms, four.window, four.size, four.power) == (4, (0, 1), 0.063, {0.01: 0.4, 0.02: 0.9})
    assert nearest_design("kp_bmp_t", 9, True, (0, 1), rates).firms == 13
    assert nearest_design("kp_bmp_t", 6, True, (0, 2), rates).window == (0, 1)  # length 3: [0,1] (2) beats [0,5] (6)
    assert nearest_design("kp_bmp_t", 4, False, (0, 1), rates) is None  # random days not validated here
    assert nearest_design("csect_t", 4, True, (0, 1), rates) is None


def test_the_default_primary_test_holds_its_size_best_at_small_shared_day_designs():
    """Issue 21, item 6: the ``primary_test`` default is the test whose size stayed nearest 5 % (mean distance over
    the windows) with 4 and with 13 firms on a shared day 0, among the tests run on the full 5,500 pseudo-studies;
    docs/events-schema.md gives the figures."""
    from eventstudy.spec.config import Study

    rates = measured_rates()
    small = rates[(rates.design == "shared") & rates.firms.isin([4, 13]) & (rates.injected == 0.0)]
    full = small[small.studies >= 5000]  # (tests run on fewer pseudo-studies: noisier, not compared)
    distance = (full.rejection_rate - 0.05).abs().groupby(full.test).mean()
    default = Study.__dataclass_fields__["primary_test"].default
    assert set(small.firms) == {4, 13} and distance.idxmin() == default
