"""Judges in a real browser: autosave and submit, the copy kept offline, another judge's entry,
two tabs on one score. Each outcome is checked on the page and in the database."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.judging.conftest import World

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-dai-1"
SAVED = "Đã lưu nháp"
OFFLINE = re.compile(r"^Mất kết nối")
RESTORED = re.compile(r"^Đã khôi phục")
STALE = re.compile(r"vừa được lưu ở nơi khác")
# Shorter than the page's 15 s retry timer, so only the event under test can satisfy a wait.
QUICK = 5000


@pytest.fixture
def world(app, factory):
    w = World(app, factory)
    w.open_and_assign(seed=1)
    return w


def _criteria(world) -> list[tuple[int, str, float]]:
    """(id, name, max_points) of round 1's criteria, in the page's order."""
    from contest import services
    from judging import services as js

    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        return [(c.id, c.name, c.max_points) for c in rnd.criteria]


def _score(world, judge_id: int, code: str):
    """The judge's score row for the entry with `code` as a plain dict, or None."""
    from contest.models import Entry
    from judging.models import Assignment

    with world.session() as s:
        a = s.scalars(
            select(Assignment)
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(Assignment.judge_id == judge_id, Entry.secret_code == code)
        ).one()
        if a.score is None:
            return None
        return {
            "status": a.score.status.value,
            "points": dict(a.score.points),
            "total": a.score.total,
            "version": a.score.version,
        }


def _codes_of(world, index: int) -> list[str]:
    return [code for _e, j, code in world.assignments() if j == world.judges[index]]


