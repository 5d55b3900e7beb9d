"""Rounds, assignment, conflicts, scoring with autosave and version checks, reopening."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from contest.models import AuditEvent
from judging.models import Assignment, Score, ScoreStatus
from tests.conftest import csrf_token


def _criteria(world):
    from contest import services
    from judging import services as js

    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        return [(c.id, c.max_points) for c in rnd.criteria]


def _mine(world, judge_id):
    return [code for _e, j, code in world.assignments() if j == judge_id]


def _post(client, world, code, action, points, version=None, comment=""):
    url = f"/judge/cham-thi/round/1/entries/{code}/{action}"
    data = {
        "csrf_token": csrf_token(client, f"/judge/cham-thi/round/1/entries/{code}"),
        "comment": comment,
    }
    if version is not None:
        data["version"] = str(version)
    for cid, value in points.items():
        data[f"points-{cid}"] = str(value)
    return client.post(url, data=data, headers={"Accept": "application/json"})


def test_assignment_gives_k_distinct_judges_and_balanced_loads(world):
    world.open_and_assign()
    rows = world.assignments()
    per_entry = Counter(e for e, _j, _c in rows)
    assert set(per_entry.values()) == {2}
    assert all(len({j for e2, j, _c in rows if e2 == e}) == 2 for e in per_entry)
    loads = Counter(j for _e, j, _c in rows)
    assert max(loads.values()) - min(loads.values()) <= 1


def test_assignment_is_deterministic_for_a_seed(app, factory):
    from tests.judging.conftest import World

    w = World(app, factory)
    w.open_and_assign(seed=7)
    first = sorted((e, j) for e, j, _c in w.assignments())
    from contest import services
    from judging import services as js

    with w.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        again = js.preview_assignments(s, rnd=rnd, seed=7)
        assert again.plan.add == [] and again.plan.remove == []
    assert len(first) == 12


def test_infeasible_assignment_says_why(app, factory, runner):
    from tests.judging.conftest import World

    w = World(app, factory, n_judges=1)
    result = runner.invoke(
        args=["judging", "assign", "--contest", "cham-thi", "--round", "1", "--dry-run"]
    )
    assert result.exit_code == 1
    assert (
        "chỉ có 1 giám khảo không xung đột lợi ích trong hạng mục Tạp chí, cần 2" in result.output
    )
    assert w.assignments() == []


def test_cli_assign_dry_run_then_real(world, runner):
    dry = runner.invoke(
        args=[
            "judging",
            "assign",
            "--contest",
            "cham-thi",
            "--round",
            "1",
            "--seed",
            "3",
            "--dry-run",
        ]
    )
    assert dry.exit_code == 0, dry.output
    assert "Thêm 12, bỏ 0 lượt chấm" in dry.output
    assert world.assignments() == []
    real = runner.invoke(
        args=["judging", "assign", "--contest", "cham-thi", "--round", "1", "--seed", "3"]
    )
    assert real.exit_code == 0, real.output
    assert len(world.assignments()) == 12


def test_declared_unit_conflict_is_respected(app, factory, client, judge_login):
    from tests.judging.conftest import World

    w = World(app, factory, author_units={0: "Trường Chính trị tỉnh Bắc Ninh"})
    judge = judge_login(w, 0)
    r = client.post(
        "/judge/cham-thi/conflicts",
        data={
            "csrf_token": csrf_token(client, "/judge/cham-thi/conflicts"),
            "kind": "unit",
            "text": "TRƯỜNG CHÍNH TRỊ TỈNH BẮC NINH",
        },
    )
    assert r.status_code == 302
    w.open_and_assign()
    assert (w.entries[0].id, judge) not in {(e, j) for e, j, _c in w.assignments()}
    with w.session() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "conflict.declare"))
        assert ev.after == {"kind": "unit"}  # the declared text is sealed, not in the log


def test_judge_who_is_an_author_is_refused(world, app):
    from contest import services
    from contest.problems import ProblemError
    from judging import services as js

    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        admin = s.get(type(world.admin), world.admin.id)
        try:
            js.invite_judge(s, rnd=rnd, actor=admin, email="tacgia3@example.vn", full_name="X")
        except ProblemError as e:
            assert e.problems[0].code == "judge_is_author"
        else:
            raise AssertionError("an author was seated as a judge")


def test_judge_reads_only_own_entries(world, client, judge_login):
    world.open_and_assign()
    judge = judge_login(world, 0)
    mine = _mine(world, judge)
    others = [code for _e, j, code in world.assignments() if j != judge and code not in mine]
    home = client.get("/judge/cham-thi/round/1/").get_data(as_text=True)
    for code in mine:
        assert code in home
    assert client.get(f"/judge/cham-thi/round/1/entries/{mine[0]}").status_code == 200
    assert client.get(f"/judge/cham-thi/round/1/entries/{others[0]}").status_code == 403
    assert client.get("/judge/cham-thi/round/1/entries/CL-ZZZZ").status_code == 403
    assert client.get("/manage/cham-thi/judging/1/progress").status_code == 403


def test_autosave_version_check_and_bounds(world, client, judge_login):
    world.open_and_assign()
    judge = judge_login(world, 0)
    code = _mine(world, judge)[0]
    crit = _criteria(world)
    r = _post(client, world, code, "draft", {crit[0][0]: 20})
    assert r.status_code == 200, r.get_data(as_text=True)
    v1 = r.get_json()["score"]["version"]
    r = _post(client, world, code, "draft", {crit[0][0]: 21, crit[1][0]: 10}, version=v1)
    assert r.status_code == 200
    v2 = r.get_json()["score"]["version"]
    assert v2 == v1 + 1 and r.get_json()["score"]["total"] == 31
    # a second tab still holding v1: told, and shown the newer value
    stale = _post(client, world, code, "draft", {crit[0][0]: 5}, version=v1)
    assert stale.status_code == 409
    assert stale.get_json()["score"]["points"][str(crit[0][0])] == 21
    bad = _post(client, world, code, "draft", {crit[0][0]: crit[0][1] + 1}, version=v2)
    assert bad.status_code == 422 and "từ 0 đến" in bad.get_json()["message"]
    nan = _post(client, world, code, "draft", {crit[0][0]: "hai mươi"}, version=v2)
    assert nan.status_code == 422
    with world.session() as s:
        score = s.scalar(select(Score))
        assert score.points == {str(crit[0][0]): 21.0, str(crit[1][0]): 10.0}  # nothing lost


def test_submit_validates_locks_and_double_submit_records_one(world, client, judge_login):
    world.open_and_assign()
    judge = judge_login(world, 0)
    code = _mine(world, judge)[0]
    crit = _criteria(world)
    partial = _post(client, world, code, "submit", {crit[0][0]: 20})
    assert partial.status_code == 422 and "Chưa chấm tiêu chí" in partial.get_json()["message"]
    full = {cid: mp - 2 for cid, mp in crit}
    ok = _post(client, world, code, "submit", full)
    assert ok.status_code == 200
    again = _post(client, world, code, "submit", full)
    assert again.status_code == 200
    with world.session() as s:
        scores = s.scalars(select(Score)).all()
        assert (
            len(scores) == 1 and scores[0].status == ScoreStatus.submitted and scores[0].total == 90
        )
        assert [
            e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("score.%")))
        ] == ["score.submit"]
    edit = _post(client, world, code, "draft", {crit[0][0]: 1})
    assert edit.status_code == 422 and "khóa" in edit.get_json()["message"]


def test_reopen_by_secretary_with_reason(world, client, judge_login, app):
    world.open_and_assign()
    judge = judge_login(world, 0)
    code = _mine(world, judge)[0]
    crit = _criteria(world)
    _post(client, world, code, "submit", {cid: mp for cid, mp in crit})
    page = f"/judge/cham-thi/round/1/entries/{code}"
    client.post(
        f"{page}/reopen", data={"csrf_token": csrf_token(client, page), "reason": "Nhập nhầm điểm"}
    )
    sec = app.test_client()
    sec.post(
        "/login",
        data={
            "email": "tk@example.vn",
            "password": "mat-khau-dai-1",
            "csrf_token": csrf_token(sec),
        },
    )
    progress = sec.get("/manage/cham-thi/judging/1/progress").get_data(as_text=True)
    assert "Nhập nhầm điểm" in progress
    score_id = re.search(r"/scores/(\d+)/reopen", progress).group(1)
    token = csrf_token(sec, "/manage/cham-thi/judging/1/progress")
    r = sec.post(
        f"/manage/cham-thi/judging/1/scores/{score_id}/reopen",
        data={"csrf_token": token, "reason": ""},
        follow_redirects=True,
    )
    assert "Hãy ghi lý do" in r.get_data(as_text=True)
    sec.post(
        f"/manage/cham-thi/judging/1/scores/{score_id}/reopen",
        data={"csrf_token": token, "reason": "Giám khảo đề nghị"},
    )
    with world.session() as s:
        score = s.get(Score, int(score_id))
        assert score.status == ScoreStatus.draft
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "score.reopen"))
        assert (
            ev.before["status"] == "submitted"
            and ev.after["status"] == "draft"
            and ev.note == "Giám khảo đề nghị"
        )


def test_withdrawn_judge_keeps_scored_readings_and_loses_the_rest(world, client, judge_login):
    from contest import services
    from judging import services as js
    from judging.models import JudgeSeat

    world.open_and_assign()
    judge = judge_login(world, 0)
    mine = _mine(world, judge)
    crit = _criteria(world)
    _post(client, world, mine[0], "draft", {crit[0][0]: 10})
    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        seat = s.scalar(select(JudgeSeat).where(JudgeSeat.user_id == judge))
        js.withdraw_judge(s, seat=seat, actor=None)
        js.apply_assignments(s, rnd=rnd, actor=None)
        s.commit()
    now_mine = _mine(world, judge)
    assert now_mine == [mine[0]]  # the started reading stays with its judge
    per_entry = Counter(e for e, _j, _c in world.assignments())
    assert set(per_entry.values()) == {2}


def test_progress_page_counts(world, client, judge_login, app):
    world.open_and_assign()
    judge = judge_login(world, 0)
    code = _mine(world, judge)[0]
    crit = _criteria(world)
    _post(client, world, code, "submit", {cid: mp for cid, mp in crit})
    sec = app.test_client()
    sec.post(
        "/login",
        data={
            "email": "tk@example.vn",
            "password": "mat-khau-dai-1",
            "csrf_token": csrf_token(sec),
        },
    )
    page = sec.get("/manage/cham-thi/judging/1/progress").get_data(as_text=True)
    assert "GK-01" in page
    with world.session() as s:
        assert s.query(Assignment).filter(Assignment.active.is_(True)).count() == 12


def test_invited_judge_gets_a_one_time_link(world, app):
    sec = app.test_client()
    sec.post(
        "/login",
        data={
            "email": "tk@example.vn",
            "password": "mat-khau-dai-1",
            "csrf_token": csrf_token(sec),
        },
    )
    token = csrf_token(sec, "/manage/cham-thi/judging/1/judges")
    page = sec.post(
        "/manage/cham-thi/judging/1/judges",
        data={
            "csrf_token": token,
            "email": "moi@example.vn",
            "full_name": "Giám Khảo Mới",
            "max_load": "5",
        },
    ).get_data(as_text=True)
    link = re.search(r'id="sign-in-link">([^<]+)<', page).group(1)
    path = link.split("localhost", 1)[1]
    judge = app.test_client()
    r = judge.get(path)
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/set-password")
    again = app.test_client().get(path)
    assert again.headers["Location"].startswith("/login")


def test_two_tabs_on_an_unscored_entry_do_not_overwrite_each_other(world, client, judge_login):
    """Both tabs opened the entry before any score existed (version 0): the second save is
    refused and shown the first one's values, not silently merged over them."""
    world.open_and_assign()
    judge = judge_login(world, 0)
    code = _mine(world, judge)[0]
    crit = _criteria(world)
    first = _post(client, world, code, "draft", {crit[0][0]: 10}, version=0)
    assert first.status_code == 200
    second = _post(client, world, code, "draft", {crit[1][0]: 3}, version=0)
    assert second.status_code == 409
    assert second.get_json()["score"]["points"] == {str(crit[0][0]): 10.0}
    with world.session() as s:
        assert s.scalar(select(Score)).points == {str(crit[0][0]): 10.0}


