"""figures: the report's plotly figures, checked against hand-worked values of the default study and against the
tables they illustrate; legible from one firm to thousands."""

from __future__ import annotations

import numpy as np
import pytest


def test_price_chart_values_are_total_return_indices(default_results):
    """Hand-worked from the raw CSV: Hikvision resumed on 10 Oct at 30.90 against a 30 Sep close of 32.30."""
    from eventstudy.report.figures import price_figure

    fig = price_figure(default_results, "us-entity-list-2019-10-07")
    hik = next(t for t in fig.data if t.name == "Hikvision")
    values = dict(zip(hik.x, hik.y, strict=True))
    assert values[-1] == pytest.approx(100.0)  # day -1 (30 Sep) is the base
    assert values[0] == values[1] == pytest.approx(100.0)  # halted: carried flat
    assert values[2] == pytest.approx(100 * 30.90 / 32.30)
    bench = [t for t in fig.data if t.name == "000300.SS"]
    assert len(bench) == 4  # the benchmark in each of the four firms' panels
    assert dict(zip(bench[0].x, bench[0].y, strict=True))[2] == pytest.approx(100 * 3874.639 / 3814.528)
    suspended = next(t for t in fig.data if t.name == "suspended")
    assert list(suspended.x) == [0, 1]  # Hikvision's halt of 8 and 9 October


def test_us_prices_are_on_new_york_sessions(default_results):
    """Ambarella (Nasdaq, no dividend): day 0 is 8 Oct 2019 on the New York calendar, base the 7 Oct close."""
    from eventstudy.report.figures import price_figure

    fig = price_figure(default_results, "us-suppliers-2019-10-07")
    amba = next(t for t in fig.data if t.name == "Ambarella")
    values = dict(zip(amba.x, amba.y, strict=True))
    assert values[0] == pytest.approx(100 * 51.790001 / 57.220001)  # Yahoo adjusted closes
    assert len([t for t in fig.data if t.name == "VONE"]) == 7  # one benchmark line per firm's panel


def test_small_multiples_one_panel_per_firm_and_no_band_but_the_caars(default_results):
    """13 firms: 13 panels, each titled with the firm and its CAR at the last day, in 13 distinct colours; no
    per-firm band (the band belongs to the CAAR chart only)."""
    from eventstudy.report.figures import car_figure

    fig = car_figure(default_results, "us-suppliers-huawei-2019-05-15")
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == 13 and titles[0].startswith("NeoPhotonics ")
    firm_lines = [t for t in fig.data if t.name != "CAAR"]
    assert len(firm_lines) == 13 and len({t.line.color for t in firm_lines}) == 13
    assert not any(t.fill for t in fig.data)


def test_many_firms_grey_lines_the_extremes_and_one_band():
    """30 firms: one grey trace for all, the 3 lowest and 3 highest final CARs named, one band (the CAAR's)."""
    from eventstudy.report.figures import firm_car_figure
    from eventstudy.report.paths import EventPath

    days = np.arange(6)
    final = np.arange(30, dtype=float) - 10.0  # firm i ends at i − 10 (%)
    car = np.outer(final / 100, days / 5)
    se = np.full_like(car, 0.01)
    path = EventPath(days, np.arange(30), car, se, car.mean(0), se.mean(0), np.full(6, 30), 0.1)
    fig = firm_car_figure(path, [f"firm {i}" for i in range(30)], [f"T{i}" for i in range(30)])
    names = [t["name"] for t in fig["data"]]
    assert names[0] == "each of the 30 firms"
    assert names[1:7] == ["firm 0 (lowest)", "firm 1 (lowest)", "firm 2 (lowest)", "firm 29 (highest)",
                          "firm 28 (highest)", "firm 27 (highest)"]  # fmt: skip
    assert sum(1 for t in fig["data"] if t.get("fill")) == 1


def test_thousands_of_firms_are_drawn_as_percentile_envelopes():
    from eventstudy.report.figures import GREY_LINES, firm_car_figure
    from eventstudy.report.paths import EventPath

    n = GREY_LINES + 1
    rng = np.random.default_rng(1)
    car = rng.normal(size=(n, 4)).cumsum(axis=1) / 100
    se = np.full_like(car, 0.01)
    path = EventPath(np.arange(4), np.arange(n), car, se, car.mean(0), se.mean(0), np.full(4, n), 0.0)
    fig = firm_car_figure(path, [str(i) for i in range(n)], [str(i) for i in range(n)])
    envelope = fig["data"][0]
    assert envelope["name"].startswith("5th–95th")
    assert envelope["y"][3] == pytest.approx(np.percentile(car[:, 3], 95), rel=1e-12)  # upper edge, days in order
    assert envelope["y"][4] == pytest.approx(np.percentile(car[:, 3], 5), rel=1e-12)  # then the lower edge, reversed
    assert len(fig["data"]) == 2 + 6 + 2  # two envelopes, six extremes, the band and the CAAR


def test_histogram_counts_every_firm_with_a_car():
    from eventstudy.report.figures import car_histogram

    cars = np.array([-0.05, -0.01, 0.0, 0.02, 0.021, np.nan, 0.3])
    fig = car_histogram(cars, float(np.nanmean(cars)), (0, 5))
    assert int(np.sum(fig["data"][0]["y"])) == 6  # the NaN (no CAR) is not a firm of the distribution
    assert fig["layout"]["xaxis"]["title"]["text"] == "CAR[0, 5]"


def test_the_daily_ar_bars_are_the_average_across_firms(default_results):
    from eventstudy.report.figures import ar_figure

    fig = ar_figure(default_results, "us-suppliers-2019-10-07")
    bars = fig["data"][0]
    ar = default_results.ar[default_results.ar.event_id == "us-suppliers-2019-10-07"]
    day0 = ar[ar.rel_day == 0]["ar"].dropna()
    assert dict(zip(bars["x"], bars["y"], strict=True))[0] == pytest.approx(day0.sum() / len(day0), rel=1e-12)
    assert len(fig["data"]) == 1 + 7  # the bars and one trace of dots per firm
