"""``eventstudy placebo``: the command's options, its text report and its exit codes.

The study itself (draws, chunks, executors, summaries) is :mod:`eventstudy.placebo`; this module only turns
command-line options into a :class:`~eventstudy.placebo.PlaceboSpec` and a result into text and files.
Exit codes: 0 ok · 2 bad options (including a dask scheduler address where none answers) · 3 the universe
cannot be read or supports no draw. The study modules (numpy, pandas, pyarrow) are imported only when the
command runs, so building the command line stays light.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, DataError
from ..placebo.executors import FAST_FROM, PARALLEL_FROM
from ..publish.destination import writable_directory

if TYPE_CHECKING:
    from ..placebo import PlaceboResult, PlaceboSpec

UNIVERSE_ENV = "EVENTSTUDY_UNIVERSE"


def _window(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected two integers 'a,b', e.g. -10,10") from None
    return a, b


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``eventstudy placebo`` (the CLI wires them in with ``add_arguments`` and ``run``)."""
    # Let "--window -10,10" through: argparse would otherwise take "-10,10" for an option (``--window=-10,10``
    # works either way).
    if hasattr(parser, "_negative_number_matcher"):
        parser._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-\d+,-?\d+$")
    parser.add_argument("--universe", default=None,
                        help=f"universe parquet (date, ticker, close, prev_close, traded); default: ${UNIVERSE_ENV}")  # fmt: skip
    parser.add_argument("--events", type=int, default=None, help="random firm-events to draw (required without --like)")
    parser.add_argument("--like", default=None, metavar="STUDY.yaml",
                        help="pseudo-studies matched to each event of a study file: its number of firms on one shared "
                        "day 0, its event windows, model and estimation window; size and power at +1/2/5 %%")  # fmt: skip
    parser.add_argument(
        "--studies", type=int, default=1000, help="with --like: pseudo-studies per design (default 1000)"
    )
    parser.add_argument("--expensive-tests", default="auto", choices=["auto", "all", "none"],
                        help="the tests that fit a model per firm-event (garch_bmp_t, ~16 ms each): auto (default) "
                        "up to 250 firm-events, all, or none; --like: none unless all")  # fmt: skip
    parser.add_argument("--all-tests", action="store_true", help="the same as --expensive-tests all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=_window, default=(-10, 10), help="event window a,b (default -10,10)")
    parser.add_argument("--estimation-window", type=_window, default=(-260, -11), help="default -260,-11")
    parser.add_argument("--model", default="market_model", choices=["market_model", "mean_adjusted", "market_adjusted"])
    parser.add_argument("--firms-per-study", type=int, default=30, help="firm-events per pseudo-study (default 30)")
    parser.add_argument("--min-estimation-returns", type=int, default=120)
    parser.add_argument("--alpha", type=float, default=0.05, help="test size for rejection rates")
    parser.add_argument("--clustered", action="store_true", help="firms of a pseudo-study share one day 0")
    parser.add_argument("--chunk-size", type=int, default=None, help="firm-events per chunk (default: ~256 MB)")
    parser.add_argument("--executor", default="local", help="local | dask | dask:SCHEDULER_ADDRESS")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"local executor: processes (default: 2 from {PARALLEL_FROM:,} firm-events on, else 1)",
    )
    parser.add_argument("--engine", default="auto", choices=["auto", "fast", "full"],
                        help="fast: estimation sums from running sums; full: eventstudy.model.engine.abnormal_returns; "
                        f"auto (default): fast from {FAST_FROM:,} firm-events on")  # fmt: skip
    parser.add_argument("--out", default=None, help="directory for firms.csv, tests.csv, rejection.csv, car.csv")


def universe_path(args: argparse.Namespace) -> str:
    """``--universe``, else ``$EVENTSTUDY_UNIVERSE``; there is no built-in default (an installed package has no
    data beside it)."""
    path = args.universe or os.environ.get(UNIVERSE_ENV)
    if not path:
        raise ConfigError(f"--universe: no universe file given (pass --universe FILE.parquet or set {UNIVERSE_ENV})")
    return str(path)