def test_late_entry_changes_only_what_must_change(world, app, factory):
    from contest import entries, services
    from judging import services as js

    world.open_and_assign()
    before = set((e, j) for e, j, _c in world.assignments())
    late = factory.entry(world.contest, seed=999)
    with world.session() as s:
        c = services.get_contest(s, "cham-thi")
        entries.release_entries(s, vault=app.extensions["vault"], contest=c, actor=None)
        rnd = js.get_round(s, c, 1)
        preview = js.apply_assignments(s, rnd=rnd, actor=None)
        s.commit()
    after = set((e, j) for e, j, _c in world.assignments())
    assert before <= after  # nothing moved
    assert {e for e, _j in after - before} == {late.id}
    assert len(after - before) == 2 and preview.plan.remove == []


def test_override_by_hand_needs_a_reason_and_avoids_conflicts(world, app):
    from contest.problems import ProblemError
    from judging import services as js

    world.open_and_assign()
    with world.session() as s:
        a = s.scalars(
            select(Assignment).where(Assignment.active.is_(True)).order_by(Assignment.id)
        ).first()
        other = next(
            j
            for j in world.judges
            if j
            not in {
                x.judge_id
                for x in s.scalars(
                    select(Assignment).where(
                        Assignment.entry_id == a.entry_id, Assignment.active.is_(True)
                    )
                )
            }
        )
        with pytest.raises(ProblemError):
            js.override_assignment(s, assignment=a, new_judge_id=other, actor=None, reason=" ")
        new = js.override_assignment(
            s, assignment=a, new_judge_id=other, actor=None, reason="Giám khảo ốm"
        )
        s.commit()
        assert new.pinned and new.source == "manual" and not a.active
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "assignment.override"))
        assert (
            ev.before == {"judge_id": a.judge_id}
            and ev.after == {"judge_id": other}
            and ev.note == "Giám khảo ốm"
        )


