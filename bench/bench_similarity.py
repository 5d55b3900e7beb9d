"""Benchmark of contest.similarity on planted corpora, with the floor and two baselines.

Usage: .venv/bin/python bench/bench_similarity.py [--sizes 1000,10000] [--workers 1,2] [--quick]
Each size is scanned once per worker count (Config.workers), each run in a fresh process.
Prints, per size: index and verification time, peak memory, precision/recall on planted pairs
sharing >= 15%, quotation-only documents left unflagged, overlap error, the floor (NFC +
casefold + split into syllables) and the ratio scan/floor, one-query time against the index,
all-pairs cdist(fuzz.ratio) on a sample (extrapolated) and MinHash-LSH with the same
verification on the first 2,000 essays.

The corpus is first written to a JSON-lines file (untimed; the floor is measured then), then
streamed from it into the index (not held in memory), as a service reads entries from storage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasketch import MinHash, MinHashLSH  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from contest.essaygen import essay, iter_planted  # noqa: E402
from contest.similarity import Config, Doc, build_index, check, compare, scan_index  # noqa: E402
from contest.similarity.fingerprint import shingles  # noqa: E402
from contest.similarity.normalise import syllable_ids  # noqa: E402
from contest.vntext import SYLLABLE_RE, nfc  # noqa: E402

_SUBSET = 2000  # essays kept in memory for the baselines


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the forked workers)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + r.ru_utime + r.ru_stime


def _progress(done: int, total: int) -> None:
    if done % 16384 == 0:
        print(f"  ... {done}/{total}", file=sys.stderr, flush=True)


def generate(n: int, folder: Path, seed: int = 0) -> None:
    """Write the planted corpus as JSON lines (untimed) and measure the floor on each essay.

    The scans then stream the essays from this file, as a service reads them from storage:
    generating them is not part of any timed figure, whatever the number of workers.
    """
    refs, truth, stream = iter_planted(n, seed=seed)
    kept: dict[str, str] = {}
    floor = floor_cpu = 0.0
    last = ("", "")
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as out:
        for name, text in stream:
            t, c = time.perf_counter(), time.process_time()
            SYLLABLE_RE.findall(nfc(text).casefold())
            floor += time.perf_counter() - t
            floor_cpu += time.process_time() - c
            if len(kept) < _SUBSET or (truth and truth[-1].a == name):
                kept[name] = text
                kept.setdefault(*last)
            last = (name, text)
            out.write(json.dumps([name, text], ensure_ascii=False) + "\n")
    meta = {"refs": refs, "truth": truth, "kept": kept, "floor": (floor, floor_cpu), "n": n}
    (folder / "meta.pickle").write_bytes(pickle.dumps(meta))


def _stream(path: Path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, text = json.loads(line)
            yield Doc(name, text)


def run(n: int, workers: int, folder: Path) -> None:
    """Scan the corpus in ``folder`` with ``workers`` processes and print every figure."""
    meta = pickle.loads((folder / "meta.pickle").read_bytes())
    refs, truth, kept = meta["refs"], meta["truth"], meta["kept"]
    floor, floor_cpu = meta["floor"]
    config = Config(workers=workers)
    print(f"== {n} essays, workers={workers} (streamed from a file)", flush=True)
    t, c = time.perf_counter(), _cpu()
    index = build_index(
        _stream(folder / "corpus.jsonl"),
        [Doc(k, v) for k, v in refs.items()],
        config=config,
        progress=_progress,
    )
    t_index, c_index = time.perf_counter() - t, _cpu() - c
    t, c = time.perf_counter(), _cpu()
    result = scan_index(index)
    t_verify, c_verify = time.perf_counter() - t, _cpu() - c
    took, cpu = t_index + t_verify, c_index + c_verify
    print(
        f"scan {took:.1f} s (index {t_index:.1f} s, candidates+verification {t_verify:.1f} s); "
        f"floor {floor:.1f} s; ratio {took / floor:.2f}; peak rss {_rss_mb():.0f} MB "
        f"(largest worker {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB, pages shared)"
    )
    print(
        f"CPU (all processes): scan {cpu:.1f} s (index {c_index:.1f} s, verification "
        f"{c_verify:.1f} s); floor {floor_cpu:.1f} s; ratio {cpu / floor_cpu:.2f}"
    )
    print(
        f"common-shingle limit {index.common_limit()} entries; pairs reported {len(result.pairs)}"
    )
    copies = {(p.a, p.b) for p in truth if p.kind != "quotation" and p.shared >= 0.15}
    found = {}
    for m in result.pairs:
        if m.kind == "copy" and m.score >= 0.15:
            found[(m.a, m.b)] = m
            found[(m.b, m.a)] = m
    # Two entries derived from the same reference truly share its text: neither right nor wrong.
    by_ref: dict[str, set[str]] = {}
    for p in truth:
        if p.b.startswith("ref:"):
            by_ref.setdefault(p.b, set()).add(p.a)
    implied = {
        tuple(sorted((x, y))) for group in by_ref.values() for x in group for y in group if x != y
    }
    reported = {
        tuple(sorted((m.a, m.b))) for m in result.pairs if m.kind == "copy" and m.score >= 0.15
    } - implied
    hit = sum(1 for k in copies if k in found)
    # A pair planted just under 15% but reported just over it is not a false alarm.
    true_keys = {tuple(sorted((p.a, p.b))) for p in truth}
    precision = len(reported & true_keys) / max(1, len(reported))
    false = sorted(reported - true_keys)[:5]
    missed = [(p.a, p.b, p.kind, p.shared) for p in truth if (p.a, p.b) in copies - found.keys()]
    print(
        f"recall {hit}/{len(copies)} = {hit / max(1, len(copies)):.3f}; precision "
        f"{len(reported & true_keys)}/{len(reported)} = {precision:.3f}"
        + (f" (false, first: {false})" if false else "")
        + (f" (missed, first: {missed[:5]})" if missed else "")
    )
    docs_by_name = {d.name: d for d in result.documents}
    quotes = [p for p in truth if p.kind == "quotation"]
    unflagged = sum(not docs_by_name[p.a].flagged for p in quotes)
    print(f"quotation-only unflagged {unflagged}/{len(quotes)}")
    planted = {p.a for p in truth} | {p.b for p in truth}
    noise = [d.overlap for d in result.documents if d.name not in planted]
    print(
        f"unrelated essays: flagged {sum(d.flagged for d in result.documents if d.name not in planted)}"
        f"/{len(noise)}; overlap mean {sum(noise) / max(1, len(noise)):.4f} max {max(noise):.3f}"
    )
    errors, worst = [], ("", 0.0)
    for p in truth:
        m = found.get((p.a, p.b))
        if p.kind == "quotation":
            err = abs(docs_by_name[p.a].quoted - p.shared)
        elif m is not None:
            err = abs((m.overlap_a if m.a == p.a else m.overlap_b) - p.shared)
        else:
            continue
        errors.append(err)
        if err > worst[1]:
            worst = (p.kind, err)
    print(f"overlap error mean {sum(errors) / len(errors):.3f} max {max(errors):.3f} ({worst[0]})")
    probe = Doc("probe", kept[truth[1].a])
    check(index, probe)
    reps = 20
    t = time.perf_counter()
    for _ in range(reps):
        check(index, probe)
    print(f"one query (a partial paste) vs index: {1000 * (time.perf_counter() - t) / reps:.1f} ms")
    fresh = Doc("fresh", essay(random.Random(99), syllables=2500))
    t = time.perf_counter()
    for _ in range(reps):
        check(index, fresh)
    print(f"one unrelated essay vs index: {1000 * (time.perf_counter() - t) / reps:.1f} ms")
    blob_t = time.perf_counter()
    blob = index.to_bytes()
    type(index).from_bytes(blob)
    print(
        f"index serialised {len(blob) / 2**20:.0f} MB, round trip {time.perf_counter() - blob_t:.1f} s"
    )
    digest = hashlib.sha256(repr(result.to_json_dict()).encode()).hexdigest()[:16]
    print(f"result digest {digest} (equal for any number of workers)", flush=True)


def baselines(folder: Path) -> None:
    """All-pairs cdist on a sample and MinHash-LSH on the first essays (one process)."""
    meta = pickle.loads((folder / "meta.pickle").read_bytes())
    truth, kept, n = meta["truth"], meta["kept"], meta["n"]
    # Baseline 1: all pairs with cdist(fuzz.ratio) on a sample, extrapolated.
    sample = list(kept.values())[:120]
    t = time.perf_counter()
    process.cdist(sample, sample, scorer=fuzz.ratio, workers=-1)
    per_pair = (time.perf_counter() - t) / (len(sample) ** 2)
    print(
        f"cdist all pairs: {1 / per_pair:.0f} pairs/s; {n} essays ≈ "
        f"{per_pair * n * n / 2 / 3600:.1f} h; 540,000 ≈ {per_pair * 540_000**2 / 2 / 3600 / 24 / 365:.1f} years"
    )
    # Baseline 2: MinHash LSH on 5-shingles (first essays only), same verification.
    subset = dict(list(kept.items())[:_SUBSET])
    partial = [
        p
        for p in truth
        if (p.kind.startswith("partial") or p.kind == "reordered")
        and p.a in subset
        and p.b in subset
    ]
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh_found = 0
    for k, v in subset.items():
        mh = MinHash(num_perm=128)
        mh.update_batch(
            [int(x).to_bytes(8, "little") for x in set(shingles(syllable_ids(v)).tolist())]
        )
        lsh.insert(k, mh)
        p = next((q for q in partial if q.a == k), None)
        if p is not None and p.b in lsh.query(mh) and compare(Doc(k, v), Doc(p.b, subset[p.b])):
            lsh_found += 1
    lsh_time = time.perf_counter() - t
    print(
        f"MinHash-LSH on {len(subset)} essays: {lsh_time:.1f} s; partial/reordered found "
        f"{lsh_found}/{len(partial)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument("--quick", action="store_true", help="1000 essays only")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # n workers folder
    args = parser.parse_args()
    if args.one:
        run(int(args.one[0]), int(args.one[1]), Path(args.one[2]))
        return
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    counts = sorted({int(w) for w in args.workers.split(",")})
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench_similarity_") as tmp:
            generate(n, Path(tmp))
            # One fresh process per run: peak memory is per run, not the largest so far.
            for w in counts:
                cmd = [sys.executable, __file__, "--one", str(n), str(w), tmp]
                subprocess.run(cmd, check=True)
            baselines(Path(tmp))


if __name__ == "__main__":
    main()
