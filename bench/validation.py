"""Empirical size of every test on real Shenzhen returns: pseudo-studies with no event, rejection rates at 5 %.

    python -m bench.validation --studies 1000 --firms 30 --seed 1        # writes docs/validation.md

Each pseudo-study draws ``--firms`` distinct SZSE A-shares at random and, for each, a random day 0 on which the
firm has at least 120 single-session returns in the estimation window [-260, -11] and was listed before the
window opened (so no IPO return is in it), as in the Brown & Warner (1985) design.
Nothing happened on those days, so a correctly sized test rejects the null of zero mean abnormal return in
5 % of the pseudo-studies. A second design draws one common day 0 for all firms of a pseudo-study (event-day
clustering), where only the tests marked clustering-robust should keep their size.

Returns are the trade-to-trade returns of :mod:`eventstudy.returns` (``close / prev_close − 1`` on traded
sessions, spanning the sessions since the previous trade), built for all tickers at once as a sessions ×
tickers matrix. The market is an equally weighted index of all SZSE stocks that traded on the session and on
the session before (single-session returns; a stock's first return after listing is left out), compounded
into a level so that the engine takes the market over any span exactly as it does for the default study.
Everything after loading runs through the package's own engine and :func:`eventstudy.inference.significance_table`.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.engine import FirmEvent, abnormal_returns
from eventstudy.inference import CLUSTERING_ROBUST, TEST_REFERENCES, TESTS, significance_table
from eventstudy.returns import ReturnsPanel

UNIVERSE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "szse-universe-2015-2022.parquet"
MARKET = "EWMKT"
ESTIMATION = (-260, -11)
MIN_RETURNS = 120
WINDOWS = ((0, 0), (-1, 1), (0, 5))
LEVEL = 0.05


@dataclass(frozen=True)
class Universe:
    panel: ReturnsPanel
    eligible: np.ndarray  # (S, K) bool: ticker k may have day 0 on session s
    tickers: np.ndarray


def load_universe(path: Path = UNIVERSE, last_day: int = 10) -> Universe:
    """Sessions × tickers trade-to-trade panel of the SZSE universe plus the equally weighted market."""
    raw = pd.read_parquet(path, columns=["date", "ticker", "close", "prev_close", "traded"])
    sessions = pd.DatetimeIndex(np.sort(raw["date"].unique())).as_unit("ns")
    row = sessions.get_indexer(pd.DatetimeIndex(raw["date"]).as_unit("ns"))
    col = raw["ticker"].cat.codes.to_numpy()
    tickers = np.asarray(raw["ticker"].cat.categories, dtype=str)
    n_s, n_k = len(sessions), len(tickers)
    traded = np.zeros((n_s, n_k), dtype=bool)
    covered = np.zeros((n_s, n_k), dtype=bool)
    returns = np.full((n_s, n_k), np.nan)
    is_traded = raw["traded"].to_numpy() == 1
    covered[row, col] = True
    traded[row[is_traded], col[is_traded]] = True
    ratio = (raw["close"] / raw["prev_close"] - 1.0).to_numpy()
    returns[row[is_traded], col[is_traded]] = ratio[is_traded]
    # covered from each ticker's first to last row (rows are contiguous per ticker in the file)
    first = np.full(n_k, n_s)
    last = np.full(n_k, -1)
    np.minimum.at(first, col, row)
    np.maximum.at(last, col, row)
    idx = np.arange(n_s)[:, None]
    covered = (idx >= first[None, :]) & (idx <= last[None, :])
    # span: sessions since the previous trade (the first trade: since the session before the first row)
    last_trade = np.where(traded, idx, -1)
    prev = np.maximum.accumulate(np.vstack([np.full((1, n_k), -1), last_trade[:-1]]), axis=0)
    prev = np.where(prev < 0, first[None, :] - 1, prev)
    span = np.where(traded, idx - prev, 0)
    first_trade = traded & (np.cumsum(traded, axis=0) == 1)
    single = traded & (span == 1) & ~first_trade & np.isfinite(returns)
    with np.errstate(invalid="ignore"):
        ew = np.where(single, returns, 0.0).sum(axis=1) / single.sum(axis=1)
    ew = np.nan_to_num(ew)
    level = np.where(covered, np.cumprod(np.where(traded, 1.0 + np.nan_to_num(returns), 1.0), axis=0), np.nan)
    ew_level = np.cumprod(1.0 + ew)
    names = [*tickers, MARKET]

    def frame(a: np.ndarray, extra: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(np.column_stack([a, extra]), index=sessions, columns=names)

    panel = ReturnsPanel(
        sessions=sessions,
        returns=frame(returns, np.r_[np.nan, ew[1:]]),
        span=frame(span, np.r_[0, np.ones(n_s - 1)]).astype(np.int64),
        traded=frame(traded, np.ones(n_s, dtype=bool)).astype(bool),
        covered=frame(covered, np.ones(n_s, dtype=bool)).astype(bool),
        level=frame(level, ew_level),
    )
    # eligible day 0: ≥ MIN_RETURNS single-session returns in the estimation window, covered on day 0, and the
    # whole range [-260, +last_day] on the session axis
    c = np.vstack([np.zeros((1, n_k)), np.cumsum(traded & (span == 1), axis=0)])
    eligible = np.zeros((n_s, n_k), dtype=bool)
    lo, hi = -ESTIMATION[0], n_s - 1 - last_day
    d = np.arange(lo, hi + 1)
    n_est = c[d + ESTIMATION[1] + 1] - c[d + ESTIMATION[0]]
    # listed before the estimation window opens: a new listing's first return is its IPO return (offer price
    # to first close, up to several hundred per cent on ChiNext since 2020), not a market return
    eligible[d] = (n_est >= MIN_RETURNS) & covered[d] & covered[d + ESTIMATION[0] - 1]
    return Universe(panel, eligible, tickers)


def draw_studies(
    universe: Universe, studies: int, firms: int, rng: np.random.Generator, clustered: bool = False
) -> list[FirmEvent]:
    """``studies`` pseudo-studies of ``firms`` distinct firms; day 0 random per firm (or common, ``clustered``)."""
    el = universe.eligible
    sessions = universe.panel.sessions
    out: list[FirmEvent] = []
    has_any = np.flatnonzero(el.any(axis=0))
    good_days = np.flatnonzero(el.sum(axis=1) >= firms)
    for s in range(studies):
        if clustered:
            day = int(rng.choice(good_days))
            ks = rng.choice(np.flatnonzero(el[day]), size=firms, replace=False)
            days = np.full(firms, day)
        else:
            ks = rng.choice(has_any, size=firms, replace=False)
            days = np.array([int(rng.choice(np.flatnonzero(el[:, k]))) for k in ks])
        for k, d in zip(ks, days, strict=True):
            t = str(universe.tickers[k])
            out.append(FirmEvent(f"s{s:05d}", t, t, sessions[d]))
    return out


def simulate(
    universe: Universe,
    studies: int,
    firms: int,
    seed: int,
    *,
    clustered: bool = False,
    model: str = "market_model",
    windows: tuple[tuple[int, int], ...] = WINDOWS,
    placebo_draws: int = 199,
    chunk: int = 200,
) -> pd.DataFrame:
    """tests.csv rows of every pseudo-study (event_id = study)."""
    rng = np.random.default_rng(seed)
    events = draw_studies(universe, studies, firms, rng, clustered)
    rel = (min(w[0] for w in windows), max(w[1] for w in windows))
    frames = []
    per = chunk * firms
    for i in range(0, len(events), per):
        ab = abnormal_returns(universe.panel, MARKET, events[i : i + per], model, ESTIMATION, rel)
        frames.append(significance_table(ab, windows, placebo_draws=placebo_draws, seed=seed))
    return pd.concat(frames, ignore_index=True)


def rejection_rates(tests: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Rejection rate at ``level`` per test and window (NaN p-values left out; their count reported)."""
    t = tests.assign(window=[f"[{a},{b}]" for a, b in zip(tests.window_start, tests.window_end, strict=True)])
    g = t.groupby(["test", "window"], sort=False)
    out = g.p_value.apply(lambda p: float((p.dropna() < level).mean())).rename("rate").to_frame()
    out["undefined"] = g.p_value.apply(lambda p: int(p.isna().sum()))
    return out.reset_index()


