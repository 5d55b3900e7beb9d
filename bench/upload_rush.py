"""The last minute before the deadline (issue 7): 1,000 contestants upload at once, some late.

    .venv/bin/python bench/upload_rush.py [--quick] [--contestants N] [--late N] [--window S]
                                          [--in-flight N] [--workers W] [--sqlite]

The serving stack is the one of bench/load_judges.py (PostgreSQL, `python -m contest.serve`,
2 x cores + 1 gunicorn workers; --sqlite: one gunicorn process with 4 threads). Setup in this
process: a contest from the "local" preset, open, and N contestant accounts (created through
contest.services.create_user with passwords.use_cheap_hashing_for_tests(), in this setup
process only: 1,100 argon2 hashes at 64 MiB each would take minutes). Each contestant's
session cookie is signed here as in load_judges.py (the login form allows 10 sign-ins per
minute per address, and every client is 127.0.0.1).

Once the server answers, the contest's closes_at is set in the database to now + --window
(default 60 s; --quick: 20 s, 200 contestants). Every on-time contestant starts at a random
moment of that window, every late one in the 10 s after it; at most --in-flight (50) are
active at once, so a contestant may start a little after its moment, as in a browser queue.
A contestant: GET /contests/<slug>/submit (csrf_token, form_token), POST the multipart form
(title, category, authors-0-full_name, authors-0-email, declaration, document: a distinct
generated essay, .docx or .txt in turn) and, on 302 to /entries/<receipt>, POST
/entries/<receipt>/confirm. Outcomes: accepted (confirm redirected to the receipt), refused
late (400 carrying "Đã hết hạn nhận bài"), uploaded but the confirmation came after the
deadline (the draft stays a draft: the contestant was told so), other answers.

Baseline in the same run: two clients GET / every 0.5 s; upload and confirm latencies are
given as a ratio of it.

Afterwards, with the server stopped: every accepted contestant has exactly one submitted entry
whose document row has the uploaded file's SHA-256 and whose stored file has those bytes; no
entry for a contestant refused at upload; no entry submitted at or after closes_at; no stored
file without a row and no leftover temporary upload.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_judges as lj  # noqa: E402 - the shared stack, sessions and client

SLUG = "nop-bai-phut-cuoi"
LATE_MESSAGE = "Đã hết hạn nhận bài"
LATE_SPREAD = 10.0  # late contestants start within this many seconds after the deadline

_FORM_TOKEN = re.compile(r'name="form_token" (?:type="hidden" )?value="([^"]*)"')
_RECEIPT = re.compile(r"/entries/([^/?#]+)$")


@dataclass
class Contestant:
    user_id: int
    email: str
    name: str
    moment: float  # seconds after the window opened
    late: bool
    filename: str
    data: bytes
    cookie: str = ""
    token: str = ""
    outcome: str = "not run"
    receipt: str = ""
    started: float = 0.0  # seconds after the window opened, when the GET went out
    detail: str = ""


def docx_bytes(text: str) -> bytes:
    """A .docx holding the essay, one paragraph per blank-line block."""
    from docx import Document

    doc = Document()
    for para in text.split("\n\n"):
        doc.add_paragraph(para)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """Encode a multipart/form-data body; returns (body, content type)."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode("utf-8") + b"\r\n")
    for name, (filename, data) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def build_contest(app, *, n_on_time: int, n_late: int, window: float, seed: int):
    """The open contest, its accounts and their files; returns (contest id, category id,
    contestants)."""
    from contest import passwords, services
    from contest.essaygen import essay, person

    passwords.use_cheap_hashing_for_tests()  # setup only (see the docstring)
    rng = random.Random(seed)
    Session = app.extensions["db_session_factory"]
    now = datetime.now(UTC)
    people = []
    with Session() as s:
        admin = services.create_user(
            s,
            email="qt-nopbai@example.vn",
            full_name="Quản Trị Nộp Bài",
            password="mat-khau-dai-nop-bai-1",
            is_admin=True,
        )
        contest = services.create_contest(
            s,
            actor=admin,
            preset="local",
            settings={
                "slug": SLUG,
                "title": "Cuộc thi đo phút cuối",
                "opens_at": now - timedelta(days=30),
                # Moved to "now + window" once the server is up.
                "closes_at": now + timedelta(days=1),
            },
        )
        services.transition_contest(s, actor=admin, contest=contest, target="open")
        category_id = next(c.id for c in contest.categories if c.kind == "written")
        for i in range(n_on_time + n_late):
            p = person(rng)
            email = f"thisinh{i}@example.vn"
            u = services.create_user(
                s, email=email, full_name=p["full_name"], password="mat-khau-thi-sinh-1"
            )
            people.append((u, p["full_name"]))
        s.commit()
        contest_id = contest.id
        out = []
        for i, (u, name) in enumerate(people):
            late = i >= n_on_time
            text = f"Bài dự thi của {name}, mã {i}.\n\n" + essay(rng, syllables=1100)
            if i % 2:
                filename, data = f"bai-du-thi-{i}.docx", docx_bytes(text)
            else:
                filename, data = f"bai-du-thi-{i}.txt", text.encode("utf-8")
            moment = window + rng.uniform(0, LATE_SPREAD) if late else rng.uniform(0, window)
            out.append(Contestant(u.id, u.email, name, moment, late, filename, data))
    return contest_id, category_id, out


