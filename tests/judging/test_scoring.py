"""judging.scoring: the judge's score written with plain statements. What the ORM's version
column used to guarantee must still hold when two writers race, and the mapped objects and
the audit log must see the same score as the statements wrote."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from contest.models import AuditEvent, User
from judging import scoring
from judging import services as js
from judging.models import Assignment, Score, ScoreStatus


def _first(world, judge_index=0):
    world.open_and_assign()
    with world.session() as s:
        a = s.scalar(
            select(Assignment)
            .where(Assignment.judge_id == world.judges[judge_index], Assignment.active.is_(True))
            .order_by(Assignment.id)
        )
        return a.id, a.judge_id, a.entry.secret_code


def _load(s, judge_id, code):
    found = scoring.load(s, slug="cham-thi", position=1, judge_id=judge_id, code=code)
    assert found.target is not None
    return found.target


def _points(target, fraction):
    return {str(c.id): str(round(c.max_points * fraction, 2)) for c in target.criteria}


def test_load_answers_each_question_apart(world):
    aid, judge_id, code = _first(world)
    other = next(j for j in world.judges if j != judge_id)
    with world.session() as s:
        assert scoring.load(s, slug="khong-co", position=1, judge_id=judge_id, code=code) == (
            scoring.Lookup(False, False, False, None)
        )
        no_round = scoring.load(s, slug="cham-thi", position=9, judge_id=judge_id, code=code)
        assert (no_round.contest_found, no_round.round_found) == (True, False)
        # an outsider holds no seat; a seated judge gets nothing for a code not theirs
        assert not scoring.load(s, slug="cham-thi", position=1, judge_id=10**6, code=code).seated
        theirs = scoring.load(s, slug="cham-thi", position=1, judge_id=other, code=code)
        assert theirs.seated and theirs.target is None
        t = _load(s, judge_id, code)
        rnd = s.get(Assignment, aid).round
        assert t.assignment_id == aid and t.active and t.score is None
        assert [c.id for c in t.criteria] == [c.id for c in rnd.criteria]
        assert t == scoring.target_of(s.get(Assignment, aid))


def test_a_draft_and_a_submit_store_what_the_orm_reads_back(world):
    aid, judge_id, code = _first(world)
    with world.session() as s:
        t = _load(s, judge_id, code)
        first = scoring.save_draft(
            s, t, raw_points=_points(t, 0.5), comment="nháp", expected_version=0, actor_id=judge_id
        )
        s.commit()
    with world.session() as s:
        t = _load(s, judge_id, code)
        assert t.score == first and first.version == 1 and first.status == ScoreStatus.draft
        done = scoring.submit_score(
            s, t, raw_points=_points(t, 0.8), comment="xong", expected_version=1, actor_id=judge_id
        )
        s.commit()
    with world.session() as s:
        score = s.scalar(select(Score).where(Score.assignment_id == aid))
        assert (score.id, score.version, score.status, score.points, score.total) == (
            done.id,
            2,
            ScoreStatus.submitted,
            done.points,
            done.total,
        )
        assert score.submitted_at is not None and score.comment == "xong"
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("score.%")).order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.object_type, e.object_id, e.actor_id) for e in events] == [
            ("score.draft", "Score", str(score.id), judge_id),
            ("score.submit", "Score", str(score.id), judge_id),
        ]
        assert events[0].before is None and events[0].after["version"] == 1
        assert events[1].before == events[0].after
        assert events[1].after == {
            "status": "submitted",
            "points": done.points,
            "comment": "xong",
            "version": 2,
        }


def test_a_write_based_on_an_old_read_is_refused_with_the_newer_score(world):
    """Two app servers read version 1, both write: the second UPDATE matches no row."""
    aid, judge_id, code = _first(world)
    with world.session() as s:
        t = _load(s, judge_id, code)
        scoring.save_draft(s, t, raw_points=_points(t, 0.1), comment="", expected_version=None,
                           actor_id=judge_id)  # fmt: skip
        s.commit()
    with world.session() as a_side, world.session() as b_side:
        seen_by_a = _load(a_side, judge_id, code)
        seen_by_b = _load(b_side, judge_id, code)
        b_side.rollback()  # b keeps what it read, as a request holding it would
        won = scoring.save_draft(a_side, seen_by_a, raw_points=_points(seen_by_a, 0.6),
                                 comment="A", expected_version=1, actor_id=judge_id)  # fmt: skip
        a_side.commit()
        with pytest.raises(scoring.StaleScore) as stale:
            scoring.save_draft(b_side, seen_by_b, raw_points=_points(seen_by_b, 0.2),
                               comment="B", expected_version=1, actor_id=judge_id)  # fmt: skip
        b_side.rollback()
    assert stale.value.score == won
    with world.session() as s:
        stored = s.scalar(select(Score).where(Score.assignment_id == aid))
        assert (stored.comment, stored.version) == ("A", 2)


def test_two_first_saves_make_one_score(world):
    """Both tabs saw no score: the unique assignment lets one row in; the other is stale."""
    aid, judge_id, code = _first(world)
    with world.session() as a_side, world.session() as b_side:
        seen_by_a = _load(a_side, judge_id, code)
        seen_by_b = _load(b_side, judge_id, code)
        b_side.rollback()
        won = scoring.save_draft(a_side, seen_by_a, raw_points=_points(seen_by_a, 0.3),
                                 comment="A", expected_version=0, actor_id=judge_id)  # fmt: skip
        a_side.commit()
        with pytest.raises(scoring.StaleScore) as stale:
            scoring.submit_score(b_side, seen_by_b, raw_points=_points(seen_by_b, 0.9),
                                 comment="B", expected_version=0, actor_id=judge_id)  # fmt: skip
        b_side.rollback()
    assert stale.value.score == won
    with world.session() as s:
        assert [sc.comment for sc in s.scalars(select(Score))] == ["A"]
        assert s.query(AuditEvent).filter(AuditEvent.action.like("score.%")).count() == 1


def test_simultaneous_writers_on_postgresql_store_one_change_each_version(world, app):
    """On PostgreSQL the second UPDATE waits for the first transaction, then re-checks the
    version against the committed row: one of two simultaneous saves wins, never both."""
    if app.extensions["db_engine"].dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite runs one writer at a time)")
    aid, judge_id, code = _first(world)
    with world.session() as s:
        t = _load(s, judge_id, code)
        scoring.save_draft(s, t, raw_points={}, comment="0", expected_version=None,
                           actor_id=judge_id)  # fmt: skip
        s.commit()
    barrier = threading.Barrier(2, timeout=10)
    outcome: dict[str, str] = {}

    def writer(name: str, hold: float) -> None:
        with world.session() as s:
            t = _load(s, judge_id, code)
            barrier.wait()
            try:
                scoring.save_draft(s, t, raw_points={}, comment=name, expected_version=1,
                                   actor_id=judge_id)  # fmt: skip
                threading.Event().wait(hold)  # keep the row locked a moment
                s.commit()
                outcome[name] = "saved"
            except scoring.StaleScore:
                s.rollback()
                outcome[name] = "stale"

    threads = [threading.Thread(target=writer, args=(n, 0.3)) for n in ("A", "B")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(20)
    assert sorted(outcome.values()) == ["saved", "stale"], outcome
    with world.session() as s:
        stored = s.scalar(select(Score).where(Score.assignment_id == aid))
        winner = next(n for n, o in outcome.items() if o == "saved")
        assert (stored.comment, stored.version) == (winner, 2)


def test_mapped_objects_in_the_session_see_the_write(world):
    """The demo and the CLI hold mapped objects: after a write around the ORM they must not
    show (or later flush against) the old version."""
    aid, judge_id, _code = _first(world)
    with world.session() as s:
        a = s.get(Assignment, aid)
        judge = s.get(User, judge_id)
        c = a.round.criteria[0]
        js.save_draft(s, assignment=a, raw_points={str(c.id): "1"}, comment="",
                      expected_version=None, actor=judge)  # fmt: skip
        assert a.score is not None and a.score.version == 1
        js.save_draft(s, assignment=a, raw_points={str(c.id): "2"}, comment="",
                      expected_version=1, actor=judge)  # fmt: skip
        assert (a.score.version, a.score.points) == (2, {str(c.id): 2.0})
        # the secretariat's reopen (ORM) after a submit written by statements
        full = {str(k.id): str(k.max_points) for k in a.round.criteria}
        js.submit_score(s, assignment=a, raw_points=full, comment="", expected_version=2,
                        actor=judge)  # fmt: skip
        assert a.score.status == ScoreStatus.submitted
        js.reopen_score(s, score=a.score, actor=judge, reason="chấm nhầm")
        s.commit()
        assert a.score.version == 4
        again = js.save_draft(s, assignment=a, raw_points={str(c.id): "3"}, comment="",
                              expected_version=4, actor=judge)  # fmt: skip
        s.commit()
        assert again.version == 5 and a.score.points == {str(c.id): 3.0}


def test_rules_refuse_before_anything_is_written(world):
    aid, judge_id, code = _first(world)
    with world.session() as s:
        t = _load(s, judge_id, code)
        with pytest.raises(scoring.ProblemError) as bad:
            scoring.submit_score(s, t, raw_points={}, comment="", expected_version=None,
                                 actor_id=judge_id)  # fmt: skip
        assert {p.code for p in bad.value.problems} == {"points_missing"}
        closed = scoring.ScoreTarget(**{**_fields(t), "round_state": js.RoundState.closed})
        with pytest.raises(scoring.ProblemError) as shut:
            scoring.save_draft(s, closed, raw_points={}, comment="x", expected_version=None,
                               actor_id=judge_id)  # fmt: skip
        assert shut.value.problems[0].code == "round_not_open"
        s.rollback()
    with world.session() as s:
        assert s.scalar(select(Score)) is None
        assert s.query(AuditEvent).filter(AuditEvent.action.like("score.%")).count() == 0


def _fields(t: scoring.ScoreTarget) -> dict:
    return {name: getattr(t, name) for name in scoring.ScoreTarget.__slots__}
