"""Load test of blind judging (issue 7): many judges reading, autosaving and submitting at once
against the real serving stack, then a check that every acknowledged score is stored once.

    .venv/bin/python bench/load_judges.py [--quick] [--sqlite] [--judges N] [--seconds S]
                                          [--entries N] [--workers W] [--port P]
                                          [--cpu-hog F]

Default: PostgreSQL, `python -m contest.serve` (gunicorn, 2 x cores + 1 sync workers, one RQ
worker, Redis db 13), 200 judges for 300 s (--quick: 30 s). --sqlite: 20 judges against one
gunicorn process with 4 threads on a SQLite file (the single-machine deployment).

Setup (in this process, before the server starts): a fresh database (contest_load_<pid>),
migrations, a contest from the "local" preset, entries created and confirmed through
contest.entries.create_entry / confirm_entry (generated essays of ~1,100 words), released,
round 1, the judges invited, the round opened and assigned by judging.services. Readings per
entry: enough that no judge runs out of entries before the end (a reading takes >= 4 s of
think time; 1,200 entries x 17 readings for 200 judges x 300 s): creating an entry through
the services costs up to ~0.1 s, so more readings per entry, not more entries. Then ANALYZE
(PostgreSQL; --no-analyze skips it, see analyze()). Only this
setup process uses passwords.use_cheap_hashing_for_tests(): inviting 200 judges would
otherwise cost 200 argon2 hashes at 64 MiB each; the server keeps the production hasher.

Signing in: the login form is limited to LOGIN_LIMIT (10 per minute) per remote address, and
every simulated judge comes from 127.0.0.1, so 200 logins would take 20 minutes. The limit is
a deliberate protection and is not what this benchmark measures, so the script signs each
judge's session cookie itself, with the app's SECRET_KEY and Flask's own session serializer:
_user_id "<id>:<auth_version>", _fresh, _id (Flask-Login's "strong" fingerprint of
127.0.0.1 and this script's User-Agent) and a CSRF token made by flask_wtf.generate_csrf in a
request context holding that session. The server cannot tell such a session from one made by
POST /login. Cookies the server sends back (flashed messages) are kept per judge.

Each simulated judge loops until the time is up: GET the reading page of its next entry not
yet submitted (version from the form), 2-4 autosaves (POST .../draft, Accept JSON) each after
0.5-2 s of "typing", a last 0.5-2 s, then POST .../submit with every criterion. A 409 on
autosave (never expected: one tab per judge) takes the newer version. No request starts after
the deadline; the ones in flight finish (30 s client timeout).

Baseline in the same run, under the same load: two clients GET / (the public home page, one
query and a template) every 0.5 s; the report gives autosave and submit latencies as a ratio
of that page's.

Afterwards, with the server stopped: every submit answered 200 has exactly one submitted
Score holding the submitted points and exactly one "score.submit" audit event; the number of
submitted scores equals the number of acknowledged submits (none lost, none duplicated, none
stored without an answer).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "cham-tai"
USER_AGENT = "contest-load-bench/1"
SECRET_KEY = "load-bench-secret-key-not-for-production"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/13"
CLIENT_TIMEOUT = 30.0
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


# ---------------------------------------------------------------------------------------------
# Shared with bench/upload_rush.py: the stack, sessions, an HTTP client, figures.


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> str:
    """One line about the machine and its load, for the report."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load}"
    )


