"""Benchmark judging.aggregate and judging.prizes at national scale.

    .venv/bin/python bench/bench_aggregate.py [--quick] [--entries N] [--repeats R]

Synthetic round: N entries (default 100,000) x 2 readings x 5 criteria (the default rubric),
500 judges with planted biases (normal, sd 5), a connected random design (each entry's two
judges drawn at random). Measures, as medians of R runs:

- baseline: plain pandas groupby (criterion rows -> reading totals -> entry means), no checks;
- aggregate(method="calibrated") + rank(tie_break=["criterion:c1"]): the pipeline the app runs;
- rank_stability (200 resamples) and allocate_prizes (national 2024 table), reported apart;

then peak traced memory of the pipeline (tracemalloc, a separate run) and how well calibration
recovers the planted biases (Pearson correlation, true vs estimated).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from contest import presets  # noqa: E402
from judging.aggregate import aggregate, rank, rank_stability  # noqa: E402
from judging.prizes import PRESETS, allocate_prizes, prize_boundaries  # noqa: E402

# the national preset's category names, so every category has its prize table
CATEGORIES = [c.name for c in presets.CATEGORIES]
MAX_POINTS = np.array([25.0, 25.0, 20.0, 20.0, 10.0])
BUDGET_SECONDS = 10.0


def synthetic_round(n_entries: int, n_judges: int, seed: int = 0):
    """Criteria, entries and criterion rows with planted judge biases; returns them and biases."""
    rng = np.random.default_rng(seed)
    criteria = pd.DataFrame(
        {
            "criterion_id": [f"c{i + 1}" for i in range(5)],
            "name": ["Tính Đảng", "Tính khoa học", "Tính chiến đấu", "Phát hiện mới", "Hình thức"],
            "max_points": MAX_POINTS,
            "weight": 1.0,
            "position": np.arange(1, 6),
        }
    )
    entries = pd.DataFrame(
        {
            "entry_id": np.arange(n_entries),
            "code": [f"TP{i:06d}" for i in range(n_entries)],
            "title": "",
            "category": rng.choice(CATEGORIES, n_entries),
        }
    )
    quality = rng.normal(62, 10, n_entries)
    bias = rng.normal(0, 5, n_judges)
    first = rng.integers(0, n_judges, n_entries)
    second = (first + rng.integers(1, n_judges, n_entries)) % n_judges
    entry = np.r_[np.arange(n_entries), np.arange(n_entries)]
    judge = np.r_[first, second]
    total = np.clip(quality[entry] + bias[judge] + rng.normal(0, 4, 2 * n_entries), 0, 100)
    # Split each total over the criteria in proportion to their maxima, in half points.
    points = np.clip(np.round(total[:, None] * MAX_POINTS[None, :] / 100 * 2) / 2, 0, MAX_POINTS)
    readings = pd.DataFrame(
        {
            "entry_id": np.repeat(entry, 5),
            "judge_id": np.repeat([f"GK{j:03d}" for j in judge], 5),
            "criterion_id": np.tile(criteria["criterion_id"].to_numpy(), 2 * n_entries),
            "points": points.ravel(),
        }
    )
    return criteria, entries, readings, bias


def baseline(readings: pd.DataFrame) -> pd.Series:
    """Plain pandas: reading totals, then the mean per entry; no validation, no calibration."""
    totals = readings.groupby(["entry_id", "judge_id"])["points"].sum()
    return totals.groupby(level="entry_id").mean()


def pipeline(criteria, entries, readings):
    agg = aggregate(readings, criteria, entries, method="calibrated")
    ranking = rank(agg, entries, tie_break=["criterion:c1"])
    return agg, ranking


def timed(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 entries, one repeat")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--judges", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--resamples", type=int, default=200)
    args = parser.parse_args()
    n_entries = args.entries or (10_000 if args.quick else 100_000)
    repeats = args.repeats or (1 if args.quick else 5)

    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start")
    start = time.perf_counter()
    criteria, entries, readings, true_bias = synthetic_round(n_entries, args.judges)
    print(
        f"data: {n_entries:,} entries x 2 readings x 5 criteria = {len(readings):,} rows, "
        f"{args.judges} judges (generated in {time.perf_counter() - start:.1f} s)"
    )

    t_base, _ = timed(lambda: baseline(readings), repeats)
    t_pipe, (agg, ranking) = timed(lambda: pipeline(criteria, entries, readings), repeats)
    t_agg, _ = timed(lambda: aggregate(readings, criteria, entries, method="calibrated"), repeats)
    t_rank, _ = timed(lambda: rank(agg, entries, tie_break=["criterion:c1"]), repeats)

    boundaries = {c: prize_boundaries(PRESETS["national_2024"], c) for c in CATEGORIES}
    t_stab, stability = timed(
        lambda: rank_stability(
            agg, ranking, boundaries=boundaries, resamples=args.resamples, seed=0
        ),
        1,
    )
    t_prize, allocation = timed(
        lambda: allocate_prizes(ranking, PRESETS["national_2024"], reserve=5), repeats
    )

    tracemalloc.start()
    pipeline(criteria, entries, readings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    stats = agg.judge_stats
    estimate = stats.set_index("judge_id").loc[[f"GK{j:03d}" for j in range(args.judges)], "bias"]
    corr = float(np.corrcoef(true_bias, estimate.to_numpy())[0, 1])
    groups = int(stats["group"].nunique())

    print(f"baseline pandas groupby mean            : {t_base:6.2f} s")
    print(f"aggregate (calibrated)                  : {t_agg:6.2f} s")
    print(f"rank (tie-break criterion:c1)           : {t_rank:6.2f} s")
    print(f"aggregate + rank (pipeline)             : {t_pipe:6.2f} s")
    print(f"ratio pipeline / baseline               : {t_pipe / t_base:6.1f} x")
    print(
        f"budget {BUDGET_SECONDS:.0f} s                             : "
        f"{'met' if t_pipe < BUDGET_SECONDS else 'MISSED'}"
    )
    print(f"peak traced memory, pipeline            : {peak / 2**20:6.0f} MiB")
    print(
        f"rank_stability ({args.resamples} resamples)          : {t_stab:6.2f} s; "
        f"too close to call: {int(stability['too_close_to_call'].sum())}"
    )
    print(
        f"allocate_prizes (national 2024)         : {t_prize:6.2f} s; "
        f"prizes: {int(allocation.awards['prize'].notna().sum())}"
    )
    print(f"judge groups (connected components)     : {groups}")
    print(f"bias recovery: corr(true, estimated)    : {corr:6.3f}")
    print(f"residual sd (planted 4.0)               : {agg.residual_sd:6.2f}")
    print(
        f"agreement ICC(1) / alpha                : {agg.agreement.icc1:.3f} / "
        f"{agg.agreement.alpha:.3f}"
    )
    return 0 if t_pipe < BUDGET_SECONDS or args.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
