"""Faults (issue 7): kill -9 of an app worker during an upload, a bulk import and a score
submit, and of RQ workers during a similarity scan, on the real stack (`contest.serve`,
PostgreSQL, Redis); and the database unreachable.

How the kill lands mid-request without hooks in the app: the test holds a PostgreSQL lock
(LOCK TABLE ... IN SHARE MODE) on the table the request writes last, so the request stops
there with its earlier work done (file renamed into the store, rows flushed) and nothing
committed; pg_stat_activity shows the blocked backend, whose client port names the worker
process. That worker gets SIGKILL, then the lock is released.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.test_serve_stack import (
    PG_SERVER,
    ROOT,
    SECRET_KEY,
    Browser,
    Stack,
    alive,
    free_port,
    require_servers,
    wait_for,
)

PASSWORD = "mat-khau-dai-1"
SLUG = "cham-thi"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack with two app workers (one keeps serving while a killed one is replaced) over a
    judging world: an open contest with released entries, a round open with assignments."""
    require_servers()
    from tests.conftest import Factory
    from tests.judging.conftest import World

    s = Stack(tmp_path_factory.mktemp("faults"), "faults", workers=2, rq_workers=1)
    s.prepare()
    try:
        app = s.make_app()
        factory = Factory(app)
        s.world = World(app, factory)
        s.world.open_and_assign()
        factory.user(email="thisinh@example.vn", name="Nguyễn Thí Sinh", password=PASSWORD)
        s.start()
        yield s
    finally:
        s.close()


# --------------------------------------------------------------------------- helpers


def _libpq(stack) -> str:
    return stack.url.replace("+psycopg", "")


@contextmanager
def table_locked(stack, table: str):
    """Hold SHARE mode on a table: reads go on, the first write to it waits."""
    import psycopg

    conn = psycopg.connect(_libpq(stack), connect_timeout=5)
    try:
        conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _blocked_backends(stack) -> list[tuple[int, int]]:
    import psycopg

    with psycopg.connect(_libpq(stack), autocommit=True, connect_timeout=5) as conn:
        return conn.execute(
            "SELECT pid, client_port FROM pg_stat_activity "
            "WHERE datname = %s AND wait_event_type = 'Lock'",
            (stack.db_name,),
        ).fetchall()


