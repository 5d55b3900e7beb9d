"""The content-addressed file store under UPLOAD_DIR.

A file is written to a temporary path, fsynced, and renamed to `<root>/ab/cd/<sha256>` while
the transaction that records it is open. If that transaction rolls back, files it created are
removed again; if the process dies between the rename and the commit, the file has no row and
`sweep_orphans` (run by `flask files sweep` and at start-up by `make run`) removes it once it is
older than a grace period, so a file of a transaction still in flight on another worker is safe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

_SESSION_KEY = "storage_new_files"


class FileStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def put(self, session: Session, data: bytes) -> str:
        """Store `data` as part of `session`'s transaction; return its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        session.connection()  # make sure a transaction is open: its rollback removes the file
        final = self.path_for(digest)
        if final.exists():
            return digest  # same content already stored (and owned by some row)
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="up-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        session.info.setdefault(_SESSION_KEY, []).append(final)
        return digest

    def stored_hashes(self) -> Iterable[tuple[str, Path]]:
        for path in self.root.glob("??/??/*"):
            if path.is_file() and len(path.name) == 64:
                yield path.name, path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@event.listens_for(Session, "after_commit")
def _forget_new_files(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_new_files(session: Session, previous_transaction) -> None:
    # Only the outermost rollback undoes the files; a savepoint rollback keeps them listed.
    if previous_transaction.parent is not None:
        return
    for path in session.info.pop(_SESSION_KEY, []):
        Path(path).unlink(missing_ok=True)


def sweep_orphans(session: Session, store: FileStore, *, grace_seconds: float = 600) -> list[str]:
    """Remove stored files no row refers to and leftover temporary files, older than the grace
    period. Returns the removed hashes."""
    from contest.models import EntryFile

    known = set(session.scalars(select(EntryFile.sha256)))
    extra = _extra_known_hashes(session)
    now = time.time()
    removed = []
    for digest, path in list(store.stored_hashes()):
        if digest in known or digest in extra:
            continue
        if now - path.stat().st_mtime < grace_seconds:
            continue
        path.unlink(missing_ok=True)
        removed.append(digest)
    if store.tmp.exists():
        for tmp in store.tmp.iterdir():
            if now - tmp.stat().st_mtime >= grace_seconds:
                tmp.unlink(missing_ok=True)
    return removed


def _extra_known_hashes(session: Session) -> set[str]:
    """Hashes referred to by other tables (reference texts, import batches kept for review)."""
    from contest.models import Base

    hashes: set[str] = set()
    for table in Base.metadata.sorted_tables:
        if table.name != "entry_files" and "sha256" in table.c and "stored" in table.info:
            hashes.update(session.execute(select(table.c.sha256)).scalars())
    return hashes
