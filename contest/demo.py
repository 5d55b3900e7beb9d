"""The demo contest (slug demo-2024, "Cuộc thi chính luận 2024") for newcomers: the contest
side (contest, staff, entries with sealed authors, rọc phách, similarity flags). The judging
side (rounds, assignments, scores) is added by judging.demo; `flask demo load` runs both.

Idempotent: running it again changes nothing that exists.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from contest import entries, services
from contest.essaygen import essay, person, title
from contest.models import Contest, ContestState, StaffRole
from contest.storage import FileStore

DEMO_SLUG = "demo-2024"
DEMO_PASSWORD = "demo-password-2024"  # demo accounts only; printed so a newcomer can sign in
DEMO_STAFF = (
    ("thuky@demo.local", "Trần Thị Thư Ký", StaffRole.secretary),
    ("giamkhao1@demo.local", "Lê Văn Giám", StaffRole.judge),
    ("giamkhao2@demo.local", "Phạm Thị Khảo", StaffRole.judge),
    ("giamkhao3@demo.local", "Hoàng Minh Chấm", StaffRole.judge),
)
DEMO_ENTRIES = 24


def _author(rng: random.Random) -> entries.AuthorInput:
    p = person(rng)
    return entries.AuthorInput(
        full_name=p["full_name"],
        birth_date=date.fromisoformat(p["birth_date"]),
        position=p["position"],
        unit=p["unit"],
        address=p["address"],
        phone=p["phone"],
        email=p["email"],
        id_number=p["id_number"],
    )


def _demo_texts(rng: random.Random) -> list[tuple[str, str, str]]:
    """(title, text, note) for the demo entries: mostly original essays, plus a copy of another
    entry, and one that names its author inside the work (the rules eliminate those)."""
    out = []
    for _ in range(DEMO_ENTRIES - 2):
        out.append((title(rng), essay(rng, syllables=1300), ""))
    original = out[0][1]
    paragraphs = original.split("\n\n")
    rng.shuffle(paragraphs)
    out.append((title(rng), "\n\n".join(paragraphs), "copy"))
    out.append((title(rng), essay(rng, syllables=1300), "names-author"))
    return out


def load_demo(
    session: Session, *, vault, store: FileStore, now: datetime | None = None
) -> dict[str, int]:
    """Create the demo contest, its staff and its entries when missing. Returns what it made."""
    now = now or datetime.now(UTC)
    created = {"contest": 0, "users": 0, "entries": 0, "released": 0}
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
                "opens_at": now - timedelta(days=60),
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
    if not entries.count_entries(session, contest):
        created["entries"] = _load_entries(
            session, vault=vault, store=store, contest=contest, actor=actor
        )
    created["released"] = entries.release_entries(
        session, vault=vault, contest=contest, actor=actor
    )
    if created["entries"]:
        from contest.screening import load_demo_similarity

        created["flagged"] = load_demo_similarity(session, contest=contest, actor=actor).flagged
    return created


def _load_entries(session: Session, *, vault, store: FileStore, contest: Contest, actor) -> int:
    rng = random.Random(2024)
    n = 0
    for i, (name, text, note) in enumerate(_demo_texts(rng)):
        author = _author(rng)
        if note == "names-author":
            text = f"Tác giả: {author.full_name}, {author.unit}.\n\n" + text
        entry = entries.create_entry(
            session,
            vault=vault,
            store=store,
            contest=contest,
            category=contest.categories[i % len(contest.categories)],
            owner=None,
            title=name,
            pen_name="",
            authors=[author],
            document=entries.Upload(text.encode("utf-8"), f"bai-{i + 1:02d}.txt"),
            source="import",
            actor=actor,
            check_deadline=False,
        )
        entries.confirm_entry(session, entry=entry, actor=actor)
        n += 1
    return n
