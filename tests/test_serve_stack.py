"""`make serve` end to end: `python -m contest.serve` on a fresh PostgreSQL database and Redis,
driven over HTTP; a similarity scan started on the web runs on the RQ worker; SIGTERM stops
every process of the stack.

Skips (one line) when PostgreSQL at 127.0.0.1:5432 or Redis at 127.0.0.1:6379 is unreachable.
The helpers here (Stack, Browser) are shared with tests/test_faults.py.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_SERVER = "redis://127.0.0.1:6379"
ADMIN_EMAIL = "quantri@example.vn"
ADMIN_PASSWORD = "mat-khau-quan-tri-1"
SECRET_KEY = "serve-stack-test-secret"


def redis_db() -> int:
    """Redis db 14 for a plain run; each xdist worker gets its own (13, 12, ...), so two stacks
    running at once never share the "contest" queue (db 15 belongs to tests/contest/test_jobs)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    n = int(worker[2:]) if worker.startswith("gw") else 0
    return 14 - n


def require_servers() -> None:
    """Skip the test when PostgreSQL or Redis does not answer on this machine."""
    try:
        import psycopg

        psycopg.connect(PG_SERVER.replace("+psycopg", "") + "/postgres", connect_timeout=3).close()
    except Exception as e:  # noqa: BLE001 - any reason means "no PostgreSQL here"
        pytest.skip(f"serve stack: PostgreSQL not reachable at 127.0.0.1:5432 ({type(e).__name__})")
    try:
        from redis import Redis

        Redis.from_url(REDIS_SERVER, socket_connect_timeout=2).ping()
    except Exception as e:  # noqa: BLE001 - any reason means "no Redis here"
        pytest.skip(f"serve stack: Redis not reachable at 127.0.0.1:6379 ({type(e).__name__})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """Direct children of a process, from /proc (psutil is not installed)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --------------------------------------------------------------------------- HTTP


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the caller sees the 302 itself


class Browser:
    """Plain urllib with a cookie jar; redirects are returned, not followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Answer:
        data = None
        headers = dict(headers or {})
        if files is not None:
            boundary = uuid.uuid4().hex
            data = _multipart(boundary, form or {}, files)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return Answer(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as e:
            return Answer(e.code, dict(e.headers), e.read())

    def get(self, path: str, **kw) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> Answer:
        return self.request("POST", path, **kw)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        m = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
        assert m, f"no CSRF token on {path} ({page.status})"
        return m.group(1)

    def login(self, email: str, password: str) -> None:
        r = self.post(
            "/login", form={"email": email, "password": password, "csrf_token": self.csrf("/login")}
        )
        assert r.status == 302, r.text[:2000]


def _multipart(boundary: str, form: dict[str, str], files: dict[str, tuple[str, bytes]]) -> bytes:
    parts = []
    for name, value in form.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


# --------------------------------------------------------------------------- the stack


class Stack:
    """One `python -m contest.serve` on its own database, Redis db and instance folder."""

    def __init__(self, tmp: Path, tag: str, *, workers: int, rq_workers: int):
        from contest.vault import Vault

        self.db_name = f"contest_test_{os.getpid()}_{tag}"
        self.url = f"{PG_SERVER}/{self.db_name}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers, self.rq_workers = workers, rq_workers
        self.instance = tmp / "instance"
        self.upload_dir = tmp / "uploads"
        self.log_path = tmp / "serve.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "REDIS_URL": f"{REDIS_SERVER}/{redis_db()}",
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "INSTANCE_PATH": str(self.instance),
            "UPLOAD_DIR": str(self.upload_dir),
            "SECRET_KEY": SECRET_KEY,
            "VAULT_KEY": Vault.generate_key(),
            "LANGUAGE": "vi",
        }
        self.env.pop("TEST_DATABASE_URL", None)
        self.proc: subprocess.Popen | None = None
        self.app = None

    # -- database and Redis

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            PG_SERVER.replace("+psycopg", "") + "/postgres", autocommit=True, connect_timeout=5
        ) as conn:
            conn.execute(sql)

    def prepare(self) -> None:
        """A fresh, migrated database and an empty Redis db, before anything starts."""
        from redis import Redis

        from contest import migrate
        from contest.serve import ensure_database

        self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        ensure_database(self.url)
        migrate.upgrade(self.url)
        Redis.from_url(self.env["REDIS_URL"]).flushdb()

    def make_app(self):
        """An app in this process on the same database, files and keys (to arrange and check)."""
        from app import create_app

        self.app = create_app(
            {
                "INSTANCE_PATH": str(self.instance),
                "DATABASE_URL": self.url,
                "UPLOAD_DIR": str(self.upload_dir),
                "SECRET_KEY": SECRET_KEY,
                "VAULT_KEY": self.env["VAULT_KEY"],
                "REDIS_URL": self.env["REDIS_URL"],
            }
        )
        return self.app

    def session(self):
        return self.app.extensions["db_session_factory"]()

    # -- processes

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "contest.serve",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers),
                "--rq-workers", str(self.rq_workers),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the last-resort cleanup is exact
        )  # fmt: skip
        wait_for(self._answers, 90, f"{self.base}/ to answer\n{self.log_tail()}", interval=0.3)
        wait_for(lambda: len(self.app_workers()) == self.workers, 30, "gunicorn workers")
        wait_for(lambda: len(self.rq_pids()) == self.rq_workers, 30, "RQ workers")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(
                f"contest.serve exited with {self.proc.returncode}\n{self.log_tail()}"
            )
        try:
            return Browser(self.base).get("/", timeout=5).status == 200
        except OSError:
            return False

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def gunicorn_pid(self) -> int:
        (pid,) = [p for p in children(self.proc.pid) if "gunicorn" in cmdline(p)]
        return pid

    def app_workers(self) -> list[int]:
        return [p for p in children(self.gunicorn_pid()) if alive(p)]

    def rq_pids(self) -> list[int]:
        return [p for p in children(self.proc.pid) if "jobs worker" in cmdline(p) and alive(p)]

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """`flask --app app ...` with the stack's environment."""
        return subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "--app", "app", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> int:
        """SIGTERM to the launcher, as Ctrl+C or a service manager would; its exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=40)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop()
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # anything of ours left behind
            self.log.close()
        if self.app is not None:
            self.app.extensions["db_engine"].dispose()
        self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


# --------------------------------------------------------------------------- the test


@pytest.fixture
def stack(tmp_path):
    require_servers()
    s = Stack(tmp_path, "stack", workers=2, rq_workers=1)
    s.prepare()
    try:
        yield s
    finally:
        s.close()


def _arrange_contest(app) -> str:
    """An open contest with four entries, one of which copies a passage of another."""
    from contest.essaygen import essay
    from tests.conftest import Factory

    factory = Factory(app)
    contest = factory.contest(slug="chinh-luan", state="open")
    source = essay(random.Random(31), syllables=2400)
    copier = essay(random.Random(32), syllables=1000) + "\n\n" + " ".join(source.split()[:350])
    factory.entry(contest, text=source)
    factory.entry(contest, text=copier)
    factory.entry(contest, seed=33, syllables=1500)
    factory.entry(contest, seed=34, syllables=1500)
    return contest.slug


def test_serve_stack_scan_runs_on_rq_worker_and_sigterm_stops_all(stack):
    from contest.models import Job, SimilarityReport, User

    stack.start()
    launcher_tree = descendants(stack.proc.pid)
    gunicorn = stack.gunicorn_pid()
    (rq_pid,) = stack.rq_pids()
    assert len(stack.app_workers()) == 2
    assert sorted(launcher_tree) == sorted([gunicorn, rq_pid, *stack.app_workers()])

    # The launcher made the administrator from ADMIN_EMAIL / ADMIN_PASSWORD.
    app = stack.make_app()
    with stack.session() as s:
        admins = [(u.email, u.is_admin) for u in s.query(User).all()]
    assert admins == [(ADMIN_EMAIL, True)]
    slug = _arrange_contest(app)

    web = Browser(stack.base)
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    # Several requests, spread by gunicorn over its workers, all see the same session.
    for _ in range(6):
        page = web.get(f"/manage/{slug}/similarity/")
        assert page.status == 200, page.text[:1000]
    started = web.post(
        f"/manage/{slug}/similarity/scan",
        form={"csrf_token": web.csrf(f"/manage/{slug}/similarity/")},
    )
    assert started.status == 302, started.text[:1000]
    with stack.session() as s:
        job_id = s.query(Job.id).one()[0]

    def finished():
        r = web.get(
            f"/manage/{slug}/similarity/jobs/{job_id}", headers={"Accept": "application/json"}
        )
        assert r.status == 200, r.text[:1000]
        import json

        data = json.loads(r.body)
        return data if data["finished"] else None

    data = wait_for(finished, 60, "the scan to finish", interval=0.3)
    assert (data["state"], data["percent"], data["result"]) == (
        "done",
        100,
        {"entries": 4, "flagged": 1, "matches": 2},
    )
    with stack.session() as s:
        job = s.get(Job, job_id)
        kind, _host, pid, _thread = job.worker.split(":")
        reports = s.query(SimilarityReport).count()
    # The RQ worker process of the stack ran it, not a thread of a gunicorn worker.
    assert (kind, int(pid)) == ("rq", rq_pid)
    assert reports == 4

    assert stack.stop() == 0
    wait_for(lambda: not any(alive(p) for p in launcher_tree), 10, "every child to exit")
    assert [p for p in launcher_tree if alive(p)] == []