def set_deadline(app, contest_id: int, closes_at: datetime) -> None:
    """Move the deadline directly in the database (no service changes a running deadline)."""
    from sqlalchemy import update

    from contest.models import Contest

    with app.extensions["db_session_factory"]() as s:
        s.execute(update(Contest).where(Contest.id == contest_id).values(closes_at=closes_at))
        s.commit()


def contestant_run(c: Contestant, port: int, recorder: lj.Recorder, category_id: int, t0: float):
    """GET the form, POST the upload, POST the confirmation; sets c.outcome."""
    client = lj.Client(port, recorder, c.cookie)
    c.started = time.monotonic() - t0
    try:
        status, _h, body = client.request("form", "GET", f"/contests/{SLUG}/submit")
        html = body.decode("utf-8", "replace")
        if status != 200:
            c.outcome, c.detail = "error", f"form {status}"
            return
        token = lj._CSRF.search(html).group(1)
        m = _FORM_TOKEN.search(html)
        fields = {
            "csrf_token": token,
            "form_token": m.group(1) if m else "",
            "title": f"Bàn về trách nhiệm của người viết ({c.user_id})",
            "category": str(category_id),
            "pen_name": "",
            "authors-0-full_name": c.name,
            "authors-0-email": c.email,
            "declaration": "y",
            "submit": "1",
        }
        body, ctype = multipart(fields, {"document": (c.filename, c.data)})
        status, headers, resp = client.request(
            "upload", "POST", f"/contests/{SLUG}/submit", body, {"Content-Type": ctype}
        )
        if status == 400 and LATE_MESSAGE in resp.decode("utf-8", "replace"):
            c.outcome = "refused late"
            return
        m = _RECEIPT.search(headers.get("location", "")) if status == 302 else None
        if m is None:
            c.outcome, c.detail = "error", f"upload {status}"
            return
        c.receipt = m.group(1)
        status, headers, _b = client.post_form(
            "confirm", f"/entries/{c.receipt}/confirm", {"csrf_token": token, "submit": "1"}
        )
        location = headers.get("location", "")
        if status == 302 and location.endswith(f"/entries/{c.receipt}/receipt"):
            c.outcome = "accepted"
        elif status == 302 and location.endswith(f"/entries/{c.receipt}"):
            c.outcome = "confirm late"  # the flash message says why; the draft stays a draft
        else:
            c.outcome, c.detail = "error", f"confirm {status}"
    finally:
        client.close()


def run_rush(port, contestants, recorder, category_id, t0, in_flight, hard_stop):
    """Start every contestant at its moment, at most `in_flight` at once, until hard_stop."""
    queue = sorted(contestants, key=lambda c: c.moment)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                c = queue.pop(0)
            wait = c.moment - (time.monotonic() - t0)
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() > hard_stop:
                c.outcome = "not run"
                continue
            contestant_run(c, port, recorder, category_id, t0)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(in_flight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, hard_stop - time.monotonic()) + lj.CLIENT_TIMEOUT + 5)


@dataclass
class Check:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    stored_files: int = 0
    confirmed_in_grace: int = 0


