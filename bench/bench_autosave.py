"""Benchmark the judges' autosave (issue 5: "saving a score under 20 ms median on SQLite with
10,000 entries stored") through the whole Flask stack.

    .venv/bin/python bench/bench_autosave.py [--quick] [--requests N] [--profile]

For each corpus size (default 1,000 and 10,000 entries; --quick: 300 and 3,000) the script
builds a fresh instance in a temporary directory: Alembic migrations, create_app, a contest
from the "local" preset moved to judging, released entries, the default rounds, judges
invited and seated, round 1 opened and assigned (2 readings per entry) by the services.
Entries and their authors are inserted in bulk (the services' per-entry path extracts and
fingerprints a file, which is not what is measured here) but look like released ones:
status submitted, a generated essay as text and redacted text, secret code, sealed details
and sealed author with blind indexes. Half of the other readings get a draft score (and its
audit event), as in the middle of a round.

One judge signs in with Flask's test client and autosaves POST
/judge/<slug>/round/1/entries/<code>/draft (csrf_token, version, points-<criterion>, comment,
Accept: application/json) over 10 of their entries in turn, alternating two sets of points
and comments, so every request is a real write: version check, UPDATE (an INSERT the first
time), audit event, commit. Each save is checked (200, ok, version moved on).

Baseline, measured interleaved with the saves (one baseline request before each save, so
both see the same load): GET / (public home: one query and a template) for the same
signed-in judge. Also timed, the same way: GET /judge/ (the judge's home). The ratio
save / GET / is the cost of the save beyond the framework's floor.
--profile prints cProfile's top functions over extra saves on the largest corpus.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import itertools
import logging
import os
import platform
import pstats
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "cham-autosave"
PASSWORD = "mat-khau-dai-bench-1"
JUDGES = 20
SCORED_SHARE = 0.5  # share of the other readings already holding a draft score
ENTRIES_PER_JUDGE_ROTATION = 10
WARMUP = 20
BLOCK = 25  # saves per block when the what-if variant alternates with the default


@dataclass
class Instance:
    app: object
    workdir: Path
    n_entries: int
    judge_email: str
    criteria: list[tuple[int, float]]  # (criterion id, max points) of round 1
    codes: list[str]  # the signed-in judge's entries the saves rotate over
    build_s: float
    db_path: Path
    db_mb: float


def _essays(n: int, seed: int) -> list[str]:
    from contest.essaygen import essay

    rng = random.Random(seed)
    return [essay(rng, syllables=1500) for _ in range(n)]


def _bulk_entries(session, *, vault, contest, n: int, seed: int) -> None:
    """Insert n released entries with one sealed author each, as release_entries leaves them."""
    from sqlalchemy import func, insert, select

    from contest.anonymise import ALPHABET, generate_codes
    from contest.entries import AuthorInput
    from contest.essaygen import person
    from contest.models import Author, Entry, EntryStatus

    rng = random.Random(seed)
    now = datetime.now(UTC)
    written = [c for c in contest.categories if c.kind == "written"]
    codes = generate_codes(n, prefix="CL", rng=rng)
    receipts: set[str] = set()
    while len(receipts) < n:
        body = "".join(rng.choice(ALPHABET) for _ in range(8))
        receipts.add(f"BN-{body[:4]}-{body[4:]}")
    first_id = (session.scalar(select(func.max(Entry.id))) or 0) + 1
    texts = _essays(n, seed)
    entry_rows, author_rows = [], []
    for i, (code, receipt, text) in enumerate(zip(codes, sorted(receipts), texts, strict=True)):
        eid = first_id + i
        p = person(rng)
        a = AuthorInput(
            full_name=p["full_name"],
            birth_date=datetime.fromisoformat(p["birth_date"]).date(),
            position=p["position"],
            unit=p["unit"],
            address=p["address"],
            phone=p["phone"],
            email=p["email"],
            id_number=p["id_number"],
        )
        entry_rows.append(
            {
                "id": eid,
                "contest_id": contest.id,
                "category_id": written[i % len(written)].id,
                "receipt_no": receipt,
                "secret_code": code,
                "title": f"Tác phẩm số {i + 1}",
                "status": EntryStatus.submitted,
                "source": "import",
                "text": text,
                "words": len(text.split()),
                "fingerprint": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "doc_format": "txt",
                "warnings": [],
                "sealed": vault.seal(
                    {"pen_name": p["pen_name"], "metadata": {}, "hidden_text": ""},
                    context=f"entry:{eid}",
                ),
                "redacted_text": text,
                "redactions_reviewed": True,
                "author_signals": [],
                "created_at": now,
                "updated_at": now,
                "submitted_at": now,
                "released_at": now,
            }
        )
        # Author ids follow entry ids one to one, so the sealed blob can bind its row id.
        author_rows.append(
            {
                "id": eid,
                "entry_id": eid,
                "position": 0,
                "sealed": vault.seal(a.sealed_dict(), context=f"author:{eid}"),
                "name_index": vault.blind_index(a.full_name, kind="name"),
                "unit_index": vault.blind_index(a.unit, kind="unit"),
                "email_index": vault.blind_index(a.email, kind="email"),
                "id_number_index": vault.blind_index(a.id_number, kind="id_number"),
            }
        )
    for start in range(0, n, 1000):
        session.execute(insert(Entry), entry_rows[start : start + 1000])
        session.execute(insert(Author), author_rows[start : start + 1000])


def _bulk_scores(session, *, rnd, skip_judge: int, share: float, seed: int) -> int:
    """Draft scores (and their audit events) on a share of the other judges' readings."""
    from sqlalchemy import insert, select

    from contest.models import AuditEvent
    from judging.models import Assignment, Score, ScoreStatus

    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows = session.execute(
        select(Assignment.id, Assignment.judge_id).where(
            Assignment.round_id == rnd.id, Assignment.judge_id != skip_judge
        )
    ).all()
    picked = [(aid, jid) for aid, jid in rows if rng.random() < share]
    scores, events = [], []
    for aid, jid in picked:
        points = {str(c.id): float(rng.randint(5, int(c.max_points))) for c in rnd.criteria}
        scores.append(
            {
                "id": aid,
                "assignment_id": aid,
                "status": ScoreStatus.draft,
                "points": points,
                "comment": "",
                "total": sum(points.values()),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        events.append(
            {
                "at": now,
                "actor_id": jid,
                "contest_id": rnd.contest_id,
                "action": "score.draft",
                "object_type": "Score",
                "object_id": str(aid),
                "before": None,
                "after": {"points": points, "status": "draft", "version": 1},
                "note": "",
            }
        )
    for start in range(0, len(scores), 2000):
        session.execute(insert(Score), scores[start : start + 2000])
        session.execute(insert(AuditEvent), events[start : start + 2000])
    return len(scores)


def build_instance(workdir: Path, n_entries: int, seed: int) -> Instance:
    """A migrated SQLite instance with n_entries released entries, round 1 open and assigned."""
    from app import create_app
    from contest import migrate, passwords, services
    from contest.models import Entry, User
    from judging import services as js
    from judging.models import Assignment

    start = time.perf_counter()
    # Setup only: the invited judges' accounts would otherwise cost 64 MiB of argon2 each.
    passwords.use_cheap_hashing_for_tests()
    instance = workdir / "instance"
    instance.mkdir(parents=True)
    db_path = instance / "contest.db"
    url = f"sqlite:///{db_path}"
    migrate.upgrade(url)
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url, "SECRET_KEY": "x"})
    vault = app.extensions["vault"]
    Session = app.extensions["db_session_factory"]
    now = datetime.now(UTC)
    with Session() as s:
        admin = services.create_user(
            s, email="qt@example.vn", full_name="Quản Trị", password=PASSWORD, is_admin=True
        )
        contest = services.create_contest(
            s,
            actor=admin,
            preset="local",
            settings={
                "slug": SLUG,
                "title": "Cuộc thi đo thời gian lưu điểm",
                "opens_at": now - timedelta(days=30),
                "closes_at": now + timedelta(days=30),
            },
        )
        services.transition_contest(s, actor=admin, contest=contest, target="open")
        _bulk_entries(s, vault=vault, contest=contest, n=n_entries, seed=seed)
        services.record(
            s, actor=admin, action="entries.release", contest=contest, after={"count": n_entries}
        )
        for target in ("closed", "judging"):
            services.transition_contest(s, actor=admin, contest=contest, target=target)
        rounds = js.ensure_default_rounds(s, contest=contest, actor=admin)
        rnd = rounds[0]
        rnd.readings = 2
        judge_ids = []
        for j in range(JUDGES):
            seat, _token = js.invite_judge(
                s,
                rnd=rnd,
                actor=admin,
                email=f"gk{j}@example.vn",
                full_name=f"Giám Khảo Số {j}",
            )
            judge_ids.append(seat.user_id)
        me = s.get(User, judge_ids[0])
        me.password_hash = passwords.hash_password(PASSWORD)
        js.set_round_state(s, rnd=rnd, actor=admin, state="open")
        preview = js.apply_assignments(s, rnd=rnd, actor=admin, seed=seed)
        if preview.plan is None:
            raise SystemExit([p.message("en") for p in preview.problems])
        _bulk_scores(s, rnd=rnd, skip_judge=me.id, share=SCORED_SHARE, seed=seed)
        criteria = [(c.id, c.max_points) for c in rnd.criteria]
        from sqlalchemy import select

        mine = list(
            s.scalars(
                select(Entry.secret_code)
                .join(Assignment, Assignment.entry_id == Entry.id)
                .where(Assignment.round_id == rnd.id, Assignment.judge_id == me.id)
                .order_by(Entry.secret_code)
            )
        )
        s.commit()
    # Spread over the judge's list, not only its head.
    step = max(1, len(mine) // ENTRIES_PER_JUDGE_ROTATION)
    codes = mine[::step][:ENTRIES_PER_JUDGE_ROTATION]
    return Instance(
        app=app,
        workdir=workdir,
        n_entries=n_entries,
        judge_email="gk0@example.vn",
        criteria=criteria,
        codes=codes,
        build_s=time.perf_counter() - start,
        db_path=db_path,
        db_mb=db_path.stat().st_size / 2**20,
    )


_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


def _login(client, email: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = _CSRF.search(html).group(1)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if r.status_code != 302:
        raise SystemExit(f"login failed: {r.status_code}")


_SAVE_NO = itertools.count(1)


class Saver:
    """Autosaves for one signed-in judge, rotating over their entries, alternating values."""

    def __init__(self, inst: Instance, client):
        self.inst = inst
        self.client = client
        self.versions: dict[str, str] = {}
        self.token = ""
        for code in inst.codes:
            html = client.get(self._url(code, "")).get_data(as_text=True)
            self.token = _CSRF.search(html).group(1)
            self.versions[code] = _VERSION.search(html).group(1)
        self.i = 0

    def _url(self, code: str, tail: str) -> str:
        return f"/judge/{SLUG}/round/1/entries/{code}{tail}"

    def save(self) -> float:
        code = self.inst.codes[self.i % len(self.inst.codes)]
        flip = (self.i // len(self.inst.codes)) % 2
        self.i += 1
        data = {"csrf_token": self.token, "version": self.versions[code]}
        for k, (cid, max_points) in enumerate(self.inst.criteria):
            data[f"points-{cid}"] = str(max_points - 1 - k % 3 - flip)
        # The save number in the comment: a later Saver on the same entries still changes it.
        data["comment"] = f"Nhận xét lần {next(_SAVE_NO)}: lập luận chặt chẽ, dẫn chứng rõ."
        t = time.perf_counter()
        r = self.client.post(
            self._url(code, "/draft"), data=data, headers={"Accept": "application/json"}
        )
        elapsed = time.perf_counter() - t
        body = r.get_json(silent=True) or {}
        if r.status_code != 200 or not body.get("ok"):
            raise SystemExit(f"save failed: {r.status_code} {r.get_data(as_text=True)[:300]}")
        new = str(body["score"]["version"])
        if new == self.versions[code]:
            raise SystemExit(f"save of {code} did not write (version {new})")
        self.versions[code] = new
        return elapsed


def _get(client, path: str) -> float:
    t = time.perf_counter()
    r = client.get(path)
    elapsed = time.perf_counter() - t
    if r.status_code != 200:
        raise SystemExit(f"GET {path}: {r.status_code}")
    return elapsed


def measure(inst: Instance, n: int, *, what_if: bool) -> dict[str, list[float]]:
    """n saves, each preceded by GET / and GET /judge/ (same client, same moment).

    With what_if, another n // 2 saves (each after a GET /) run in blocks of BLOCK between
    default ones while one idle sqlite3 connection holds the database open, as a connection
    pool would: the request's connection is then never the last one, so closing it does not
    checkpoint and delete the WAL, and the next commit does not recreate it.
    """
    client = inst.app.test_client()
    _login(client, inst.judge_email)
    saver = Saver(inst, client)
    for _ in range(WARMUP):
        _get(client, "/")
        _get(client, "/judge/")
        saver.save()
    keys = ("save", "get_home", "get_judge")
    out: dict[str, list[float]] = {k: [] for k in keys}
    out.update({f"{k}_held": [] for k in keys})
    # Half as many what-if saves as default ones (to bound the run): blocks go F, T, F, F, T, F...
    want = {False: n, True: n // 2 if what_if else 0}
    done = {False: 0, True: 0}
    block = 0
    while done[False] < want[False] or done[True] < want[True]:
        held = block % 3 == 1
        if done[held] >= want[held]:
            held = not held
        block += 1
        keeper = None
        if held:
            keeper = sqlite3.connect(inst.db_path)
            # A read opens the WAL index: until then the connection does not count as a user.
            keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
        suffix = "_held" if held else ""
        for _ in range(min(BLOCK, want[held] - done[held])):
            out["get_home" + suffix].append(_get(client, "/"))
            if not held:
                out["get_judge"].append(_get(client, "/judge/"))
            out["save" + suffix].append(saver.save())
            done[held] += 1
        if keeper is not None:
            keeper.close()
    out["_audit"] = [float(_audit_count(inst))]
    return out


def _audit_count(inst: Instance) -> int:
    from sqlalchemy import func, select

    from contest.models import AuditEvent

    with inst.app.extensions["db_session_factory"]() as s:
        return s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "score.draft")
        )


def profile(inst: Instance, n: int) -> str:
    """cProfile over n saves as configured, then n more with the WAL held open (what-if)."""
    client = inst.app.test_client()
    _login(client, inst.judge_email)
    saver = Saver(inst, client)
    for _ in range(WARMUP):
        saver.save()
    buf = io.StringIO()
    for held in (False, True):
        keeper = None
        if held:
            keeper = sqlite3.connect(inst.db_path)
            keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            saver.save()
        prof.disable()
        if keeper is not None:
            keeper.close()
        print(f"=== {n} saves, {'WAL held open' if held else 'as configured'} ===", file=buf)
        stats = pstats.Stats(prof, stream=buf)
        if not held:
            stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
    return buf.getvalue()


def query_check(inst: Instance, calls: int = 30) -> list[tuple[str, float, str]]:
    """The save's lookup of the assignment by code, as written and with the entry's contest
    added (which lets SQLite start from the (contest_id, secret_code) unique index): median
    ms per call and SQLite's plan of each."""
    from sqlalchemy import select

    from contest import services
    from contest.models import Entry
    from judging import services as js
    from judging.models import Assignment

    out = []
    with inst.app.extensions["db_session_factory"]() as s:
        contest = services.get_contest(s, SLUG)
        rnd = js.get_round(s, contest, 1)
        judge = services.find_user(s, inst.judge_email)
        code = inst.codes[len(inst.codes) // 2]
        with_contest = (
            select(Assignment)
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(
                Entry.contest_id == rnd.contest_id,
                Assignment.round_id == rnd.id,
                Assignment.judge_id == judge.id,
                Entry.secret_code == code,
                Assignment.active.is_(True),
            )
        )
        as_written = js.assignment_for(s, rnd=rnd, judge=judge, code=code)
        if as_written is None or s.scalar(with_contest) is not as_written:
            raise SystemExit("query check: the two lookups disagree")
        variants = {
            "assignment_for as written": lambda: js.assignment_for(
                s, rnd=rnd, judge=judge, code=code
            ),
            "the same + Entry.contest_id": lambda: s.scalar(with_contest),
        }
        for label, fn in variants.items():
            times = []
            for _ in range(calls):
                s.expunge_all()  # each call goes to the database, as in a fresh request
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
            out.append((label, statistics.median(times), ""))
        ids = (rnd.id, judge.id, code, rnd.contest_id)
    con = sqlite3.connect(inst.db_path)
    base = (
        "SELECT a.id FROM assignments a JOIN entries e ON e.id = a.entry_id "
        "WHERE a.round_id = ? AND a.judge_id = ? AND e.secret_code = ? AND a.active = 1"
    )
    for i, (sql, args) in enumerate([(base, ids[:3]), (base + " AND e.contest_id = ?", ids)]):
        plan = "; ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, args))
        out[i] = (out[i][0], out[i][1], plan)
    con.close()
    return out


def pct(xs: list[float], p: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[p - 1]


def fmt_ms(x: float) -> str:
    return f"{x * 1000:.2f}"


def machine() -> str:
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="300 and 3,000 entries, 200 saves")
    ap.add_argument("--requests", type=int, help="saves per corpus (default 500; quick 200)")
    ap.add_argument("--sizes", type=str, help="comma-separated corpus sizes")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument(
        "--no-what-if", action="store_true", help="skip the saves with the WAL held open"
    )
    ap.add_argument("--profile", action="store_true", help="cProfile 100 saves, largest corpus")
    args = ap.parse_args()
    # Alembic and create_app log at INFO on every instance; the table is the output here.
    logging.disable(logging.INFO)
    sizes = [300, 3000] if args.quick else [1000, 10_000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    n = args.requests or (200 if args.quick else 500)
    what_if = not args.no_what_if

    print(f"machine: {machine()}")
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"saves per corpus: {n} (after {WARMUP} warm-up), {JUDGES} judges, 2 readings/entry")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-autosave-") as tmp:
        insts = []
        for size in sizes:
            inst = build_instance(Path(tmp) / f"n{size}", size, args.seed)
            print(
                f"built {size:,} entries in {inst.build_s:.1f} s "
                f"(database {inst.db_mb:.0f} MB, judge has {len(inst.codes)} entries in rotation)"
            )
            insts.append(inst)
        # Every save ends in fsyncs; megabytes of freshly built database still waiting to be
        # written back would slow them, and more so for the larger corpus. Flush them first.
        os.sync()
        for size, inst in zip(sizes, insts, strict=True):
            before = _audit_count(inst)
            res = measure(inst, n, what_if=what_if)
            audited = int(res.pop("_audit")[0]) - before
            rows.append((size, res, audited))
        print()
        print_table(rows, what_if)
        print()
        for size, _res, audited in rows:
            print(f"{size:>8,} entries: {audited} score.draft audit events written by the run")
        med = statistics.median
        if len(rows) >= 2:
            (small, rs, _), (large, rl, _) = rows[0], rows[-1]
            print(
                f"median save at {large:,} / at {small:,} entries: "
                f"{med(rl['save']) / med(rs['save']):.2f} "
                f"(baseline GET /: {med(rl['get_home']) / med(rs['get_home']):.2f})"
            )
        size, res, _ = rows[-1]
        verdict = "met" if med(res["save"]) < 0.020 else "NOT met"
        print(
            f"target (median < 20 ms at {size:,} entries): {verdict} "
            f"({fmt_ms(med(res['save']))} ms)"
        )
        print()
        for size, inst in zip(sizes, insts, strict=True):
            for label, t, plan in query_check(inst):
                print(f"{size:>8,} | {label:<28} | {t * 1000:8.3f} ms | {plan}")
        if args.profile:
            print()
            print(profile(insts[-1], 100))
        for inst in insts:
            inst.app.extensions["db_engine"].dispose()


LABELS = {
    "save": "POST .../draft (autosave)",
    "get_home": "GET / (baseline)",
    "get_judge": "GET /judge/",
    "save_held": "autosave, WAL held open (what-if)",
    "get_home_held": "GET /, WAL held open (baseline)",
}


def print_table(rows, what_if: bool) -> None:
    """One line per corpus and request; each ratio is to GET / of the same blocks."""
    head = (
        f"{'entries':>8} | {'request':<34} | {'median ms':>9} | {'p95 ms':>7} | "
        f"{'p99 ms':>7} | {'ratio to GET /':>14}"
    )
    print(head)
    print("-" * len(head))
    keys = ["save", "get_home", "get_judge"]
    if what_if:
        keys += ["save_held", "get_home_held"]
    for size, res, _audited in rows:
        for key in keys:
            xs = res[key]
            base = statistics.median(res["get_home_held" if key.endswith("_held") else "get_home"])
            m = statistics.median(xs)
            print(
                f"{size:>8,} | {LABELS[key]:<34} | {fmt_ms(m):>9} | "
                f"{fmt_ms(pct(xs, 95)):>7} | {fmt_ms(pct(xs, 99)):>7} | {m / base:>14.2f}"
            )


if __name__ == "__main__":
    main()
