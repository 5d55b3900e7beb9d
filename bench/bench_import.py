"""Benchmark the secretariat's bulk import (issue 3): a .zip of essays plus the Excel list,
through contest.intake on a fresh instance, on SQLite and on PostgreSQL.

Target: 1,000 entries imported in under 60 s on each backend, with working memory that does
not grow with the batch.

For each (backend, size) a child process builds a fresh instance (migrations, an admin, a
contest whose word limits fit), reads the batch from disk and then measures, in order:

1. baseline: contest.extract.extract() on every document of the same zip, in a plain loop
   (the part of the work nobody can avoid);
2. the dry run: intake.plan_import (nothing written);
3. the real import as the web's confirm step runs it: plan_import again, import_plan, commit.

Wall and CPU time are taken per phase. Memory: the zip and the manifest are read into memory
before the baseline (the web form and the CLI hold them too); the process's peak RSS is
reset before each phase (/proc/self/clear_refs) and each phase reports its peak above the RSS
it started from. Comparing the 100 and 1,000 cases gives the memory per entry kept alive.
Each case runs in its own process so one case's heap does not inflate the next.

The batches are generated once, before any case, and are not timed: entries of about 2,500
syllables (contest.essaygen), nine in ten as .docx (python-docx's default template with the
paragraphs written into word/document.xml), one in ten as .txt, every third with a co-author.

    .venv/bin/python bench/bench_import.py [--quick] [--sizes 100,1000]
        [--backends sqlite,postgres] [--pg-url URL] [--profile N]

--profile N runs one case of N entries (the first of --backends) under cProfile and prints the hotspots of the
dry run and of the import instead of the table.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
MANIFEST_NAME = "danh-sach.xlsx"
TARGET_SECONDS = 60.0
CASE_TIMEOUT = 420  # seconds per child process; a hung case must not hold the run


# ---------------------------------------------------------------- the batch (not timed)


def _docx_parts() -> tuple[list[tuple[zipfile.ZipInfo, bytes]], str, str]:
    """python-docx's default document, split around the body so paragraphs can be written in."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    xml = dict((i.filename, d) for i, d in members)["word/document.xml"].decode("utf-8")
    cut = xml.index(">", xml.index("<w:body")) + 1
    return members, xml[:cut], xml[cut:]


