"""Results: ranking from the scores, disagreement and extra reading, prizes, finalise, reveal,
advance, the report read back, the printable list, the statistics page."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from contest.models import AuditEvent, Contest, ContestState
from judging.models import Assignment, Award, RoundEntry
from tests.conftest import csrf_token


def _score_all(world, totals: dict[int, list[float]] | None = None, skip=()):
    """Submit every assignment: entry i gets totals[i] in order of its judges (default 60+i)."""
    from contest import services
    from judging import services as js

    with world.session() as s:
        rnd = js.get_round(s, services.get_contest(s, "cham-thi"), 1)
        crit = list(rnd.criteria)
        seen: dict[int, int] = {}
        for a in s.scalars(
            select(Assignment)
            .where(Assignment.active.is_(True))
            .order_by(Assignment.entry_id, Assignment.judge_id)
        ):
            idx = [e.id for e in world.entries].index(a.entry_id)
            if idx in skip:
                continue
            k = seen.get(a.entry_id, 0)
            seen[a.entry_id] = k + 1
            total = (totals or {}).get(idx, [60 + idx * 4] * 5)[k]
            points = {str(c.id): round(c.max_points * total / 100, 2) for c in crit}
            js.submit_score(
                s,
                assignment=a,
                raw_points=points,
                comment="",
                expected_version=None,
                actor=s.get(type(world.admin), a.judge_id),
            )
        s.commit()


def _to_judging(world):
    from contest import services

    with world.session() as s:
        c = services.get_contest(s, "cham-thi")
        services.transition_contest(s, actor=None, contest=c, target="closed")
        services.transition_contest(s, actor=None, contest=c, target="judging")
        s.commit()


@pytest.fixture
def admin_client(app, world):
    c = app.test_client()
    c.post(
        "/login",
        data={"email": "qt@example.vn", "password": "mat-khau-dai-1", "csrf_token": csrf_token(c)},
    )
    return c


def test_ranking_page_shows_scores_ranks_and_ties(world, admin_client):
    world.open_and_assign()
    _score_all(world, totals={0: [80, 80], 2: [80, 80]})
    page = admin_client.get("/manage/cham-thi/results/").get_data(as_text=True)
    assert page.count("đồng hạng") == 2  # entries 0 and 2 (same category) tie: shown, not hidden
    assert "80,00" in page


def test_disagreement_flagged_and_extra_reading_assigned(world, admin_client):
    world.open_and_assign()
    _score_all(world, totals={1: [50, 75]})
    page = admin_client.get("/manage/cham-thi/results/").get_data(as_text=True)
    assert "điểm lệch nhau" in page
    r = admin_client.post(
        f"/manage/cham-thi/results/extra/{world.entries[1].id}",
        data={"csrf_token": csrf_token(admin_client, "/manage/cham-thi/results/")},
    )
    assert r.status_code == 302
    with world.session() as s:
        extra = s.scalars(
            select(Assignment).where(
                Assignment.entry_id == world.entries[1].id, Assignment.active.is_(True)
            )
        ).all()
        assert len(extra) == 3 and extra[-1].source == "extra"
        assert len({a.judge_id for a in extra}) == 3


def test_finalise_refuses_unscored_entries_and_lists_them(world, admin_client):
    world.open_and_assign()
    _score_all(world, skip=(3,))
    _to_judging(world)
    token = csrf_token(admin_client, "/manage/cham-thi/results/")
    admin_client.post("/manage/cham-thi/results/allocate", data={"csrf_token": token})
    r = admin_client.post(
        "/manage/cham-thi/results/finalise", data={"csrf_token": token}, follow_redirects=True
    )
    body = r.get_data(as_text=True)
    with world.session() as s:
        code = s.get(type(world.entries[3]), world.entries[3].id).secret_code
        assert s.scalar(select(Contest)).state == ContestState.judging
    assert f"chưa có điểm: {code}" in body


def test_reveal_before_finalise_is_refused(world, admin_client):
    world.open_and_assign()
    _score_all(world)
    r = admin_client.post(
        "/manage/cham-thi/results/reveal",
        data={"csrf_token": csrf_token(admin_client, "/manage/cham-thi/results/")},
        follow_redirects=True,
    )
    assert "Chỉ công bố danh tính sau khi đã tổng kết" in r.get_data(as_text=True)
    with world.session() as s:
        assert s.scalar(select(Contest)).revealed_at is None


def test_allocate_adjust_finalise_reveal_and_workbook(world, admin_client, app):
    world.open_and_assign()
    _score_all(world)
    _to_judging(world)
    token = csrf_token(admin_client, "/manage/cham-thi/results/")
    assert (
        admin_client.post(
            "/manage/cham-thi/results/allocate", data={"csrf_token": token}
        ).status_code
        == 302
    )
    with world.session() as s:
        awards = {
            a.entry_id: a.prize for a in s.scalars(select(Award).where(Award.special.is_(False)))
        }
    # local scheme: nhat 1, nhi 2, ba 3 per category; entries 4 and 5 score highest in their categories
    assert awards[world.entries[4].id] == "nhat" and awards[world.entries[5].id] == "nhat"
    r = admin_client.post(
        "/manage/cham-thi/results/adjust",
        data={
            "csrf_token": token,
            "entry_id": str(world.entries[0].id),
            "prize": "kk",
            "reason": "",
        },
        follow_redirects=True,
    )
    assert "Hãy ghi lý do điều chỉnh giải" in r.get_data(as_text=True)
    admin_client.post(
        "/manage/cham-thi/results/adjust",
        data={
            "csrf_token": token,
            "entry_id": str(world.entries[0].id),
            "prize": "kk",
            "reason": "Hội đồng thống nhất",
        },
    )
    assert (
        admin_client.post(
            "/manage/cham-thi/results/finalise", data={"csrf_token": token}
        ).status_code
        == 302
    )
    with world.session() as s:
        assert s.scalar(select(Contest)).state == ContestState.finalised
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "prize.adjust"))
        assert ev.after == {"prize": "kk"} and ev.note == "Hội đồng thống nhất"
    # scores are locked now
    from contest.problems import ProblemError
    from judging import services as js

    with world.session() as s:
        a = s.scalars(select(Assignment)).first()
        with pytest.raises(ProblemError):
            js.reopen_score(s, score=a.score, actor=None, reason="thử")
    # before the reveal, the workbook carries no names
    wb = load_workbook(io.BytesIO(admin_client.get("/manage/cham-thi/results/report.xlsx").data))
    flat = " ".join(
        str(c.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    )
    assert "Tác Giả Thứ" not in flat
    assert (
        admin_client.post("/manage/cham-thi/results/reveal", data={"csrf_token": token}).status_code
        == 302
    )
    wb = load_workbook(io.BytesIO(admin_client.get("/manage/cham-thi/results/report.xlsx").data))
    names = [ws.title for ws in wb.worksheets]
    assert names[0] in ("Tạp chí", "Xếp hạng - Tạp chí") or any("Tạp chí" in n for n in names)
    ranking = next(ws for ws in wb.worksheets if "Tạp chí" in ws.title)
    header = [c.value for c in next(ranking.iter_rows(max_row=1))]
    rows = [
        dict(zip(header, [c.value for c in r], strict=False)) for r in ranking.iter_rows(min_row=2)
    ]
    top = rows[0]
    assert "Tác Giả Thứ 4" in " ".join(str(v) for v in top.values())
    assert any(v == 76 or v == 76.0 for v in top.values())  # entry 4: 60 + 4 * 4
    with world.session() as s:
        assert (
            s.scalar(select(AuditEvent).where(AuditEvent.action == "identity.reveal")) is not None
        )
    printable = admin_client.get("/manage/cham-thi/results/print").get_data(as_text=True)
    assert "Giải Nhất" in printable and "Tác Giả Thứ 4" in printable


def test_cli_export_writes_a_readable_workbook(world, runner, tmp_path):
    world.open_and_assign()
    _score_all(world)
    out = tmp_path / "ket-qua.xlsx"
    result = runner.invoke(args=["results", "export", "--contest", "cham-thi", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert len(wb.worksheets) >= 5
    csv_out = tmp_path / "ket-qua.zip"
    result = runner.invoke(
        args=["results", "export", "--contest", "cham-thi", "-o", str(csv_out), "--csv"]
    )
    assert result.exit_code == 0
    import zipfile

    with zipfile.ZipFile(csv_out) as z:
        first = z.read(z.namelist()[0])
        assert first.startswith(b"\xef\xbb\xbf")


def test_statistics_page_has_agreement_and_svg_charts(world, admin_client):
    world.open_and_assign()
    _score_all(world, totals={i: [60 + i * 5, 62 + i * 5] for i in range(6)})
    page = admin_client.get("/manage/cham-thi/results/statistics").get_data(as_text=True)
    assert "ICC(1)" in page and "<svg" in page and "GK-01" in page


def test_advance_moves_entries_at_or_above_threshold(world, admin_client):
    world.open_and_assign()
    _score_all(world, totals={i: [65 + i * 2] * 2 for i in range(6)})  # 65, 67, 69, 71, 73, 75
    page = admin_client.get("/manage/cham-thi/results/advance?round=1").get_data(as_text=True)
    assert page.count("<tr>") - 1 == 3  # 71, 73, 75 meet "at least 70"
    admin_client.post(
        "/manage/cham-thi/results/advance?round=1",
        data={"csrf_token": csrf_token(admin_client, "/manage/cham-thi/results/advance?round=1")},
    )
    with world.session() as s:
        from contest import services
        from judging import services as js

        r2 = js.get_round(s, services.get_contest(s, "cham-thi"), 2)
        moved = set(s.scalars(select(RoundEntry.entry_id).where(RoundEntry.round_id == r2.id)))
        assert moved == {world.entries[i].id for i in (3, 4, 5)}


def test_results_pages_forbidden_to_judges(world, client, judge_login):
    judge_login(world, 0)
    assert client.get("/manage/cham-thi/results/").status_code == 403
    assert client.get("/manage/cham-thi/results/report.xlsx").status_code == 403


def test_extra_reading_is_not_assigned_twice(world, admin_client):
    from judging.models import Assignment

    world.open_and_assign()
    _score_all(world, totals={1: [50, 75]})
    token = csrf_token(admin_client, "/manage/cham-thi/results/")
    url = f"/manage/cham-thi/results/extra/{world.entries[1].id}"
    admin_client.post(url, data={"csrf_token": token})
    page = admin_client.get("/manage/cham-thi/results/").get_data(as_text=True)
    assert "đang chờ lượt chấm thêm" in page and "Phân thêm lượt chấm" not in page
    r = admin_client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "đã có một lượt chấm thêm đang chờ điểm" in r.get_data(as_text=True)
    with world.session() as s:
        assert (
            s.query(Assignment)
            .filter(Assignment.entry_id == world.entries[1].id, Assignment.active.is_(True))
            .count()
            == 3
        )


def test_report_reads_one_snapshot_while_scores_change(world, app):
    """A score submitted while a report is being built does not appear half-way through it."""
    from sqlalchemy import func

    from contest import services
    from judging import results
    from judging import services as js
    from judging.models import Score

    world.open_and_assign()
    _score_all(world, skip=(5,))
    with world.session() as reader:
        results.snapshot(reader)
        before = reader.scalar(select(func.count()).select_from(Score))
        with world.session() as writer:  # a judge submits meanwhile
            rnd = js.get_round(writer, services.get_contest(writer, "cham-thi"), 1)
            a = writer.scalars(
                select(Assignment).where(Assignment.entry_id == world.entries[5].id)
            ).first()
            points = {str(c.id): c.max_points for c in rnd.criteria}
            js.submit_score(
                writer,
                assignment=a,
                raw_points=points,
                comment="",
                expected_version=None,
                actor=None,
            )
            writer.commit()
        assert reader.scalar(select(func.count()).select_from(Score)) == before
        reader.rollback()
    with world.session() as fresh:
        assert fresh.scalar(select(func.count()).select_from(Score)) == before + 1
