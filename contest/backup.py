"""`flask --app app backup` and `flask --app app restore`: one archive holding the database, the
uploads and the key files, and a restore that checks it before touching anything.

Archive layout (a .tar.gz)::

    database/contest.db        SQLite: a copy made with sqlite3's online backup API
    database/contest.dump      PostgreSQL: `pg_dump --format=custom`
    uploads/...                every file under UPLOAD_DIR (the content-addressed store, batches)
    keys/secret_key            instance/secret_key, when the file exists
    keys/vault.key             instance/vault.key, when the file exists (not VAULT_KEY)
    manifest.json              created_at, database kind, counts, sha256 of every member above

The database is copied first and the uploads second: the store writes a file before the row that
names it is committed and never rewrites it, so every file the copied database refers to is
already on disk when the uploads are read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from contest.db import normalise_url
from contest.problems import cli_language
from contest.vault import KEY_FILE_NAME, Vault

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/contest.db"
PG_MEMBER = "database/contest.dump"
KEY_FILES = ("secret_key", KEY_FILE_NAME)
_CHUNK = 1 << 20
_STORED_RE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")

_MESSAGES: dict[str, dict[str, str]] = {
    "memory_database": {
        "vi": "Không sao lưu hay khôi phục được cơ sở dữ liệu trong bộ nhớ ({url}).",
        "en": "An in-memory database ({url}) cannot be backed up or restored.",
    },
    "unsupported_database": {
        "vi": "Chỉ sao lưu được SQLite và PostgreSQL, không phải “{kind}”.",
        "en": "Only SQLite and PostgreSQL can be backed up, not “{kind}”.",
    },
    "tool_missing": {
        "vi": "Không tìm thấy {tool}. Hãy cài gói postgresql-client (phiên bản {server} trở lên) "
        "rồi chạy lại.",
        "en": "{tool} was not found. Install the postgresql-client package (version {server} or "
        "newer) and run again.",
    },
    "tool_too_old": {
        "vi": "{tool} phiên bản {tool_version} cũ hơn {what} (phiên bản {needed}). Hãy cài "
        "postgresql-client {needed} trở lên.",
        "en": "{tool} version {tool_version} is older than {what} (version {needed}). Install "
        "postgresql-client {needed} or newer.",
    },
    "tool_failed": {
        "vi": "{tool} báo lỗi (mã {code}): {detail}",
        "en": "{tool} failed (exit code {code}): {detail}",
    },
    "sqlite_missing": {
        "vi": "Không có tệp cơ sở dữ liệu {path}. Hãy kiểm tra DATABASE_URL.",
        "en": "The database file {path} does not exist. Check DATABASE_URL.",
    },
    "archive_unreadable": {
        "vi": "Không đọc được tệp sao lưu {path}: {detail}",
        "en": "The backup file {path} cannot be read: {detail}",
    },
    "manifest_missing": {
        "vi": "Tệp {path} không có manifest.json: đây không phải bản sao lưu của hệ thống.",
        "en": "{path} has no manifest.json: it is not a backup made by this platform.",
    },
    "manifest_invalid": {
        "vi": "manifest.json của bản sao lưu không hợp lệ ({detail}).",
        "en": "The backup's manifest.json is not valid ({detail}).",
    },
    "unsafe_member": {
        "vi": "Bản sao lưu chứa đường dẫn không an toàn “{name}” (tuyệt đối, có “..” hoặc không "
        "phải tệp thường). Không khôi phục gì.",
        "en": "The backup holds an unsafe path “{name}” (absolute, with “..” or not a regular "
        "file). Nothing was restored.",
    },
    "checksum_mismatch": {
        "vi": "Tệp “{name}” trong bản sao lưu không khớp mã kiểm tra (sha256): bản sao lưu bị "
        "hỏng hoặc đã bị sửa. Không khôi phục gì.",
        "en": "The member “{name}” of the backup does not match its checksum (sha256): the backup "
        "is damaged or was altered. Nothing was restored.",
    },
    "member_missing": {
        "vi": "Bản sao lưu thiếu tệp “{name}” mà manifest.json liệt kê. Không khôi phục gì.",
        "en": "The backup lacks the member “{name}” listed in manifest.json. Nothing was restored.",
    },
    "member_unlisted": {
        "vi": "Bản sao lưu có tệp “{name}” không được manifest.json liệt kê. Không khôi phục gì.",
        "en": "The backup holds a member “{name}” that manifest.json does not list. Nothing was "
        "restored.",
    },
    "kind_mismatch": {
        "vi": "Bản sao lưu là cơ sở dữ liệu {archived}, còn DATABASE_URL trỏ tới {configured}. "
        "Hãy đặt DATABASE_URL cùng loại.",
        "en": "The backup holds a {archived} database but DATABASE_URL points to {configured}. "
        "Set DATABASE_URL to the same kind.",
    },
    "schema_mismatch": {
        "vi": "Bản sao lưu là schema “{archived}”, còn DATABASE_URL dùng schema “{configured}”. "
        "Hãy khôi phục vào đúng schema “{archived}”.",
        "en": "The backup holds the schema “{archived}” but DATABASE_URL uses “{configured}”. "
        "Restore into the schema “{archived}”.",
    },
    "database_not_empty": {
        "vi": "Cơ sở dữ liệu hiện có dữ liệu ({tables}). Khôi phục sẽ thay thế toàn bộ: hãy dừng "
        "ứng dụng, sao lưu dữ liệu hiện tại nếu cần, rồi chạy lại với --yes.",
        "en": "The database already holds data ({tables}). A restore replaces all of it: stop the "
        "application, back up the current data if needed, then run again with --yes.",
    },
    "vault_key_differs": {
        "vi": "Tệp {key_file} hiện có khác khóa trong bản sao lưu. Nếu ghi đè, thông tin tác giả "
        "đã niêm phong bằng khóa hiện tại sẽ không đọc được nữa. Chỉ chạy lại với --yes khi chắc "
        "chắn (khóa cũ sẽ được giữ ở {kept}).",
        "en": "The existing {key_file} differs from the key in the backup. Overwriting it makes "
        "the identities sealed with the current key unreadable. Run again with --yes only if you "
        "are sure (the current key will be kept as {kept}).",
    },
}


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing has been changed when it is raised."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """The sentence for a person, in Vietnamese (default) or English."""
        templates = _MESSAGES[self.code]
        return templates.get(lang, templates["vi"]).format(**self.params)


@dataclass
class Counts:
    entries: int = 0
    scores: int = 0
    files: int = 0  # stored (content-addressed) files

    def as_dict(self) -> dict[str, int]:
        return {"entries": self.entries, "scores": self.scores, "files": self.files}


@dataclass
class BackupResult:
    path: Path
    kind: str
    counts: Counts
    vault_key_in_backup: bool


@dataclass
class RestoreResult:
    kind: str
    counts: Counts
    files_written: int = 0
    files_unchanged: int = 0
    keys_written: list[str] = field(default_factory=list)
    kept_old_vault_key: Path | None = None
    vault_key_in_backup: bool = True


# --------------------------------------------------------------------------- helpers


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def database_kind(url: str) -> str:
    """ "sqlite" or "postgresql" for a DATABASE_URL; BackupError for anything else."""
    backend = make_url(normalise_url(url)).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError("unsupported_database", kind=backend)
    return backend


def sqlite_path(url: str) -> Path:
    """The file of a SQLite DATABASE_URL."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("memory_database", url=url)
    return Path(database).resolve()


