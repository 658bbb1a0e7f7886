"""figures: the report's plotly figures, checked against hand-worked values of the default study."""

from __future__ import annotations

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
    bench = next(t for t in fig.data if t.name == "benchmark 000300.SS")
    assert dict(zip(bench.x, bench.y, strict=True))[2] == pytest.approx(100 * 3874.639 / 3814.528)


def test_car_path_bands_end_at_the_window_car(default_results):
    """The path's last point is CAR[-10, +20] and its band uses the same forecast-error s.e."""
    from scipy import stats

    from eventstudy.report.figures import car_figure

    ab = default_results.abnormal
    days, car, se = ab.car_path((-10, 20))
    whole = ab.cumulate(ab.days((-10, 20)))
    assert car[:, -1] == pytest.approx(whole["car"]) and se[:, -1] == pytest.approx(whole["car_se"])
    fig = car_figure(default_results, "us-entity-list-2019-10-07")
    band = fig.data[0]  # Hikvision's band: upper path then lower path reversed
    q = stats.t.ppf(0.975, ab.dof[0])
    assert band.y[len(days) - 1] == pytest.approx(car[0, -1] + q * se[0, -1])
