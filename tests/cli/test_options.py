"""The options several commands share (eventstudy/cli/options.py): worded once, taken alike by each command."""

import argparse

import pytest

from eventstudy.cli.commands import build_parser
from eventstudy.cli.options import SOURCE_HELP


def _sub(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _options(name: str) -> dict[str, argparse.Action]:
    return {opt: a for a in _sub(name)._actions for opt in a.option_strings}


@pytest.mark.parametrize(("command", "default"), [("run", None), ("rebuild", "auto"), ("claims", "auto"),
                                                  ("fetch", "yahoo")])  # fmt: skip
def test_each_price_reading_command_takes_the_same_source_words(command, default):
    options = _options(command)
    assert options["--source"].help.startswith(SOURCE_HELP) and options["--source"].default == default
    assert "--cache" in options


def test_out_and_as_of_only_where_a_command_writes_or_replays():
    assert {"--out", "--as-of"} <= set(_options("run")) and {"--out", "--as-of"} <= set(_options("rebuild"))
    assert "--out" not in _options("claims") and "--as-of" in _options("claims")
    assert "--out" not in _options("fetch") and "--as-of" not in _options("fetch")


def test_quiet_strict_and_universe_parse_on_run():
    args = build_parser().parse_args(["run", "study.yaml", "-q", "--strict", "--universe", "u.parquet"])
    assert args.quiet and args.strict and args.universe == "u.parquet"
    assert not build_parser().parse_args(["run"]).strict
