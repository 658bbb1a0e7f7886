"""firms: the firm × window matrix of an event — car.csv's numbers, its caveat marks, and bold for the CARs whose
p-value survives Holm's adjustment across the event's firm × window cells (cross-checked with statsmodels)."""

from __future__ import annotations

import numpy as np
import pytest


def test_matrix_cells_are_car_csv_and_holm_is_statsmodels(default_results):
    from statsmodels.stats.multitest import multipletests

    from eventstudy.report.firms import firm_matrix

    event_id = "us-suppliers-huawei-2019-05-15"
    m = firm_matrix(default_results, event_id)
    car = default_results.car[default_results.car.event_id == event_id]
    assert len(m.rows) == 13 and m.windows == [(-1, 1), (0, 1), (0, 5), (0, 10)]
    assert m.family == 52 == len(car)
    flat = [(r["ticker"], w, c) for r in m.rows for w, c in zip(m.windows, r["cells"], strict=True)]
    expected = dict(
        zip(zip(car.ticker, zip(car.window_start, car.window_end)), multipletests(car.car_p, method="holm")[1])
    )
    for ticker, w, c in flat:
        row = car[(car.ticker == ticker) & (car.window_start == w[0]) & (car.window_end == w[1])].iloc[0]
        assert c["car"] == row.car and c["t"] == row.car_t
        assert c["p_holm"] == pytest.approx(expected[(ticker, w)], rel=1e-12)
        assert c["sig"] == (expected[(ticker, w)] < 0.05)
    assert sum(c["sig"] for _, _, c in flat) == 11  # counted by hand on the screenshot (docs/img)


def test_halted_firms_are_marked_and_explained(default_results):
    """Hikvision, halted on days 0 and +1 of 8 October 2019: its [0, 1] CAR spans days 0..+2."""
    from eventstudy.report.firms import MARKS, firm_matrix

    m = firm_matrix(default_results, "us-entity-list-2019-10-07")
    hik = next(r for r in m.rows if r["ticker"] == "002415.SZ")
    cell = hik["cells"][m.windows.index((0, 1))]
    assert cell["marks"] == "s" and cell["words"] == "covers 0..+2: suspended 0..+1"
    assert m.marks_used == ["s"] and set(MARKS) == {"s", "L", "i"}


def test_extremes_are_the_lowest_and_highest_cars_of_the_main_window():
    from eventstudy.report.firms import FirmMatrix, extreme_rows

    def cell(car: float) -> dict:
        return {"car": car}

    rows = [{"name": n, "cells": [cell(0.0), cell(v)]} for n, v in zip("abcdef", [0.3, -0.2, np.nan, 0.1, -0.5, 0.0])]
    m = FirmMatrix([(0, 1), (0, 5)], rows, 0, [], (0, 5))
    low, high = extreme_rows(m, 2)
    assert [r["name"] for r in low] == ["e", "b"] and [r["name"] for r in high] == ["a", "d"]
