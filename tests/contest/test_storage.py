"""The content-addressed store: a failed transaction leaves no file, a crash between the
rename and the commit leaves an orphan that the sweep removes, and never a row without file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import select

from contest.models import Entry, EntryFile
from contest.storage import FileStore, sweep_orphans

ROOT = Path(__file__).resolve().parents[2]


def test_rollback_removes_the_new_file(app, session):
    store = FileStore(app.config["UPLOAD_DIR"])
    digest = store.put(session, b"noi dung tep")
    assert store.exists(digest)
    session.rollback()
    assert not store.exists(digest)


def test_commit_keeps_the_file(app, factory, session):
    c = factory.contest(state="open")
    e = factory.entry(c)
    store = FileStore(app.config["UPLOAD_DIR"])
    assert store.exists(e.fingerprint)


def test_failed_entry_creation_leaves_no_file(app, factory, session):
    """The service wrote the file, then the transaction failed: no row, no file."""
    from contest import entries

    c = factory.contest(state="open")
    store = FileStore(app.config["UPLOAD_DIR"])
    from contest.models import Contest

    contest = session.get(Contest, c.id)
    body = ("Bảo vệ nền tảng tư tưởng. " * 400).encode()
    e = entries.create_entry(
        session,
        vault=app.extensions["vault"],
        store=store,
        contest=contest,
        category=contest.categories[0],
        owner=None,
        title="Bài",
        pen_name="",
        authors=[entries.AuthorInput(full_name="Lê Văn Tám")],
        document=entries.Upload(body, "bai.txt"),
        check_deadline=False,
    )
    digest = e.fingerprint
    assert store.exists(digest)
    session.rollback()  # e.g. the commit failed
    assert not store.exists(digest)
    assert session.scalar(select(Entry)) is None


def test_sweep_removes_only_old_unreferenced_files(app, factory, session):
    store = FileStore(app.config["UPLOAD_DIR"])
    c = factory.contest(state="open")
    e = factory.entry(c)
    orphan = store.path_for("ab" * 32)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x")
    fresh = store.path_for("cd" * 32)
    fresh.parent.mkdir(parents=True, exist_ok=True)
    fresh.write_bytes(b"y")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    os.utime(store.path_for(e.fingerprint), (old, old))
    removed = sweep_orphans(session, store, grace_seconds=600)
    assert removed == ["ab" * 32]
    assert fresh.exists() and store.exists(e.fingerprint)


def test_kill_between_rename_and_commit_leaves_no_half_entry(app, tmp_path, session, runner):
    """A process dies (os._exit, like kill -9) after the file is in the store and before the
    commit: afterwards there is no entry, and the sweep removes the orphan file."""
    db_url = app.config["DATABASE_URL"]
    upload_dir = app.config["UPLOAD_DIR"]
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from app import create_app
        from contest import passwords
        passwords.use_cheap_hashing_for_tests()
        from contest import entries, services
        from contest.storage import FileStore
        from datetime import UTC, datetime, timedelta
        app = create_app({{"INSTANCE_PATH": {str(Path(upload_dir).parent)!r}, "DATABASE_URL": {db_url!r},
                           "SECRET_KEY": "x", "UPLOAD_DIR": {upload_dir!r}}})
        factory = app.extensions["db_session_factory"]
        with factory() as s:
            admin = services.create_user(s, email="a@example.vn", full_name="A", password="mat-khau-dai-1", is_admin=True)
            now = datetime.now(UTC)
            c = services.create_contest(s, actor=admin, preset="local", settings={{"slug": "kill", "title": "K",
                "opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=1)}})
            s.commit()
        with factory() as s:
            c = services.get_contest(s, "kill")
            original = s.commit
            e = entries.create_entry(s, vault=app.extensions["vault"], store=FileStore({upload_dir!r}), contest=c,
                category=c.categories[0], owner=None, title="T", pen_name="",
                authors=[entries.AuthorInput(full_name="Phan Thị Mai")],
                document=entries.Upload(("Nội dung bài viết rất dài. " * 300).encode(), "b.txt"), check_deadline=False)
            print(e.fingerprint, flush=True)
            os._exit(9)  # dies before commit, like kill -9
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 9, proc.stderr
    digest = proc.stdout.strip().splitlines()[-1]
    store = FileStore(upload_dir)
    assert store.exists(digest)  # the orphan the crash left
    session.expire_all()
    assert session.scalar(select(Entry).where(Entry.fingerprint == digest)) is None
    assert session.scalar(select(EntryFile).where(EntryFile.sha256 == digest)) is None
    result = runner.invoke(args=["files", "sweep", "--grace", "0"])
    assert result.exit_code == 0, result.output
    assert not store.exists(digest)