def environment(tmp: Path, *, sqlite: bool, db_name: str) -> dict[str, str]:
    """The variables the app reads (contest/config.py ENV_KEYS) for a throwaway instance."""
    instance = tmp / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        "INSTANCE_PATH": str(instance),
        "UPLOAD_DIR": str(tmp / "uploads"),
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_EMAIL": "qt-tai@example.vn",
        "ADMIN_PASSWORD": "mat-khau-quan-tri-tai-1",
    }
    if sqlite:
        env["DATABASE_URL"] = f"sqlite:///{instance / 'contest.db'}"
    else:
        env["DATABASE_URL"] = f"{PG_SERVER}/{db_name}"
        env["REDIS_URL"] = REDIS_URL
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Create (PostgreSQL) and migrate the database, and point this process at the instance."""
    from contest import migrate, serve

    os.environ.update(env)
    serve.ensure_database(env["DATABASE_URL"])
    migrate.upgrade(env["DATABASE_URL"])


def analyze(env: dict[str, str]) -> None:
    """ANALYZE (PostgreSQL) after the bulk setup. Autovacuum is off on the shared server of this
    machine, and without statistics the planner picks a nested loop over every entry of the
    contest for the lookup by secret code (8 ms instead of 0.05 ms with 300 entries, growing
    with the contest): a deployment with autovacuum on has statistics within a minute."""
    url = env["DATABASE_URL"]
    if not url.startswith("postgresql"):
        return
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("ANALYZE")


def drop_database(env: dict[str, str]) -> None:
    """DROP the throwaway PostgreSQL database (nothing to do for SQLite: the folder goes)."""
    url = env["DATABASE_URL"]
    if not url.startswith("postgresql"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Stack:
    """The server under test, started in its own process group and stopped with it."""

    def __init__(self, env: dict[str, str], *, port: int, workers: int, sqlite: bool, log: Path):
        self.port = port
        py = sys.executable
        if sqlite:
            # One process, a few threads: how a small contest runs on one machine.
            gunicorn = str(Path(py).parent / "gunicorn")
            cmd = [
                gunicorn, "--workers", "1", "--threads", "4",
                "--bind", f"127.0.0.1:{port}", "--timeout", "60", "app:create_app()",
            ]  # fmt: skip
        else:
            cmd = [
                py, "-m", "contest.serve", "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers), "--rq-workers", "1",
            ]  # fmt: skip
        self.log = log
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> float:
        """Seconds until GET / answers 200 (bounded by READY_TIMEOUT)."""
        start = time.monotonic()
        while time.monotonic() - start < READY_TIMEOUT:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return time.monotonic() - start
                conn.close()
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"server not ready after {READY_TIMEOUT:.0f} s; see {self.log}")

    def stop(self) -> None:
        """SIGTERM to the launcher (which stops gunicorn and RQ), then the group if needed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            # Anything of ours the launcher left behind (its children share the group).
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._fh.close()


def reference_loop_ms() -> float:
    """CPU time of a fixed pure-Python loop (median of 5): how fast this machine is right now.
    On a VM it moves by a third from one quarter of an hour to the next (docs/bench/load.md);
    runs are comparable only together with it."""
    times = []
    for _ in range(5):
        t = time.process_time()
        total = 0
        for i in range(2_000_000):
            total += i % 7
        times.append((time.process_time() - t) * 1000)
    return statistics.median(times)


HOG = """
import sys, time
busy, end = float(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    t = time.perf_counter()
    while time.perf_counter() - t < busy * 0.01:
        pass
    time.sleep((1 - busy) * 0.01)
"""


def start_cpu_hog(fraction: float, seconds: float) -> subprocess.Popen:
    """A process that keeps one core busy `fraction` of every 10 ms for the run: the machine
    made slower on purpose, to see how much margin the latency target has when the VM's
    speed drops (it varies by a third here; docs/bench/load.md)."""
    if not 0 < fraction <= 1:
        raise SystemExit("--cpu-hog takes a fraction of a core between 0 and 1")
    return subprocess.Popen([sys.executable, "-c", HOG, str(fraction), str(seconds + 5)])