def _docx(parts, paragraphs: list[str]) -> bytes:
    members, head, tail = parts
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == "word/document.xml":
                data = (head + body + tail).encode("utf-8")
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def build_batch(n: int, *, seed: int = 3, syllables: int = 2500) -> tuple[bytes, bytes, int]:
    """The zip of n documents and the Excel list; entry i is the same whatever n is.
    Returns (zip bytes, manifest bytes, number of .docx files)."""
    from openpyxl import Workbook

    from contest.batch import TEMPLATE_COLUMNS
    from contest.essaygen import essay, person

    keys = [c.key for c in TEMPLATE_COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.append([c.vi for c in TEMPLATE_COLUMNS])
    parts = _docx_parts()
    out = io.BytesIO()
    n_docx = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(1, n + 1):
            rng = random.Random(seed * 1_000_003 + i)
            text = essay(rng, syllables=syllables)
            if i % 10 == 0:
                name = f"bai-du-thi-{i:04d}.txt"
                zf.writestr(name, text.encode("utf-8"))
            else:
                name = f"Bài dự thi {i:04d}.docx"
                zf.writestr(name, _docx(parts, text.split("\n\n")))
                n_docx += 1
            p = person(rng)
            y, m, d = p["birth_date"].split("-")
            row = {
                "number": i,
                "file_name": name,
                "title": f"Tác phẩm dự thi số {i}",
                "category": "Tạp chí" if i % 2 else "bao",
                "pen_name": p["pen_name"] if i % 4 == 0 else "",
                "full_name": p["full_name"],
                "birth": f"{d}/{m}/{y}",
                "position": p["position"],
                "unit": p["unit"],
                "address": p["address"],
                "phone": p["phone"],
                # unique per entry: the author quota (2 per person) is not what is measured
                "email": f"tacgia{i:05d}@example.vn",
                "id_number": p["id_number"][:6] + f"{i:06d}",
            }
            ws.append([row.get(k) for k in keys])
            if i % 3 == 0:
                co = person(rng)
                ws.append(
                    [
                        i
                        if k == "number"
                        else co["full_name"]
                        if k == "full_name"
                        else f"dongtacgia{i:05d}@example.vn"
                        if k == "email"
                        else None
                        for k in keys
                    ]
                )
    manifest = io.BytesIO()
    wb.save(manifest)
    return out.getvalue(), manifest.getvalue(), n_docx


# ---------------------------------------------------------------- memory helpers (Linux)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        return int(re.search(rf"^{field}:\s+(\d+)", fh.read(), re.M).group(1))


def _reset_peak() -> bool:
    """Reset the peak RSS to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Phase:
    """Wall time, CPU time and peak RSS above the starting RSS of one block."""

    def __init__(self, name: str, results: dict):
        self.name, self.results = name, results

    def __enter__(self):
        gc.collect()
        self.reset = _reset_peak()
        self.rss0 = _status_kib("VmRSS")
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        wall, cpu = time.perf_counter() - self.wall0, time.process_time() - self.cpu0
        peak = _status_kib("VmHWM")
        self.results[self.name] = {
            "wall": wall,
            "cpu": cpu,
            "rss_start_mib": self.rss0 / 1024,
            "peak_mib": peak / 1024,
            "peak_over_start_mib": (peak - self.rss0) / 1024 if self.reset else None,
            "rss_end_mib": _status_kib("VmRSS") / 1024,
        }
        return False


# ---------------------------------------------------------------- one case (child process)


def _plan_bytes(plan) -> int:
    """Memory the plan keeps alive in file contents and extracted texts (sys.getsizeof: a
    Vietnamese str takes 2 bytes a character)."""
    return sum(
        sys.getsizeof(e.file_bytes or b"")
        + sys.getsizeof(e.media_bytes or b"")
        + sys.getsizeof(e.text or "")
        for e in plan.entries
    )


def run_case(url: str, zip_path: Path, manifest_path: Path, workdir: Path, profile: bool) -> dict:
    from sqlalchemy import func, select

    from contest import intake, migrate, services
    from contest.config import default_config
    from contest.db import make_engine, make_session_factory
    from contest.extract import extract
    from contest.models import Contest, Entry
    from contest.storage import FileStore
    from contest.vault import Vault

    out: dict = {"pid": os.getpid()}
    migrate.upgrade(url)
    # The data layer exactly as app.create_app builds it (engine, vault, session factory,
    # upload directory), without the web blueprints: the bench measures the services.
    instance = workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    vault = Vault.from_env_or_file(str(instance), {})
    factory = make_session_factory(engine, vault)
    store = FileStore(default_config(str(instance))["UPLOAD_DIR"])
    now = datetime.now(UTC)
    with factory() as s:
        admin = services.create_user(
            s,
            email="admin@example.vn",
            full_name="Quản trị",
            password="mat-khau-dai-bench-1",
            is_admin=True,
        )
        contest = services.create_contest(
            s,
            actor=admin,
            preset="local",
            settings={
                "slug": "bench-import",
                "title": "Cuộc thi đo thời gian nhập lô",
                "opens_at": now - timedelta(days=1),
                "closes_at": now + timedelta(days=30),
                "min_words": 0,
                "max_words": 100_000,
            },
        )
        s.commit()
        contest_id, admin_id = contest.id, admin.id

    zip_bytes = zip_path.read_bytes()
    manifest_bytes = manifest_path.read_bytes()
    out["zip_mib"] = len(zip_bytes) / 2**20
    gc.collect()
    out["rss_after_load_mib"] = _status_kib("VmRSS") / 1024

    import cProfile

    profilers = {k: cProfile.Profile() if profile else None for k in ("dry_run", "import")}

    phases: dict = {}
    with Phase("extract", phases), zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for info in zf.infolist():
            extract(zf.read(info), info.filename)

    def plan(session):
        return intake.plan_import(
            session,
            contest=session.get(Contest, contest_id),
            zip_bytes=zip_bytes,
            manifest_bytes=manifest_bytes,
            manifest_name=MANIFEST_NAME,
        )

    with Phase("dry_run", phases), factory() as s:
        _toggle(profilers["dry_run"], on=True)
        p = plan(s)
        _toggle(profilers["dry_run"], on=False)
        if not p.ok:
            raise SystemExit(f"the generated batch has problems: {_problems(p)}")
        out["entries"] = len(p.entries)
        out["plan_mib"] = _plan_bytes(p) / 2**20
        del p

    with Phase("import", phases), factory() as s:
        _toggle(profilers["import"], on=True)
        t0 = time.perf_counter()
        p = plan(s)
        t1 = time.perf_counter()
        intake.import_plan(
            s,
            vault=vault,
            store=store,
            contest=s.get(Contest, contest_id),
            plan=p,
            zip_bytes=zip_bytes,
            actor=s.get(type(admin), admin_id),
        )
        t2 = time.perf_counter()
        s.commit()
        t3 = time.perf_counter()
        _toggle(profilers["import"], on=False)
        out["import_split"] = {"plan": t1 - t0, "import_plan": t2 - t1, "commit": t3 - t2}
        del p

    with factory() as s:
        out["created"] = s.scalar(
            select(func.count(Entry.id)).where(Entry.contest_id == contest_id)
        )
    engine.dispose()
    for ph in phases.values():
        # Without a peak reset the figure would include earlier phases: leave it out.
        ph["peak_over_base_mib"] = (
            ph["peak_mib"] - out["rss_after_load_mib"]
            if ph["peak_over_start_mib"] is not None
            else None
        )
    out["peak_mib"] = max(ph["peak_mib"] for ph in phases.values())
    out["phases"] = phases
    for k, prof in profilers.items():
        if prof is not None:
            out[f"profile_{k}"] = _profile_text(prof)
    return out


def _toggle(profiler, *, on: bool) -> None:
    if profiler is not None:
        profiler.enable() if on else profiler.disable()


def _problems(plan) -> list[str]:
    codes = [p.code for p in plan.problems]
    for e in plan.entries:
        codes += [p.code for p in e.problems]
    return sorted(set(codes))[:10]


def _profile_text(profiler) -> str:
    import pstats

    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(r"contest/|sqlalchemy/orm/session", 30)
    return buf.getvalue()


# ---------------------------------------------------------------- the driver


def _pg_schema(base_url: str, name: str, *, drop: bool = False) -> str:
    """Create (or drop) a schema; return a URL whose connections use it."""
    from sqlalchemy import create_engine, text

    from contest.db import normalise_url

    url = normalise_url(base_url)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        if not drop:
            conn.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{name}"


def _pg_unreachable(base_url: str) -> str | None:
    try:
        _pg_schema(base_url, f"bench_probe_{os.getpid()}", drop=True)
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable here"
        return f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
    return None


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"case {args} failed:\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"case {args} printed no result:\n{proc.stdout[-2000:]}")


def _machine() -> str:
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s+(.*)", out).group(1).strip()
    except (OSError, AttributeError):
        pass
    load = os.getloadavg()
    return (
        f"nproc {os.cpu_count()}, {model}, python {sys.version.split()[0]}, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 50,200")
    parser.add_argument("--sizes", default=None, help="comma-separated batch sizes (100,1000)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL))
    parser.add_argument("--syllables", type=int, default=2500)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        url, zip_path, manifest_path, workdir, profile = args.child
        result = run_case(url, Path(zip_path), Path(manifest_path), Path(workdir), profile == "1")
        print("RESULT " + json.dumps(result))
        return 0

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if args.profile:
        sizes, backends = [args.profile], backends[:1]
    else:
        sizes = [
            int(x) for x in (args.sizes or ("50,200" if args.quick else "100,1000")).split(",")
        ]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {_machine()}")

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        tmpdir = Path(tmp)
        batches = {}
        for n in sizes:
            start = time.perf_counter()
            zip_bytes, manifest_bytes, n_docx = build_batch(n, syllables=args.syllables)
            zp, mp = tmpdir / f"batch-{n}.zip", tmpdir / f"batch-{n}.xlsx"
            zp.write_bytes(zip_bytes)
            mp.write_bytes(manifest_bytes)
            batches[n] = (zp, mp)
            print(
                f"built batch of {n}: {n_docx} .docx + {n - n_docx} .txt, zip "
                f"{len(zip_bytes) / 2**20:.1f} MiB, list {len(manifest_bytes) / 1024:.0f} KiB "
                f"({time.perf_counter() - start:.1f} s, not measured)"
            )
            del zip_bytes, manifest_bytes

        rows = []
        for backend in backends:
            skip = None
            if backend == "postgres":
                skip = _pg_unreachable(args.pg_url)
                if skip:
                    print(f"postgres skipped: cannot reach {args.pg_url} ({skip})")
                    continue
            elif backend != "sqlite":
                print(f"unknown backend {backend!r} skipped")
                continue
            for n in sizes:
                work = tmpdir / f"{backend}-{n}"
                work.mkdir()
                schema = f"bench_import_{os.getpid()}_{uuid.uuid4().hex[:6]}"
                if backend == "sqlite":
                    url = f"sqlite:///{work / 'contest.db'}"
                else:
                    url = _pg_schema(args.pg_url, schema)
                zp, mp = batches[n]
                try:
                    r = _child([url, str(zp), str(mp), str(work), "1" if args.profile else "0"])
                finally:
                    if backend == "postgres":
                        _pg_schema(args.pg_url, schema, drop=True)
                if args.profile:
                    print(f"\n=== cProfile, {backend}, {n} entries: dry run ===")
                    print(r["profile_dry_run"])
                    print(
                        f"\n=== cProfile, {backend}, {n} entries: import (plan + import + commit) ==="
                    )
                    print(r["profile_import"])
                    return 0
                assert r["created"] == n, r
                rows.append((backend, n, r))
                ph = r["phases"]
                print(
                    f"  {backend} {n}: extract {ph['extract']['wall']:.1f} s, "
                    f"dry run {ph['dry_run']['wall']:.1f} s, import {ph['import']['wall']:.1f} s"
                )

    print()
    print(
        f"{'backend':8} {'entries':>7} {'zip MiB':>7} | {'extract s':>9} {'dry run s':>9} "
        f"{'import s':>8} {'(plan':>6} {'create':>6} {'commit)':>7} {'CPU s':>6} | "
        f"{'ms/entry':>8} {'dry/extr':>8} {'imp/extr':>8} | {'base MiB':>8} {'+dry':>5} {'+imp':>5} "
        f"{'peak MiB':>8} {'plan MiB':>8}"
    )
    for backend, n, r in rows:
        ph, sp = r["phases"], r["import_split"]
        imp = ph["import"]
        print(
            f"{backend:8} {n:7d} {r['zip_mib']:7.1f} | {ph['extract']['wall']:9.2f} "
            f"{ph['dry_run']['wall']:9.2f} {imp['wall']:8.2f} {sp['plan']:6.1f} "
            f"{sp['import_plan']:6.1f} {sp['commit']:7.2f} {imp['cpu']:6.1f} | "
            f"{imp['wall'] / n * 1000:8.1f} {ph['dry_run']['wall'] / ph['extract']['wall']:8.2f} "
            f"{imp['wall'] / ph['extract']['wall']:8.2f} | "
            f"{r['rss_after_load_mib']:8.0f} {_fmt(ph['dry_run']['peak_over_base_mib'], '5.0f')} "
            f"{_fmt(imp['peak_over_base_mib'], '5.0f')} {r['peak_mib']:8.0f} "
            f"{r['plan_mib']:8.1f}"
        )
    print()
    by_backend: dict[str, dict[int, dict]] = {}
    for backend, n, r in rows:
        by_backend.setdefault(backend, {})[n] = r
    for backend, cases in by_backend.items():
        for n, r in sorted(cases.items()):
            wall = r["phases"]["import"]["wall"]
            verdict = "meets" if wall < TARGET_SECONDS * n / 1000 else "MISSES"
            print(
                f"{backend}: {n} entries imported in {wall:.1f} s: {verdict} the target "
                f"pro rata ({TARGET_SECONDS * n / 1000:.0f} s for {n})"
            )
        if len(cases) >= 2:
            lo, hi = min(cases), max(cases)
            for phase in ("dry_run", "import"):
                a = cases[lo]["phases"][phase]["peak_over_base_mib"]
                b = cases[hi]["phases"][phase]["peak_over_base_mib"]
                if a is None or b is None:
                    continue
                per = (b - a) * 1024 / (hi - lo)
                zip_per = (cases[hi]["zip_mib"] - cases[lo]["zip_mib"]) * 1024 / (hi - lo)
                print(
                    f"{backend} {phase}: peak above base {a:.0f} MiB ({lo}) -> {b:.0f} MiB "
                    f"({hi}): {per:.0f} KiB more per entry (zip: {zip_per:.0f} KiB per entry)"
                )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(
        "Times are wall seconds; 'import' is the web's confirm step (plan again, create, "
        "commit), split into (plan, create, commit). "
        "Memory columns: 'base' is the RSS with the data layer, the zip and the list in memory; "
        "'+dry'/'+imp' the phase's peak above base (peak reset before each phase); 'peak' the "
        "process's peak; 'plan' the file bytes and text one plan holds."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