@dataclass(frozen=True)
class PgTarget:
    """What pg_dump / pg_restore need, built from DATABASE_URL (the password goes in env)."""

    args: list[str]
    env: dict[str, str]
    schema: str | None


_PG_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


def pg_target(url: str) -> PgTarget:
    """Connection arguments for the PostgreSQL tools; the schema is the first one of a
    `options=-csearch_path=...` query option (where the app's tables live), else None."""
    u = make_url(normalise_url(url))
    args: list[str] = []
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    args += ["--dbname", u.database or ""]
    env: dict[str, str] = {}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    for key, var in _PG_ENV.items():
        value = u.query.get(key)
        if isinstance(value, str) and value:
            env[var] = value
    return PgTarget(args=args, env=env, schema=search_path_schema(u.query.get("options")))


def search_path_schema(options: Any) -> str | None:
    """The first schema of a libpq `options` value such as "-csearch_path=test_main"."""
    if isinstance(options, tuple):
        options = " ".join(options)
    if not options:
        return None
    m = re.search(r"-c\s*search_path\s*=\s*(\S+)", unquote(str(options)))
    if not m:
        return None
    for name in m.group(1).split(","):
        name = name.strip().strip('"')
        if name and name != "$user":
            return name
    return None


def tool_major(version_output: str) -> int | None:
    """The major version in `pg_dump --version` output ("pg_dump (PostgreSQL) 15.20 ...")."""
    m = re.search(r"\)\s*(\d+)(?:\.(\d+))?", version_output) or re.search(
        r"(\d+)\.", version_output
    )
    return int(m.group(1)) if m else None


