"""`flask backup` / `flask restore`: a round trip gives back the same entries, identities, scores
and files; broken, tampered or hostile archives are refused before anything changes."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from contest import backup
from contest.config import load_or_create_secret_key
from contest.vault import Vault


def _cli(app):
    """A CLI runner with the commands, whether or not app.py registers them already."""
    if "backup" not in app.cli.commands:
        backup.register(app)
    return app.test_cli_runner()


def _build_data(app, factory):
    """Entries with stored files, released, assigned, and three submitted scores."""
    from contest import services
    from contest.models import User
    from judging import services as js
    from judging.models import Assignment
    from tests.judging.conftest import World

    world = World(app, factory, n_entries=4, n_judges=3, readings=2)
    world.open_and_assign()
    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        criteria = list(rnd.criteria)
        assignments = s.scalars(
            select(Assignment).where(Assignment.active.is_(True)).order_by(Assignment.id)
        ).all()
        for n, a in enumerate(assignments[:3]):
            points = {str(c.id): round(c.max_points * (50 + 10 * n) / 100, 2) for c in criteria}
            js.submit_score(
                s,
                assignment=a,
                raw_points=points,
                comment=f"nhận xét {n}",
                expected_version=None,
                actor=s.get(User, a.judge_id),
            )
        s.commit()
    load_or_create_secret_key(app.instance_path)
    return world


def _snapshot(app) -> dict:
    """What must survive a round trip, read through the app (identities through its vault)."""
    from contest.entries import author_identities
    from contest.models import Entry, EntryFile
    from contest.storage import FileStore

    vault = app.extensions["vault"]
    store = FileStore(app.config["UPLOAD_DIR"])
    with app.extensions["db_session_factory"]() as s:
        entries = [
            (
                e.id,
                e.receipt_no,
                e.fingerprint,
                [a["full_name"] for a in author_identities(vault, e)],
            )
            for e in s.scalars(select(Entry).order_by(Entry.id))
        ]
        scores = [
            (
                r.id,
                r.assignment_id,
                r.status,
                json.loads(r.points) if isinstance(r.points, str) else r.points,
                r.total,
            )
            for r in s.execute(
                text("SELECT id, assignment_id, status, points, total FROM scores ORDER BY id")
            )
        ]
        hashes = sorted(set(s.scalars(select(EntryFile.sha256))))
    files = {h: hashlib.sha256(store.read(h)).hexdigest() for h in hashes}
    return {"entries": entries, "scores": scores, "files": files}


def _fresh_app(tmp_path: Path, database_url: str, name: str = "fresh"):
    from app import create_app

    instance = tmp_path / name
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{instance / 'contest.db'}"
    return create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "TESTING": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def _need_pg_tools(database_url: str) -> None:
    if database_url.startswith("postgresql") and not (
        shutil.which("pg_dump") and shutil.which("pg_restore")
    ):
        pytest.skip("PostgreSQL backup: pg_dump/pg_restore are not installed")


def _wipe_postgres_schema(url: str) -> None:
    schema = backup.pg_target(url).schema
    engine = create_engine(url.split("?")[0].replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


def test_backup_then_restore_into_wiped_instance_gives_back_everything(
    app, factory, database_url, tmp_path
):
    _need_pg_tools(database_url)
    _build_data(app, factory)
    before = _snapshot(app)
    assert len(before["entries"]) == 4 and len(before["scores"]) == 3 and len(before["files"]) == 4
    instance = Path(app.instance_path)
    secret = (instance / "secret_key").read_text()
    vault_key = (instance / "vault.key").read_text()
    out = tmp_path / "kept" / "b.tar.gz"

    r = _cli(app).invoke(args=["backup", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert str(out) in r.output and "4" in r.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["counts"] == {"entries": 4, "scores": 3, "files": 4}
    assert manifest["database"]["kind"] == ("sqlite" if "sqlite" in database_url else "postgresql")
    assert manifest["vault_key_in_backup"] is True

    # Lose everything: the instance folder (database file, uploads, keys) and, on PostgreSQL,
    # the schema.
    app.extensions["db_engine"].dispose()
    shutil.rmtree(instance)
    if database_url.startswith("postgresql"):
        _wipe_postgres_schema(database_url)
    fresh = _fresh_app(tmp_path, database_url)
    try:
        assert (Path(fresh.instance_path) / "vault.key").read_text() != vault_key
        r = _cli(fresh).invoke(args=["restore", str(out)])
        assert r.exit_code == 0, r.output
        assert "4" in r.output
    finally:
        fresh.extensions["db_engine"].dispose()

    restored = _fresh_app(tmp_path, database_url)  # reads the restored keys, as a restart would
    try:
        assert _snapshot(restored) == before
        assert (Path(restored.instance_path) / "secret_key").read_text() == secret
        assert (Path(restored.instance_path) / "vault.key").read_text() == vault_key
    finally:
        restored.extensions["db_engine"].dispose()


@pytest.fixture
def sqlite_app(tmp_path, sqlite_template):
    """An app on SQLite only: the checks below are about the archive, not the backend."""
    from app import create_app

    db = tmp_path / "instance" / "contest.db"
    db.parent.mkdir(parents=True)
    shutil.copy(sqlite_template, db)
    app = create_app(
        {
            "INSTANCE_PATH": str(db.parent),
            "DATABASE_URL": f"sqlite:///{db}",
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        }
    )
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def sqlite_factory(sqlite_app):
    from tests.conftest import Factory

    return Factory(sqlite_app)


def _entry_count(app) -> int:
    with app.extensions["db_engine"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM entries")).scalar_one()


def test_restore_refuses_without_yes_on_non_empty_database(sqlite_app, sqlite_factory, tmp_path):
    app = sqlite_app
    contest = sqlite_factory.contest(state="open")
    sqlite_factory.entry(contest)
    out = tmp_path / "b.tar.gz"
    cli = _cli(app)
    assert cli.invoke(args=["backup", "-o", str(out)]).exit_code == 0
    sqlite_factory.entry(contest)

    r = cli.invoke(args=["restore", str(out)], env={"LANG": "en_US.UTF-8", "LANGUAGE": ""})
    assert r.exit_code == 1
    assert "The database already holds data" in r.output and "--yes" in r.output
    assert _entry_count(app) == 2

    r = cli.invoke(args=["restore", str(out)], env={"LANG": "vi_VN.UTF-8", "LANGUAGE": ""})
    assert "Cơ sở dữ liệu hiện có dữ liệu" in r.output


def test_restore_with_yes_replaces_changed_data_and_missing_files(
    app, factory, database_url, tmp_path
):
    _need_pg_tools(database_url)
    contest = factory.contest(state="open")
    factory.entry(contest)
    before = _snapshot(app)
    out = tmp_path / "b.tar.gz"
    cli = _cli(app)
    assert cli.invoke(args=["backup", "-o", str(out)]).exit_code == 0
    factory.entry(contest)
    lost = next(iter(before["files"]))
    from contest.storage import FileStore

    FileStore(app.config["UPLOAD_DIR"]).path_for(lost).unlink()

    r = cli.invoke(args=["restore", str(out), "--yes"], env={"LANG": "en", "LANGUAGE": ""})
    assert r.exit_code == 0, r.output
    assert "entries: 1, scores: 0, files: 2 (1 written, 0 unchanged)" in r.output
    assert _snapshot(app) == before
    if database_url.startswith("sqlite"):
        db = backup.sqlite_path(database_url)
        assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


def test_restore_refuses_a_different_vault_key_on_non_empty_database(
    sqlite_app, sqlite_factory, tmp_path
):
    app = sqlite_app
    sqlite_factory.entry(sqlite_factory.contest(state="open"))
    out = tmp_path / "b.tar.gz"
    cli = _cli(app)
    assert cli.invoke(args=["backup", "-o", str(out)]).exit_code == 0
    key_file = Path(app.instance_path) / "vault.key"
    other = Vault.generate_key() + "\n"
    key_file.write_text(other)

    r = cli.invoke(args=["restore", str(out)], env={"LANG": "en", "LANGUAGE": ""})
    assert r.exit_code == 1
    assert "identities sealed with the current key unreadable" in r.output
    assert key_file.read_text() == other

    r = cli.invoke(args=["restore", str(out), "--yes"], env={"LANG": "en", "LANGUAGE": ""})
    assert r.exit_code == 0, r.output
    kept = list(Path(app.instance_path).glob("vault.key.replaced-*"))
    assert [k.read_text() for k in kept] == [other]
    assert key_file.read_text() != other


def _rewrite(src: Path, dst: Path, change) -> None:
    """Copy a backup archive, letting `change(name, data)` return new bytes for a member."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w:gz") as tout:
        for m in tin.getmembers():
            data = change(m.name, tin.extractfile(m).read())
            info = tarfile.TarInfo(m.name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


def _tree(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def test_restore_refuses_a_tampered_archive_and_changes_nothing(
    sqlite_app, sqlite_factory, tmp_path
):
    app = sqlite_app
    sqlite_factory.entry(sqlite_factory.contest(state="open"))
    out = tmp_path / "b.tar.gz"
    assert _cli(app).invoke(args=["backup", "-o", str(out)]).exit_code == 0
    bad = tmp_path / "bad.tar.gz"
    _rewrite(out, bad, lambda n, d: d + b"!" if n.startswith("uploads/") else d)

    fresh = _fresh_app(tmp_path, "sqlite://", "fresh")
    try:
        before = _tree(Path(fresh.instance_path))
        r = _cli(fresh).invoke(args=["restore", str(bad)], env={"LANG": "en", "LANGUAGE": ""})
        assert r.exit_code == 1
        assert "does not match its checksum" in r.output
        assert _tree(Path(fresh.instance_path)) == before
    finally:
        fresh.extensions["db_engine"].dispose()


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/tmp/evil-backup-test.txt", "uploads/../../evil.txt"]
)
def test_restore_refuses_paths_out_of_the_tree(sqlite_app, tmp_path, name):
    data = b"evil"
    manifest = json.dumps(
        {"database": {"kind": "sqlite"}, "members": {name: hashlib.sha256(data).hexdigest()}}
    ).encode()
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        for member, payload in ((name, data), ("manifest.json", manifest)):
            info = tarfile.TarInfo(member)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    instance = Path(sqlite_app.instance_path)
    before = _tree(tmp_path)

    r = _cli(sqlite_app).invoke(args=["restore", str(bad)], env={"LANG": "en", "LANGUAGE": ""})
    assert r.exit_code == 1
    assert f"The backup holds an unsafe path “{name}”" in r.output
    assert _tree(tmp_path) == before
    assert not (instance / "evil.txt").exists() and not Path("/tmp/evil-backup-test.txt").exists()


def test_backup_warns_when_the_vault_key_comes_from_the_environment(tmp_path, sqlite_template):
    from app import create_app

    db = tmp_path / "inst" / "contest.db"
    db.parent.mkdir()
    shutil.copy(sqlite_template, db)
    app = create_app(
        {
            "INSTANCE_PATH": str(db.parent),
            "DATABASE_URL": f"sqlite:///{db}",
            "TESTING": True,
            "SECRET_KEY": "x",
            "VAULT_KEY": Vault.generate_key(),
        }
    )
    try:
        out = tmp_path / "b.tar.gz"
        r = _cli(app).invoke(args=["backup", "-o", str(out)], env={"LANG": "en", "LANGUAGE": ""})
        assert r.exit_code == 0, r.output
        assert "the VAULT_KEY comes from the environment and is NOT in the backup" in r.output
        with tarfile.open(out) as tar:
            names = sorted(tar.getnames())
            manifest = json.load(tar.extractfile("manifest.json"))
        assert names == ["database/contest.db", "manifest.json"]
        assert manifest["vault_key_in_backup"] is False
    finally:
        app.extensions["db_engine"].dispose()


def test_backup_default_path_is_in_instance_backups(sqlite_app):
    r = _cli(sqlite_app).invoke(args=["backup"])
    assert r.exit_code == 0, r.output
    made = list((Path(sqlite_app.instance_path) / "backups").glob("backup-*.tar.gz"))
    assert len(made) == 1 and len(made[0].name) == len("backup-20250101-120000.tar.gz")
    assert not list(made[0].parent.glob(".*"))  # no temporary file left behind


def test_pg_target_reads_url_password_and_search_path():
    t = backup.pg_target(
        "postgresql://ban:m%40t@db.example:5433/thi?sslmode=require&options=-csearch_path%3Dtest_gw0"
    )
    assert t.args == [
        "--host",
        "db.example",
        "--port",
        "5433",
        "--username",
        "ban",
        "--dbname",
        "thi",
    ]
    assert t.env == {"PGPASSWORD": "m@t", "PGSSLMODE": "require"}
    assert t.schema == "test_gw0"
    assert backup.pg_target("postgresql:///thi").schema is None
    assert backup.search_path_schema("-c search_path=$user,cuoc_thi,public") == "cuoc_thi"


def test_tool_major_reads_pg_dump_version():
    assert backup.tool_major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)") == 15
    assert backup.tool_major("pg_restore (PostgreSQL) 9.6.24") == 9
    assert backup.tool_major("no version") is None


def test_check_tool_refuses_old_or_missing_pg_dump(tmp_path, monkeypatch):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.3'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError) as err:
        backup.check_tool("pg_dump", needed=15, what="PostgreSQL server 15")
    assert err.value.code == "tool_too_old"
    assert err.value.message("en") == (
        "pg_dump version 12 is older than PostgreSQL server 15 (version 15). "
        "Install postgresql-client 15 or newer."
    )
    assert backup.check_tool("pg_dump", needed=12, what="x") == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path / "none"))
    with pytest.raises(backup.BackupError) as err:
        backup.check_tool("pg_restore", needed=15, what="pg_dump")
    assert err.value.code == "tool_missing"
    assert err.value.message().startswith("Không tìm thấy pg_restore.")