def _table(rates: pd.DataFrame, windows: tuple[tuple[int, int], ...]) -> list[str]:
    cols = [f"[{a},{b}]" for a, b in windows]
    lines = ["| test | clustering-robust | " + " | ".join(cols) + " |", "|---|:-:|" + "---:|" * len(cols)]
    for name in TESTS:
        r = rates[rates.test == name].set_index("window")
        cells = []
        for c in cols:
            rate = r.rate.get(c, np.nan)
            und = int(r.undefined.get(c, 0))
            cells.append(f"{100 * rate:.1f} %" + (f" ({und} undef.)" if und else ""))
        lines.append(f"| {name} | {'yes' if name in CLUSTERING_ROBUST else ''} | " + " | ".join(cells) + " |")
    return lines


def write_report(results: dict[str, pd.DataFrame], args: argparse.Namespace, seconds: float, path: Path) -> None:
    n = args.studies
    se = np.sqrt(LEVEL * (1 - LEVEL) / n)
    lines = [
        "# Empirical size of the tests on real SZSE returns",
        "",
        f"Generated by `python -m bench.validation --studies {n} --firms {args.firms} --seed {args.seed}` "
        f"({seconds:.0f} s). Do not edit by hand.",
        "",
        f"{n} pseudo-studies of {args.firms} distinct Shenzhen A-shares each, drawn from "
        "`shared/data/szse-universe-2015-2022.parquet` (every SZSE A-share, 2015-01-05 .. 2022-02-11). "
        "Day 0 is a random session on which the firm has at least "
        f"{MIN_RETURNS} single-session returns in the estimation window [{ESTIMATION[0]}, {ESTIMATION[1]}] and "
        "was already listed when that window opened (a new listing's first return is its IPO return). "
        "No event happened, so the share of pseudo-studies in which a test rejects at the 5 % level is its "
        "empirical size; it should be close to 5 %. With "
        f"{n} studies the Monte Carlo standard error of a 5 % rate is {100 * se:.1f} points, so rates inside "
        f"[{100 * (LEVEL - 1.96 * se):.1f} %, {100 * (LEVEL + 1.96 * se):.1f} %] are consistent with correct size.",
        "",
        "Returns are trade-to-trade (a return after a halt spans several sessions and sits on the session the firm "
        "traded again; estimation uses single-session returns only), exactly as in the default study. "
        "**The market** for the pseudo-studies is an equally weighted index of all SZSE stocks that traded on the "
        "session and on the session before (a stock's first return after listing left out), compounded into a "
        "level; the market over a k-session span is the index over the same span. "
        f"`placebo_p` uses {args.placebo_draws} pseudo-event draws per study (seeded).",
        "",
        "Model and windows: the model named in each heading, estimated on [-260, -11]; windows in relative days.",
    ]
    for key, rates in results.items():
        design, model = key.split("|")
        title = (
            "Random firms on random days (no clustering)"
            if design == "random"
            else "Event-day clustering: all firms of a pseudo-study share one random day 0"
        )
        lines += ["", f"## {title} — {model}", "", *_table(rates, WINDOWS)]
    lo, hi = LEVEL - 1.96 * se, LEVEL + 1.96 * se
    lines += ["", "## Outside the Monte Carlo band", ""]
    for key, rates in results.items():
        design, model = key.split("|")
        out = rates[(rates.rate < lo) | (rates.rate > hi)]
        listed = ", ".join(f"`{r.test}` {r.window} {100 * r.rate:.1f} %" for r in out.itertuples()) or "none"
        lines.append(f"* {design} days, {model}: {listed}")
    lines += [
        "",
        "## Reading the tables",
        "",
        "* *clustering-robust* marks the tests whose variance comes from the time series of cross-sectional "
        "averages (or that resample whole cross-sections); under event-day clustering the others over-reject "
        "because same-day abnormal returns are positively correlated.",
        "* Known reasons for departures on real daily returns: `wilcoxon_z` tests symmetry of the CARs about "
        "zero, and daily abnormal returns are skewed, so it over-rejects a zero *mean*; `bhar_skew_t` uses BHARs "
        "against the market (model-free, so a firm's beta and size effects stay in them) and N = 30 is small for "
        "its skewness correction; `patell_z` assumes the firms' standardised CARs are exactly Student t, which "
        "heavy-tailed and heteroskedastic returns violate; under a common event day the tests without the "
        "clustering marker lose their size first.",
        "* With a common event day every firm of a pseudo-study also shares the market's volatility regime on "
        "that day, while the time-series tests (`bw_t`, `portfolio_t`, rank and sign tests) take their variance "
        "from the estimation period: in turbulent periods (2015–2016) they over-reject and in calm ones they "
        "under-reject, which nets to some over-rejection. Because the market factor here is the equally "
        "weighted index of the same universe, little cross-correlation is left in market-model residuals, so "
        "this volatility effect, not cross-correlation, dominates the clustered table; with a narrower "
        "benchmark (e.g. CSI 300 for a one-industry event) the residual correlation, and the advantage of the "
        "marked tests, is larger.",
        "* Undefined statistics (e.g. all firms without a return in a one-day window) are left out of the rate; "
        "their count is shown.",
        "",
        "## References",
        "",
        *[f"* `{name}`: {TEST_REFERENCES[name]}" for name in TESTS],
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.validation", description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=1000)
    ap.add_argument("--firms", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--placebo-draws", type=int, default=199)
    ap.add_argument(
        "--models",
        default="market_model,market_adjusted,mean_adjusted,scholes_williams,dimson",
        help="comma-separated models for the random-day design",
    )
    ap.add_argument("--no-clustered", action="store_true", help="skip the event-day clustering design")
    ap.add_argument("--universe", type=Path, default=UNIVERSE)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "validation.md")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    universe = load_universe(args.universe)
    print(f"universe loaded: {universe.panel.returns.shape} in {time.perf_counter() - t0:.1f} s", flush=True)
    results: dict[str, pd.DataFrame] = {}
    designs = [("random", m) for m in args.models.split(",")]
    if not args.no_clustered:
        designs.append(("clustered", "market_model"))
    for design, model in designs:
        t1 = time.perf_counter()
        tests = simulate(universe, args.studies, args.firms, args.seed, clustered=design == "clustered",
                         model=model, placebo_draws=args.placebo_draws)  # fmt: skip
        results[f"{design}|{model}"] = rejection_rates(tests)
        print(f"{design} {model}: {time.perf_counter() - t1:.1f} s", flush=True)
        print(results[f"{design}|{model}"].pivot(index="test", columns="window", values="rate").round(3), flush=True)
    write_report(results, args, time.perf_counter() - t0, args.out)
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
