"""The committee in a real browser: a disagreement gets an extra reading, which its judge
scores; then prizes are allocated, the results finalised, identities revealed and the Excel
report downloaded and read back."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from tests.judging.conftest import World

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-dai-1"
RESULTS = "/manage/cham-thi/results/"
DISPUTED = 4  # World entry 4 (category "Tạp chí"): its two readings are 25 points apart
READINGS = {DISPUTED: [65.0, 90.0]}  # other entries: 60 + 4 i twice, as in the results tests
EXTRA = [22, 21, 17, 17, 8]  # the extra reading, criterion by criterion: 85 points
FINAL = (65 + 90 + 85) / 3  # "mean of all readings", the round's default rule: 80


def _criteria(world) -> list[tuple[int, str, float]]:
    from contest import services
    from judging import services as js

    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        return [(c.id, c.name, c.max_points) for c in rnd.criteria]


def _submit_all(world) -> None:
    """Every reading submitted through the services, each criterion at the same share."""
    from judging import services as js
    from judging.models import Assignment

    crit = _criteria(world)
    ids = [e.id for e in world.entries]
    with world.session() as s:
        seen: dict[int, int] = {}
        for a in s.scalars(
            select(Assignment)
            .where(Assignment.active.is_(True))
            .order_by(Assignment.entry_id, Assignment.judge_id)
        ):
            i = ids.index(a.entry_id)
            k = seen.get(a.entry_id, 0)
            seen[a.entry_id] = k + 1
            total = READINGS.get(i, [60.0 + 4 * i] * 2)[k]
            js.submit_score(
                s,
                assignment=a,
                raw_points={str(cid): mx * total / 100 for cid, _n, mx in crit},
                comment="",
                expected_version=None,
                actor=s.get(type(world.admin), a.judge_id),
            )
        s.commit()


def _to_judging(world) -> None:
    from contest import services

    with world.session() as s:
        c = services.get_contest(s, "cham-thi")
        services.transition_contest(s, actor=None, contest=c, target="closed")
        services.transition_contest(s, actor=None, contest=c, target="judging")
        s.commit()


def _readers(world, entry_id: int) -> list[tuple[int, str, str | None]]:
    """(judge id, source, score status) of the entry's active readings, oldest first."""
    from judging.models import Assignment

    with world.session() as s:
        return [
            (a.judge_id, a.source, a.score.status.value if a.score else None)
            for a in s.scalars(
                select(Assignment)
                .where(Assignment.entry_id == entry_id, Assignment.active.is_(True))
                .order_by(Assignment.id)
            )
        ]


def _sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("link", name="Đăng nhập")).to_be_visible()


def _row(page, code: str):
    return page.locator("table.results tbody tr", has_text=code)


def _press(page, button: str, flash: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.locator(".flash", has_text=flash)).to_be_visible()


def test_committee_settles_disagreement_awards_reveals_and_exports(
    page, live_server, app, factory, tmp_path
):
    world = World(app, factory)
    world.open_and_assign(seed=1)
    _submit_all(world)
    _to_judging(world)
    disputed = world.entries[DISPUTED]
    with world.session() as s:
        code = s.get(type(disputed), disputed.id).secret_code
    first_two = _readers(world, disputed.id)
    assert [(src, st) for _j, src, st in first_two] == [("auto", "submitted")] * 2

    # The administrator sees the disagreement and asks for a third reading.
    _sign_in(page, live_server, "qt@example.vn")
    page.goto(f"{live_server}{RESULTS}")
    row = _row(page, code)
    expect(row).to_contain_text("điểm lệch nhau")
    expect(row.locator("td").nth(2)).to_have_text("2")
    assert _row(page, "điểm lệch nhau").count() == 1  # the only entry 20+ points apart
    row.get_by_role("button", name="Phân thêm lượt chấm").click()
    expect(page.get_by_text("Đã phân thêm một lượt chấm.")).to_be_visible()
    # Checked at the end, so the rest of the journey still runs: the page should stop offering
    # a second extra reading once one is assigned (each click seats one more judge).
    offered_again = _row(page, code).get_by_role("button", name="Phân thêm lượt chấm").count()
    readers = _readers(world, disputed.id)
    assert readers[:2] == first_two and readers[2][1:] == ("extra", None)
    third = world.judges.index(readers[2][0])
    assert readers[2][0] not in {j for j, _s, _st in first_two}
    _sign_out(page)

    # The third judge scores it in the browser.
    crit = _criteria(world)
    _sign_in(page, live_server, f"gk{third}@example.vn")
    page.get_by_role("link", name="Chấm bài", exact=True).click()
    page.get_by_role("link", name=re.compile(r"Sơ khảo")).click()
    mine = page.locator("#my-entries tbody tr", has_text=code)
    expect(mine).to_contain_text("Chưa chấm")
    mine.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(code)
    for (_cid, name, _max), points in zip(crit, EXTRA, strict=True):
        page.get_by_label(name).fill(str(points))
    expect(page.locator("#total")).to_have_text("85")
    page.get_by_role("button", name="Nộp điểm").click()
    expect(page.get_by_text(f"Đã nộp điểm bài {code}.")).to_be_visible()
    assert _readers(world, disputed.id)[2][2] == "submitted"
    _sign_out(page)

    # The administrator allocates, finalises, reveals and downloads the report.
    _sign_in(page, live_server, "qt@example.vn")
    page.goto(f"{live_server}{RESULTS}")
    row = _row(page, code)
    expect(row.locator("td").nth(2)).to_have_text("3")
    expect(row.locator("td").nth(6)).to_have_text("80,00")
    _press(page, "Phân giải theo điểm", "Đã phân giải theo điểm.")
    expect(_row(page, code).locator("td").last).to_have_text("Giải Nhất")
    _press(page, "Tổng kết kết quả", "Đã tổng kết: điểm và giải đã khóa.")
    expect(page.get_by_role("button", name="Phân giải theo điểm")).to_have_count(0)
    _press(page, "Công bố danh tính", "Đã công bố danh tính.")
    expect(page.locator(".badge", has_text="Đã công bố danh tính")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Báo cáo Excel").click()
    download = info.value
    assert download.suggested_filename == "ket-qua-cham-thi.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    wb = load_workbook(path, read_only=True)
    sheet = wb["Tạp chí"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    table = [dict(zip(header, r, strict=False)) for r in rows[1:]]
    wb.close()
    mine = next(r for r in table if r["Mã bài"] == code)
    assert mine["Tác giả"] == f"Tác Giả Thứ {DISPUTED}"
    assert mine["Điểm cuối"] == pytest.approx(FINAL)
    assert mine["Giải"] == "Giải Nhất"
    assert mine["Số lượt chấm"] == 3
    assert mine["Hạng"] == 1

    from contest.models import AuditEvent, Contest, ContestState
    from judging.models import Award

    with world.session() as s:
        contest = s.scalar(select(Contest))
        assert contest.state == ContestState.finalised and contest.revealed_at is not None
        award = s.scalar(select(Award).where(Award.entry_id == disputed.id))
        assert award.prize == "nhat"
        actions = set(s.scalars(select(AuditEvent.action)))
    assert {"prizes.allocate", "results.finalise", "identity.reveal"} <= actions, actions
    assert offered_again == 0, "an extra reading is assigned, yet the page offers another one"
