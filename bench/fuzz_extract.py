"""A bounded mutation-fuzz run of contest.extract and contest.batch (issue 7).

Hand-rolled loop with a fixed seed (atheris is not installed): every execution draws its own
``random.Random(f"{seed}:{n}")``, so execution ``n`` of a run is reproducible on its own. The
mutations and the property come from tests/contest/test_extract_fuzz.py: ``extract`` must
return NFC text or raise ExtractionError with one-line sentences; ``read_batch`` and
``plan_batch`` must return problems and never raise.

Kinds are interleaved round-robin so each gets the same share of a shared machine. A failure
signature is (kind, exception type, innermost frame in contest/, innermost frame overall);
the first few inputs of each signature are saved under bench/out/fuzz/ with a .txt note. An
execution over --slow seconds is reported as slow; one over --hang seconds is stopped.
Baseline measured in the same run: the mean time of the unmutated seed files per kind.

    .venv/bin/python bench/fuzz_extract.py [--minutes 3] [--seed 7] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import platform
import random
import signal
import statistics
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.contest.docfactory import zip_bytes  # noqa: E402
from tests.contest.test_extract_fuzz import (  # noqa: E402
    RandomSource,
    check_batch,
    check_extract,
    fuzz_batch,
    fuzz_input,
    seed_batches,
    seed_documents,
)

KINDS = ("docx", "odt", "pdf", "txt", "zip", "batch")
OUT = ROOT / "bench" / "out" / "fuzz"
SAVED_PER_SIGNATURE = 3
ZIP_NAMES = ["lo.zip", "lo.docx", "lo.odt", "lo"]


class Hang(Exception):
    """Raised by the alarm when one execution runs past --hang seconds."""


def _on_alarm(signum, frame):
    raise Hang


def make_input(kind: str, rng: random.Random) -> tuple[str, bytes]:
    """The (file name, bytes) of one execution of ``kind``."""
    src = RandomSource(rng)
    if kind == "batch":
        return "batch.zip", fuzz_batch(src)
    if kind == "zip":
        return src.choice(ZIP_NAMES), fuzz_batch(src)
    return fuzz_input(src, kind)


def run_one(kind: str, name: str, data: bytes) -> None:
    """Apply the property; raises on any violation."""
    if kind == "batch":
        check_batch(data)
    else:
        check_extract(data, name)


def _frame(entry: traceback.FrameSummary) -> str:
    path = Path(entry.filename)
    try:
        shown = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        shown = path.name
    return f"{shown}:{entry.lineno} {entry.name}"


def signature(kind: str, exc: BaseException) -> tuple[str, str, str, str]:
    """(kind, exception, innermost frame in contest/, innermost frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/contest/" in f.filename and "/tests/" not in f.filename]
    label = type(exc).__name__
    if isinstance(exc, AssertionError) and exc.args and isinstance(exc.args[0], tuple):
        label += f" (message of {exc.args[0][0]} not one line)"
    project = _frame(ours[-1]) if ours else "-"
    return kind, label, project, _frame(frames[-1]) if frames else "-"


def save(sig: tuple[str, ...], count: int, name: str, data: bytes, note: str) -> Path:
    """Write the input and a note (signature, name, traceback) under bench/out/fuzz/."""
    OUT.mkdir(parents=True, exist_ok=True)
    slug = hashlib.sha1("|".join(sig).encode()).hexdigest()[:10]
    path = OUT / f"{sig[0]}-{slug}-{count}.bin"
    path.write_bytes(data)
    path.with_suffix(".txt").write_text(
        f"signature: {sig}\nfile name: {name!r}\nsize: {len(data)}\n\n{note}", encoding="utf-8"
    )
    return path


def baseline(repeats: int) -> dict[str, float]:
    """Mean seconds per execution on the unmutated seeds, per kind."""
    docs = seed_documents()
    batches = [zip_bytes(b) for b in seed_batches()]
    inputs = {k: docs[k] for k in ("docx", "odt", "pdf", "txt")}
    inputs["zip"] = [("lo.zip", b) for b in batches]
    inputs["batch"] = [("batch.zip", b) for b in batches]
    means = {}
    for kind, items in inputs.items():
        times = []
        for _ in range(repeats):
            for name, data in items:
                start = time.perf_counter()
                # A batch seed read as a document is refused with an error: still timed.
                with contextlib.suppress(Exception):
                    run_one(kind, name, data)
                times.append(time.perf_counter() - start)
        means[kind] = statistics.fmean(times)
    return means


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz loop for the given time and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="20 seconds")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds: report as slow")
    parser.add_argument("--hang", type=int, default=60, help="seconds: stop the execution")
    args = parser.parse_args(argv)
    budget = 20.0 if args.quick else args.minutes * 60

    # pypdf logs every repair it makes on a damaged file: thousands of lines, no findings.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    print(f"python {platform.python_version()} on {platform.machine()}, seed {args.seed}")
    start = time.perf_counter()
    seed_documents(), seed_batches()
    baseline(1)  # warm-up: imports and caches
    base = baseline(3 if args.quick else 10)
    print(f"seeds built and baseline taken in {time.perf_counter() - start:.1f} s")

    signal.signal(signal.SIGALRM, _on_alarm)
    execs: Counter[str] = Counter()
    busy: Counter[str] = Counter()
    failures: dict[tuple[str, ...], int] = {}
    first_seen: dict[tuple[str, ...], tuple[int, str]] = {}
    slow: list[tuple[float, str, int, int, str]] = []
    n = 0
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline:
        kind = KINDS[n % len(KINDS)]
        rng = random.Random(f"{args.seed}:{n}")
        name, data = make_input(kind, rng)
        began = time.perf_counter()
        signal.alarm(args.hang)
        try:
            run_one(kind, name, data)
            error = None
        except Exception as exc:  # every other exception is a finding
            error = exc
        finally:
            signal.alarm(0)
        took = time.perf_counter() - began
        execs[kind] += 1
        busy[kind] += took
        if took > args.slow:
            path = save((kind, "slow"), len(slow), name, data, f"{took:.1f} s, execution {n}")
            slow.append((took, kind, n, len(data), path.name))
        if error is not None:
            sig = signature(kind, error)
            count = failures.get(sig, 0)
            failures[sig] = count + 1
            if count < SAVED_PER_SIGNATURE:
                note = f"execution {n}\n" + "".join(traceback.format_exception(error))
                path = save(sig, count, name, data, note)
                first_seen.setdefault(sig, (n, path.name))
        n += 1

    elapsed = time.perf_counter() - start
    print(f"\n{n} executions in {elapsed:.0f} s ({n / elapsed:.1f}/s), seed {args.seed}")
    print(f"{'kind':6} {'execs':>7} {'ms/exec':>8} {'seed ms':>8} {'ratio':>6} {'failures':>8}")
    for kind in KINDS:
        mean = busy[kind] / max(execs[kind], 1)
        fails = sum(c for s, c in failures.items() if s[0] == kind)
        print(
            f"{kind:6} {execs[kind]:7d} {mean * 1e3:8.1f} {base[kind] * 1e3:8.1f} "
            f"{mean / base[kind]:6.2f} {fails:8d}"
        )
    print(f"\n{len(failures)} distinct failure signatures")
    for sig, count in sorted(failures.items(), key=lambda item: -item[1]):
        execution, saved = first_seen[sig]
        print(f"  {count:5d}x {sig[0]:5} {sig[1]}")
        print(f"         at {sig[2]}  (innermost {sig[3]})")
        print(f"         first: execution {execution}, saved as bench/out/fuzz/{saved}")
    print(f"\n{len(slow)} executions over {args.slow:g} s")
    for took, kind, execution, size, saved in sorted(slow, reverse=True)[:10]:
        print(f"  {took:5.1f} s {kind:5} execution {execution}, {size} bytes: {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
