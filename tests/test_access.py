"""Every route, tried as every role and anonymously. A new route fails this test until its
expected access is written into EXPECTED, so no page can be added without deciding who sees it."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token

ROLES = ("anonymous", "contestant", "judge", "secretary", "admin")
LOGIN = "login"  # anonymous users are sent to the sign-in page
OK, FORBIDDEN = "ok", 403

# endpoint -> (method, {role: expectation}); "ok" means any 2xx/3xx that is not the login page.
ALL_OK = dict.fromkeys(ROLES, OK)
SIGNED_IN = {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], OK)}
ADMIN_ONLY = {
    "anonymous": LOGIN,
    "contestant": FORBIDDEN,
    "judge": FORBIDDEN,
    "secretary": FORBIDDEN,
    "admin": OK,
}
BACK_OFFICE = {**ADMIN_ONLY, "secretary": OK}
JUDGE_ONLY = {**ADMIN_ONLY, "judge": OK, "admin": FORBIDDEN}
OWNER_ONLY = {**ADMIN_ONLY, "contestant": OK, "admin": FORBIDDEN}
OWNER_OR_BACK_OFFICE = {**BACK_OFFICE, "contestant": OK}

EXPECTED: dict[str, tuple[str, dict[str, object]]] = {
    "public.home": ("GET", ALL_OK),
    "public.contest_page": ("GET", ALL_OK),
    "public.set_language": ("POST", ALL_OK),
    "auth.login": ("GET", ALL_OK),
    "auth.register": ("GET", ALL_OK),
    "auth.logout": ("POST", SIGNED_IN),
    "auth.password": ("GET", SIGNED_IN),
    "admin.dashboard": ("GET", BACK_OFFICE),
    "admin.users": ("GET", ADMIN_ONLY),
    "admin.contest_new": ("GET", ADMIN_ONLY),
    "admin.contest_detail": ("GET", BACK_OFFICE),
    "admin.contest_edit": ("GET", ADMIN_ONLY),
    "admin.contest_state": ("POST", ADMIN_ONLY),
    "admin.contest_rubric": ("GET", ADMIN_ONLY),
    "admin.contest_categories": ("GET", ADMIN_ONLY),
    "admin.contest_add_member": ("POST", ADMIN_ONLY),
    "admin.contest_remove_member": ("POST", ADMIN_ONLY),
    "admin.audit": ("GET", ADMIN_ONLY),
    "entries.new_entry": ("GET", {**SIGNED_IN, "judge": FORBIDDEN, "secretary": FORBIDDEN}),
    "entries.mine": ("GET", SIGNED_IN),
    "entries.show": ("GET", OWNER_OR_BACK_OFFICE),
    "entries.receipt": ("GET", OWNER_OR_BACK_OFFICE),
    "entries.confirm": ("POST", OWNER_ONLY),
    "entries.replace_file": ("POST", OWNER_ONLY),
    "entries.edit": ("GET", OWNER_ONLY),
    "entries.withdraw": ("POST", OWNER_ONLY),
    "secretariat.overview": ("GET", BACK_OFFICE),
    "secretariat.entry_list": ("GET", BACK_OFFICE),
    "secretariat.entry_detail": ("GET", BACK_OFFICE),
    "secretariat.redactions": ("GET", BACK_OFFICE),
    "secretariat.release": ("POST", BACK_OFFICE),
    "secretariat.disqualify": ("POST", BACK_OFFICE),
    "secretariat.import_template": ("GET", BACK_OFFICE),
    "secretariat.import_batch": ("GET", BACK_OFFICE),
    "secretariat.import_confirm": ("POST", BACK_OFFICE),
    "auth.login_link": ("GET", dict.fromkeys(ROLES, LOGIN)),  # an invalid link goes to sign-in
    "auth.password_set": ("GET", SIGNED_IN),
    "judge.home": ("GET", SIGNED_IN),
    "judge.round_home": ("GET", JUDGE_ONLY),
    "judge.conflicts": ("GET", JUDGE_ONLY),
    "judge.read": ("GET", JUDGE_ONLY),
    "judge.save_draft": ("POST", JUDGE_ONLY),
    "judge.submit": ("POST", JUDGE_ONLY),
    "judge.ask_reopen": ("POST", JUDGE_ONLY),
    "judge.recuse": ("POST", JUDGE_ONLY),
    "manage_judging.rounds": ("GET", BACK_OFFICE),
    "manage_judging.round_settings": ("GET", BACK_OFFICE),
    "manage_judging.round_rubric": ("GET", BACK_OFFICE),
    "manage_judging.judges": ("GET", BACK_OFFICE),
    "manage_judging.assign": ("GET", BACK_OFFICE),
    "manage_judging.progress": ("GET", BACK_OFFICE),
    "manage_judging.reassign": ("POST", BACK_OFFICE),
    "manage_judging.reopen": ("POST", BACK_OFFICE),
    "manage_judging.override": ("POST", BACK_OFFICE),
    "results.overview": ("GET", BACK_OFFICE),
    "results.extra_reading": ("POST", BACK_OFFICE),
    "results.allocate": ("POST", BACK_OFFICE),
    "results.adjust": ("POST", BACK_OFFICE),
    "results.finalise": ("POST", ADMIN_ONLY),
    "results.reveal": ("POST", ADMIN_ONLY),
    "results.advance": ("GET", BACK_OFFICE),
    "results.statistics": ("GET", BACK_OFFICE),
    "results.printable": ("GET", BACK_OFFICE),
    "results.export_xlsx": ("GET", BACK_OFFICE),
    "results.export_csv": ("GET", BACK_OFFICE),
    "screening.index": ("GET", BACK_OFFICE),
    "screening.start_scan": ("POST", BACK_OFFICE),
    "screening.job_status": ("GET", BACK_OFFICE),
    "screening.add_reference": ("POST", BACK_OFFICE),
    "screening.delete_reference": ("POST", BACK_OFFICE),
    "screening.review": ("GET", BACK_OFFICE),
    "screening.decide": ("POST", BACK_OFFICE),
}


def test_every_route_has_an_expectation(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}
    missing = endpoints - set(EXPECTED)
    assert not missing, f"routes without an access expectation: {sorted(missing)}"


@pytest.fixture
def world(factory):
    contest = factory.contest(slug="quyen", state="open")
    users = {
        "contestant": factory.user(email="ts@example.vn"),
        "judge": factory.user(email="gk@example.vn", roles=[("quyen", "judge")]),
        "secretary": factory.user(email="tk@example.vn", roles=[("quyen", "secretary")]),
        "admin": factory.user(email="qt@example.vn", admin=True),
    }
    users["entry"] = factory.entry(contest, owner=users["contestant"])
    _judging_world(factory, contest, users)
    return contest, users


def _judging_world(factory, contest, users):
    """Release the entry, create the rounds, seat the judge, assign: every route has a target."""
    from contest import entries, services
    from contest.models import User
    from judging import services as js
    from judging.models import Assignment, Score

    app = factory.app
    with app.extensions["db_session_factory"]() as s:
        c = services.get_contest(s, contest.slug)
        admin = s.get(User, users["admin"].id)
        entries.release_entries(s, vault=app.extensions["vault"], contest=c, actor=admin)
        rnd = js.ensure_default_rounds(s, contest=c, actor=admin)[0]
        rnd.readings = 1
        js.invite_judge(s, rnd=rnd, actor=admin, email=users["judge"].email, full_name="GK")
        js.set_round_state(s, rnd=rnd, actor=admin, state="open")
        js.apply_assignments(s, rnd=rnd, actor=admin)
        a = s.query(Assignment).one()
        s.add(Score(assignment=a, points={}, comment=""))
        s.commit()
        users["code"] = a.entry.secret_code
        users["assignment_id"] = a.id
        users["score_id"] = a.score.id
        users["seat_id"] = rnd.seats[0].id
        from contest.models import Job, ReferenceText

        ref = ReferenceText(contest_id=c.id, name="Bài gốc", text="Nội dung bài gốc.", words=4)
        job = Job(contest_id=c.id, kind="similarity_scan", state="done")
        s.add_all([ref, job])
        s.commit()
        users["ref_id"], users["job_id"] = ref.id, job.id


def _url(app, endpoint, contest, session, entry=None, users=None):
    from contest.models import Membership

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    if "slug" in rule.arguments:
        values["slug"] = contest.slug
    extra = {
        "position": 1,
        "code": (users or {}).get("code"),
        "token": "not-a-valid-token",
        "score_id": (users or {}).get("score_id"),
        "assignment_id": (users or {}).get("assignment_id"),
        "seat_id": (users or {}).get("seat_id"),
        "ref_id": (users or {}).get("ref_id"),
        "job_id": (users or {}).get("job_id"),
    }
    for k, v in extra.items():
        if k in rule.arguments:
            values[k] = v
    if "entry_id" in rule.arguments:
        values["entry_id"] = entry.id
    if "receipt" in rule.arguments:
        values["receipt"] = entry.receipt_no
    if "membership_id" in rule.arguments:
        values["membership_id"] = (
            session.query(Membership).filter_by(contest_id=contest.id).first().id
        )
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


@pytest.mark.parametrize("role", ROLES)
def test_route_access_by_role(app, client, world, session, role):
    contest, users = world
    if role != "anonymous":
        u = users[role]
        r = client.post(
            "/login",
            data={"email": u.email, "password": u.password, "csrf_token": csrf_token(client)},
        )
        assert r.status_code == 302
    failures = []
    for endpoint, (method, table) in EXPECTED.items():
        if endpoint == "entries.withdraw":
            continue  # checked last: it ends the entry's editable life
        if endpoint == "screening.start_scan" and table[role] == OK:
            continue  # allowed roles would start a background scan; tests/contest/test_screening does that
        expect = table[role]
        url = _url(app, endpoint, contest, session, users["entry"], users)
        if method == "GET":
            resp = client.get(url)
        else:
            resp = client.post(url, data={"csrf_token": csrf_token(client, "/")})
        location = resp.headers.get("Location", "")
        if expect == LOGIN:
            ok = resp.status_code in (302, 303) and location.startswith("/login")
        elif expect == FORBIDDEN:
            ok = resp.status_code == 403
        else:
            ok = (
                resp.status_code < 500
                and resp.status_code != 403
                and not location.startswith("/login")
            )
        if not ok:
            failures.append(
                f"{role} {method} {url}: {resp.status_code} {location} (expected {expect})"
            )
        if endpoint == "auth.logout" and role != "anonymous":
            u = users[role]
            client.post(
                "/login",
                data={"email": u.email, "password": u.password, "csrf_token": csrf_token(client)},
            )
    method, table = EXPECTED["entries.withdraw"]
    url = _url(app, "entries.withdraw", contest, session, users["entry"], users)
    resp = client.post(url, data={"csrf_token": csrf_token(client, "/")})
    expect = table[role]
    code, location = resp.status_code, resp.headers.get("Location", "")
    if (expect == LOGIN and not location.startswith("/login")) or (
        expect == FORBIDDEN and code != 403
    ):
        failures.append(f"{role} POST {url}: {code} (expected {expect})")
    assert not failures, "\n".join(failures)


def test_draft_contest_hidden_from_public(client, factory):
    factory.contest(slug="nhap", state="draft")
    assert client.get("/contests/nhap").status_code == 404


def test_secretary_of_other_contest_gets_403(client, factory, login):
    factory.contest(slug="mot", state="open")
    factory.contest(slug="hai", state="open")
    u = factory.user(email="tk2@example.vn", roles=[("mot", "secretary")])
    login(u)
    assert client.get("/admin/contests/mot").status_code == 200
    assert client.get("/admin/contests/hai").status_code == 403
