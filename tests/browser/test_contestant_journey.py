"""A contestant in a real browser: registers, submits a Word file, confirms, keeps the receipt,
replaces the file, and after the deadline finds the entry read-only. Each step is checked on
the page and in the database."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from babel.numbers import format_decimal
from playwright.sync_api import expect
from sqlalchemy import select

from contest.essaygen import essay
from tests.contest.docfactory import make_docx

pytestmark = pytest.mark.browser

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RECEIPT = re.compile(r"BN-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")
SLUG = "chinh-luan-2025"


def _docx(seed: int) -> tuple[bytes, int]:
    """A Word file holding a generated essay of about 1,500 syllables, and its word count
    (every token of the generator's text holds a letter, so a split counts the words)."""
    paragraphs = essay(random.Random(seed), syllables=1500).split("\n\n")
    return make_docx(paragraphs), sum(len(p.split()) for p in paragraphs)


def _fact(page, term: str):
    """The <dd> that follows the <dt> named `term` in a facts list."""
    return page.locator("dl.facts dt", has_text=re.compile(f"^{term}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def _entry(app, receipt: str) -> dict:
    from contest import entries
    from contest.models import Entry

    with app.extensions["db_session_factory"]() as s:
        e = s.scalars(select(Entry).where(Entry.receipt_no == receipt)).one()
        return {
            "id": e.id,
            "status": e.status.value,
            "title": e.title,
            "category": e.category.name,
            "owner": e.owner.email,
            "words": e.words,
            "fingerprint": e.fingerprint,
            "documents": sorted(f.version_no for f in e.files if f.role == "document"),
            "authors": [
                (a["full_name"], a["unit"], a["phone"])
                for a in entries.author_identities(app.extensions["vault"], e)
            ],
        }


def _close_contest(app, contest) -> None:
    from contest.models import Contest

    with app.extensions["db_session_factory"]() as s:
        s.get(Contest, contest.id).closes_at = datetime.now(UTC) - timedelta(minutes=1)
        s.commit()


def test_contestant_submits_gets_receipt_replaces_file_then_deadline_locks(
    page, live_server, app, factory
):
    contest = factory.contest(slug=SLUG, state="open")
    category = contest.categories[1].name
    first_file, first_words = _docx(seed=21)
    second_file, second_words = _docx(seed=22)
    assert first_words != second_words

    page.goto(f"{live_server}/register")
    page.get_by_label("Họ và tên", exact=True).fill("Trần Thị Bình")
    page.get_by_label("E-mail", exact=True).fill("binh.tran@example.vn")
    page.get_by_label("Mật khẩu", exact=True).fill("mot-mat-khau-rat-dai")
    page.get_by_label("Nhập lại mật khẩu", exact=True).fill("mot-mat-khau-rat-dai")
    page.get_by_role("button", name="Tạo tài khoản của tôi").click()
    expect(page.get_by_text("Tài khoản của bạn đã sẵn sàng.")).to_be_visible()

    page.goto(f"{live_server}/contests/{SLUG}")
    page.get_by_role("link", name="Nộp bài dự thi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nộp bài dự thi")
    page.get_by_label("Tên tác phẩm", exact=True).fill(
        "Giữ vững trận địa tư tưởng trên không gian mạng"
    )
    page.get_by_label("Thể loại", exact=True).select_option(label=f"{category} (bài viết)")
    expect(page.get_by_label("Họ và tên", exact=True)).to_have_value("Trần Thị Bình")
    page.get_by_label("Ngày sinh", exact=True).fill("1986-09-02")
    page.get_by_label("Chức vụ", exact=True).fill("Phóng viên")
    page.get_by_label("Đơn vị công tác", exact=True).fill("Báo Nhân Dân Tỉnh")
    page.get_by_label("Địa chỉ", exact=True).fill("12 Trần Phú, Hà Đông")
    page.get_by_label("Điện thoại", exact=True).fill("0912345678")
    page.get_by_label("Bài dự thi (tệp văn bản)", exact=True).set_input_files(
        {"name": "giu-vung-tran-dia.docx", "mimeType": DOCX, "buffer": first_file}
    )
    page.get_by_label("Tôi cam đoan tác phẩm do tôi (chúng tôi) viết").check()
    page.get_by_role("button", name="Tải lên và kiểm tra").click()

    page.wait_for_url(re.compile(r"/entries/BN-[^/]+$"))
    receipt = page.url.rsplit("/", 1)[1]
    assert RECEIPT.fullmatch(receipt)
    expect(page.get_by_text("Chưa nộp", exact=True)).to_be_visible()
    expect(_fact(page, "Số chữ")).to_have_text(format_decimal(first_words, "#,##0", locale="vi"))
    stored = _entry(app, receipt)
    assert stored["status"] == "draft"
    assert stored["words"] == first_words
    assert stored["owner"] == "binh.tran@example.vn"
    assert stored["category"] == category
    assert stored["authors"] == [("Trần Thị Bình", "Báo Nhân Dân Tỉnh", "0912345678")]

    page.get_by_role("button", name="Nộp bài", exact=True).click()
    page.wait_for_url(f"**/entries/{receipt}/receipt")
    expect(page.get_by_text("Đã nộp bài. Hãy giữ biên nhận.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Biên nhận bài dự thi")
    expect(page.locator("#receipt-no")).to_have_text(receipt)
    expect(_fact(page, "Tên")).to_have_text("Giữ vững trận địa tư tưởng trên không gian mạng")
    expect(_fact(page, re.escape("Mã băm tệp (SHA-256)"))).to_have_text(stored["fingerprint"])
    assert _entry(app, receipt)["status"] == "submitted"

    page.get_by_role("link", name="Về trang tác phẩm").click()
    page.get_by_label("Phiên bản mới của bài", exact=True).set_input_files(
        {"name": "giu-vung-tran-dia-sua.docx", "mimeType": DOCX, "buffer": second_file}
    )
    page.get_by_role("button", name="Thay tệp").click()
    expect(page.get_by_text("Đã thay tệp (phiên bản 2).", exact=False)).to_be_visible()
    expect(_fact(page, "Số phiên bản tệp")).to_have_text("2")
    expect(_fact(page, "Số chữ")).to_have_text(format_decimal(second_words, "#,##0", locale="vi"))
    replaced = _entry(app, receipt)
    assert replaced["documents"] == [1, 2]
    assert replaced["words"] == second_words
    assert replaced["fingerprint"] != stored["fingerprint"]
    assert replaced["status"] == "submitted"

    _close_contest(app, contest)
    page.reload()
    expect(page.get_by_text("Đã hết hạn nhận bài", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Thay tệp")).to_have_count(0)
    expect(page.get_by_label("Phiên bản mới của bài", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Sửa thông tin")).to_have_count(0)
    expect(page.get_by_role("link", name="Biên nhận")).to_be_visible()
    page.goto(f"{live_server}/contests/{SLUG}")
    expect(page.get_by_role("link", name="Nộp bài dự thi")).to_have_count(0)
    assert _entry(app, receipt)["documents"] == [1, 2]
