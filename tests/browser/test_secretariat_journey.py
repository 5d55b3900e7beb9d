"""The secretariat in a real browser: import a batch after a dry run, scan for similarity,
disqualify a copy, release the entries, review one entry's redactions, create the rounds,
seat three judges and save the assignment. Each step is checked on the page, the outcome in
the database."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from contest.essaygen import essay
from tests.contest.batchfactory import manifest, zip_of

pytestmark = pytest.mark.browser

SLUG = "tinh-2025"
MAGAZINE = "Tạp chí"
NEWSPAPER = "Báo (in, điện tử)"
NAMED_AUTHOR = "Lê Thị Thu Hà"
PHRASE = "xóm Đồi Thông"  # the secretary hides it by hand: no identity field holds it
COPY_NOTE = "Chép gần nguyên văn tác phẩm số 1 của tác giả khác."
JUDGES = [
    ("gk.tapchi@example.vn", "Giám Khảo Tạp Chí", MAGAZINE),
    ("gk.bao@example.vn", "Giám Khảo Báo", NEWSPAPER),
    ("gk.chung@example.vn", "Giám Khảo Chung", None),
]
# Long enough to stay above the contest's 1,000-word minimum when the copy adds a preface.
SYLLABLES = 1200
SCAN_WAIT = 60_000  # ms: a 6-entry scan takes about a second; the machine may be loaded


def _author(i: int, full_name: str) -> dict:
    return {
        "full_name": full_name,
        "birth": f"{i + 1:02d}/03/1980",
        "position": "Giảng viên",
        "unit": f"Trường Chính trị số {i}",
        "address": f"Số {i} đường Trần Phú, thành phố Hà Tĩnh",
        "phone": f"09120000{i:02d}",
        "email": f"tacgia{i}@example.vn",
        "id_number": f"0421800000{i:02d}",
    }


def _batch() -> tuple[bytes, list[dict]]:
    """Six essays: no. 2 copies no. 1 under a short preface, no. 3 names its author."""
    rng = random.Random(7)
    texts = [essay(rng, syllables=SYLLABLES) for _ in range(6)]
    texts[1] = "Lời mở đầu của người viết về vấn đề này.\n\n" + texts[0]
    paragraphs = texts[2].split("\n\n")
    paragraphs.insert(
        1, f"Tôi là {NAMED_AUTHOR}, sinh ra và lớn lên ở {PHRASE}, nơi đã dạy tôi lẽ phải."
    )
    texts[2] = "\n\n".join(paragraphs)
    names = [
        "Nguyễn Văn An",
        "Phạm Quốc Bình",
        NAMED_AUTHOR,
        "Hoàng Minh Cường",
        "Vũ Thị Dung",
        "Đặng Văn Giang",
    ]
    rows, files = [], {}
    for i, text in enumerate(texts):
        name = f"bai-{i + 1:02d}.txt"
        files[name] = text.encode("utf-8")
        rows.append(
            {
                "number": i + 1,
                "file_name": name,
                "title": f"Tác phẩm nhập số {i + 1}",
                "category": MAGAZINE if i < 3 else NEWSPAPER,
                "pen_name": "",
                **_author(i, names[i]),
            }
        )
    files["danh-sach.xlsx"] = manifest(rows)
    return zip_of(files), rows


def _session(app):
    return app.extensions["db_session_factory"]()


def _entries_by_title(app) -> dict:
    from contest import services
    from contest.models import Entry

    with _session(app) as s:
        contest = services.get_contest(s, SLUG)
        return {
            e.title: {
                "id": e.id,
                "receipt": e.receipt_no,
                "code": e.secret_code,
                "status": e.status.value,
                "reason": e.disqualified_reason,
                "category": e.category.name,
                "reviewed": e.redactions_reviewed,
                "redactions": [
                    (e.text[r.start : r.end], r.kind, r.source)
                    for r in e.redactions
                    if not r.removed
                ],
                "redacted_text": e.redacted_text,
            }
            for e in s.scalars(select(Entry).where(Entry.contest_id == contest.id))
        }


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Mật khẩu").fill(user.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def _import(page, live_server, tmp_path) -> None:
    data, _rows = _batch()
    zip_path = tmp_path / "lo-bai.zip"
    zip_path.write_bytes(data)
    page.goto(f"{live_server}/manage/{SLUG}/")
    page.get_by_role("link", name="Nhập lô bài").click()
    page.get_by_label("Tệp .zip các bài (có thể chứa cả danh sách)").set_input_files(zip_path)
    page.get_by_role("button", name="Kiểm tra (chạy thử)").click()
    expect(page.locator("#summary")).to_have_text("6 tác phẩm sẽ được tạo, 0 có lỗi, 0 bị trùng.")
    dry_run = page.locator("#dry-run tbody tr")
    expect(dry_run).to_have_count(6)
    expect(dry_run.nth(1)).to_contain_text("Tác phẩm nhập số 2")
    page.get_by_role("button", name="Nhập 6 tác phẩm này").click()
    expect(page.get_by_text("Đã nhập 6 tác phẩm.")).to_be_visible()
    expect(page.locator("#entries tbody tr")).to_have_count(6)


def _scan_and_disqualify_copy(page, app) -> None:
    before = _entries_by_title(app)
    original, copy = before["Tác phẩm nhập số 1"], before["Tác phẩm nhập số 2"]
    page.get_by_role("link", name="Tổ thư ký").click()
    page.get_by_role("link", name="Kiểm tra trùng lặp").click()
    # The import queued a scan of its own; either it is still running (the button shows it)
    # or it has ended and a new one starts. Both end with the finished message.
    page.get_by_role(
        "button", name=re.compile("Quét tất cả tác phẩm|Xem lượt quét đang chạy")
    ).click()
    expect(page.locator(".flash").first).to_have_text(
        re.compile(r"^(Đã bắt đầu quét\.|Đang có một lượt quét; đây là tiến độ của nó\.)$")
    )
    expect(page.locator("#scan-text")).to_have_text(
        "Lượt quét gần nhất so sánh 6 tác phẩm và đánh dấu 2.", timeout=SCAN_WAIT
    )
    flagged = page.get_by_role("region", name="Tác phẩm bị đánh dấu").locator("tbody tr")
    expect(flagged).to_have_count(2)
    labels = sorted(flagged.locator("td:first-child").all_inner_texts())
    assert labels == sorted([original["receipt"], copy["receipt"]])

    flagged.filter(has_text=copy["receipt"]).get_by_role("link", name="So sánh").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Trùng lặp: {copy['receipt']}")
    other = page.get_by_role("region", name="Văn bản kia")
    expect(other.get_by_role("heading", level=2)).to_have_text(original["receipt"])
    page.get_by_label("Loại: tác phẩm ra khỏi bảng xếp hạng").check()
    page.get_by_label("Ghi chú").fill(COPY_NOTE)
    page.get_by_role("button", name="Ghi quyết định").click()
    expect(page.get_by_text("Đã ghi quyết định.")).to_be_visible()
    expect(page.locator("dd", has_text=COPY_NOTE)).to_contain_text("Bị loại")


def _release(page) -> None:
    page.get_by_role("link", name="Về danh sách tác phẩm bị đánh dấu").click()
    page.get_by_role("link", name="Về trang Tổ thư ký").click()
    page.get_by_role("button", name="Rọc phách, chuyển chấm").click()
    expect(page.get_by_text("5 tác phẩm đã được đánh số phách và ẩn thông tin.")).to_be_visible()
    expect(page.get_by_role("button", name="Rọc phách, chuyển chấm")).to_be_disabled()


def _review_redactions(page) -> None:
    page.get_by_role("link", name="Tác phẩm", exact=True).first.click()
    row = page.locator("#entries tbody tr", has_text="Tác phẩm nhập số 3")
    row.get_by_role("link", name="Phần ẩn").click()
    judge_text = page.locator("#judge-text")
    expect(judge_text).not_to_contain_text(NAMED_AUTHOR)
    expect(judge_text).to_contain_text(PHRASE)
    expect(page.locator("mark.redaction", has_text=NAMED_AUTHOR)).to_have_count(1)

    page.get_by_label("Ẩn một cụm từ").fill(PHRASE)
    page.get_by_label("Loại", exact=True).select_option("address")
    page.get_by_role("button", name="Ẩn", exact=True).click()
    expect(page.get_by_text("Đã ẩn 1 chỗ.")).to_be_visible()
    expect(judge_text).not_to_contain_text(PHRASE)
    page.get_by_role("button", name="Đánh dấu đã rà soát").click()
    expect(page.get_by_text("Đã đánh dấu rà soát.")).to_be_visible()
    expect(page.locator(".badge", has_text="Đã rà soát")).to_be_visible()


def _seat_judges_and_assign(page, live_server) -> None:
    page.goto(f"{live_server}/manage/{SLUG}/")
    page.get_by_role("link", name="Vòng chấm và giám khảo").click()
    page.get_by_role("button", name="Tạo các vòng (sơ khảo, chung khảo)").click()
    rounds = page.locator("#rounds tbody tr")
    expect(rounds).to_have_count(2)
    first = rounds.filter(has_text="Sơ khảo")
    expect(first.locator("td").nth(3)).to_have_text("2")
    first.get_by_role("link", name="Giám khảo").click()
    for email, name, category in JUDGES:
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Họ và tên").fill(name)
        if category:
            page.get_by_label(category, exact=True).check()
        page.get_by_role("button", name="Thêm giám khảo").click()
        expect(page.get_by_text("Đã thêm giám khảo vào vòng.")).to_be_visible()
        expect(page.locator("#sign-in-link")).to_contain_text("/login/")
    seats = page.locator("#seats tbody tr")
    expect(seats).to_have_count(3)
    expect(seats.filter(has_text="Giám Khảo Tạp Chí")).to_contain_text(MAGAZINE)
    expect(seats.filter(has_text="Giám Khảo Báo")).to_contain_text(NEWSPAPER)
    expect(seats.filter(has_text="Giám Khảo Chung")).to_contain_text("Tất cả")

    page.get_by_role("link", name="Sơ khảo").click()
    page.get_by_role("link", name="Phân công").click()
    expect(page.locator("#preview")).to_have_text("Xem trước: thêm 10 lượt chấm, bỏ 0.")
    page.get_by_role("button", name="Lưu phân công này").click()
    expect(page.get_by_text("Đã lưu phân công: thêm 10, bỏ 0.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tiến độ: Sơ khảo")


def test_secretary_imports_screens_releases_reviews_and_assigns(
    page, live_server, app, factory, tmp_path
):
    factory.contest(slug=SLUG, state="open")
    secretary = factory.user(
        email="thuky@example.vn", name="Thư Ký Tỉnh", roles=[(SLUG, "secretary")]
    )
    _sign_in(page, live_server, secretary)

    _import(page, live_server, tmp_path)
    imported = _entries_by_title(app)
    assert sorted(imported) == [f"Tác phẩm nhập số {i}" for i in range(1, 7)]
    assert [imported[f"Tác phẩm nhập số {i}"]["category"] for i in range(1, 7)] == [
        MAGAZINE
    ] * 3 + [NEWSPAPER] * 3
    assert {e["status"] for e in imported.values()} == {"submitted"}

    _scan_and_disqualify_copy(page, app)
    _release(page)
    _review_redactions(page)
    _seat_judges_and_assign(page, live_server)

    from contest.models import AuditEvent, Entry, SimilarityReport
    from judging.models import Assignment, JudgeSeat

    after = _entries_by_title(app)
    copy = after.pop("Tác phẩm nhập số 2")
    assert (copy["status"], copy["reason"], copy["code"]) == ("disqualified", COPY_NOTE, None)
    codes = [e["code"] for e in after.values()]
    assert all(re.fullmatch(r"CL\S+", c) for c in codes), codes
    assert len(set(codes)) == 5
    named = after["Tác phẩm nhập số 3"]
    assert named["reviewed"] is True
    assert (NAMED_AUTHOR, "name", "auto") in named["redactions"]
    assert (PHRASE, "address", "manual") in named["redactions"]
    assert NAMED_AUTHOR not in named["redacted_text"]
    assert PHRASE not in named["redacted_text"]
    assert [e["reviewed"] for t, e in sorted(after.items()) if t != "Tác phẩm nhập số 3"] == [
        False
    ] * 4

    with _session(app) as s:
        report = s.scalar(select(SimilarityReport).where(SimilarityReport.entry_id == copy["id"]))
        assert (report.decision, report.decision_note) == ("disqualified", COPY_NOTE)
        assert s.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "entry.disqualify", AuditEvent.object_id == str(copy["id"])
            )
        )
        seats = {seat.user.email: seat.user_id for seat in s.scalars(select(JudgeSeat)).all()}
        assert sorted(seats) == sorted(email for email, _n, _c in JUDGES)
        rows = s.execute(
            select(Entry.title, Assignment.judge_id)
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(Assignment.active.is_(True))
        ).all()
    readers: dict[str, set[int]] = {}
    for title, judge_id in rows:
        readers.setdefault(title, set()).add(judge_id)
    assert len(rows) == 10
    assert sorted(readers) == sorted(after)  # the disqualified copy gets no reading
    magazine = {seats["gk.tapchi@example.vn"], seats["gk.chung@example.vn"]}
    newspaper = {seats["gk.bao@example.vn"], seats["gk.chung@example.vn"]}
    for title, judges in readers.items():
        assert judges == (magazine if after[title]["category"] == MAGAZINE else newspaper), title