def cpu_seconds(app_session: int) -> dict[str, float]:
    """CPU time (user + system) so far of the server under test (its process session), the
    PostgreSQL server processes, and this load generator: read from /proc, so the cost per
    request can be given apart from the queueing a busy machine adds (Linux only)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"app": 0.0, "database": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[3]) == app_session:
            out["app"] += used
        elif comm.startswith("postgres"):
            out["database"] += used
    t = os.times()
    out["load generator"] = t.user + t.system
    return out


def forge_sessions(app, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """{user id: (session cookie value, csrf token)} as POST /login would leave them."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from contest.models import User

    serializer = app.session_interface.get_signing_serializer(app)
    manager = app.login_manager
    out = {}
    Session = app.extensions["db_session_factory"]
    with Session() as s:
        for uid in user_ids:
            user = s.get(User, uid)
            with app.test_request_context(
                "/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
            ):
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
                session["_id"] = manager._session_identifier_generator()
                token = generate_csrf()
                out[uid] = (serializer.dumps(dict(session)), token)
    return out


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (connection error or timeout)
    seconds: float
    at: float  # monotonic time the request ended


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.samples.append(Sample(kind, status, seconds, time.monotonic()))


class Client:
    """One browser: its own connection, its session cookie, timing of every request."""

    def __init__(self, port: int, recorder: Recorder, cookie: str | None = None):
        self.port = port
        self.recorder = recorder
        self.cookie = cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send, time and record one request; status 0 when no answer came."""
        h = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookie:
            h["Cookie"] = f"session={self.cookie}"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=h)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.recorder.add(kind, 0, time.perf_counter() - start)
            self.conn.close()
            return 0, {}, b""
        self.recorder.add(kind, resp.status, time.perf_counter() - start)
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0][len("session=") :]
        if resp.will_close:
            self.conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def post_form(self, kind: str, path: str, fields: dict[str, str], accept_json=False):
        """POST an urlencoded form."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if accept_json:
            headers["Accept"] = "application/json"
        return self.request(kind, "POST", path, urlencode(fields).encode(), headers)

    def close(self) -> None:
        self.conn.close()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_table(recorder: Recorder, elapsed: float, kinds: list[str]) -> tuple[str, dict]:
    """A text table per request kind (count, req/s, median, p95, p99, max in ms) and the
    figures as a dict {kind: {...}}."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for smp in recorder.samples:
        by_kind[smp.kind].append(smp)
    lines = [
        f"{'kind':<10} {'count':>7} {'req/s':>7} {'median':>8} {'p95':>8} {'p99':>8} "
        f"{'max':>8}  statuses"
    ]
    figures = {}
    for kind in kinds:
        rows = by_kind.get(kind, [])
        ms = [x.seconds * 1000 for x in rows]
        statuses = Counter(x.status for x in rows)
        f = {
            "count": len(rows),
            "rate": len(rows) / elapsed if elapsed else 0.0,
            "median": statistics.median(ms) if ms else float("nan"),
            "p95": percentile(ms, 95),
            "p99": percentile(ms, 99),
            "max": max(ms) if ms else float("nan"),
            "statuses": dict(sorted(statuses.items())),
        }
        figures[kind] = f
        lines.append(
            f"{kind:<10} {f['count']:>7} {f['rate']:>7.1f} {f['median']:>8.1f} {f['p95']:>8.1f} "
            f"{f['p99']:>8.1f} {f['max']:>8.1f}  {f['statuses']}"
        )
    return "\n".join(lines), figures


def baseline_loop(port: int, recorder: Recorder, deadline: float, period: float = 0.5) -> None:
    """GET / every `period` seconds until the deadline: the floor the other pages are compared to."""
    client = Client(port, recorder)
    while time.monotonic() < deadline:
        start = time.monotonic()
        client.request("home", "GET", "/")
        time.sleep(max(0.0, min(period - (time.monotonic() - start), deadline - time.monotonic())))
    client.close()


# ---------------------------------------------------------------------------------------------
# The judging world.


@dataclass
class World:
    round_id: int
    criteria: list[tuple[int, float]]  # (criterion id, max points)
    judges: list[int]  # user ids
    codes: dict[int, list[str]]  # judge id -> secret codes of its readings, in page order
    assignment_of: dict[tuple[int, str], int]  # (judge id, code) -> assignment id
    n_entries: int
    build_s: float


def build_world(app, *, n_entries: int, n_judges: int, readings: int, seed: int) -> World:
    """Entries, round 1 (`readings` per entry) open and assigned to n_judges, through the services."""
    from sqlalchemy import select

    from contest import entries, passwords, services
    from contest.essaygen import essay, person
    from contest.models import Entry
    from contest.storage import FileStore
    from judging import services as js
    from judging.models import Assignment

    start = time.perf_counter()
    passwords.use_cheap_hashing_for_tests()  # setup only: judges' accounts (see docstring)
    rng = random.Random(seed)
    vault = app.extensions["vault"]
    store = FileStore(app.config["UPLOAD_DIR"])
    Session = app.extensions["db_session_factory"]
    now = datetime.now(UTC)
    with Session() as s:
        admin = services.create_user(
            s,
            email="qt-chuanbi@example.vn",
            full_name="Quản Trị Chuẩn Bị",
            password="mat-khau-dai-chuan-bi-1",
            is_admin=True,
        )
        contest = services.create_contest(
            s,
            actor=admin,
            preset="local",
            settings={
                "slug": SLUG,
                "title": "Cuộc thi đo tải chấm bài",
                "opens_at": now - timedelta(days=30),
                "closes_at": now + timedelta(days=30),
            },
        )
        services.transition_contest(s, actor=admin, contest=contest, target="open")
        s.commit()
        written = [c for c in contest.categories if c.kind == "written"]
        for i in range(n_entries):
            p = person(rng)
            author = entries.AuthorInput(
                full_name=p["full_name"],
                unit=p["unit"],
                email=f"tacgia{i}@example.vn",
                phone=f"09{i:08d}",
            )
            e = entries.create_entry(
                s,
                vault=vault,
                store=store,
                contest=contest,
                category=written[i % len(written)],
                owner=None,
                title=f"Tác phẩm số {i + 1}",
                pen_name="",
                authors=[author],
                document=entries.Upload(essay(rng, syllables=1100).encode(), f"bai{i}.txt"),
                source="import",
                actor=admin,
                check_deadline=False,
            )
            entries.confirm_entry(s, entry=e, actor=admin)
            if i % 200 == 199:
                s.commit()
                print(f"  {i + 1} entries ({time.perf_counter() - start:.0f} s)", flush=True)
        s.commit()
        entries.release_entries(s, vault=vault, contest=contest, actor=admin, rng=rng)
        for target in ("closed", "judging"):
            services.transition_contest(s, actor=admin, contest=contest, target=target)
        rnd = js.ensure_default_rounds(s, contest=contest, actor=admin)[0]
        rnd.readings = readings
        judges = []
        for j in range(n_judges):
            seat, _token = js.invite_judge(
                s, rnd=rnd, actor=admin, email=f"gk{j}@example.vn", full_name=f"Giám Khảo {j}"
            )
            judges.append(seat.user_id)
        js.set_round_state(s, rnd=rnd, actor=admin, state="open")
        preview = js.apply_assignments(s, rnd=rnd, actor=admin, seed=seed)
        if preview.plan is None:
            raise SystemExit([p.message("en") for p in preview.problems])
        s.commit()
        codes: dict[int, list[str]] = defaultdict(list)
        assignment_of = {}
        rows = s.execute(
            select(Assignment.id, Assignment.judge_id, Entry.secret_code)
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(Assignment.round_id == rnd.id, Assignment.active.is_(True))
            .order_by(Entry.secret_code)
        ).all()
        for aid, jid, code in rows:
            codes[jid].append(code)
            assignment_of[(jid, code)] = aid
        return World(
            round_id=rnd.id,
            criteria=[(c.id, float(c.max_points)) for c in rnd.criteria],
            judges=judges,
            codes=dict(codes),
            assignment_of=assignment_of,
            n_entries=n_entries,
            build_s=time.perf_counter() - start,
        )


@dataclass
class JudgeLog:
    submitted: dict[str, dict[str, float]] = field(default_factory=dict)  # code -> points
    unanswered_submits: list[str] = field(default_factory=list)  # no 200 seen
    problems: list[str] = field(default_factory=list)
    ran_out: bool = False


def _points(rng: random.Random, criteria, *, complete: bool) -> dict[str, float]:
    chosen = criteria if complete else rng.sample(criteria, rng.randint(1, len(criteria)))
    return {str(cid): rng.randint(0, int(mx * 4)) / 4 for cid, mx in chosen}


def judge_loop(
    port: int,
    world: World,
    judge_id: int,
    cookie: str,
    token: str,
    recorder: Recorder,
    deadline: float,
    seed: int,
    log: JudgeLog,
) -> None:
    """One simulated judge: open, autosave 2-4 times, submit; until the deadline."""
    rng = random.Random(seed)
    client = Client(port, recorder, cookie)
    base = f"/judge/{SLUG}/round/1/entries/"

    def think() -> bool:
        pause = rng.uniform(0.5, 2.0)
        left = deadline - time.monotonic()
        time.sleep(max(0.0, min(pause, left)))
        return time.monotonic() < deadline

    # Judges do not all start at the same instant.
    time.sleep(rng.uniform(0, 2.0))
    for code in world.codes.get(judge_id, []):
        if time.monotonic() >= deadline:
            break
        status, _h, body = client.request("open", "GET", base + code)
        if status != 200:
            log.problems.append(f"open {code}: {status}")
            continue
        html = body.decode("utf-8", "replace")
        m = _VERSION.search(html)
        version = m.group(1) if m else "0"
        m = _CSRF.search(html)
        token = m.group(1) if m else token
        comment = ""
        for n in range(rng.randint(2, 4)):
            if not think():
                break
            comment += f"Nhận xét {n} về bài {code}. "
            fields = {"csrf_token": token, "version": version, "comment": comment}
            fields.update(
                {
                    f"points-{k}": str(v)
                    for k, v in _points(rng, world.criteria, complete=False).items()
                }
            )
            status, _h, body = client.post_form("autosave", base + code + "/draft", fields, True)
            if status in (200, 409):
                payload = json.loads(body)
                version = str(payload["score"]["version"] or 0)
            else:
                log.problems.append(f"autosave {code}: {status}")
        if not think():
            break
        points = _points(rng, world.criteria, complete=True)
        fields = {"csrf_token": token, "version": version, "comment": comment}
        fields.update({f"points-{k}": str(v) for k, v in points.items()})
        status, _h, body = client.post_form("submit", base + code + "/submit", fields, True)
        if status == 200 and json.loads(body).get("ok"):
            log.submitted[code] = points
        else:
            log.unanswered_submits.append(code)
            log.problems.append(f"submit {code}: {status}")
    else:
        log.ran_out = True
    client.close()


def check_database(url: str, world: World, logs: dict[int, JudgeLog]) -> dict:
    """Compare what the judges were told with what the database holds."""
    from sqlalchemy import create_engine, func, select

    from contest.db import normalise_url
    from contest.models import AuditEvent
    from judging.models import Assignment, Score, ScoreStatus

    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        scores = conn.execute(
            select(Score.id, Score.assignment_id, Score.points)
            .join(Assignment, Assignment.id == Score.assignment_id)
            .where(Assignment.round_id == world.round_id, Score.status == ScoreStatus.submitted)
        ).all()
        events = dict(
            conn.execute(
                select(AuditEvent.object_id, func.count())
                .where(AuditEvent.action == "score.submit")
                .group_by(AuditEvent.object_id)
            ).all()
        )
    engine.dispose()
    by_assignment: dict[int, list] = defaultdict(list)
    for sid, aid, points in scores:
        by_assignment[aid].append((sid, points))
    acknowledged = {
        world.assignment_of[(jid, code)]: pts
        for jid, log in logs.items()
        for code, pts in log.submitted.items()
    }
    unanswered = {
        world.assignment_of[(jid, code)]
        for jid, log in logs.items()
        for code in log.unanswered_submits
    }
    lost = [aid for aid in acknowledged if len(by_assignment.get(aid, [])) == 0]
    duplicated = [aid for aid, rows in by_assignment.items() if len(rows) > 1]
    wrong_points = [
        aid
        for aid, pts in acknowledged.items()
        if len(by_assignment.get(aid, [])) == 1
        and {k: float(v) for k, v in by_assignment[aid][0][1].items()} != pts
    ]
    stored_unacknowledged = [
        aid for aid in by_assignment if aid not in acknowledged and aid in unanswered
    ]
    unexplained = [
        aid for aid in by_assignment if aid not in acknowledged and aid not in unanswered
    ]
    event_counts = [events.get(str(rows[0][0]), 0) for rows in by_assignment.values()]
    return {
        "acknowledged_submits": len(acknowledged),
        "submitted_scores_in_db": len(scores),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "wrong_points": len(wrong_points),
        "stored_without_200": len(stored_unacknowledged),
        "stored_never_submitted": len(unexplained),
        "scores_without_one_audit_event": sum(1 for n in event_counts if n != 1),
        "ok": not lost
        and not duplicated
        and not wrong_points
        and not unexplained
        and len(scores) == len(acknowledged) + len(stored_unacknowledged)
        and all(n == 1 for n in event_counts),
    }


def profile_in_process(app, world: World, sessions, cycles: int) -> None:
    """cProfile of `cycles` judge cycles (open, 3 autosaves, submit) through Flask's test client
    in this one process, no think time: where a request's server-side time goes."""
    import cProfile
    import pstats

    rng = random.Random(1)
    client = app.test_client()
    base = f"/judge/{SLUG}/round/1/entries/"
    timings: dict[str, list[float]] = defaultdict(list)

    statements: dict[str, list[int]] = defaultdict(list)
    executed = [0]

    from sqlalchemy import event

    @event.listens_for(app.extensions["db_engine"], "before_cursor_execute")
    def _count(*_args):
        executed[0] += 1

    def timed(kind, fn, *a, **kw):
        executed[0] = 0
        t = time.perf_counter()
        r = fn(*a, **kw)
        timings[kind].append((time.perf_counter() - t) * 1000)
        statements[kind].append(executed[0])
        return r

    todo = [(j, code) for j in world.judges[:10] for code in world.codes[j]][:cycles]
    prof = cProfile.Profile()
    prof.enable()
    for judge_id, code in todo:
        cookie, token = sessions[judge_id]
        client.set_cookie("session", cookie, domain="localhost")
        html = timed(
            "open", client.get, base + code, headers={"User-Agent": USER_AGENT},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ).get_data(as_text=True)  # fmt: skip
        version = _VERSION.search(html).group(1)
        for n in range(3):
            fields = {"csrf_token": token, "version": version, "comment": f"lần {n}"}
            fields.update(
                {
                    f"points-{k}": str(v)
                    for k, v in _points(rng, world.criteria, complete=False).items()
                }
            )
            r = timed(
                "autosave", client.post, base + code + "/draft", data=fields,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            )  # fmt: skip
            version = str(r.get_json()["score"]["version"])
        fields = {"csrf_token": token, "version": version, "comment": "xong"}
        fields.update(
            {f"points-{k}": str(v) for k, v in _points(rng, world.criteria, complete=True).items()}
        )
        r = timed(
            "submit", client.post, base + code + "/submit", data=fields,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )  # fmt: skip
        if r.status_code != 200:
            raise SystemExit(f"profile: submit answered {r.status_code}")
    prof.disable()
    for kind, ms in timings.items():
        print(
            f"in-process {kind}: n={len(ms)} median {statistics.median(ms):.1f} ms, "
            f"SQL statements per request {statistics.median(statements[kind]):.0f} "
            "(+ BEGIN/COMMIT and the pool's ping, which are not cursor executions)"
        )
    stats = pstats.Stats(prof)
    print("\ncumulative, project code:")
    stats.sort_stats("cumulative").print_stats(r"/work/main/(contest|judging|app)", 30)
    print("\nown time, everything:")
    stats.sort_stats("tottime").print_stats(20)
    print("\nwhat the slowest project functions call:")
    stats.sort_stats("cumulative").print_callees(
        r"assignment_for|judge.py:\d+\(<listcomp>\)|judge.py:\d+\(<genexpr>\)|load_user"
    )