def _sign_in(page, live_server, index: int) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(f"gk{index}@example.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("link", name="Chấm bài", exact=True)).to_be_visible()


def _entry_url(live_server, code: str) -> str:
    return f"{live_server}/judge/cham-thi/round/1/entries/{code}"


def _local_copy(page, code: str):
    return page.evaluate(
        "k => JSON.parse(localStorage.getItem(k) || 'null')", f"score:cham-thi:1:{code}"
    )


def test_judge_autosaves_reloads_submits_and_cannot_edit_after(page, live_server, world):
    crit = _criteria(world)
    judge = world.judges[0]
    _sign_in(page, live_server, 0)
    page.get_by_role("link", name="Chấm bài", exact=True).click()
    page.get_by_role("link", name=re.compile(r"Sơ khảo")).click()
    first = page.locator("#my-entries tbody tr").first.get_by_role("link")
    code = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(code)

    page.get_by_label(crit[0][1]).fill("18.5")
    page.get_by_label(crit[1][1]).fill("20")
    expect(page.locator("#total")).to_have_text("38,5")
    expect(page.locator("#save-status")).to_contain_text(SAVED)
    assert _score(world, judge, code)["points"] == {str(crit[0][0]): 18.5, str(crit[1][0]): 20.0}
    assert _local_copy(page, code) is None  # sent, so nothing is left only in the browser

    page.reload()
    assert float(page.get_by_label(crit[0][1]).input_value()) == 18.5
    assert float(page.get_by_label(crit[1][1]).input_value()) == 20.0
    assert page.get_by_label(crit[2][1]).input_value() == ""
    assert page.locator("#save-status").inner_text() == ""  # nothing restored from the browser

    for _cid, name, _max in crit[2:]:
        page.get_by_label(name).fill("10")
    page.get_by_role("button", name="Nộp điểm").click()
    expect(page.get_by_text(f"Đã nộp điểm bài {code}.")).to_be_visible()
    assert page.url.rstrip("/") != _entry_url(live_server, code)
    others = [c for c in _codes_of(world, 0) if c != code]
    assert re.search(r"/entries/([^/]+)$", page.url).group(1) in others

    page.goto(_entry_url(live_server, code))
    expect(page.get_by_text("Đã nộp và khóa.")).to_be_visible()
    for _cid, name, _max in crit:
        expect(page.get_by_label(name)).to_be_disabled()
    expect(page.get_by_label("Nhận xét")).to_be_disabled()
    expect(page.get_by_role("button", name="Nộp điểm")).to_have_count(0)

    from judging.models import Assignment, Score

    with world.session() as s:
        scores = s.scalars(select(Score).join(Assignment).where(Assignment.judge_id == judge)).all()
        assert [(sc.assignment.entry.secret_code, sc.status.value) for sc in scores] == [
            (code, "submitted")
        ]
        assert scores[0].total == 18.5 + 20 + 10 * (len(crit) - 2)


def test_offline_draft_is_kept_in_browser_and_sent_when_online(page, live_server, world):
    crit = _criteria(world)
    judge = world.judges[0]
    code = _codes_of(world, 0)[0]
    _sign_in(page, live_server, 0)
    page.goto(_entry_url(live_server, code))

    page.get_by_label(crit[0][1]).fill("12")
    page.context.set_offline(True)  # before the 1.2 s autosave fires
    expect(page.locator("#save-status")).to_have_text(OFFLINE, timeout=QUICK)
    kept = _local_copy(page, code)
    assert kept["points"][f"points-{crit[0][0]}"] == "12"
    assert _score(world, judge, code) is None

    page.context.set_offline(False)  # Chromium fires 'online'; the page resends its copy
    expect(page.locator("#save-status")).to_contain_text(SAVED, timeout=QUICK)
    assert _score(world, judge, code)["points"] == {str(crit[0][0]): 12.0}
    assert _local_copy(page, code) is None


def test_draft_left_only_in_browser_is_restored_on_next_visit(page, live_server, world):
    crit = _criteria(world)
    judge = world.judges[0]
    code = _codes_of(world, 0)[0]
    _sign_in(page, live_server, 0)
    context = page.context
    page.goto(_entry_url(live_server, code))
    page.get_by_label(crit[1][1]).fill("7.25")
    context.set_offline(True)
    expect(page.locator("#save-status")).to_have_text(OFFLINE, timeout=QUICK)
    page.close()  # its last-chance beacon fails too: the browser is offline
    assert _score(world, judge, code) is None

    context.set_offline(False)
    later = context.new_page()
    later.goto(_entry_url(live_server, code))
    expect(later.locator("#save-status")).to_have_text(RESTORED)
    assert later.get_by_label(crit[1][1]).input_value() == "7.25"
    expect(later.locator("#save-status")).to_contain_text(SAVED, timeout=QUICK)
    assert _score(world, judge, code)["points"] == {str(crit[1][0]): 7.25}
    assert _local_copy(later, code) is None


def test_judge_cannot_open_another_judges_entry(page, live_server, world):
    only_first = sorted(set(_codes_of(world, 0)) - set(_codes_of(world, 1)))
    assert only_first, "the assignment gave judge 0 no entry of their own"
    _sign_in(page, live_server, 1)
    response = page.goto(_entry_url(live_server, only_first[0]))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Bạn không có quyền vào trang này")
    expect(page.locator("#score-form")).to_have_count(0)
    expect(page.locator("#essay")).to_have_count(0)


def test_two_tabs_second_save_is_stale_and_shows_newer_values(page, live_server, world):
    crit = _criteria(world)
    judge = world.judges[0]
    code = _codes_of(world, 0)[0]
    _sign_in(page, live_server, 0)
    first = page
    first.goto(_entry_url(live_server, code))
    first.get_by_label(crit[0][1]).fill("10")
    expect(first.locator("#save-status")).to_contain_text(SAVED)
    v1 = _score(world, judge, code)["version"]

    second = page.context.new_page()
    second.goto(_entry_url(live_server, code))
    assert float(second.get_by_label(crit[0][1]).input_value()) == 10.0

    with first.expect_response(lambda r: r.url.endswith("/draft")) as saved:
        first.get_by_label(crit[0][1]).fill("15")
    assert saved.value.status == 200
    assert _score(world, judge, code)["version"] == v1 + 1

    with second.expect_response(lambda r: r.url.endswith("/draft")) as info:
        second.get_by_label(crit[1][1]).fill("3")
    assert info.value.status == 409
    expect(second.locator("#save-status")).to_have_text(STALE)
    assert float(second.get_by_label(crit[0][1]).input_value()) == 15.0
    assert second.get_by_label(crit[1][1]).input_value() == ""
    assert second.locator("input[name='version']").input_value() == str(v1 + 1)
    after = _score(world, judge, code)
    assert after["points"] == {str(crit[0][0]): 15.0}
    assert after["version"] == v1 + 1
