"""`flask demo load`: a living demo contest (slug demo-2024) for newcomers.

Idempotent: running it again changes nothing that exists. Later capabilities extend it
(entries, redactions, similarity flags, assignments, scores, results).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from contest import services
from contest.models import ContestState, StaffRole

DEMO_SLUG = "demo-2024"
DEMO_PASSWORD = "demo-password-2024"  # demo accounts only; printed so a newcomer can sign in
DEMO_STAFF = (
    ("thuky@demo.local", "Trần Thị Thư Ký", StaffRole.secretary),
    ("giamkhao1@demo.local", "Lê Văn Giám", StaffRole.judge),
    ("giamkhao2@demo.local", "Phạm Thị Khảo", StaffRole.judge),
    ("giamkhao3@demo.local", "Hoàng Minh Chấm", StaffRole.judge),
)

demo_cli = AppGroup("demo", help="Demo data. / Dữ liệu trình diễn.")


def load_demo(session, *, now: datetime | None = None) -> dict[str, int]:
    """Create the demo contest, its staff and its data when missing. Returns what it created."""
    now = now or datetime.now(UTC)
    created = {"contest": 0, "users": 0}
    services.ensure_admin(session)
    actor = services.first_admin(session)
    contest = services.get_contest(session, DEMO_SLUG)
    if contest is None:
        contest = services.create_contest(
            session,
            actor=actor,
            preset="local",
            settings={
                "slug": DEMO_SLUG,
                "title": "Cuộc thi chính luận 2024",
                "description": (
                    "Cuộc thi viết chính luận về bảo vệ nền tảng tư tưởng của Đảng, "
                    "đấu tranh phản bác các quan điểm sai trái, thù địch năm 2024 của huyện."
                ),
                "rules": (
                    "1. Mỗi tác giả gửi tối đa 2 tác phẩm, mỗi thể loại một tác phẩm.\n"
                    "2. Tác phẩm chưa đăng ở đâu trước khi phát động, độ dài 1.000 đến 5.000 chữ.\n"
                    "3. Thông tin tác giả khai ở phiếu riêng, không ghi trong bài.\n"
                    "4. Tỷ lệ trùng lặp không quá 20% (Tạp chí) và 25% (Báo)."
                ),
                "opens_at": now - timedelta(days=30),
                "closes_at": now + timedelta(days=14),
            },
        )
        services.transition_contest(
            session, actor=actor, contest=contest, target=ContestState.open.value
        )
        created["contest"] = 1
    for email, name, role in DEMO_STAFF:
        user = services.find_user(session, email)
        if user is None:
            user = services.create_user(
                session, email=email, full_name=name, password=DEMO_PASSWORD, actor=actor
            )
            created["users"] += 1
        services.add_membership(session, actor=actor, user=user, contest=contest, role=role)
    return created


@demo_cli.command("load")
def demo_load():
    """Load the demo contest demo-2024 (idempotent)."""
    with current_app.extensions["db_session_factory"]() as s:
        created = load_demo(s)
        s.commit()
    click.echo(f"demo-2024: {created}")
    click.echo(f"Tài khoản trình diễn / demo accounts (mật khẩu / password: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_STAFF:
        click.echo(f"  {email:28} {role.value}")