def _backend_gone(stack, backend: int) -> bool:
    import psycopg

    with psycopg.connect(_libpq(stack), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()
    return row is None


def _socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def process_with_local_port(port: int, candidates: list[int]) -> int:
    """Which of `candidates` owns the TCP socket whose local port is `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    owners = [pid for pid in candidates if _socket_inodes(pid) & inodes]
    assert len(owners) == 1, (port, candidates, owners)
    return owners[0]


def kill_while_blocked(stack, table: str, send, candidates) -> object:
    """Run `send()` in a thread while `table` is locked; SIGKILL the process whose database
    connection waits on the lock; release it; return what `send` returned or raised."""
    outcome: dict[str, object] = {}

    def run():
        try:
            outcome["answer"] = send()
        except Exception as e:  # noqa: BLE001 - a dropped connection is the expected outcome
            outcome["answer"] = e

    with table_locked(stack, table):
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        ((backend, port),) = wait_for(
            lambda: _blocked_backends(stack), 60, f"a request to wait on {table}"
        )
        victim = process_with_local_port(port, candidates())
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=30)
        assert not thread.is_alive()
    # The orphaned backend gets the lock, finds its client gone and rolls back.
    wait_for(lambda: _backend_gone(stack, backend), 30, "the killed worker's backend to end")
    return outcome["answer"]


def _stored_and_known(stack) -> tuple[set[str], set[str]]:
    from contest.models import EntryFile
    from contest.storage import FileStore

    stored = {digest for digest, _p in FileStore(stack.upload_dir).stored_hashes()}
    with stack.session() as s:
        known = set(s.scalars(select(EntryFile.sha256)))
    return stored, known


def _sweep(stack) -> None:
    result = stack.app.test_cli_runner().invoke(args=["files", "sweep", "--grace", "0"])
    assert result.exit_code == 0, result.output


def _signed_in(stack, email: str) -> Browser:
    web = Browser(stack.base)
    web.login(email, PASSWORD)
    return web


# --------------------------------------------------------------------------- upload


def _submission(web: Browser, title: str, doc: bytes) -> dict:
    page = web.get(f"/contests/{SLUG}/submit").text
    token = re.search(r'name="form_token" type="hidden" value="([^"]*)"', page).group(1)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    with_cat = re.search(r'<option[^>]*value="(\d+)"', page).group(1)
    return {
        "form": {
            "csrf_token": csrf,
            "form_token": token,
            "title": title,
            "category": with_cat,
            "pen_name": "",
            "declaration": "y",
            "submit": "1",
            "authors-0-full_name": "Nguyễn Thí Sinh",
            "authors-0-email": "thisinh@example.vn",
        },
        "files": {"document": ("bai-du-thi.txt", doc)},
    }


def test_kill_during_upload_leaves_no_entry_and_the_sweep_removes_the_file(stack):
    from contest.essaygen import essay
    from contest.models import Entry, EntryStatus

    web = _signed_in(stack, "thisinh@example.vn")
    title = "Giữ vững trận địa tư tưởng"
    doc = essay(random.Random(71), syllables=1600).encode("utf-8")
    digest = hashlib.sha256(doc).hexdigest()
    request = _submission(web, title, doc)

    answer = kill_while_blocked(
        stack,
        "entry_files",  # written right after the file is renamed into the store
        lambda: web.post(f"/contests/{SLUG}/submit", **request),
        stack.app_workers,
    )
    assert isinstance(answer, OSError), answer  # the connection died with the worker
    with stack.session() as s:
        assert s.scalar(select(func.count()).select_from(Entry).where(Entry.title == title)) == 0
    stored, known = _stored_and_known(stack)
    assert digest in stored and digest not in known  # the orphan the kill left
    _sweep(stack)
    stored, known = _stored_and_known(stack)
    assert stored == known

    # The contestant sends the same form again: one entry, its file kept.
    sent = web.post(f"/contests/{SLUG}/submit", **request)
    assert sent.status == 302, sent.text[:2000]
    receipt = sent.headers["Location"].rsplit("/", 1)[-1]
    confirmed = web.post(
        f"/entries/{receipt}/confirm", form={"csrf_token": web.csrf(f"/entries/{receipt}")}
    )
    assert confirmed.status == 302
    with stack.session() as s:
        rows = s.execute(select(Entry.receipt_no, Entry.status).where(Entry.title == title)).all()
    assert rows == [(receipt, EntryStatus.submitted)]
    _sweep(stack)
    stored, known = _stored_and_known(stack)
    assert digest in stored and stored == known


def test_pdf_upload_on_the_stack_is_accepted_and_leaves_no_child_process(stack):
    """gunicorn's sync workers read an uploaded PDF in a child process killed at the time
    cap (contest.extract): the upload is accepted, its text stored, and no child is left."""
    from contest.essaygen import essay
    from contest.models import Entry
    from tests.conftest import Factory
    from tests.contest.docfactory import make_pdf
    from tests.test_serve_stack import children

    Factory(stack.app).user(email="pdf@example.vn", name="Trần Văn Pdf", password=PASSWORD)
    web = _signed_in(stack, "pdf@example.vn")
    paragraphs = [p for p in essay(random.Random(72), syllables=1600).split("\n\n") if p]
    request = _submission(web, "Bài nộp bằng PDF", make_pdf([paragraphs]))
    request["form"]["authors-0-full_name"] = "Trần Văn Pdf"
    request["form"]["authors-0-email"] = "pdf@example.vn"
    request["files"] = {"document": ("bai-du-thi.pdf", request["files"]["document"][1])}
    sent = web.post(f"/contests/{SLUG}/submit", **request)
    assert sent.status == 302, sent.text[:2000]
    with stack.session() as s:
        entry = s.scalar(select(Entry).where(Entry.title == "Bài nộp bằng PDF"))
        assert entry.doc_format == "pdf" and paragraphs[0][:40] in entry.text
    assert all(children(w) == [] for w in stack.app_workers())


# --------------------------------------------------------------------------- bulk import


def test_kill_during_bulk_import_creates_nothing_and_the_retry_imports_once(stack):
    from contest.models import Entry, ImportBatch
    from tests.contest.batchfactory import make_batch

    web = _signed_in(stack, "qt@example.vn")
    zip_bytes, _rows = make_batch(3, seed=7)
    planned = web.post(
        f"/manage/{SLUG}/import",
        form={"csrf_token": web.csrf(f"/manage/{SLUG}/import")},
        files={"batch": ("lo-1.zip", zip_bytes)},
    )
    assert planned.status == 200, planned.text[:2000]
    key = re.search(r'name="key" value="([0-9a-f]{64})"', planned.text).group(1)
    confirm = {"csrf_token": web.csrf(f"/manage/{SLUG}/import"), "key": key}
    stored_before, _known = _stored_and_known(stack)

    answer = kill_while_blocked(
        stack,
        "import_batches",  # written after every entry and file of the batch
        lambda: web.post(f"/manage/{SLUG}/import/confirm", form=confirm),
        stack.app_workers,
    )
    assert isinstance(answer, OSError), answer
    imported = Entry.title.like("Tác phẩm nhập số %")
    with stack.session() as s:
        assert s.scalar(select(func.count()).select_from(Entry).where(imported)) == 0
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
    stored, known = _stored_and_known(stack)
    assert len(stored - stored_before) == 3 and not (stored - stored_before) & known
    _sweep(stack)
    stored, known = _stored_and_known(stack)
    assert stored == known

    # The kept batch imports on a second try, once.
    done = web.post(f"/manage/{SLUG}/import/confirm", form=confirm)
    assert done.status == 302, done.text[:2000]
    with stack.session() as s:
        titles = s.scalars(select(Entry.title).where(imported).order_by(Entry.title)).all()
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert titles == ["Tác phẩm nhập số 1", "Tác phẩm nhập số 2", "Tác phẩm nhập số 3"]
    stored, known = _stored_and_known(stack)
    assert stored == known


# --------------------------------------------------------------------------- scores


def test_kill_during_score_submit_keeps_answered_scores_and_leaves_none_half_made(stack):
    from contest.models import User
    from judging.models import Assignment, Round, RoundCriterion, Score, ScoreStatus

    world = stack.world
    with stack.session() as s:
        judge_id = world.judges[0]
        email = s.get(User, judge_id).email
        codes = sorted(
            a.entry.secret_code
            for a in s.scalars(
                select(Assignment).where(Assignment.judge_id == judge_id, Assignment.active)
            )
        )
        criteria = s.execute(
            select(RoundCriterion.id, RoundCriterion.max_points)
            .join(Round, RoundCriterion.round_id == Round.id)
            .where(Round.position == 1, Round.contest_id == world.contest.id)
        ).all()
    assert len(codes) >= 2
    web = _signed_in(stack, email)
    points = {f"points-{cid}": str(int(mp) - 1) for cid, mp in criteria}

    def submit(code: str):
        base = f"/judge/{SLUG}/round/1/entries/{code}"
        form = {"csrf_token": web.csrf(base), "version": "", "comment": "Lập luận chặt", **points}
        return lambda: web.post(f"{base}/submit", form=form, headers={"Accept": "application/json"})

    def scores():
        with stack.session() as s:
            return {
                a.entry.secret_code: (sc.status, sc.points, sc.total)
                for sc, a in s.execute(
                    select(Score, Assignment).join(Assignment, Score.assignment_id == Assignment.id)
                )
            }

    first = submit(codes[0])()
    assert (first.status, json.loads(first.body)["ok"]) == (200, True)
    answered = scores()
    assert [(c, st, p) for c, (st, p, _t) in answered.items()] == [
        (codes[0], ScoreStatus.submitted, {k[7:]: float(v) for k, v in points.items()})
    ]

    answer = kill_while_blocked(stack, "scores", submit(codes[1]), stack.app_workers)
    assert isinstance(answer, OSError), answer
    assert scores() == answered  # the answered score kept; the killed one absent, not half made

    again = submit(codes[1])()
    assert again.status == 200, again.text[:1000]
    assert scores() == {**answered, codes[1]: answered[codes[0]]}


# --------------------------------------------------------------------------- similarity scan


def test_kill_rq_workers_during_scan_resumes_and_finishes_once(stack):
    from contest.models import Entry, Job, SimilarityReport
    from contest.screening import SCANNED

    with stack.session() as s:  # the scan an import started has ended first
        wait_for(
            lambda: (
                s.scalar(select(func.count()).select_from(Job).where(Job.finished_at.is_(None)))
                == 0
            ),
            60,
            "earlier scans to end",
        )
    web = _signed_in(stack, "qt@example.vn")
    page = f"/manage/{SLUG}/similarity/"
    flask = [
        str(Path(sys.executable).parent / "flask"),
        "--app",
        "app",
        "jobs",
        "worker",
        "--burst",
    ]

    def job():
        with stack.session() as s:
            return s.scalars(select(Job).order_by(Job.id.desc())).first()

    def backdate_heartbeat(job_id: int):
        # Stands for a minute passing: the heartbeat of a dead worker is then stale.
        from contest.db import utcnow

        with stack.session() as s:
            s.get(Job, job_id).heartbeat_at = utcnow() - timedelta(minutes=5)
            s.commit()

    workers: list[subprocess.Popen] = []
    try:
        with table_locked(stack, "similarity_matches"):  # where the finished scan writes
            started = web.post(f"{page}scan", form={"csrf_token": web.csrf(page)})
            assert started.status == 302
            for attempt in range(2):
                running = wait_for(
                    lambda: (j := job()).state == "running" and _blocked_backends(stack) and j,
                    60,
                    "a worker to hold the scan",
                )
                pid = int(running.worker.split(":")[2])
                os.kill(pid, signal.SIGKILL)
                wait_for(lambda pid=pid: not alive(pid), 10, "the RQ worker to die")
                backdate_heartbeat(running.id)
                if attempt == 0:
                    # A new worker resumes the stale job at its start (jobs.resume_stale).
                    workers.append(
                        subprocess.Popen(flask, env=stack.env, cwd=ROOT, stdout=subprocess.DEVNULL)
                    )
                    mark = f"rq:{os.uname().nodename}:{workers[-1].pid}:"
                    wait_for(lambda m=mark: job().worker.startswith(m), 60, "the resumed claim")
        # The lock is gone: a third worker resumes it and it runs to the end.
        workers.append(subprocess.Popen(flask, env=stack.env, cwd=ROOT, stdout=subprocess.DEVNULL))
        assert workers[-1].wait(timeout=120) == 0
        final = job()
        assert (final.state, final.params["attempts"], final.message) == ("done", 2, "")
        status = json.loads(web.get(f"/manage/{SLUG}/similarity/jobs/{final.id}").body)
        assert (status["state"], status["finished"], status["percent"]) == ("done", True, 100)
        with stack.session() as s:
            scanned = s.scalar(
                select(func.count()).select_from(Entry).where(Entry.status.in_(SCANNED))
            )
            reports = s.scalar(select(func.count()).select_from(SimilarityReport))
        assert final.result["entries"] == scanned == reports
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()


# --------------------------------------------------------------------------- database down


def _down_apps(tmp_path):
    """An app on a working SQLite file and one whose PostgreSQL address has no listener,
    sharing SECRET_KEY, so a session cookie from the first is valid on the second."""
    from app import create_app
    from contest import migrate

    up_db = tmp_path / "up.db"
    migrate.upgrade(f"sqlite:///{up_db}")
    common = {"SECRET_KEY": SECRET_KEY, "RATELIMIT_STORAGE_URI": "memory://"}
    up = create_app(
        {"INSTANCE_PATH": str(tmp_path / "up"), "DATABASE_URL": f"sqlite:///{up_db}", **common}
    )
    down = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "down"),
            "DATABASE_URL": f"{PG_SERVER.rsplit(':', 1)[0]}:{free_port()}/contest",
            **common,
        }
    )
    return up, down


DOWN_ADVICE = "Không có gì bị lưu dở dang. Hãy thử lại sau vài giây."


def _assert_503_page(page) -> None:
    body = page.get_data(as_text=True)
    assert (page.status_code, page.headers.get("Retry-After")) == (503, "5"), body[:500]
    assert DOWN_ADVICE in body
    assert "Traceback" not in body and "psycopg" not in body


def test_database_unreachable_anonymous_pages_answer_503_in_vietnamese(tmp_path):
    up, down = _down_apps(tmp_path)
    try:
        client = down.test_client()
        for path in ("/", f"/contests/{SLUG}"):
            _assert_503_page(client.get(path))
    finally:
        up.extensions["db_engine"].dispose()
        down.extensions["db_engine"].dispose()


def test_database_unreachable_signed_in_pages_and_autosave_answer_503(tmp_path):
    """A signed-in judge while the database is away: pages say 503 in Vietnamese and the
    autosave answers 503 JSON (judge.js then keeps the draft in the browser)."""
    from contest import services
    from tests.conftest import csrf_token

    up, down = _down_apps(tmp_path)
    try:
        with up.extensions["db_session_factory"]() as s:
            services.create_user(s, email="gk@example.vn", full_name="Giám Khảo", password=PASSWORD)
            s.commit()
        signed_in = up.test_client()
        r = signed_in.post(
            "/login",
            data={
                "email": "gk@example.vn",
                "password": PASSWORD,
                "csrf_token": csrf_token(signed_in),
            },
        )
        assert r.status_code == 302
        token = csrf_token(signed_in)
        client = down.test_client()
        client.set_cookie("session", signed_in.get_cookie("session").value)

        for path in ("/", "/judge/"):
            _assert_503_page(client.get(path))
        saved = client.post(
            f"/judge/{SLUG}/round/1/entries/CL-AAAA/draft",
            data={"csrf_token": token, "version": "3", "points-1": "12"},
            headers={"Accept": "application/json"},
        )
        assert saved.status_code == 503
        assert saved.get_json() == {"error": "Hệ thống tạm thời gián đoạn", "message": DOWN_ADVICE}
    finally:
        up.extensions["db_engine"].dispose()
        down.extensions["db_engine"].dispose()
