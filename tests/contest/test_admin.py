"""The administrator sets up contests: presets, settings, rubric, categories, states, staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from contest.models import AuditEvent, Contest, ContestState, Membership, User
from contest.services import email_index, find_user
from tests.conftest import csrf_token


@pytest.fixture
def admin(factory, login):
    u = factory.user(email="admin@example.vn", admin=True)
    login(u)
    return u


def _contest_form(client, path="/admin/contests/new", **over):
    data = {
        "preset": "national",
        "slug": "chinh-luan-2025",
        "title": "Cuộc thi chính luận tỉnh 2025",
        "description": "Mô tả",
        "rules": "Thể lệ",
        "opens_at": "2025-03-01T08:00",
        "closes_at": "2025-06-30T17:00",
        "min_words": "1000",
        "max_words": "5000",
        "allowed_file_types": ["docx", "pdf"],
        "max_file_mb": "20",
        "max_entries_per_author": "2",
        "max_media_entries_per_author": "3",
        "max_coauthors": "2",
        "max_media_coauthors": "3",
        "csrf_token": csrf_token(client, path),
    }
    data.update(over)
    return client.post(path, data=data)


def test_create_contest_from_national_preset(client, admin, session):
    resp = _contest_form(client)
    assert resp.status_code == 302
    c = session.scalar(select(Contest).where(Contest.slug == "chinh-luan-2025"))
    assert c.state == ContestState.draft
    assert [x.name for x in c.categories] == [
        "Tạp chí",
        "Báo (in, điện tử)",
        "Phát thanh",
        "Truyền hình",
        "Video clip",
    ]
    assert c.categories[0].overlap_threshold == 0.20
    assert c.categories[1].overlap_threshold == 0.25
    assert c.categories[0].prize_quotas == [["A", 3], ["B", 6], ["C", 10], ["KK", 20]]
    assert c.categories[4].prize_quotas == [["A", 1], ["B", 2], ["C", 3], ["KK", 6]]
    assert [(x.max_points, x.weight) for x in c.criteria] == [
        (25, 1),
        (25, 1),
        (20, 1),
        (20, 1),
        (10, 1),
    ]
    # Vietnam time 08:00 is 01:00 UTC
    assert c.opens_at.isoformat() == "2025-03-01T01:00:00+00:00"
    assert c.allowed_file_types == ["docx", "pdf"]
    ev = session.scalar(select(AuditEvent).where(AuditEvent.action == "contest.create"))
    assert ev.after["slug"] == "chinh-luan-2025" and ev.after["preset"] == "national"


def test_create_contest_shows_in_admin_list(client, admin):
    _contest_form(client)
    body = client.get("/admin/").get_data(as_text=True)
    assert "Cuộc thi chính luận tỉnh 2025" in body


def test_closing_before_opening_is_refused_and_nothing_stored(client, admin, session):
    resp = _contest_form(client, closes_at="2025-02-01T08:00")
    assert resp.status_code == 400
    assert "Thời hạn nhận bài phải sau thời điểm mở cuộc thi" in resp.get_data(as_text=True)
    assert session.query(Contest).count() == 0


def test_invalid_date_text_is_refused(client, admin, session):
    resp = _contest_form(client, opens_at="31/02/2025")
    assert resp.status_code == 400
    assert session.query(Contest).count() == 0


def test_word_limits_and_slug_checked(client, admin, session):
    resp = _contest_form(client, min_words="5000", max_words="1000", slug="Có Dấu!")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Số chữ tối đa (1000) phải lớn hơn số chữ tối thiểu (5000)" in body
    assert "Mã rút gọn chỉ gồm chữ thường" in body


def test_duplicate_slug_refused(client, admin, factory, session):
    factory.contest(slug="chinh-luan-2025")
    resp = _contest_form(client)
    assert resp.status_code == 400
    assert "đã được dùng" in resp.get_data(as_text=True)
    assert session.query(Contest).count() == 1


def test_edit_contest_records_diff_in_audit(client, admin, factory, session):
    c = factory.contest(slug="sua-thu")
    page = client.get("/admin/contests/sua-thu/edit").get_data(as_text=True)
    assert f'name="version" type="hidden" value="{c.version}"' in page
    resp = _contest_form(
        client,
        path="/admin/contests/sua-thu/edit",
        slug="sua-thu",
        title="Tên mới",
        version=str(c.version),
    )
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(Contest, c.id).title == "Tên mới"
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "contest.update")).one()
    assert ev.before["title"] == c.title and ev.after["title"] == "Tên mới"


def test_edit_with_stale_version_is_409_and_keeps_newer(client, admin, factory, session):
    c = factory.contest(slug="hai-tab")
    resp = _contest_form(
        client,
        path="/admin/contests/hai-tab/edit",
        slug="hai-tab",
        title="Tab 1",
        version=str(c.version),
    )
    assert resp.status_code == 302
    resp = _contest_form(
        client,
        path="/admin/contests/hai-tab/edit",
        slug="hai-tab",
        title="Tab 2",
        version=str(c.version),
    )
    assert resp.status_code == 409
    assert "vừa được người khác sửa" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Contest, c.id).title == "Tab 1"


def test_state_transitions_forward_and_audited(client, admin, factory, session):
    c = factory.contest(slug="trang-thai")
    for target in ("open", "closed", "judging", "finalised"):
        resp = client.post(
            "/admin/contests/trang-thai/state",
            data={"target": target, "csrf_token": csrf_token(client, "/admin/contests/trang-thai")},
        )
        assert resp.status_code == 302
    session.expire_all()
    assert session.get(Contest, c.id).state == ContestState.finalised
    states = [
        e.after["state"]
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "contest.state", AuditEvent.contest_id == c.id)
            .order_by(AuditEvent.id)
        )
    ]
    assert states == ["open", "closed", "judging", "finalised"]


def test_illegal_transition_refused(client, admin, factory, session):
    c = factory.contest(slug="nhay-coc")
    resp = client.post(
        "/admin/contests/nhay-coc/state",
        data={"target": "finalised", "csrf_token": csrf_token(client, "/admin/contests/nhay-coc")},
        follow_redirects=True,
    )
    assert "Không thể chuyển cuộc thi" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Contest, c.id).state == ContestState.draft


def _rubric_post(client, slug, rows, **extra):
    data = {"csrf_token": csrf_token(client, f"/admin/contests/{slug}/rubric"), **extra}
    for i, (name, mp, w) in enumerate(rows):
        data[f"criteria-{i}-name"] = name
        data[f"criteria-{i}-max_points"] = mp
        data[f"criteria-{i}-weight"] = w
        data[f"criteria-{i}-guidance"] = ""
    return client.post(f"/admin/contests/{slug}/rubric", data=data)


def test_rubric_valid_edit_saved(client, admin, factory, session):
    c = factory.contest(slug="thang-diem")
    resp = _rubric_post(client, "thang-diem", [("Nội dung", "30", "2"), ("Hình thức", "40", "1")])
    assert resp.status_code == 302
    session.expire_all()
    got = [(x.name, x.max_points, x.weight) for x in session.get(Contest, c.id).criteria]
    assert got == [("Nội dung", 30, 2), ("Hình thức", 40, 1)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("A", "0", "1"), ("B", "100", "1")], "điểm tối đa phải lớn hơn 0"),
        ([("A", "-5", "1"), ("B", "105", "1")], "điểm tối đa phải lớn hơn 0"),
        ([("A", "50", "0"), ("B", "50", "1")], "hệ số phải lớn hơn 0"),
        ([("A", "50", "1"), ("B", "45", "1")], "phải cộng lại đúng 100 điểm"),
        ([("A", "50", "1"), ("a", "50", "1")], "bị trùng tên"),
    ],
)
def test_rubric_bad_input_refused_and_unchanged(client, admin, factory, session, rows, message):
    c = factory.contest(slug="sai-thang-diem")
    resp = _rubric_post(client, "sai-thang-diem", rows)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    session.expire_all()
    assert [x.max_points for x in session.get(Contest, c.id).criteria] == [25, 25, 20, 20, 10]


def test_rubric_locked_once_judging(client, admin, factory, session):
    factory.contest(slug="dang-cham", state="judging")
    resp = _rubric_post(client, "dang-cham", [("A", "100", "1")])
    assert resp.status_code == 400
    assert "không sửa được thang điểm" in resp.get_data(as_text=True)


def test_categories_threshold_and_quotas(client, admin, factory, session):
    c = factory.contest(slug="the-loai")
    cats = c.categories
    data = {"csrf_token": csrf_token(client, "/admin/contests/the-loai/categories")}
    for i, cat in enumerate(cats):
        data[f"categories-{i}-id"] = str(cat.id)
        data[f"categories-{i}-name"] = cat.name
        data[f"categories-{i}-overlap_percent"] = "15" if i == 0 else "25"
        data[f"categories-{i}-quotas"] = "nhat=1, nhi=1, ba=2, kk=4"
    assert client.post("/admin/contests/the-loai/categories", data=data).status_code == 302
    session.expire_all()
    first = session.get(Contest, c.id).categories[0]
    assert first.overlap_threshold == 0.15
    assert first.prize_quotas == [["nhat", 1], ["nhi", 1], ["ba", 2], ["kk", 4]]
    data["categories-0-overlap_percent"] = "0"
    data["categories-1-quotas"] = "nhat"
    resp = client.post("/admin/contests/the-loai/categories", data=data)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Ghi mỗi giải dạng mã=số lượng" in body


def test_staff_account_created_in_browser_with_role(client, admin, factory, session):
    factory.contest(slug="co-can-bo")
    data = {
        "full_name": "Trần Thư Ký",
        "email": "thuky@example.vn",
        "contest": "co-can-bo",
        "role": "secretary",
        "csrf_token": csrf_token(client, "/admin/users"),
    }
    resp = client.post("/admin/users", data=data)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'id="one-time-password"' in body
    u = find_user(session, "thuky@example.vn")
    assert u.must_change_password
    assert [(m.contest.slug, m.role.value) for m in u.memberships] == [("co-can-bo", "secretary")]
    # the same e-mail again is refused
    data["csrf_token"] = csrf_token(client, "/admin/users")
    resp = client.post("/admin/users", data=data)
    assert resp.status_code == 400
    assert (
        session.query(User)
        .filter(User.email_index == email_index(session, "thuky@example.vn"))
        .count()
        == 1
    )


def test_add_and_remove_membership(client, admin, factory, session):
    c = factory.contest(slug="thanh-vien")
    judge = factory.user(email="gk@example.vn")
    resp = client.post(
        "/admin/contests/thanh-vien/members",
        data={
            "email": "gk@example.vn",
            "role": "judge",
            "csrf_token": csrf_token(client, "/admin/contests/thanh-vien"),
        },
    )
    assert resp.status_code == 302
    m = session.scalar(select(Membership).where(Membership.user_id == judge.id))
    assert m.role.value == "judge" and m.contest_id == c.id
    resp = client.post(
        f"/admin/contests/thanh-vien/members/{m.id}/remove",
        data={"csrf_token": csrf_token(client, "/admin/contests/thanh-vien")},
    )
    assert resp.status_code == 302
    assert session.query(Membership).filter(Membership.user_id == judge.id).count() == 0
    actions = [
        e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.contest_id == c.id))
    ]
    assert actions[-2:] == ["membership.add", "membership.remove"]


def test_audit_log_is_append_only_in_the_database(app, factory, session):
    factory.contest()
    ev = session.scalars(select(AuditEvent)).first()
    for stmt in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError):
            session.execute(text(stmt))
        session.rollback()
    session.expire_all()
    assert session.get(AuditEvent, ev.id).action == ev.action


def test_audit_page_lists_events(client, admin, factory):
    factory.contest(slug="nhat-ky")
    body = client.get("/admin/audit?contest=nhat-ky").get_data(as_text=True)
    assert "contest.create" in body
