"""An administrator signs in, creates a contest from the preset, and sees it listed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_admin_creates_contest_from_preset_and_sees_it_listed(page, live_server, factory):
    admin = factory.user(email="quantri@example.vn", name="Nguyễn Văn Quản", admin=True)
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Mật khẩu").fill(admin.password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Quản trị", exact=True).click()
    page.get_by_role("link", name="Tạo cuộc thi").click()
    page.get_by_label("Bắt đầu từ mẫu").select_option("national")
    page.get_by_label("Tên", exact=True).fill("Cuộc thi chính luận toàn tỉnh 2025")
    page.get_by_label("Mã rút gọn (trong địa chỉ trang)").fill("toan-tinh-2025")
    page.get_by_label("Ngày mở (giờ Việt Nam)").fill("2025-03-01T08:00")
    page.get_by_label("Hạn nhận bài (giờ Việt Nam)").fill("2025-06-30T17:00")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url("**/admin/contests/toan-tinh-2025")
    assert page.get_by_role("heading", level=1).inner_text() == "Cuộc thi chính luận toàn tỉnh 2025"
    assert page.get_by_role("cell", name="Video clip").is_visible()
    page.get_by_role("link", name="Quản trị", exact=True).click()
    row = page.locator("#contest-list tbody tr", has_text="Cuộc thi chính luận toàn tỉnh 2025")
    assert row.count() == 1
    assert "Bản nháp" in row.inner_text()


def test_wrong_password_shows_message_in_browser(page, live_server, factory):
    user = factory.user(email="sai@example.vn")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Mật khẩu").fill("khong-dung-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_text("Sai e-mail hoặc mật khẩu.").is_visible()
