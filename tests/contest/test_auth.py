"""Accounts: registration, sign-in, throttling, redirects, sessions, password hashing."""

from __future__ import annotations

from contest.auth import safe_next
from contest.models import User
from contest.services import email_index, find_user
from tests.conftest import csrf_token


def _register(client, **over):
    data = {
        "full_name": "Nguyễn Văn An",
        "email": "an@example.vn",
        "password": "mat-khau-dai-1",
        "password2": "mat-khau-dai-1",
        "csrf_token": csrf_token(client, "/register"),
    }
    data.update(over)
    return client.post("/register", data=data)


def test_register_creates_contestant_with_argon2_hash(client, session):
    resp = _register(client)
    assert resp.status_code == 302
    user = find_user(session, "an@example.vn")
    assert user.full_name == "Nguyễn Văn An"
    assert user.password_hash.startswith("$argon2id$")
    assert "mat-khau-dai-1" not in user.password_hash
    assert not user.is_admin and not user.memberships


def test_register_duplicate_email_is_refused_in_form(client, factory, session):
    factory.user(email="an@example.vn")
    resp = _register(client, email="AN@example.vn")
    assert resp.status_code == 400
    assert "Đã có tài khoản với e-mail này" in resp.get_data(as_text=True)
    assert (
        session.query(User)
        .filter(User.email_index == email_index(session, "an@example.vn"))
        .count()
        == 1
    )


def test_register_password_mismatch_and_short(client, session):
    resp = _register(client, password="ngan", password2="khac")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Mật khẩu cần ít nhất 10 ký tự" in body
    assert "Hai mật khẩu không khớp" in body
    assert session.query(User).count() == 0


def test_login_wrong_password_is_400_with_message(client, factory):
    u = factory.user()
    resp = client.post(
        "/login",
        data={"email": u.email, "password": "sai-mat-khau", "csrf_token": csrf_token(client)},
    )
    assert resp.status_code == 400
    assert "Sai e-mail hoặc mật khẩu" in resp.get_data(as_text=True)


def test_login_sets_httponly_samesite_cookie_and_redirects_to_safe_next(client, factory):
    u = factory.user()
    resp = client.post(
        "/login",
        data={
            "email": u.email,
            "password": u.password,
            "next": "/admin/",
            "csrf_token": csrf_token(client),
        },
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_ignores_external_next(client, factory):
    u = factory.user()
    for evil in (
        "https://evil.example/x",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        resp = client.post(
            "/login",
            data={
                "email": u.email,
                "password": u.password,
                "next": evil,
                "csrf_token": csrf_token(client),
            },
        )
        assert resp.headers["Location"] == "/", evil
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_safe_next_rules():
    assert safe_next("/contests/x?y=1") == "/contests/x?y=1"
    assert safe_next("http://a/b") is None
    assert safe_next("//a/b") is None
    assert safe_next("\\\\a/b") is None
    assert safe_next("a/b") is None
    assert safe_next("/a\nb") is None
    assert safe_next(None) is None


def test_login_throttled_after_limit_with_clear_message(app, client, factory):
    app.config["LOGIN_LIMIT"] = "3 per minute"
    u = factory.user()
    codes = []
    for _ in range(4):
        r = client.post(
            "/login", data={"email": u.email, "password": "sai", "csrf_token": csrf_token(client)}
        )
        codes.append(r.status_code)
    assert codes == [400, 400, 400, 429]
    body = r.get_data(as_text=True)
    assert "Thử quá nhiều lần" in body and "chờ một phút" in body


def test_session_is_renewed_on_login(client, factory):
    u = factory.user()
    with client.session_transaction() as s:
        s["planted"] = "by-attacker"
    client.post(
        "/login", data={"email": u.email, "password": u.password, "csrf_token": csrf_token(client)}
    )
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"] == f"{u.id}:1"


def test_password_change_signs_out_other_sessions(app, factory, login, client):
    u = factory.user()
    other = app.test_client()
    other.post(
        "/login", data={"email": u.email, "password": u.password, "csrf_token": csrf_token(other)}
    )
    assert other.get("/account/password").status_code == 200
    login(u)
    resp = client.post(
        "/account/password",
        data={
            "current": u.password,
            "new": "mat-khau-moi-2",
            "new2": "mat-khau-moi-2",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert resp.status_code == 302
    assert other.get("/account/password").status_code == 302  # back to login
    assert client.get("/account/password").status_code == 200  # this one stays signed in


def test_first_login_with_one_time_password_asks_for_a_new_one(app, client, runner):
    result = runner.invoke(args=["ensure-admin"])
    password = result.output.split("One-time password: ")[1].split()[0]
    resp = client.post(
        "/login",
        data={"email": "admin@localhost", "password": password, "csrf_token": csrf_token(client)},
    )
    assert resp.headers["Location"] == "/account/password"


def test_logout_requires_post_with_csrf(client, factory, login):
    u = factory.user()
    login(u)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