def spec_from_args(args: argparse.Namespace) -> PlaceboSpec:
    from ..placebo import PlaceboSpec

    return PlaceboSpec(
        n_events=args.events, seed=args.seed, window=tuple(args.window),
        estimation_window=tuple(args.estimation_window), model=args.model, firms_per_study=args.firms_per_study,
        min_estimation_returns=args.min_estimation_returns, alpha=args.alpha, clustered=args.clustered,
        chunk_size=args.chunk_size, engine=args.engine, workers=args.workers,
        expensive_tests="all" if args.all_tests else args.expensive_tests,
    )  # fmt: skip


def report(result: PlaceboResult) -> str:
    spec = result.spec
    n_studies = result.firms["study"].nunique()
    lines = [
        f"placebo: {len(result.firms)} random firm-events in {n_studies} pseudo-studies of {spec.firms_per_study}"
        f"{' (clustered day 0)' if spec.clustered else ''}, seed {spec.seed}, model {spec.model}, "
        f"window [{spec.window[0]},{spec.window[1]}], estimation [{spec.estimation_window[0]},"
        f"{spec.estimation_window[1]}], benchmark {spec.benchmark}",
        "",
        f"null distribution of CAR[{spec.window[0]},{spec.window[1]}]:",
        result.car_distribution().to_string(float_format=lambda v: f"{v:.5f}"),
        "",
        f"rejection rates at alpha = {spec.alpha} (expected about {spec.alpha} under the null):",
        result.rejection_rates().to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        "",
        *spec.not_computed,
        f"time: draw {result.seconds['draw']:.2f} s, engine + tests {result.seconds['engine_and_tests']:.2f} s "
        f"in {result.chunks} chunk(s)",
    ]
    return "\n".join(lines)


def run_like(args: argparse.Namespace) -> int:
    """``--like STUDY.yaml``: size and power of every test at each event's own design (:mod:`eventstudy.placebo.like`)."""
    import pandas as pd

    from ..data.universe import load_universe
    from ..inference import EXPENSIVE, TESTS
    from ..placebo import run_placebo
    from ..placebo.like import design_table, format_like, matched_specs
    from ..spec.config import load_study

    try:
        if args.events is not None:
            raise ConfigError("--events: not with --like (the study's events set the designs; use --studies)")
        study = load_study(Path(args.like))
        options = {"workers": args.workers, "engine": args.engine, "alpha": args.alpha, "chunk_size": args.chunk_size,
                   "tests": None if args.all_tests or args.expensive_tests == "all" else tuple(t for t in TESTS if t not in EXPENSIVE)}  # fmt: skip
        designs = matched_specs(study, args.studies, args.seed, **options)
        if args.out:
            writable_directory(Path(args.out), "--out")
        universe = load_universe(universe_path(args))
        tables = [design_table(d, run_placebo(universe, d.spec, args.executor)) for d in designs]
    except (ConfigError, DataError) as exc:
        print(f"eventstudy placebo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    table = pd.concat(tables, ignore_index=True)
    print(f"placebo --like {args.like}: {args.studies:,} pseudo-studies per design from {universe_path(args)}, "
          f"model {study.model}, estimation [{study.estimation_window[0]},{study.estimation_window[1]}]")  # fmt: skip
    print(format_like(table, args.alpha))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        table.to_csv(os.path.join(args.out, "like.csv"), index=False)
        print(f"wrote {os.path.join(args.out, 'like.csv')}")
    return 0


def run(args: argparse.Namespace) -> int:
    from ..data.universe import load_universe
    from ..placebo import parse_executor, run_placebo

    if args.like:
        return run_like(args)
    try:
        if args.events is None:
            raise ConfigError("--events: required (random firm-events to draw), or --like STUDY.yaml")
        spec = spec_from_args(args)
        parse_executor(args.executor)
        if args.out:
            writable_directory(Path(args.out), "--out")
        universe = load_universe(universe_path(args))
        result = run_placebo(universe, spec, args.executor)
    except (ConfigError, DataError) as exc:
        print(f"eventstudy placebo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(report(result))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        result.firms.to_csv(os.path.join(args.out, "firms.csv"), index=False)
        result.tests.to_csv(os.path.join(args.out, "tests.csv"), index=False)
        result.rejection_rates().to_csv(os.path.join(args.out, "rejection.csv"), index=False)
        result.car_distribution().to_csv(os.path.join(args.out, "car.csv"), index_label="statistic")
        print(f"wrote {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eventstudy placebo", description="Placebo study on a market universe.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
