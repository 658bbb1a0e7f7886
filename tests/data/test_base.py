"""The provider contract's checks (eventstudy/data/base.py), on one history and on many tickers' rows at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.base import history_faults, validate_history
from eventstudy.data.histories import PriceHistories
from eventstudy.errors import DataError


def history(rows):
    frame = pd.DataFrame(rows, columns=["date", "close", "prev_close", "volume", "traded"])
    return frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame.pop("date")), name="date"))


GOOD = history([("2020-01-06", 10.0, 9.0, 100, 1), ("2020-01-07", 10.0, 10.0, 0, 0), ("2020-01-08", 11.0, 10.0, 5, 1)])
# Each breaks one rule; the messages are those of the one-history check, written out by hand.
BAD = {
    "DUP": (
        history([("2020-01-06", 10.0, 9.0, 1, 1), ("2020-01-07", 10.0, 10.0, 1, 1), ("2020-01-07", 10.0, 10.0, 1, 1)]),
        "DUP: date 2020-01-07 appears more than once",
    ),
    "ORDER": (
        history([("2020-01-07", 10.0, 9.0, 1, 1), ("2020-01-06", 10.0, 10.0, 1, 1)]),
        "ORDER: dates are not in increasing order",
    ),
    "NAN": (
        history([("2020-01-06", 10.0, 9.0, 1, 1), ("2020-01-07", np.nan, 10.0, 1, 1)]),
        "NAN: close on 2020-01-07 is nan; prices must be positive numbers",
    ),
    "PREV": (
        history([("2020-01-06", 10.0, 0.0, 1, 1)]),
        "PREV: prev_close on 2020-01-06 is 0.0; prices must be positive numbers",
    ),
    "HALT": (
        history([("2020-01-06", 10.0, 9.0, 1, 1), ("2020-01-07", 10.5, 10.0, 0, 0)]),
        "HALT: 2020-01-07: traded=0 (suspended) but close 10.5 against prev_close 10; a suspended session has no "
        "volume and close = prev_close — correct the row",
    ),
    "VOL": (
        history([("2020-01-06", 10.0, 9.0, 1, 1), ("2020-01-07", 10.0, 10.0, 300, 0)]),
        "VOL: 2020-01-07: traded=0 (suspended) but volume 300; a suspended session has no volume and close = "
        "prev_close — correct the row",
    ),
}


@pytest.mark.parametrize("ticker", list(BAD))
def test_one_history_names_its_first_problem(ticker):
    frame, message = BAD[ticker]
    with pytest.raises(DataError) as caught:
        validate_history(frame, ticker)
    assert str(caught.value) == message


def test_many_tickers_at_once_name_each_ones_first_problem_and_only_theirs():
    frames = {"A": GOOD}
    for ticker, (frame, _) in BAD.items():
        frames[ticker] = frame
        frames[f"{ticker}-next"] = GOOD  # a good neighbour: dates may repeat across tickers
    rows = PriceHistories.from_frames(
        {t: f.assign(traded=f["traded"].astype(bool), volume=f["volume"].astype(float)) for t, f in frames.items()}
    ).rows
    faults = history_faults(rows, lambda t: t)
    assert faults == {t: message for t, (_, message) in BAD.items()}
