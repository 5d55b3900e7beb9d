"""The anonymity boundary: every judge-facing page and answer, walked with a seeded author
identity (in the form, in the text, in the file name, in the document's metadata and header),
carries none of it."""

from __future__ import annotations

import io

from flask import url_for

from contest.vntext import strip_diacritics
from tests.conftest import csrf_token
from tests.contest.docfactory import make_docx

IDENTITY = {
    "full_name": "Hoàng Thị Bí Mật",
    "birth_date": "1985-02-03",
    "position": "Trưởng phòng Tuyên truyền",
    "unit": "Sở Văn hóa tỉnh Quảng Trị",
    "address": "Số 99 đường Lê Duẩn, thành phố Đông Hà",
    "phone": "0905 111 222",
    "email": "bimat.hoang@example.vn",
    "id_number": "045185000777",
}
PEN_NAME = "Sương Mù Xứ Quảng"
FILE_NAME = "Hoang-Thi-Bi-Mat-bai-du-thi.docx"


def _forbidden() -> list[str]:
    out = [
        PEN_NAME,
        FILE_NAME,
        "Hoang-Thi-Bi-Mat",
        *[v for k, v in IDENTITY.items() if k != "birth_date"],
        "0905111222",
        "Bí Mật",
    ]
    more = []
    for s in out:
        more += [s.upper(), strip_diacritics(s), strip_diacritics(s).upper()]
    return out + more


def _submit_seeded_entry(app, client, factory):
    import random

    from contest import entries, services
    from contest.essaygen import essay

    contestant = factory.user(email=IDENTITY["email"], name=IDENTITY["full_name"])
    client.post(
        "/login",
        data={
            "email": contestant.email,
            "password": contestant.password,
            "csrf_token": csrf_token(client),
        },
    )
    body = [p for p in essay(random.Random(5), syllables=1500).split("\n\n") if p]
    body.insert(
        1,
        f"Tôi là {IDENTITY['full_name']}, công tác tại {IDENTITY['unit']}, điện thoại {IDENTITY['phone']}.",
    )
    doc = make_docx(
        body,
        header=f"Tác giả: {IDENTITY['full_name']}",
        core={"author": IDENTITY["full_name"], "title": PEN_NAME},
    )
    page = client.get("/contests/cham-thi/submit").get_data(as_text=True)
    import re

    token = re.search(r'name="form_token" type="hidden" value="([^"]*)"', page).group(1)
    data = {
        "csrf_token": csrf_token(client, "/contests/cham-thi/submit"),
        "form_token": token,
        "title": "Kiên định con đường đã chọn",
        "category": str(1),
        "pen_name": PEN_NAME,
        "declaration": "y",
        "submit": "1",
        "document": (io.BytesIO(doc), FILE_NAME),
    }
    with app.extensions["db_session_factory"]() as s:
        c = services.get_contest(s, "cham-thi")
        data["category"] = str(c.categories[0].id)
    for k, v in IDENTITY.items():
        data[f"authors-0-{k}"] = v
    r = client.post("/contests/cham-thi/submit", data=data, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    receipt = r.headers["Location"].rsplit("/", 1)[-1]
    client.post(
        f"/entries/{receipt}/confirm",
        data={"csrf_token": csrf_token(client, f"/entries/{receipt}")},
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with app.extensions["db_session_factory"]() as s:
        c = services.get_contest(s, "cham-thi")
        from contest.models import User

        entries.release_entries(
            s, vault=app.extensions["vault"], contest=c, actor=s.get(User, factory_admin_id(s))
        )
        s.commit()


def factory_admin_id(session):
    from contest.services import first_admin

    return first_admin(session).id


def test_every_judge_route_is_free_of_identity(app, client, factory):
    from contest import services
    from judging import services as js
    from tests.judging.conftest import World

    world = World(app, factory, n_entries=0, n_judges=2)
    _submit_seeded_entry(app, client, factory)
    with world.session() as s:
        c = services.get_contest(s, "cham-thi")
        rnd = js.get_round(s, c, 1)
        js.set_round_state(s, rnd=rnd, actor=None, state="open")
        preview = js.apply_assignments(s, rnd=rnd, actor=None, seed=1)
        assert preview.plan is not None
        s.commit()
    code = world.assignments()[0][2]
    judge_id = world.assignments()[0][1]
    from contest.models import User

    with world.session() as s:
        email = s.get(User, judge_id).email
    client.post(
        "/login",
        data={"email": email, "password": "mat-khau-dai-1", "csrf_token": csrf_token(client)},
    )

    values = {"slug": "cham-thi", "position": 1, "code": code}
    pages = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("judge.") or "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        pages.append((url, resp.get_data(as_text=True)))
    assert len(pages) >= 4  # judge home, round home, reading page, conflicts
    # the JSON answers of autosave and submit too
    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        crit = [(c.id, c.max_points) for c in rnd.criteria]
    page = f"/judge/cham-thi/round/1/entries/{code}"
    draft = client.post(
        f"{page}/draft",
        data={"csrf_token": csrf_token(client, page), f"points-{crit[0][0]}": "5"},
        headers={"Accept": "application/json"},
    )
    pages.append(("draft", draft.get_data(as_text=True)))
    reading = dict(pages)[page]
    assert "[họ tên]" in reading  # the name in the text was redacted
    for url, body in pages:
        for secret in _forbidden():
            assert secret not in body, (url, secret)


def test_the_reading_page_cannot_reach_the_original_text_or_title(world):
    """Defence in depth behind the page walk above: the judge's reading loads only the
    anonymised columns of the entry, and touching the others raises instead of loading."""
    import pytest
    from sqlalchemy.exc import InvalidRequestError

    from contest.models import User
    from judging import services as js

    world.open_and_assign()
    judge_id = world.judges[0]
    code = next(c for _e, j, c in world.assignments() if j == judge_id)
    with world.session() as s:
        r = js.reading(
            s, slug="cham-thi", position=1, judge=s.get(User, judge_id), code=code, with_entry=True
        )
        entry = r.assignment.entry
        assert entry.secret_code == code and entry.redacted_text and entry.category.name
        for hidden in ("text", "title", "sealed", "author_signals"):
            with pytest.raises(InvalidRequestError):
                getattr(entry, hidden)
