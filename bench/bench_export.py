"""Benchmark judging.export on a national-size results report.

    .venv/bin/python bench/bench_export.py [--quick] [--entries N]

Builds a synthetic report (numpy, seed 2025): N entries over the five national categories,
2 readings each by 60 judges, 5 criteria, so N x 10 criterion scores. Then, each in its own
subprocess so peak memory figures do not mix:

* ours:     results_workbook(report)  (every sheet: ranking per category with readings side
            by side, readings, disagreements, copying, statistics, settings)
* csv:      results_csv_zip(report)
* baseline: DataFrame.to_excel (openpyxl engine) of the ranking table and the per-reading
            table, the two large tables of the report, with no formatting at all

Prints seconds and extra peak RSS (peak minus RSS once the data is built) for each, and the
ratios baseline / ours. Target: the full workbook under 30 s and 1.5 GB for 100,000 entries.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judging.export import ResultsReport, results_csv_zip, results_workbook  # noqa: E402

CATEGORIES = ["Tạp chí", "Báo", "Phát thanh", "Truyền hình", "Video clip"]
CRITERIA = [
    "Tính Đảng, định hướng chính trị",
    "Tính khoa học",
    "Tính chiến đấu, thuyết phục",
    "Phát hiện mới, thực tiễn",
    "Hình thức, ngôn ngữ",
]
MAXIMA = np.array([25, 25, 20, 20, 10], dtype=float)
UNITS = [f"Đảng bộ huyện số {i}" for i in range(1, 301)]


def build_report(n: int, seed: int = 2025) -> ResultsReport:
    """A synthetic report: n entries, 2 readings each, 5 criteria, seeded."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"CL-{i:06d}" for i in range(n)], dtype=object)
    category = np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)]
    judges = np.array([f"GK-{j:02d}" for j in range(60)], dtype=object)
    first = rng.integers(0, 60, n)
    second = (first + rng.integers(1, 60, n)) % 60
    # points as a share of each criterion's maximum, rounded to halves
    share = rng.beta(5, 2, size=(n, 2, len(CRITERIA)))
    points = np.round(share * MAXIMA * 2) / 2
    totals = points.sum(axis=2)
    start = datetime(2025, 5, 1, 8, 0)
    minutes = rng.integers(0, 60 * 24 * 20, size=(n, 2))

    reading_judge = np.stack([judges[first], judges[second]], axis=1)
    readings = pd.DataFrame(
        {
            "code": np.repeat(codes, 2 * len(CRITERIA)),
            "category": np.repeat(category, 2 * len(CRITERIA)),
            "judge": np.repeat(reading_judge.ravel(), len(CRITERIA)),
            "criterion": np.tile(np.array(CRITERIA, dtype=object), 2 * n),
            "points": points.ravel(),
            "total": np.repeat(totals.ravel(), len(CRITERIA)),
            "submitted_at": np.repeat(
                np.datetime64(start) + minutes.ravel().astype("timedelta64[m]"), len(CRITERIA)
            ),
        }
    )
    mean = totals.mean(axis=1)
    ranking = pd.DataFrame(
        {
            "category": category,
            "code": codes,
            "title": [f"Bảo vệ nền tảng tư tưởng của Đảng, bài số {i}" for i in range(n)],
            "authors": [f"Nguyễn Văn {i}" for i in range(n)],
            "pen_name": [f"Bút danh {i % 997}" for i in range(n)],
            "unit": np.array(UNITS, dtype=object)[rng.integers(0, len(UNITS), n)],
            "mean": mean,
            "calibrated": mean + rng.normal(0, 1.5, n),
            "final": mean,
            "n_readings": 2,
        }
    )
    ranking = ranking.sort_values(["category", "final"], ascending=[True, False], kind="stable")
    ranking["rank"] = ranking.groupby("category")["final"].rank(method="min", ascending=False)
    ranking["rank"] = ranking["rank"].astype(int)
    ranking["tied"] = ranking.duplicated(["category", "rank"], keep=False)
    ranking["prize"] = np.where(ranking["rank"] <= 3, "A", np.where(ranking["rank"] <= 9, "B", ""))
    ranking["prize_note"] = ""
    ranking["too_close"] = False

    gap = np.abs(totals[:, 0] - totals[:, 1])
    wide_gap = np.flatnonzero(gap >= 20)
    disagreements = pd.DataFrame(
        {
            "code": codes[wide_gap],
            "category": category[wide_gap],
            "totals": [f"{totals[i, 0]:.1f} / {totals[i, 1]:.1f}" for i in wide_gap],
            "gap": gap[wide_gap],
            "status": "chờ chấm lần 3",
        }
    )
    flagged = rng.choice(n, size=max(1, n // 100), replace=False)
    copying = pd.DataFrame(
        {
            "code": codes[flagged],
            "category": category[flagged],
            "overlap": rng.uniform(0.1, 0.6, flagged.size),
            "matched_with": codes[(flagged + 1) % n],
            "decision": "giữ lại",
            "note": "=trích dẫn văn kiện",
            "decided_by": "Tổ thư ký",
            "decided_at": [start + timedelta(hours=int(h)) for h in flagged % 500],
        }
    )
    statistics = {
        "by_category": ranking.groupby("category").size().rename("entries").reset_index(),
        "by_unit": ranking.groupby("unit").size().rename("entries").reset_index(),
    }
    return ResultsReport(
        contest_title="Giải Búa liềm vàng 2025 (thử nghiệm)",
        round_name="Sơ khảo",
        revealed=True,
        finalised=True,
        ranking=ranking,
        readings=readings,
        disagreements=disagreements,
        copying=copying,
        statistics=statistics,
        settings=[(("Phương pháp tổng hợp", "Aggregation"), "trung bình")],
        criteria=CRITERIA,
        exported_at=datetime(2025, 6, 1, 9, 0),
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _baseline(report: ResultsReport) -> int:
    """Plain pandas: the ranking and per-reading tables through DataFrame.to_excel."""
    per_reading = (
        report.readings.pivot_table(
            index=["code", "category", "judge", "total", "submitted_at"],
            columns="criterion",
            values="points",
        )
        .reset_index()
        .rename(columns=str)
    )
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        report.ranking.to_excel(xw, sheet_name="ranking", index=False)
        per_reading.to_excel(xw, sheet_name="readings", index=False)
    return len(buf.getvalue())


def child(what: str, n: int) -> None:
    """Run one measurement in this process and print it as JSON."""
    report = build_report(n)
    before = _peak_mb()
    t0 = time.perf_counter()
    if what == "ours":
        size = len(results_workbook(report))
    elif what == "csv":
        size = len(results_csv_zip(report))
    else:
        size = _baseline(report)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "seconds": seconds,
                "extra_mb": _peak_mb() - before,
                "peak_mb": _peak_mb(),
                "bytes": size,
            }
        )
    )


def run(what: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", what, "--entries", str(n)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 entries instead of 100,000")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--child", choices=["ours", "csv", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.entries or (10_000 if args.quick else 100_000)
    if args.child:
        child(args.child, n)
        return
    print(f"entries={n} readings={2 * n} criterion scores={10 * n} cores={os.cpu_count()}")
    results = {what: run(what, n) for what in ("ours", "csv", "baseline")}
    for what, r in results.items():
        print(
            f"{what:9s} {r['seconds']:7.2f} s  extra peak RSS {r['extra_mb']:7.1f} MB  "
            f"(peak {r['peak_mb']:.0f} MB)  {r['bytes'] / 1e6:.1f} MB file"
        )
    ours, base = results["ours"], results["baseline"]
    print(
        f"baseline/ours: time x{base['seconds'] / ours['seconds']:.2f}, "
        f"extra memory x{base['extra_mb'] / max(ours['extra_mb'], 1):.2f}"
    )


if __name__ == "__main__":
    main()