def test_recusal_is_recorded_and_the_entry_leaves_the_judge(world, client, judge_login):
    from judging.models import Conflict

    world.open_and_assign()
    judge = judge_login(world, 0)
    code = _mine(world, judge)[0]
    page = f"/judge/cham-thi/round/1/entries/{code}"
    r = client.post(
        f"{page}/recuse",
        data={"csrf_token": csrf_token(client, page), "reason": "Người quen của tôi"},
    )
    assert r.status_code == 302
    assert code not in _mine(world, judge)
    with world.session() as s:
        c = s.scalar(select(Conflict).where(Conflict.kind == "recusal"))
        assert c.judge_id == judge and c.note == "Người quen của tôi"
    assert client.get(page).status_code == 403


def test_detected_conflicts_are_recorded(app, factory):
    from judging.models import Conflict
    from tests.judging.conftest import World

    w = World(app, factory, author_units={})
    # judge 1 shares the author's full name with entry 2: found from the blind index
    from contest.models import User

    with w.session() as s:
        u = s.get(User, w.judges[1])
        u.set_profile(s.info["vault"], email=u.email, full_name="Tác Giả Thứ 2")
        s.commit()
    w.open_and_assign()
    assert (w.entries[2].id, w.judges[1]) not in {(e, j) for e, j, _c in w.assignments()}
    with w.session() as s:
        rows = s.scalars(select(Conflict).where(Conflict.kind == "detected")).all()
        assert [(c.judge_id, c.entry_id) for c in rows] == [(w.judges[1], w.entries[2].id)]