def check_store(env: dict[str, str], contest_id: int, closes_at, contestants) -> Check:
    """What the database and the file store hold, against what the contestants were told."""
    from sqlalchemy import create_engine, select

    from contest.db import normalise_url
    from contest.entries import CONFIRM_GRACE
    from contest.models import Entry, EntryFile, EntryStatus
    from contest.storage import FileStore

    out = Check()
    engine = create_engine(normalise_url(env["DATABASE_URL"]))
    with engine.connect() as conn:
        entries = conn.execute(
            select(
                Entry.id,
                Entry.owner_id,
                Entry.receipt_no,
                Entry.status,
                Entry.submitted_at,
                Entry.created_at,
            ).where(Entry.contest_id == contest_id)
        ).all()
        files = conn.execute(select(EntryFile.entry_id, EntryFile.role, EntryFile.sha256)).all()
    engine.dispose()
    out.entries = len(entries)
    by_owner: dict[int, list] = {}
    for row in entries:
        by_owner.setdefault(row.owner_id, []).append(row)
    docs = {(f.entry_id): f.sha256 for f in files if f.role == "document"}
    store = FileStore(env["UPLOAD_DIR"])
    for c in contestants:
        mine = by_owner.get(c.user_id, [])
        if c.outcome == "accepted":
            if len(mine) != 1 or mine[0].status != EntryStatus.submitted:
                out.problems.append(f"{c.email}: accepted but {len(mine)} entries")
                continue
            digest = hashlib.sha256(c.data).hexdigest()
            if docs.get(mine[0].id) != digest:
                out.problems.append(f"{c.email}: document row does not match the upload")
            elif not store.exists(digest) or (
                hashlib.sha256(store.read(digest)).hexdigest() != digest
            ):
                out.problems.append(f"{c.email}: stored file missing or altered")
        elif c.outcome == "refused late" and mine:
            out.problems.append(f"{c.email}: refused late but has an entry")
        elif c.outcome == "confirm late" and any(r.status != EntryStatus.draft for r in mine):
            out.problems.append(f"{c.email}: confirmation refused but the entry is submitted")
    for row in entries:
        if row.submitted_at is None or row.submitted_at < closes_at:
            continue
        # Confirmed after the deadline: allowed only for a file uploaded before it, within
        # the confirmation grace (contest.entries.CONFIRM_GRACE).
        if row.created_at >= closes_at or row.submitted_at >= closes_at + CONFIRM_GRACE:
            out.problems.append(f"{row.receipt_no} submitted after the deadline")
        else:
            out.confirmed_in_grace += 1
    known = {f.sha256 for f in files}
    stored = list(store.stored_hashes())
    out.stored_files = len(stored)
    orphans = [d for d, _p in stored if d not in known]
    if orphans:
        out.problems.append(f"{len(orphans)} stored files without a row")
    leftovers = list(store.tmp.iterdir()) if store.tmp.exists() else []
    if leftovers:
        out.problems.append(f"{len(leftovers)} temporary uploads left behind")
    missing = [d for d in known if not store.exists(d)]
    if missing:
        out.problems.append(f"{len(missing)} file rows without a stored file")
    return out


