"""The user's news file and the confounder-screen keys of a study file (eventstudy/spec/news.py)."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from eventstudy.errors import ConfigError
from eventstudy.spec.config import load_study
from eventstudy.spec.news import NewsItem, read_news

from ..conftest import ROOT


def study_file(tmp_path, **keys) -> str:
    data = yaml.safe_load((ROOT / "events.yaml").read_text())
    data["study"].update(keys)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def test_a_news_file_is_read_relative_to_the_study_file_and_hashed_with_it(tmp_path):
    (tmp_path / "news.csv").write_text(
        'date,ticker,description\n2019-10-09,002415.SZ,"Hikvision says it is ""shocked"" "\n\n'
    )
    study = load_study(study_file(tmp_path, confounders="news.csv", exclude_confounded=True, shock_threshold=2.5))
    assert study.confounders.news == (NewsItem("002415.SZ", date(2019, 10, 9), 'Hikvision says it is "shocked"', 2),)
    assert study.confounders.exclude and study.confounders.shock_threshold == 2.5
    assert study.input_files()["confounders"] == tmp_path / "news.csv"
    default = load_study(ROOT / "events.yaml").confounders
    assert (default.file, default.news, default.exclude, default.shock_threshold) == (None, (), False, 3.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ticker,date,description\n002415.SZ,2019-13-01,x\n", "news.csv: line 2: date '2019-13-01': no such day"),
        (
            "ticker,date,description\n002415.SZ,09/10/2019,x\n",
            "news.csv: line 2: date '09/10/2019': not a date YYYY-MM-DD",
        ),
        ("ticker,date,description\nbad ticker,2019-10-09,x\n", "news.csv: line 2: ticker 'bad ticker': not a ticker"),
        ("ticker,date,description\n002415.SZ,2019-10-09,\n", "news.csv: line 2: description '': empty"),
        ("ticker,date,description\n002415.SZ,2019-10-09\n", "news.csv: line 2: 2 fields, the header has 3"),
        ("ticker,date,headline\n", "news.csv: line 1: unknown column 'headline'"),
        ("ticker,date\n", "news.csv: line 1: missing column(s) description"),
        ("", "news.csv: the news file is empty"),
    ],
)
def test_a_bad_news_file_is_one_line_naming_file_line_field_and_value(tmp_path, text, message):
    (tmp_path / "news.csv").write_text(text)
    with pytest.raises(ConfigError) as info:
        read_news(tmp_path / "news.csv")
    assert message in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="news.csv: line|news.csv: the news"):
        load_study(study_file(tmp_path, confounders="news.csv"))


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"confounders": "missing.csv"}, "missing.csv: no such news file"),
        ({"exclude_confounded": "yes"}, "study.exclude_confounded: expected true or false, got 'yes'"),
        ({"shock_threshold": 0}, "study.shock_threshold: expected a positive number"),
        ({"shock_threshold": "3"}, "study.shock_threshold: expected a positive number"),
    ],
)
def test_bad_screen_keys_are_refused(tmp_path, keys, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_study(study_file(tmp_path, **keys))