def check_tool(tool: str, *, needed: int, what: str) -> str:
    """The path of a PostgreSQL tool whose major version is at least `needed`."""
    path = shutil.which(tool)
    if not path:
        raise BackupError("tool_missing", tool=tool, server=needed)
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    major = tool_major(out)
    if major is None or major < needed:
        raise BackupError(
            "tool_too_old", tool=tool, tool_version=major or "?", what=what, needed=needed
        )
    return path


def _run_tool(cmd: list[str], env: dict[str, str], tool: str) -> None:
    proc = subprocess.run(
        cmd, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError("tool_failed", tool=tool, code=proc.returncode, detail=" ".join(detail))


def _count(conn, table: str) -> int:
    # Table names are fixed strings of this module, never input.
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _db_counts(conn) -> tuple[int, int]:
    names = set(inspect(conn).get_table_names())
    return (
        _count(conn, "entries") if "entries" in names else 0,
        _count(conn, "scores") if "scores" in names else 0,
    )


def _upload_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix name, path) of every regular file under UPLOAD_DIR except tmp/."""
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/", 1)[0] == "tmp" or path.is_symlink() or not path.is_file():
            continue
        yield rel, path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


# --------------------------------------------------------------------------- backup


def make_backup(
    app: Flask, output: Path | None = None, *, now: datetime | None = None
) -> BackupResult:
    """Write a backup archive of `app`'s database, uploads and key files; return its path."""
    now = now or datetime.now(UTC)
    url = app.config["DATABASE_URL"]
    kind = database_kind(url)
    instance = Path(app.instance_path)
    if output is None:
        stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
        output = instance / "backups" / f"backup-{stamp}.tar.gz"
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    engine: Engine = app.extensions["db_engine"]

    with tempfile.TemporaryDirectory(prefix="backup-", dir=output.parent) as work:
        work_dir = Path(work)
        database: dict[str, Any] = {"kind": kind}
        if kind == "sqlite":
            member, db_file = SQLITE_MEMBER, work_dir / "contest.db"
            n_entries, n_scores = _sqlite_snapshot(sqlite_path(url), db_file)
        else:
            member, db_file = PG_MEMBER, work_dir / "contest.dump"
            n_entries, n_scores, database = _pg_dump(engine, url, db_file)
        database["member"] = member

        members: dict[str, Path] = {member: db_file}
        upload_root = Path(app.config["UPLOAD_DIR"])
        stored = 0
        for rel, path in _upload_files(upload_root):
            members[f"uploads/{rel}"] = path
            stored += bool(_STORED_RE.match(rel))
        for name in KEY_FILES:
            if (instance / name).is_file():
                members[f"keys/{name}"] = instance / name

        checksums = {name: sha256_file(path) for name, path in members.items()}
        counts = Counts(entries=n_entries, scores=n_scores, files=stored)
        vault: Vault | None = app.extensions.get("vault")
        vault_in = f"keys/{KEY_FILE_NAME}" in members and getattr(vault, "source", "") != "env"
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "database": database,
            "counts": counts.as_dict(),
            "vault_key_in_backup": vault_in,
            "members": checksums,
        }
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            with tarfile.open(tmp, "w:gz") as tar:
                for name, path in members.items():
                    _add_file(tar, name, path, checksums[name])
                data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
                tar.addfile(info, io.BytesIO(data))
            os.chmod(tmp, 0o600)  # it holds the vault key
            _fsync_file(tmp)
            os.replace(tmp, output)
            _fsync_dir(output.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return BackupResult(path=output, kind=kind, counts=counts, vault_key_in_backup=vault_in)


def _add_file(tar: tarfile.TarFile, name: str, path: Path, digest: str) -> None:
    # Uploads are never rewritten in place; a file changed while being read would still be
    # caught by its checksum on restore.
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = st.st_size, 0o600, int(st.st_mtime)
        tar.addfile(info, fh)


def _sqlite_snapshot(source: Path, target: Path) -> tuple[int, int]:
    """Copy the live database with the online backup API (it reads through SQLite, so pages
    still in the WAL are included and writers are not blocked), then count from the copy."""
    if not source.exists():
        raise BackupError("sqlite_missing", path=str(source))
    # A read-write handle (it only reads): a read-only one would leave -wal/-shm files behind.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # The copy stands alone: no -wal file next to it in the archive.
        dst.execute("PRAGMA journal_mode=DELETE")
        names = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        n_entries = (
            dst.execute("SELECT count(*) FROM entries").fetchone()[0] if "entries" in names else 0
        )
        n_scores = (
            dst.execute("SELECT count(*) FROM scores").fetchone()[0] if "scores" in names else 0
        )
    finally:
        dst.close()
        src.close()
    return int(n_entries), int(n_scores)


def _pg_dump(engine: Engine, url: str, target: Path) -> tuple[int, int, dict[str, Any]]:
    """pg_dump inside a snapshot exported by a REPEATABLE READ transaction, so the counts
    written into the manifest are those of the dump itself."""
    pg = pg_target(url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
        tool = check_tool("pg_dump", needed=server, what=f"PostgreSQL server {server}")
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        n_entries, n_scores = _db_counts(conn)
        cmd = [tool, "--format=custom", "--no-password", f"--snapshot={snapshot}", "--file"]
        cmd += [str(target), *pg.args]
        if pg.schema:
            cmd += ["--schema", pg.schema]
        _run_tool(cmd, pg.env, "pg_dump")
        conn.rollback()
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.strip()
    info = {"kind": "postgresql", "schema": pg.schema, "server_major": server, "pg_dump": version}
    return n_entries, n_scores, info


# --------------------------------------------------------------------------- restore


def _safe_name(name: str) -> bool:
    p = PurePosixPath(name)
    return bool(name) and not p.is_absolute() and ".." not in p.parts and "\\" not in name


def _read_archive(path: Path, work: Path) -> dict[str, Any]:
    """Check every member's path, extract into `work` and verify the manifest's checksums.
    Nothing outside `work` is written; BackupError on any problem."""
    try:
        with tarfile.open(path, "r:*") as tar:
            members = tar.getmembers()
            for m in members:
                if not _safe_name(m.name) or not m.isfile():
                    raise BackupError("unsafe_member", name=m.name)
            names = [m.name for m in members]
            if MANIFEST not in names:
                raise BackupError("manifest_missing", path=str(path))
            manifest_file = tar.extractfile(MANIFEST)
            assert manifest_file is not None  # a regular file, checked above
            try:
                manifest = json.loads(manifest_file.read().decode("utf-8"))
                listed: dict[str, str] = manifest["members"]
                manifest["database"]["kind"]
            except (ValueError, KeyError, TypeError) as e:
                raise BackupError("manifest_invalid", detail=type(e).__name__) from e
            for name in listed:
                if not _safe_name(name):
                    raise BackupError("unsafe_member", name=name)
            for name in names:
                if name != MANIFEST and name not in listed:
                    raise BackupError("member_unlisted", name=name)
            # The data filter refuses absolute paths, "..", links out of the tree and devices,
            # on top of the check above.
            tar.extractall(work, members=[m for m in members if m.name != MANIFEST], filter="data")
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise BackupError(
            "archive_unreadable", path=str(path), detail=str(e) or type(e).__name__
        ) from e
    for name, digest in listed.items():
        target = work / name
        if not target.is_file():
            raise BackupError("member_missing", name=name)
        if sha256_file(target) != digest:
            raise BackupError("checksum_mismatch", name=name)
    return manifest


def _tables_with_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        names = sorted(set(inspect(conn).get_table_names()) - {"alembic_version"})
        return [
            n for n in names if conn.execute(text(f"SELECT 1 FROM {n} LIMIT 1")).first() is not None
        ]


def restore_backup(app: Flask, archive: Path, *, yes: bool = False) -> RestoreResult:
    """Restore `archive` into `app`'s database, uploads and instance folder. Every check
    (paths, checksums, kind, a non-empty database, a different vault key) runs before anything
    is changed; the application must be stopped meanwhile."""
    url = app.config["DATABASE_URL"]
    kind = database_kind(url)
    instance = Path(app.instance_path)
    engine: Engine = app.extensions["db_engine"]
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=instance) as work:
        work_dir = Path(work)
        manifest = _read_archive(Path(archive), work_dir)
        database = manifest["database"]
        db_name = database.get("member", SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER)
        if db_name not in manifest["members"]:
            raise BackupError("member_missing", name=db_name)
        if database["kind"] != kind:
            raise BackupError("kind_mismatch", archived=database["kind"], configured=kind)
        if kind == "postgresql":
            configured = pg_target(url).schema
            if database.get("schema") != configured:
                raise BackupError(
                    "schema_mismatch", archived=database.get("schema"), configured=configured
                )
            tool = check_tool(
                "pg_restore",
                needed=tool_major(database.get("pg_dump", "")) or 0,
                what="pg_dump",
            )
        busy = _tables_with_rows(engine)

        key_src = work_dir / "keys" / KEY_FILE_NAME
        key_dst = instance / KEY_FILE_NAME
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = instance / f"{KEY_FILE_NAME}.replaced-{stamp}"
        key_differs = (
            key_src.is_file()
            and key_dst.is_file()
            and key_src.read_bytes().strip() != key_dst.read_bytes().strip()
        )
        # A key that sealed nothing (empty database, e.g. a fresh instance) may simply go.
        if key_differs and busy and not yes:
            raise BackupError("vault_key_differs", key_file=str(key_dst), kept=str(kept))
        if busy and not yes:
            raise BackupError("database_not_empty", tables=", ".join(busy[:5]))

        # From here on things change.
        engine.dispose()
        db_member = work_dir / db_name
        if kind == "sqlite":
            _replace_sqlite(db_member, sqlite_path(url))
        else:
            pg = pg_target(url)
            cmd = [tool, "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction"]
            cmd += ["--no-password", *pg.args, str(db_member)]
            _run_tool(cmd, pg.env, "pg_restore")

        result = RestoreResult(
            kind=kind,
            counts=Counts(),
            vault_key_in_backup=bool(manifest.get("vault_key_in_backup")),
        )
        _restore_uploads(work_dir / "uploads", Path(app.config["UPLOAD_DIR"]), result)
        for name in KEY_FILES:
            src = work_dir / "keys" / name
            dst = instance / name
            if not src.is_file():
                continue
            if dst.is_file() and src.read_bytes() == dst.read_bytes():
                continue
            if name == KEY_FILE_NAME and key_differs and busy:
                shutil.copy2(dst, kept)
                os.chmod(kept, 0o600)
                result.kept_old_vault_key = kept
            _atomic_copy(src, dst)
            result.keys_written.append(name)

    with engine.connect() as conn:
        n_entries, n_scores = _db_counts(conn)
    stored = sum(
        1 for rel, _ in _upload_files(Path(app.config["UPLOAD_DIR"])) if _STORED_RE.match(rel)
    )
    result.counts = Counts(entries=n_entries, scores=n_scores, files=stored)
    return result


def _atomic_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o600)
        _fsync_file(tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dst.parent)


