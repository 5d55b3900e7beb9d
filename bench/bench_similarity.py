"""Benchmark of contest.similarity on planted corpora, with the floor and two baselines.

Usage: .venv/bin/python bench/bench_similarity.py [--sizes 1000,10000] [--quick]
Prints, per size: scan time, peak memory, precision/recall on planted pairs sharing >= 15%,
quotation-only documents left unflagged, overlap error, floor and ratio, one-query time,
all-pairs cdist(fuzz.ratio) on a sample (extrapolated) and MinHash-LSH with the same verification.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasketch import MinHash, MinHashLSH  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from contest.essaygen import essay, iter_planted  # noqa: E402
from contest.similarity import Config, Doc, SimilarityIndex, check, compare, scan  # noqa: E402
from contest.similarity.fingerprint import shingles  # noqa: E402
from contest.similarity.normalise import syllable_ids  # noqa: E402
from contest.vntext import SYLLABLE_RE, nfc  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, seed: int = 0) -> None:
    refs, truth, stream = iter_planted(n, seed=seed)
    texts: dict[str, str] = dict(stream)
    print(f"== {n} essays (generated), rss {_rss_mb():.0f} MB")
    t = time.perf_counter()
    for text in texts.values():
        SYLLABLE_RE.findall(nfc(text).casefold())
    floor = time.perf_counter() - t
    t = time.perf_counter()
    result = scan([Doc(k, v) for k, v in texts.items()], [Doc(k, v) for k, v in refs.items()])
    took = time.perf_counter() - t
    print(
        f"scan {took:.1f} s; floor {floor:.1f} s; ratio {took / floor:.2f}; peak rss {_rss_mb():.0f} MB"
    )
    copies = {(p.a, p.b) for p in truth if p.kind != "quotation" and p.shared >= 0.15}
    found = {}
    for m in result.pairs:
        if m.kind == "copy" and m.score >= 0.15:
            found[(m.a, m.b)] = m
            found[(m.b, m.a)] = m
    reported = {
        tuple(sorted((m.a, m.b))) for m in result.pairs if m.kind == "copy" and m.score >= 0.15
    }
    hit = sum(1 for k in copies if k in found)
    true_keys = {tuple(sorted(k)) for k in copies}
    precision = len(reported & true_keys) / max(1, len(reported))
    print(
        f"recall {hit}/{len(copies)} = {hit / max(1, len(copies)):.3f}; precision {precision:.3f}"
    )
    docs = {d.name: d for d in result.documents}
    quotes = [p for p in truth if p.kind == "quotation"]
    print(f"quotation-only unflagged {sum(not docs[p.a].flagged for p in quotes)}/{len(quotes)}")
    errors = []
    for p in truth:
        m = found.get((p.a, p.b))
        if p.kind == "quotation":
            errors.append(abs(docs[p.a].quoted - p.shared))
        elif m is not None:
            errors.append(abs((m.overlap_a if m.a == p.a else m.overlap_b) - p.shared))
    print(f"overlap error mean {sum(errors) / len(errors):.3f} max {max(errors):.3f}")
    index = SimilarityIndex(Config())
    for k, v in texts.items():
        index.add(Doc(k, v))
    probe = Doc("probe", texts[truth[1].a])
    check(index, probe)
    t = time.perf_counter()
    reps = 20
    for _ in range(reps):
        check(index, probe)
    print(f"one query (a partial paste) vs index: {1000 * (time.perf_counter() - t) / reps:.1f} ms")
    fresh = Doc("fresh", essay(random.Random(99), syllables=2500))
    t = time.perf_counter()
    check(index, fresh)
    print(f"one unrelated essay vs index: {1000 * (time.perf_counter() - t):.1f} ms")
    # Baseline 1: all pairs with cdist(fuzz.ratio) on a sample, extrapolated.
    sample = list(texts.values())[:120]
    t = time.perf_counter()
    process.cdist(sample, sample, scorer=fuzz.ratio, workers=-1)
    per_pair = (time.perf_counter() - t) / (len(sample) ** 2)
    print(
        f"cdist all pairs: {1 / per_pair:.0f} pairs/s; {n} essays ≈ {per_pair * n * n / 2 / 3600:.1f} h"
    )
    # Baseline 2: MinHash LSH on 5-shingles, same verification on its candidates.
    partial = [p for p in truth if p.kind.startswith("partial") or p.kind == "reordered"]
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for k, v in texts.items():
        mh = MinHash(num_perm=128)
        mh.update_batch(
            [int(x).to_bytes(8, "little") for x in set(shingles(syllable_ids(v)).tolist())]
        )
        lsh.insert(k, mh)
        if k in {p.a for p in partial}:
            lsh_q = lsh.query(mh)
            p = next(q for q in partial if q.a == k)
            if p.b in lsh_q and compare(Doc(k, v), Doc(p.b, texts[p.b])):
                errors.append(-1)  # marker: counted below
    lsh_time = time.perf_counter() - t
    print(
        f"MinHash-LSH: {lsh_time:.1f} s; partial/reordered found {errors.count(-1)}/{len(partial)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--quick", action="store_true", help="1000 essays only")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        run(n)


if __name__ == "__main__":
    main()
