"""The CLI: migrations, the first administrator, staff accounts, the demo."""

from __future__ import annotations

from sqlalchemy import select

from contest.models import Contest, Membership, User
from contest.services import find_user


def test_ensure_admin_creates_once_and_prints_password_once(runner, session):
    first = runner.invoke(args=["ensure-admin"])
    assert first.exit_code == 0
    assert "admin@localhost" in first.output
    password = first.output.split("One-time password: ")[1].split()[0]
    assert len(password) == 16
    second = runner.invoke(args=["ensure-admin"])
    assert second.exit_code == 0
    assert second.output == ""
    admins = session.scalars(select(User).where(User.is_admin.is_(True))).all()
    assert [a.email for a in admins] == ["admin@localhost"]
    assert admins[0].must_change_password


def test_ensure_admin_from_environment(app, runner, session):
    app.config["ADMIN_EMAIL"] = "truong.ban@example.vn"
    app.config["ADMIN_PASSWORD"] = "mat-khau-cua-toi-1"
    result = runner.invoke(args=["ensure-admin"])
    assert "truong.ban@example.vn" in result.output
    assert "mat-khau-cua-toi-1" not in result.output
    admin = session.scalar(select(User).where(User.is_admin.is_(True)))
    assert not admin.must_change_password


def test_users_create_judge_for_contest(runner, factory, session):
    factory.contest(slug="cli-thi")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "gk@example.vn",
            "--name",
            "Giám Khảo",
            "--role",
            "judge",
            "--contest",
            "cli-thi",
        ]
    )
    assert result.exit_code == 0, result.output
    m = session.scalar(
        select(Membership).where(Membership.user_id == find_user(session, "gk@example.vn").id)
    )
    assert m.role.value == "judge"
    again = runner.invoke(
        args=["users", "create", "--email", "gk@example.vn", "--name", "X", "--role", "admin"]
    )
    assert again.exit_code == 1
    assert "Đã có tài khoản với e-mail này" in again.output


def test_users_create_unknown_contest_is_clear(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@example.vn",
            "--name",
            "A",
            "--role",
            "secretary",
            "--contest",
            "khong-co",
        ]
    )
    assert result.exit_code == 1
    assert "Không có cuộc thi “khong-co”" in result.output


def test_demo_load_is_idempotent(runner, session):
    from contest.models import Entry, EntryStatus
    from judging.models import Assignment, Score, ScoreStatus

    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "load"])
    assert (
        "'contest': 0, 'users': 0, 'entries': 0, 'released': 0, 'rounds': 0, 'assignments': 0, 'scores': 0"
        in second.output
    )
    demo = session.scalar(select(Contest).where(Contest.slug == "demo-2024"))
    assert demo.title == "Cuộc thi chính luận 2024"
    assert [c.code for c in demo.categories] == ["tap-chi", "bao"]
    assert len(demo.criteria) == 5
    assert session.query(Membership).filter_by(contest_id=demo.id).count() == 4
    entries = session.scalars(select(Entry).where(Entry.contest_id == demo.id)).all()
    assert len(entries) == 24 and all(e.secret_code for e in entries)
    assert sum(1 for e in entries if e.author_signals) >= 1  # one work names its author
    assert all(e.status == EntryStatus.submitted for e in entries)
    assert session.query(Assignment).count() == 48
    assert session.query(Score).filter(Score.status == ScoreStatus.submitted).count() == 44


def test_db_upgrade_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["db-upgrade"])
        assert result.exit_code == 0, result.output