def _replace_sqlite(copy: Path, target: Path) -> None:
    """Swap the database file for the backup copy. The old file is first checkpointed into
    rollback-journal mode, so no -wal file of it is left to be replayed onto the new one."""
    if target.exists():
        conn = sqlite3.connect(target, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    _atomic_copy(copy, target)


def _restore_uploads(src_root: Path, dst_root: Path, result: RestoreResult) -> None:
    """Write the archived uploads that are missing or different; leave the others alone."""
    for rel, src in _upload_files(src_root):
        dst = dst_root / rel
        if dst.is_file() and sha256_file(dst) == sha256_file(src):
            result.files_unchanged += 1
            continue
        _atomic_copy(src, dst)
        result.files_written += 1


# --------------------------------------------------------------------------- CLI

_TEXT = {
    "backup_done": {
        "vi": "Đã sao lưu vào {path}\n  bài dự thi: {entries}, phiếu chấm: {scores}, tệp: {files}",
        "en": "Backup written to {path}\n  entries: {entries}, scores: {scores}, files: {files}",
    },
    "vault_env_warning": {
        "vi": "CẢNH BÁO: khóa VAULT_KEY lấy từ biến môi trường và KHÔNG có trong bản sao lưu. "
        "Hãy cất giữ nó riêng, an toàn: mất khóa là mất thông tin tác giả.",
        "en": "WARNING: the VAULT_KEY comes from the environment and is NOT in the backup. Keep "
        "it separately and safely: losing it loses the authors' identities.",
    },
    "restore_done": {
        "vi": "Đã khôi phục ({kind}).\n  bài dự thi: {entries}, phiếu chấm: {scores}, tệp: {files} "
        "(ghi {written}, giữ nguyên {unchanged})",
        "en": "Restored ({kind}).\n  entries: {entries}, scores: {scores}, files: {files} "
        "({written} written, {unchanged} unchanged)",
    },
    "keys_written": {
        "vi": "  tệp khóa đã khôi phục: {names}",
        "en": "  key files restored: {names}",
    },
    "kept_old_key": {
        "vi": "  khóa cũ được giữ ở {path}",
        "en": "  the previous key is kept as {path}",
    },
    "no_vault_key": {
        "vi": "CẢNH BÁO: bản sao lưu không chứa vault.key; hãy đặt lại VAULT_KEY như lúc sao lưu, "
        "nếu không sẽ không đọc được thông tin tác giả.",
        "en": "WARNING: the backup holds no vault.key; set VAULT_KEY as it was at backup time, "
        "or the identities cannot be read.",
    },
}


def _say(key: str, lang: str, **params: Any) -> str:
    return _TEXT[key][lang].format(**params)


@click.command("backup")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Archive to write (.tar.gz). Default: instance/backups/backup-YYYYmmdd-HHMMSS.tar.gz",
)
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Back up the database, the uploads and the key files. / Sao lưu dữ liệu."""
    lang = cli_language()
    try:
        result = make_backup(current_app._get_current_object(), output)
    except BackupError as e:
        raise click.ClickException(e.message(lang)) from e
    click.echo(_say("backup_done", lang, path=result.path, **result.counts.as_dict()))
    vault = current_app.extensions.get("vault")
    if getattr(vault, "source", "") == "env":
        click.echo(_say("vault_env_warning", lang), err=True)


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace existing data (and a different vault.key).")
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    """Restore a backup made by `backup`; stop the application first. / Khôi phục bản sao lưu."""
    lang = cli_language()
    try:
        result = restore_backup(current_app._get_current_object(), archive, yes=yes)
    except BackupError as e:
        raise click.ClickException(e.message(lang)) from e
    click.echo(
        _say(
            "restore_done",
            lang,
            kind=result.kind,
            written=result.files_written,
            unchanged=result.files_unchanged,
            **result.counts.as_dict(),
        )
    )
    if result.keys_written:
        click.echo(_say("keys_written", lang, names=", ".join(result.keys_written)))
    if result.kept_old_vault_key:
        click.echo(_say("kept_old_key", lang, path=result.kept_old_vault_key))
    if not result.vault_key_in_backup:
        click.echo(_say("no_vault_key", lang), err=True)


def register(app: Flask) -> None:
    """Add `backup` and `restore` to `flask --app app`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