def run(args) -> int:
    mode = (
        "SQLite, gunicorn 1 process x 4 threads"
        if args.sqlite
        else (f"PostgreSQL, contest.serve: gunicorn {args.workers} sync workers + 1 RQ worker")
    )
    print(f"load_judges: {args.judges} judges, {args.seconds:.0f} s, {mode}")
    print(f"machine: {machine()}")
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"reference loop before: {reference_loop_ms():.0f} ms CPU (lower is a faster machine)")
    tmp = Path(tempfile.mkdtemp(prefix="load_judges_"))
    env = environment(tmp, sqlite=args.sqlite, db_name=f"contest_load_{os.getpid()}")
    stack = None
    try:
        prepare_database(env)
        from app import create_app

        app = create_app()
        print(
            f"building {args.entries} entries x {args.readings} readings, {args.judges} judges ...",
            flush=True,
        )
        world = build_world(
            app,
            n_entries=args.entries,
            n_judges=args.judges,
            readings=args.readings,
            seed=args.seed,
        )
        per_judge = [len(world.codes.get(j, [])) for j in world.judges]
        print(
            f"world built in {world.build_s:.0f} s: {world.n_entries} entries, readings per judge "
            f"{min(per_judge)}-{max(per_judge)}"
        )
        sessions = forge_sessions(app, world.judges)
        if not args.no_analyze:
            analyze(env)
        if args.profile:
            profile_in_process(app, world, sessions, args.profile)
            return 0
        app.extensions["db_engine"].dispose()
        stack = Stack(
            env, port=args.port or free_port(), workers=args.workers, sqlite=args.sqlite,
            log=tmp / "server.log",
        )  # fmt: skip
        print(f"server ready after {stack.wait_ready():.1f} s on port {stack.port}", flush=True)
        recorder = Recorder()
        logs = {j: JudgeLog() for j in world.judges}
        start = time.monotonic()
        deadline = start + args.seconds
        threads = [
            threading.Thread(
                target=judge_loop,
                args=(
                    stack.port,
                    world,
                    j,
                    *sessions[j],
                    recorder,
                    deadline,
                    args.seed + i,
                    logs[j],
                ),
                daemon=True,
            )
            for i, j in enumerate(world.judges)
        ]
        threads += [
            threading.Thread(
                target=baseline_loop, args=(stack.port, recorder, deadline), daemon=True
            )
            for _ in range(2)
        ]
        cpu_before = cpu_seconds(stack.proc.pid)
        hog = start_cpu_hog(args.cpu_hog, args.seconds) if args.cpu_hog else None
        for t in threads:
            t.start()
        load_during = []
        while any(t.is_alive() for t in threads):
            if time.monotonic() > deadline + CLIENT_TIMEOUT + 10:
                print("some clients did not finish in time")
                break
            time.sleep(1.0)
            if len(load_during) < args.seconds:
                load_during.append(os.getloadavg()[0])
        elapsed = time.monotonic() - start
        cpu_after = cpu_seconds(stack.proc.pid)
        if hog is not None:
            hog.kill()
            hog.wait()
            print(f"a busy loop took {args.cpu_hog:.0%} of one core beside the run")
        stack.stop()
        stack = None
        table, figures = latency_table(recorder, elapsed, ["home", "open", "autosave", "submit"])
        print(
            f"\nran {elapsed:.1f} s; load average (1 min) during the run: "
            f"min {min(load_during):.2f}, max {max(load_during):.2f}"
        )
        total = len(recorder.samples)
        print(
            f"throughput: {total / elapsed:.1f} requests/s in all, "
            f"{figures['submit']['count'] / elapsed * 60:.0f} scores submitted per minute"
        )
        cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_before}
        print(
            "CPU per request (ms): "
            + ", ".join(f"{k} {v / max(total, 1) * 1000:.2f}" for k, v in cpu.items())
            + f"; machine busy {sum(cpu.values()) / elapsed / (os.cpu_count() or 1) * 100:.0f}%"
            + " of its cores (these three only)"
        )
        print("latency in ms:")
        print(table)
        errors = Counter((x.kind, x.status) for x in recorder.samples if x.status not in (200,))
        print(f"non-200 answers: {dict(errors) or 'none'}")
        ran_out = sum(1 for lg in logs.values() if lg.ran_out)
        if ran_out:
            print(f"{ran_out} judges finished all their readings before the end")
        problems = [p for lg in logs.values() for p in lg.problems]
        if problems:
            print(f"first problems: {problems[:5]}")
        home = figures["home"]
        for kind in ("open", "autosave", "submit"):
            f = figures[kind]
            print(
                f"ratio {kind} / GET /: median {f['median'] / home['median']:.2f}x, "
                f"p95 {f['p95'] / home['p95']:.2f}x"
            )
        print(f"reference loop after: {reference_loop_ms():.0f} ms CPU")
        check = check_database(env["DATABASE_URL"], world, logs)
        print(f"database check: {check}")
        target = args.target_ms
        met = (
            figures["autosave"]["p95"] < target
            and figures["submit"]["p95"] < target
            and not errors
            and check["ok"]
        )
        print(
            f"target (p95 autosave and submit < {target:.0f} ms, no errors, every score once): "
            f"{'MET' if met else 'MISSED'}"
        )
        return 0 if check["ok"] else 1
    finally:
        if stack is not None:
            stack.stop()
        if not args.keep:
            try:
                drop_database(env)
            except Exception as e:  # noqa: BLE001 - cleanup must not hide the figures
                print(f"could not drop the database: {e}")
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp} and {env['DATABASE_URL']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="30 s and fewer entries")
    p.add_argument("--sqlite", action="store_true", help="SQLite, one process, 20 judges")
    p.add_argument("--judges", type=int)
    p.add_argument("--seconds", type=float)
    p.add_argument("--entries", type=int)
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    p.add_argument("--port", type=int)
    p.add_argument("--readings", type=int, help="readings per entry (default: enough)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--target-ms", type=float, default=200.0)
    p.add_argument(
        "--cpu-hog",
        type=float,
        metavar="F",
        help="a busy loop taking F (0-1) of one core beside the run",
    )
    p.add_argument("--keep", action="store_true", help="keep the instance and the database")
    p.add_argument(
        "--no-analyze", action="store_true", help="PostgreSQL: skip ANALYZE after the setup"
    )
    p.add_argument(
        "--profile", type=int, metavar="N", help="no server: cProfile N judge cycles in-process"
    )
    args = p.parse_args(argv)
    args.judges = args.judges or (20 if args.sqlite else 200)
    args.seconds = min(args.seconds or (30.0 if args.quick else 300.0), 900.0)
    args.entries = args.entries or (300 if args.quick else 1200)
    # A reading takes at least ~4 s of think time: give every judge enough that none runs out
    # before the end. Entries cost ~0.1 s each to create through the services, so the world
    # gets more readings per entry rather than more entries; the requests are the same.
    per_judge = int(args.seconds / 4) + 5
    args.readings = args.readings or max(
        2, min(args.judges, -(-args.judges * per_judge // args.entries))
    )
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
