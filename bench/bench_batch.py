"""Benchmark contest.batch.plan_batch on a generated batch: N Word essays (about 2,500
syllables each) in a .zip with a manifest of N entries (every third with a co-author).

Baseline, measured in the same run: contest.extract.extract() called on the same N files in
a plain loop (the unavoidable part). The ratio plan / baseline is the planning overhead:
zip guard, manifest parsing, matching, checks, hashing. Also timed: plan_batch with
extract_text=False (everything except extraction) and template_xlsx. Single process.

    .venv/bin/python bench/bench_batch.py [--quick] [--entries N]
"""

from __future__ import annotations

import argparse
import io
import platform
import random
import resource
import statistics
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from contest.batch import (  # noqa: E402
    TEMPLATE_COLUMNS,
    CategoryInfo,
    ContestLimits,
    plan_batch,
    template_xlsx,
)
from contest.extract import extract  # noqa: E402
from tests.contest.docfactory import make_docx  # noqa: E402

_VOCABULARY = (
    "bảo vệ nền tảng tư tưởng của Đảng nhân dân đấu tranh phản bác quan điểm sai trái thù địch "
    "xây dựng chỉnh đốn cán bộ đảng viên chính trị kinh tế văn hoá xã hội đổi mới phát triển "
    "đất nước dân tộc độc lập tự do hạnh phúc lãnh đạo thực tiễn lý luận kiên định mục tiêu"
)
_WORDS = _VOCABULARY.split()
LIMITS = ContestLimits.with_categories(
    [CategoryInfo("tap-chi", "Tạp chí"), CategoryInfo("bao", "Báo (in, điện tử)")],
    min_words=500,
    max_words=5000,
    max_entries_per_author=2,
)


def essay(seed: int, words: int) -> list[str]:
    """Paragraphs of 60-140 words, about ``words`` in all, deterministic for ``seed``."""
    rng = random.Random(seed)
    paragraphs, left = [], words
    while left > 0:
        n = min(left, rng.randint(60, 140))
        paragraphs.append(" ".join(rng.choice(_WORDS) for _ in range(n)) + ".")
        left -= n
    return paragraphs


def build(n: int, words: int) -> tuple[bytes, dict[str, bytes]]:
    keys = [c.key for c in TEMPLATE_COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.append([c.vi for c in TEMPLATE_COLUMNS])
    files: dict[str, bytes] = {}
    for i in range(1, n + 1):
        name = f"Bài dự thi {i:05d}.docx"
        files[name] = make_docx(essay(i, words))
        main = {
            "number": i,
            "file_name": name,
            "title": f"Tác phẩm số {i}",
            "category": "Tạp chí" if i % 2 else "bao",
            "full_name": f"Tác giả {i}",
            "birth": f"{(i % 28) + 1:02d}/05/{1960 + i % 40}",
            "email": f"tacgia{i}@example.vn",
            "phone": f"09{i:08d}",
        }
        ws.append([main.get(k) for k in keys])
        if i % 3 == 0:
            ws.append([i if k == "number" else f"Đồng tác giả {i}" if k == "full_name" else None
                       for k in keys])  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bang-ke.xlsx", buf.getvalue())
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue(), files


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 entries, one repeat")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--words", type=int, default=2500)
    args = parser.parse_args()
    n = args.entries or (200 if args.quick else 1000)
    repeats = 1 if args.quick else 3
    print(f"python {platform.python_version()}, {n} entries of ~{args.words} words, "
          f"median of {repeats}")  # fmt: skip

    start = time.perf_counter()
    blob, files = build(n, args.words)
    print(f"build batch: {time.perf_counter() - start:.1f} s, zip {len(blob) / 2**20:.1f} MiB")

    baseline, _ = timed(lambda: [extract(d, name) for name, d in files.items()], repeats)
    full, plan = timed(lambda: plan_batch(blob, limits=LIMITS, today=date(2025, 6, 1)), repeats)
    light, _ = timed(
        lambda: plan_batch(blob, limits=LIMITS, extract_text=False, today=date(2025, 6, 1)),
        repeats,
    )
    template, _ = timed(lambda: template_xlsx(categories=["Tạp chí", "Báo"]), repeats)
    assert plan.ok, [p.code for p in plan.problems] + [
        p.code for e in plan.entries for p in e.problems
    ]
    assert len(plan.entries) == n

    print(
        f"baseline extract() loop:          {baseline:7.2f} s  ({baseline / n * 1000:.1f} ms/entry)"
    )
    print(f"plan_batch (full):                {full:7.2f} s  ({full / n * 1000:.1f} ms/entry)")
    print(f"plan_batch (extract_text=False):  {light:7.2f} s  ({light / n * 1000:.2f} ms/entry)")
    print(f"template_xlsx:                    {template * 1000:7.1f} ms")
    print(f"ratio full / baseline:            {full / baseline:7.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process:          {peak:7.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
