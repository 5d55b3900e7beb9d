"""The app factory, configuration, request boundary, security headers and error pages."""

from __future__ import annotations

import stat

import pytest

from contest.db import normalise_url
from contest.models import AuditEvent
from tests.conftest import csrf_token


def test_normalise_url_postgres_uses_psycopg3():
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_generated_once_into_instance(tmp_path, sqlite_template, monkeypatch):
    from app import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    inst = tmp_path / "inst"
    cfg = {"INSTANCE_PATH": str(inst), "DATABASE_URL": f"sqlite:///{sqlite_template}"}
    first = create_app(cfg).config["SECRET_KEY"]
    second = create_app(cfg).config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 40
    mode = stat.S_IMODE((inst / "secret_key").stat().st_mode)
    assert mode == 0o600
    # the identity vault's key is created beside it, never in the database
    assert stat.S_IMODE((inst / "vault.key").stat().st_mode) == 0o600


def test_security_headers_on_every_page(client):
    resp = client.get("/")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(client):
    for path in ("/", "/login", "/register"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html
        assert "onclick=" not in html and "style=" not in html


def test_404_is_vietnamese_by_default_without_traceback(client):
    resp = client.get("/khong-co-trang-nay")
    assert resp.status_code == 404
    body = resp.get_data(as_text=True)
    assert "Không tìm thấy trang" in body
    assert "Traceback" not in body


def test_404_in_english_when_chosen(client):
    token = csrf_token(client, "/")
    resp = client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    assert resp.status_code == 302
    assert "lang=en" in resp.headers["Set-Cookie"]
    body = client.get("/khong-co").get_data(as_text=True)
    assert "Page not found" in body
    assert client.get("/").headers["Content-Language"] == "en"


def test_language_switch_refuses_external_next(client):
    token = csrf_token(client, "/")
    resp = client.post(
        "/language", data={"lang": "en", "next": "https://evil.example/", "csrf_token": token}
    )
    assert resp.headers["Location"] == "/"


def test_413_for_oversized_request(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    token = csrf_token(client)
    resp = client.post("/login", data={"email": "x" * 5000, "password": "p", "csrf_token": token})
    assert resp.status_code == 413
    body = resp.get_data(as_text=True)
    assert "quá lớn" in body
    assert "Traceback" not in body


def test_missing_csrf_token_is_400_and_changes_nothing(client, session):
    before = session.query(AuditEvent).count()
    resp = client.post(
        "/register",
        data={
            "full_name": "A",
            "email": "a@example.vn",
            "password": "mat-khau-dai-1",
            "password2": "mat-khau-dai-1",
        },
    )
    assert resp.status_code == 400
    assert "Biểu mẫu đã hết hạn" in resp.get_data(as_text=True)
    assert session.query(AuditEvent).count() == before


def test_unexpected_error_is_500_page_and_rolls_back(app, client, session):
    from contest.models import User
    from contest.web import db

    @app.get("/boom-test")
    def boom():
        from contest import services

        services.create_user(
            db(), email="ghost@example.vn", full_name="Ghost", password="mat-khau-dai-1"
        )
        raise RuntimeError("boom")

    resp = client.get("/boom-test")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert "Hệ thống gặp lỗi" in body and "Traceback" not in body and "RuntimeError" not in body
    assert session.query(User).filter_by(email="ghost@example.vn").count() == 0


def test_database_down_gives_503_try_again(app, client):
    from sqlalchemy.exc import OperationalError

    @app.get("/db-down-test")
    def down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    resp = client.get("/db-down-test")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    assert "thử lại" in resp.get_data(as_text=True)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_pages_exist_in_both_languages(app, code):
    from contest.web import render_error

    for lang, expect in (("vi", 'lang="vi"'), ("en", 'lang="en"')):
        with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            body, status = render_error(code)
            assert status == code
            assert expect in body


def _terminate_the_pool_connection(engine) -> None:
    """End, from the server side, the one connection the app's pool holds (as a restart of
    PostgreSQL would)."""
    import psycopg
    from sqlalchemy import text

    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    libpq = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def _pg_app(tmp_path, url, **config):
    from app import create_app
    from tests.conftest import _truncate_postgres

    _truncate_postgres(url)
    return create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "RATELIMIT_STORAGE_URI": "memory://",
            **config,
        }
    )


def test_a_dropped_database_connection_costs_one_request_then_recovers(tmp_path, postgres_url):
    """The engine does not ping before every checkout (one round trip less per request): a
    connection in steady use that the server drops fails its first statement, that request
    answers 503 "try again", the pool is discarded and the next request works."""
    app = _pg_app(tmp_path, postgres_url)
    engine = app.extensions["db_engine"]
    try:
        client = app.test_client()
        assert client.get("/").status_code == 200
        _terminate_the_pool_connection(engine)
        first = client.get("/")
        # the dead connection is found by the first statement, not by a ping
        assert first.status_code == 503, first.status_code
        assert first.headers["Retry-After"] == "5"
        for _ in range(3):
            assert client.get("/").status_code == 200
    finally:
        engine.dispose()


def test_a_connection_idle_past_the_threshold_is_pinged_and_replaced(tmp_path, postgres_url):
    """After a quiet spell (here: any idle time) the connection is pinged at checkout, so a
    database restart during the quiet costs no request at all."""
    app = _pg_app(tmp_path, postgres_url, DB_IDLE_PING_SECONDS=0)
    engine = app.extensions["db_engine"]
    try:
        client = app.test_client()
        assert client.get("/").status_code == 200
        _terminate_the_pool_connection(engine)
        assert client.get("/").status_code == 200
    finally:
        engine.dispose()
