"""Shared fixtures: an app with a fresh instance folder and database per test, on SQLite and,
when TEST_DATABASE_URL is set, on PostgreSQL too; a client, a CLI runner, factories, login."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from contest import migrate, passwords
from contest.db import normalise_url

ROOT = Path(__file__).resolve().parent.parent
passwords.use_cheap_hashing_for_tests()

TABLES_IN_ORDER: list[str] = []  # filled from the metadata once


def _compile_translations() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with mo.open("wb") as fh:
                write_mo(fh, catalog)


_compile_translations()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file per worker; each test copies it (migrations run once)."""
    path = tmp_path_factory.mktemp("template") / "contest.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests: TEST_DATABASE_URL is not set")
    base = normalise_url(url)
    schema = f"test_{re.sub(r'[^a-z0-9]', '_', _worker().lower())}"
    try:
        engine = create_engine(base, connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
    except Exception as e:  # noqa: BLE001 - any reason means "not reachable here"
        pytest.skip(f"PostgreSQL tests: cannot reach {url} ({type(e).__name__})")
    sep = "&" if "?" in base else "?"
    scoped = f"{base}{sep}options=-csearch_path%3D{schema}"
    migrate.upgrade(scoped)
    return scoped


def _truncate_postgres(url: str) -> None:
    from contest.db import Base

    engine = create_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # TRUNCATE does not fire the audit log's row triggers; it resets the ids too.
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _backends() -> list:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backends())
def database_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        db = tmp_path / "instance" / "contest.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sqlite_template, db)
        return f"sqlite:///{db}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def app(tmp_path, database_url):
    from app import create_app

    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "LOGIN_LIMIT": "1000 per minute",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    yield app
    from contest.jobs import wait_for_threads

    wait_for_threads(app)  # a background scan must not outlive the app's engine
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app) -> Iterator:
    """A database session outside any request, for arranging and checking data."""
    s = app.extensions["db_session_factory"]()
    yield s
    s.rollback()
    s.close()


class Factory:
    """Creates rows through the services, committing each, as a real user would leave them."""

    def __init__(self, app):
        self.app = app
        self.n = 0

    def _session(self):
        return self.app.extensions["db_session_factory"]()

    def user(
        self, *, email=None, name="Người Dùng", password="mat-khau-dai-1", admin=False, roles=()
    ):
        from contest import services
        from contest.models import StaffRole

        self.n += 1
        email = email or f"user{self.n}@example.vn"
        with self._session() as s:
            u = services.create_user(
                s, email=email, full_name=name, password=password, is_admin=admin
            )
            for contest_slug, role in roles:
                c = services.get_contest(s, contest_slug)
                services.add_membership(s, actor=u, user=u, contest=c, role=StaffRole(role))
            s.commit()
            u.password = password  # for the login helper; never stored
            return u

    def contest(self, *, slug=None, preset="local", state="draft", **settings):
        from contest import services

        self.n += 1
        now = datetime.now(UTC)
        with self._session() as s:
            actor = services.first_admin(s) or services.create_user(
                s,
                email=f"factory-admin{self.n}@example.vn",
                full_name="Admin",
                password="mat-khau-dai-1",
                is_admin=True,
            )
            c = services.create_contest(
                s,
                actor=actor,
                preset=preset,
                settings={
                    "slug": slug or f"cuoc-thi-{self.n}",
                    "title": f"Cuộc thi chính luận {self.n}",
                    "opens_at": now - timedelta(days=1),
                    "closes_at": now + timedelta(days=10),
                    **settings,
                },
            )
            path = {
                "draft": [],
                "open": ["open"],
                "closed": ["open", "closed"],
                "judging": ["open", "closed", "judging"],
                "finalised": ["open", "closed", "judging", "finalised"],
            }[state]
            for target in path:
                services.transition_contest(s, actor=actor, contest=c, target=target)
            s.commit()
            return c

    def entry(
        self,
        contest,
        *,
        owner=None,
        category=0,
        title=None,
        text=None,
        seed=None,
        syllables=1500,
        authors=None,
        pen_name="",
        submit=True,
        filename="bai.txt",
    ):
        """An entry created through the service (draft, then submitted unless submit=False)."""
        import random

        from contest import entries
        from contest.essaygen import essay, person
        from contest.models import Category, Contest, User
        from contest.storage import FileStore

        self.n += 1
        rng = random.Random(seed if seed is not None else self.n)
        body = text if text is not None else essay(rng, syllables=syllables)
        if authors is None:
            p = person(rng)
            authors = [
                entries.AuthorInput(
                    full_name=p["full_name"],
                    birth_date=datetime.fromisoformat(p["birth_date"]).date(),
                    position=p["position"],
                    unit=p["unit"],
                    address=p["address"],
                    phone=p["phone"],
                    email=p["email"],
                    id_number=p["id_number"],
                )
            ]
        with self._session() as s:
            c = s.get(Contest, contest.id)
            cat = (
                c.categories[category]
                if isinstance(category, int)
                else s.get(Category, category.id)
            )
            o = s.get(User, owner.id) if owner is not None else None
            e = entries.create_entry(
                s,
                vault=self.app.extensions["vault"],
                store=FileStore(self.app.config["UPLOAD_DIR"]),
                contest=c,
                category=cat,
                owner=o,
                title=title or f"Tác phẩm số {self.n}",
                pen_name=pen_name,
                authors=authors,
                document=entries.Upload(body.encode("utf-8"), filename),
                source="web" if o else "import",
                check_deadline=False,
            )
            if submit:
                entries.confirm_entry(s, entry=e, actor=o)
            s.commit()
            e.authors_input = authors
            return e


@pytest.fixture
def factory(app) -> Factory:
    return Factory(app)


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


@pytest.fixture
def login(client):
    def _login(user, password=None):
        token = csrf_token(client)
        resp = client.post(
            "/login",
            data={"email": user.email, "password": password or user.password, "csrf_token": token},
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp

    return _login


def pytest_terminal_summary(terminalreporter):
    """One line per distinct skip reason (e.g. PostgreSQL or Chromium missing), with a count."""
    reasons: dict[str, int] = {}
    for rep in terminalreporter.stats.get("skipped", []):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, n in sorted(reasons.items()):
        terminalreporter.write_line(f"skipped {n}: {reason}")