def run(args) -> int:
    mode = (
        "SQLite, gunicorn 1 process x 4 threads"
        if args.sqlite
        else f"PostgreSQL, contest.serve: gunicorn {args.workers} sync workers + 1 RQ worker"
    )
    print(
        f"upload_rush: {args.contestants} on time + {args.late} late, window {args.window:.0f} s, "
        f"at most {args.in_flight} in flight, {mode}"
    )
    print(f"machine: {lj.machine()}")
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    tmp = Path(tempfile.mkdtemp(prefix="upload_rush_"))
    env = lj.environment(tmp, sqlite=args.sqlite, db_name=f"contest_rush_{os.getpid()}")
    stack = None
    try:
        lj.prepare_database(env)
        from app import create_app

        app = create_app()
        start = time.perf_counter()
        contest_id, category_id, contestants = build_contest(
            app, n_on_time=args.contestants, n_late=args.late, window=args.window, seed=args.seed
        )
        sessions = lj.forge_sessions(app, [c.user_id for c in contestants])
        for c in contestants:
            c.cookie, c.token = sessions[c.user_id]
        lj.analyze(env)  # as autovacuum would have by then (it is off on this machine)
        docx = sum(1 for c in contestants if c.filename.endswith(".docx"))
        print(
            f"setup {time.perf_counter() - start:.0f} s: {len(contestants)} accounts, "
            f"{docx} .docx and {len(contestants) - docx} .txt essays"
        )
        stack = lj.Stack(
            env,
            port=args.port or lj.free_port(),
            workers=args.workers,
            sqlite=args.sqlite,
            log=tmp / "server.log",
        )
        print(f"server ready after {stack.wait_ready():.1f} s on port {stack.port}", flush=True)
        closes_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=args.window + 1)
        set_deadline(app, contest_id, closes_at)
        app.extensions["db_engine"].dispose()
        # t0: the window opens `window` seconds before closes_at.
        t0 = time.monotonic() + (closes_at - datetime.now(UTC)).total_seconds() - args.window
        recorder = lj.Recorder()
        hard_stop = t0 + args.window + LATE_SPREAD + 60
        baseline_end = t0 + args.window + LATE_SPREAD
        baselines = [
            threading.Thread(target=lj.baseline_loop, args=(stack.port, recorder, baseline_end))
            for _ in range(2)
        ]
        cpu_before = lj.cpu_seconds(stack.proc.pid)
        for t in baselines:
            t.start()
        run_rush(stack.port, contestants, recorder, category_id, t0, args.in_flight, hard_stop)
        for t in baselines:
            t.join(timeout=lj.CLIENT_TIMEOUT + 5)
        elapsed = time.monotonic() - t0
        load = os.getloadavg()[0]
        cpu_after = lj.cpu_seconds(stack.proc.pid)
        stack.stop()
        stack = None
        outcomes = Counter(c.outcome for c in contestants)
        on_time = [c for c in contestants if not c.late]
        late = [c for c in contestants if c.late]
        print(f"\nran {elapsed:.1f} s; load average (1 min) at the end {load:.2f}")
        print(f"on time ({len(on_time)}): {dict(Counter(c.outcome for c in on_time))}")
        print(f"late ({len(late)}): {dict(Counter(c.outcome for c in late))}")
        delayed = [c.started - c.moment for c in contestants if c.outcome != "not run"]
        print(
            f"start delay behind the planned moment (client queue of {args.in_flight}): "
            f"median {sorted(delayed)[len(delayed) // 2]:.2f} s, max {max(delayed):.2f} s"
        )
        errors = [c for c in contestants if c.outcome == "error"]
        if errors:
            print(f"errors: {dict(Counter(c.detail for c in errors))}")
        table, figures = lj.latency_table(recorder, elapsed, ["home", "form", "upload", "confirm"])
        requests = len(recorder.samples)
        print(
            "CPU per request (ms): "
            + ", ".join(
                f"{k} {(cpu_after[k] - cpu_before[k]) / max(requests, 1) * 1000:.2f}"
                for k in cpu_before
            )
        )
        print("latency in ms:")
        print(table)
        home = figures["home"]
        for kind in ("upload", "confirm"):
            f = figures[kind]
            print(
                f"ratio {kind} / GET /: median {f['median'] / home['median']:.2f}x, "
                f"p95 {f['p95'] / home['p95']:.2f}x"
            )
        # Late refusals that were on time by the client's clock are queueing, not app errors:
        # count them separately so the figure is honest.
        started_late = sum(
            1 for c in on_time if c.outcome != "accepted" and c.started >= args.window
        )
        print(f"on-time contestants whose request started after the deadline: {started_late}")
        check = check_store(env, contest_id, closes_at, contestants)
        print(
            f"store check: {check.entries} entries, {check.stored_files} stored files, "
            f"{check.confirmed_in_grace} uploaded in time and confirmed within the grace, "
            f"problems: {check.problems[:10] or 'none'}"
        )
        ok = not check.problems and not errors and outcomes["accepted"] > 0
        ok = ok and all(c.outcome != "accepted" for c in late)
        print(f"result: {'OK' if ok else 'PROBLEMS'}")
        return 0 if ok else 1
    finally:
        if stack is not None:
            stack.stop()
        if not args.keep:
            try:
                lj.drop_database(env)
            except Exception as e:  # noqa: BLE001 - cleanup must not hide the figures
                print(f"could not drop the database: {e}")
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp} and {env['DATABASE_URL']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="200 contestants, a 20 s window")
    p.add_argument("--sqlite", action="store_true", help="SQLite, one gunicorn process")
    p.add_argument("--contestants", type=int, help="on-time contestants (default 1,000)")
    p.add_argument("--late", type=int, help="contestants after the deadline (default 10%%)")
    p.add_argument("--window", type=float, help="seconds from start to deadline (default 60)")
    p.add_argument("--in-flight", type=int, default=50)
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    p.add_argument("--port", type=int)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--keep", action="store_true", help="keep the instance and the database")
    args = p.parse_args(argv)
    args.contestants = min(args.contestants or (200 if args.quick else 1000), 5000)
    args.late = args.late if args.late is not None else max(1, args.contestants // 10)
    args.window = min(args.window or (20.0 if args.quick else 60.0), 600.0)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
