"""A study run around the analysis (eventstudy/study/run.py): what the run depends on is hashed, and a study file
is checked whole before any price is read."""

import shutil

import pytest

from eventstudy.data import open_provider
from eventstudy.errors import ConfigError
from eventstudy.study.plan import prepare_inputs
from eventstudy.study.run import input_hash, load_checked

from ..conftest import ROOT


def test_the_input_hash_follows_the_study_file_and_the_source(tmp_path):
    path = tmp_path / "events.yaml"
    shutil.copy(ROOT / "events.yaml", path)
    provider = open_provider("snapshot")
    inputs = prepare_inputs(load_checked(path), provider)
    first = input_hash(inputs, "snapshot")
    assert len(first) == 64 and input_hash(inputs, "snapshot") == first  # SHA-256, the same for the same inputs
    assert input_hash(inputs, "csv:prices") != first  # another source
    assert input_hash(inputs, "snapshot", claims="claims table v2") != first
    path.write_text(path.read_text() + "# a comment changes the file's bytes\n")
    assert input_hash(prepare_inputs(load_checked(path), provider), "snapshot") != first


def test_a_broken_study_file_is_one_config_error_naming_it(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(
        (ROOT / "events.yaml").read_text().replace("alternative_benchmarks: [", "alternative_benchmarks: [1, ", 1)
    )
    with pytest.raises(ConfigError) as caught:
        load_checked(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)
