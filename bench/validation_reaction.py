"""Size of the abnormal-volume, abnormal-volatility and pre-trend tests on real Shenzhen data: rows of
docs/validation.md.

    python -m bench.validation_reaction              # 1,000 pseudo-studies of 30 per design; writes the doc section
    python -m bench.validation_reaction --studies 200 --no-doc   # a quick look

Pseudo-studies are drawn exactly as the return tests' (:func:`eventstudy.placebo.draw_events`: random days and a
shared day 0, N = 30, seeds 0 and 1, eligibility over [−10, +10]). Returns: the market model against ``EW_SZSE``
(:func:`eventstudy.model.engine.abnormal_returns`, a study's engine). Volume: the log-volume market model of
:mod:`eventstudy.model.volume` with the universe's ``log(1 + volume)`` and, as the market, the mean log volume of
the stocks traded on each session (:func:`eventstudy.data.volume.universe_log_volume`); a suspended session is no
volume. Nothing is injected: every rejection is a false one. The rates and the section's text are saved in
``bench/results/validation-reaction.json`` so that ``python -m bench.validation --render`` keeps the section.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench import SZSE_UNIVERSE
from eventstudy.data.universe import EW_BENCHMARK, load_universe
from eventstudy.data.volume import gather_days, universe_log_volume
from eventstudy.inference.pretrend import aar_joint_f
from eventstudy.inference.volatility import beaver_u, rank_excess, variance_change_test, variance_rank_test
from eventstudy.inference.volume import volume_tests
from eventstudy.model.engine import abnormal_returns, halt_reaches, next_trades
from eventstudy.model.volume import abnormal_volume
from eventstudy.placebo import PlaceboSpec
from eventstudy.placebo.draw import DrawnEvents, draw_events

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "validation.md"
SAVED = ROOT / "bench" / "results" / "validation-reaction.json"
HEADING = "## Abnormal volume, abnormal volatility and pre-event drift: size"
WINDOWS = ((0, 0), (0, 1), (0, 5), (0, 10))
PRE = (-10, -1)
DESIGNS = (("random", 30, 0), ("shared", 30, 1))
ESTIMATION = (-260, -11)
CHUNK = 3_000  # firm-events per engine call (a multiple of 30: whole pseudo-studies)
LEVEL = 0.05


def run_design(universe, volume: tuple[np.ndarray, np.ndarray], design: str, firms: int, studies: int,
               seed: int) -> dict[tuple[str, tuple[int, int]], tuple[float, int, float]]:  # fmt: skip
    """``{(test, window): (rejection rate at 5 %, pseudo-studies where defined, rate of rejections with a positive
    statistic)}`` of one design."""
    spec = PlaceboSpec(n_events=studies * firms, seed=seed, window=WINDOWS[-1], extra_windows=(*WINDOWS[:-1], PRE),
                       firms_per_study=firms, clustered=design == "shared", estimation_window=ESTIMATION)  # fmt: skip
    draw = draw_events(universe, spec)
    panel = universe.panel
    nxt = next_trades(panel)
    firm_v, market_v = volume
    rejected: dict[tuple[str, tuple[int, int]], list[np.ndarray]] = {}
    for lo in range(0, len(draw), CHUNK):
        part = draw.slice(lo, lo + CHUNK)
        located = (part.day0, part.ticker)
        reach = int(halt_reaches(panel, located, spec.span[1], next_trade=nxt).max(initial=0))
        ab = abnormal_returns(panel, EW_BENCHMARK, DrawnEvents(panel, part), "market_model", ESTIMATION,
                              (spec.span[0], spec.span[1] + reach), located=located)  # fmt: skip
        groups = part.study - part.study[0]
        n_groups = int(groups[-1]) + 1
        v = gather_days(firm_v, part.day0, part.ticker, ab.rel_days)
        m = gather_days(market_v[:, None], part.day0, np.zeros(len(part), dtype=np.int64), ab.rel_days)
        av = abnormal_volume(v, m, ab.rel_days, ESTIMATION, np.ones(len(part), dtype=bool))
        sar = ab.sar
        for w in WINDOWS:
            res = av.cumulate(av.days(w))
            with np.errstate(invalid="ignore", divide="ignore"):
                scav = res["cav"] / res["cav_se"]
            got = volume_tests(res["cav"], scav, groups, n_groups)
            u, _ = beaver_u(sar, ab.overlap(w))
            got["var_csect_t"] = variance_change_test(u, ab.dof, groups, n_groups)
            r = rank_excess(sar, ab.estimation, ab.overlap(w))
            got["var_rank_t"] = variance_rank_test(r, groups, n_groups)
            for name, g in got.items():
                rejected.setdefault((name, w), []).append(np.where(g["p"] < LEVEL, np.sign(g["t"]), 0.0)
                                                          + np.where(np.isfinite(g["p"]), 0.0, np.nan))  # fmt: skip
        joint = aar_joint_f(ab.ar, ab.estimation, ab.days(PRE), groups, n_groups)
        rejected.setdefault(("aar_joint_f", PRE), []).append(np.where(joint["p"] < LEVEL, 1.0, 0.0)
                                                             + np.where(np.isfinite(joint["p"]), 0.0, np.nan))  # fmt: skip
    out = {}
    for key, parts in rejected.items():  # +1: rejected with a positive statistic, -1: negative, 0: not rejected
        r = np.concatenate(parts)
        ok = np.isfinite(r)
        rate = float((r[ok] != 0).mean()) if ok.any() else float("nan")
        out[key] = (rate, int(ok.sum()), float((r[ok] > 0).mean()) if ok.any() else float("nan"))
    return out


def section(results: dict, studies: int, seconds: float) -> list[str]:
    """The doc section: a size table per design (rows: tests; columns: windows)."""
    se = 100 * np.sqrt(LEVEL * (1 - LEVEL) / studies)
    lines = [
        HEADING,
        "",
        f"Generated by `python -m bench.validation_reaction` ({studies:,} pseudo-studies of N = 30 per design, seeds "
        f"0 and 1, {seconds:.0f} s); kept by `--render`. Rejection rate (%) at 5 % with nothing injected, Monte Carlo "
        f"sd {se:.2f} pp; bold: outside 5 % ± 1.5 pp; in brackets the rate of rejections with a positive "
        "statistic (more volume, more variance). The pseudo-studies are drawn as above; volume is the "
        "universe's `log(1 + volume)` with the mean log volume of the stocks traded each session as the market "
        "(a suspended session has no volume), fitted by the log-volume market model over [−260, −11]; volatility "
        "is Beaver's U of the market-model SARs against `EW_SZSE`; `aar_joint_f` tests the ten daily AARs of "
        "[−10, −1] jointly (definitions: docs/statistics.md).",
    ]
    for (design, firms, _seed), rates in results.items():
        label = "random days" if design == "random" else "shared day 0"
        lines += ["", f"### {label}, N = {firms}", "", "| test | " + " | ".join(f"[{a},{b}]" for a, b in WINDOWS)
                  + f" | [{PRE[0]},{PRE[1]}] |", "|---|" + "---:|" * (len(WINDOWS) + 1)]  # fmt: skip
        for name in ("cav_csect_t", "cav_bmp_t", "var_csect_t", "var_rank_t", "aar_joint_f"):
            cells = []
            for w in (*WINDOWS, PRE):
                rate, n, up = rates.get(f"{name} {w[0]} {w[1]}", (None, 0, None))
                if rate is None:
                    cells.append("")
                    continue
                text = f"{100 * rate:.1f}" + (f" ({100 * up:.1f} ↑)" if name != "aar_joint_f" else "")
                text = f"**{text}**" if abs(rate - LEVEL) > 0.015 else text
                cells.append(text + (f" ({studies - n} undef.)" if n < studies else ""))
            lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines + ["", *WHY]


# Why a row misses the band: documented properties of the tests (docs/statistics.md), not tunings.
WHY = [
    "* `var_csect_t` (random days): `U_i` is strongly right-skewed for fat-tailed returns and short windows, and a "
    "t on 30 skewed values rejects on the side of *less* variance (almost no rejection has a positive statistic); "
    "the skew and the excess fade as the window lengthens. Use `var_rank_t`, which ranks instead: 5.0–6.6 % on random "
    "days.",
    "* `var_csect_t`, `var_rank_t` (shared day 0): both treat the firms as independent; on one shared day the "
    "firms' variances move together (a calm or a turbulent market day for all of them), so the cross-section "
    "is one draw, not 30. Read them for events on several days, or against this table.",
    "* `aar_joint_f`: exact for independent normal AARs; daily AARs are fat-tailed, which widens the tail of "
    "`J` beyond F(10, T − 1), more so when the firms share day 0 and the AAR is a market-wide move.",
    "* `cav_csect_t`, `cav_bmp_t` (random days, 6–7 %): at the band's edge; the per-firm log-volume residuals are "
    "autocorrelated and fat-tailed, and a volume trend beyond the market's shifts a window's CAV.",
]


def saved_section() -> list[str]:
    """The saved section's lines (none before a run): what ``bench.validation`` appends to the doc."""
    if not SAVED.exists():
        return []
    return ["", *json.loads(SAVED.read_text(encoding="utf-8"))["section"]]


