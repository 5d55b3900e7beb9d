"""Security: CSRF on every state-changing route, XSS payloads rendered inert, session cookie
flags. (Access by role is tests/test_access.py; anonymity is tests/judging/test_anonymity.py.)"""

from __future__ import annotations

from flask import url_for

from contest.entries import AuthorInput
from tests.conftest import csrf_token

PAYLOADS = ('<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)")


def test_every_post_route_refuses_a_missing_csrf_token(app, client, factory, login):
    """Signed in as an administrator (who may do almost everything), every POST without the
    token is refused with 400 before the view runs."""
    admin = factory.user(email="qt@example.vn", admin=True)
    login(admin)
    values = {
        "slug": "x",
        "position": 1,
        "code": "CL-XXXX",
        "receipt": "BN-XXXX-XXXX",
        "entry_id": 1,
        "membership_id": 1,
        "score_id": 1,
        "assignment_id": 1,
        "seat_id": 1,
        "ref_id": 1,
        "job_id": 1,
        "token": "t",
    }
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        resp = client.post(url, data={"anything": "1"})
        assert resp.status_code == 400, (rule.endpoint, resp.status_code)
        assert "Biểu mẫu đã hết hạn" in resp.get_data(as_text=True)
        checked += 1
    assert checked >= 30


def _assert_inert(body: str) -> None:
    assert "<script>alert" not in body
    assert "<img src=x onerror" not in body
    assert 'href="javascript:' not in body


def test_xss_payloads_in_titles_texts_names_and_file_names_are_inert(
    app, client, factory, login, session
):
    from contest import entries, services

    contest = factory.contest(slug="xss", state="open", title=PAYLOADS[0] + " cuộc thi")
    author = AuthorInput(full_name=PAYLOADS[1], unit=PAYLOADS[0], email="a@example.vn")
    body = f"{PAYLOADS[0]}\n\n{PAYLOADS[1]}\n\n" + " ".join(
        ["Bảo vệ nền tảng tư tưởng của Đảng."] * 300
    )
    owner = factory.user(email="ts@example.vn", name=PAYLOADS[1])
    e = factory.entry(
        contest,
        owner=owner,
        text=body,
        title=PAYLOADS[0],
        authors=[author],
        pen_name=PAYLOADS[2],
        filename=PAYLOADS[1] + ".txt",
    )
    admin = factory.user(email="qt@example.vn", admin=True, name=PAYLOADS[0])
    with app.extensions["db_session_factory"]() as s:
        c = services.get_contest(s, "xss")
        entries.release_entries(s, vault=app.extensions["vault"], contest=c, actor=None)
        s.commit()
    login(admin)
    pages = [
        "/",
        "/contests/xss",
        "/admin/",
        "/admin/users",
        "/admin/contests/xss",
        "/admin/audit",
        "/manage/xss/",
        "/manage/xss/entries",
        f"/manage/xss/entries/{e.id}",
        f"/manage/xss/entries/{e.id}?identity=1",
        f"/manage/xss/entries/{e.id}/redactions",
    ]
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        _assert_inert(html)
    detail = client.get(f"/manage/xss/entries/{e.id}?identity=1").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail  # shown, escaped
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(owner)
    for path in (f"/entries/{e.receipt_no}", f"/entries/{e.receipt_no}/receipt", "/my/entries"):
        html = client.get(path).get_data(as_text=True)
        _assert_inert(html)
        assert "&lt;script&gt;" in html


def test_session_cookie_flags(app, client, factory, login):
    u = factory.user()
    resp = login(u)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_passwords_are_argon2id_and_never_stored_plain(app, factory, session):
    from sqlalchemy import text

    factory.user(email="pw@example.vn", password="mat-khau-rat-bi-mat")
    rows = session.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert rows and all(h.startswith("$argon2id$") for h in rows)
    assert all("mat-khau-rat-bi-mat" not in h for h in rows)