def replace_section(doc: Path, lines: list[str]) -> None:
    """``doc`` with its section under :data:`HEADING` (up to the next ``## `` heading) replaced, or appended."""
    text = doc.read_text(encoding="utf-8").rstrip("\n").split("\n")
    if HEADING in text:
        start = text.index(HEADING)
        end = next((k for k in range(start + 1, len(text)) if text[k].startswith("## ")), len(text))
        text = text[:start] + lines + ([""] + text[end:] if end < len(text) else [])
    else:
        text += ["", *lines]
    doc.write_text("\n".join(text).rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.validation_reaction", description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=1000)
    ap.add_argument("--universe", default=str(SZSE_UNIVERSE))
    ap.add_argument("--no-doc", action="store_true", help="print the table only")
    ap.add_argument("--render", action="store_true", help="rewrite the doc section from the saved run (no run)")
    args = ap.parse_args(argv)
    if args.render:
        rec = json.loads(SAVED.read_text(encoding="utf-8"))
        saved = {(d, int(n), int(s)): r for key, r in rec["rates"].items() for d, n, s in [key.split(":")]}
        rec["section"] = section(saved, rec["studies"], rec["seconds"])
        SAVED.write_text(json.dumps(rec, indent=0) + "\n", encoding="utf-8")
        replace_section(DOC, rec["section"])
        print(f"wrote {SAVED} and {DOC}")
        return 0
    t0 = time.perf_counter()
    universe = load_universe(args.universe)
    volume = universe_log_volume(args.universe, universe)
    results = {}
    for design, firms, seed in DESIGNS:
        rates = run_design(universe, volume, design, firms, args.studies, seed)
        results[(design, firms, seed)] = {f"{name} {w[0]} {w[1]}": v for (name, w), v in rates.items()}
        print(f"{design} N = {firms}: {time.perf_counter() - t0:.0f} s", flush=True)
    seconds = time.perf_counter() - t0
    lines = section(results, args.studies, seconds)
    print("\n".join(lines))
    if not args.no_doc:
        SAVED.parent.mkdir(parents=True, exist_ok=True)
        record = {"studies": args.studies, "seconds": seconds,
                  "rates": {f"{d}:{n}:{s}": r for (d, n, s), r in results.items()}, "section": lines}  # fmt: skip
        SAVED.write_text(json.dumps(record, indent=0) + "\n", encoding="utf-8")
        replace_section(DOC, lines)
        print(f"wrote {SAVED} and {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
