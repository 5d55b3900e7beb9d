"""A judge's score: the rules for writing one, and the writes as plain SQL statements.

Autosave and submit are most of what a panel of judges sends at once (docs/bench/load.md).
Through the ORM, an autosave loaded the contest, the round, its criteria, the assignment and
the score as mapped objects and wrote the score and its audit event in two units of work:
2.1 ms of CPU per request on the test machine, a third of what the server spent on it. Here
the same work is one SELECT of the columns the rules need and two plain statements (0.9 ms;
bench/bench_request_overhead.py). So everything in this module works on plain values:

- `load(...)` answers the web request's questions in one query: is there such a contest and
  round, does this judge hold a seat, which of the judge's active assignments has this code,
  what score is stored, and what are the criteria.
- `target_of(assignment)` gives the same from mapped objects (the demo, the CLI, tests).
- `save_draft` / `submit_score` check the rules, then UPDATE ... WHERE version = the version
  read (or INSERT ... ON CONFLICT DO NOTHING for the first save), and INSERT the audit event
  in the same transaction. A write that finds the row changed since it was read raises
  `StaleScore` with the newer score: two tabs, or two app servers, never overwrite each other.

Reopening (rare, by the secretariat) stays in judging.services on mapped objects. Both sides
count versions the same way (+1 per change, the ORM's version_id_col), so each notices the
other's writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from contest.db import insert_or_skip
from contest.models import AuditEvent, Contest, ContestState, Entry
from contest.problems import Problem, ProblemError
from contest.services import audit_values
from judging.models import (
    Assignment,
    JudgeSeat,
    Round,
    RoundCriterion,
    RoundState,
    Score,
    ScoreStatus,
)

# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Criterion:
    id: int
    name: str
    max_points: float
    weight: float


@dataclass(frozen=True, slots=True)
class StoredScore:
    """A score as stored: what the judge's page shows and the version a save must quote."""

    id: int
    status: ScoreStatus
    points: dict[str, float]
    comment: str
    total: float | None
    version: int


@dataclass(frozen=True, slots=True)
class ScoreTarget:
    """One judge's active reading of one entry, with what the rules need to write its score."""

    contest_id: int
    contest_state: ContestState
    round_id: int
    round_state: RoundState
    assignment_id: int
    judge_id: int
    active: bool
    criteria: tuple[Criterion, ...]
    score: StoredScore | None


@dataclass(frozen=True, slots=True)
class Lookup:
    """What `load` found: each step can fail, and the web layer answers each differently
    (no contest: 404; no round or no seat: 403; not this judge's code: 403)."""

    contest_found: bool
    round_found: bool
    seated: bool
    target: ScoreTarget | None


class StaleScore(ProblemError):
    """The score changed since the judge loaded it: carries the newer values."""

    def __init__(self, score: StoredScore | None):
        self.score = score
        super().__init__(
            Problem(
                "stale_score",
                "Điểm này vừa được lưu ở nơi khác (tab hoặc thiết bị khác). Bản mới hơn đang được hiển thị; hãy kiểm tra rồi lưu lại.",
                "This score was just saved elsewhere (another tab or device). The newer version is shown; check it and save again.",
            )
        )


def _problem(code: str, vi: str, en: str, **params) -> ProblemError:
    return ProblemError(Problem(code, vi, en, params))


# --------------------------------------------------------------------------- rules


def parse_points(
    criteria: Sequence[Any], raw: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, float], list[Problem]]:
    """Validate points per criterion from a form: numbers within [0, max]. With `complete`,
    every criterion must have a value (submit); drafts may be partial. `criteria`: anything
    with id, name and max_points (Criterion here, RoundCriterion in the ORM)."""
    out: dict[str, float] = {}
    problems: list[Problem] = []
    for c in criteria:
        value = raw.get(str(c.id))
        if value is None or (isinstance(value, str) and not value.strip()):
            if complete:
                problems.append(
                    Problem(
                        "points_missing",
                        "Chưa chấm tiêu chí “{name}”.",
                        "The criterion “{name}” has no score.",
                        {"name": c.name},
                        field=str(c.id),
                    )
                )
            continue
        try:
            v = float(str(value).replace(",", "."))
        except ValueError:
            problems.append(
                Problem(
                    "points_nan",
                    "“{name}”: hãy nhập một số.",
                    "“{name}”: enter a number.",
                    {"name": c.name},
                    field=str(c.id),
                )
            )
            continue
        if v != v or v < 0 or v > c.max_points:
            problems.append(
                Problem(
                    "points_range",
                    "“{name}”: điểm phải từ 0 đến {max:g}.",
                    "“{name}”: points must be between 0 and {max:g}.",
                    {"name": c.name, "max": c.max_points},
                    field=str(c.id),
                )
            )
            continue
        out[str(c.id)] = round(v, 2)
    return out, problems


def weighted_total(criteria: Sequence[Any], points: Mapping[str, float]) -> float:
    return round(sum(points.get(str(c.id), 0.0) * c.weight for c in criteria), 2)


def score_locked() -> ProblemError:
    return _problem(
        "score_submitted",
        "Điểm đã nộp và bị khóa. Có thể đề nghị mở lại.",
        "The score is submitted and locked. You can ask for it to be reopened.",
    )


def check_can_write(target: ScoreTarget) -> None:
    if not target.active:
        raise _problem(
            "not_assigned",
            "Tác phẩm này không còn được phân cho bạn.",
            "This entry is no longer assigned to you.",
        )
    if target.round_state != RoundState.open:
        raise _problem(
            "round_not_open",
            "Vòng chấm chưa mở hoặc đã đóng.",
            "The round is not open for scoring.",
        )
    if target.contest_state == ContestState.finalised:
        raise _problem(
            "finalised",
            "Kết quả đã tổng kết: điểm đã khóa.",
            "Results are finalised: scores are locked.",
        )


def check_version(score: Any, expected_version: int | None) -> None:
    # Version 0 means "I saw no score yet": a score saved meanwhile by another tab is newer.
    if score is not None and expected_version is not None and expected_version != score.version:
        raise StaleScore(_stored(score))


def snapshot(score: Any) -> dict[str, Any] | None:
    """The audit log's picture of a score (StoredScore or the mapped Score)."""
    if score is None:
        return None
    return {
        "status": ScoreStatus(score.status).value,
        "points": dict(score.points),
        "comment": score.comment,
        "version": score.version,
    }


def _stored(score: Any) -> StoredScore:
    if isinstance(score, StoredScore):
        return score
    return StoredScore(
        score.id, score.status, dict(score.points), score.comment, score.total, score.version
    )


# --------------------------------------------------------------------------- reading

# A StoredScore's fields, in order, as columns.
_SCORE_COLUMNS = (Score.id, Score.status, Score.points, Score.comment, Score.total, Score.version)


def seat_held():
    """EXISTS: the judge (bound `judge_id`) holds an active seat in the joined Round."""
    return (
        select(JudgeSeat.id)
        .where(
            JudgeSeat.round_id == Round.id,
            JudgeSeat.user_id == bindparam("judge_id"),
            JudgeSeat.withdrawn_at.is_(None),
        )
        .exists()
    )


def reading_joins(stmt):
    """From the contest (bound `slug`): its round at `position`, the round's criteria, and
    the judge's (`judge_id`) active assignment of the entry whose secret code is `code`
    (found by the (contest, code) unique index). Every join is outer, so a row says which
    step failed. Shared with judging.services.reading, which loads mapped objects."""
    entry_id = (
        select(Entry.id)
        .where(Entry.contest_id == Contest.id, Entry.secret_code == bindparam("code"))
        .scalar_subquery()
    )
    return (
        stmt.select_from(Contest)
        .outerjoin(
            Round, (Round.contest_id == Contest.id) & (Round.position == bindparam("position"))
        )
        .outerjoin(RoundCriterion, RoundCriterion.round_id == Round.id)
        .outerjoin(
            Assignment,
            (Assignment.round_id == Round.id)
            & (Assignment.judge_id == bindparam("judge_id"))
            & Assignment.active.is_(True)
            & (Assignment.entry_id == entry_id),
        )
        .where(Contest.slug == bindparam("slug"))
    )


@cache
def _load_statement():
    """Built once per process with bound parameters: one row per criterion (or one row when
    the round has none), each carrying the contest, round, seat, assignment and score."""
    columns = select(
        Contest.id,
        Contest.state,
        Round.id,
        Round.state,
        seat_held(),
        Assignment.id,
        Assignment.active,
        *_SCORE_COLUMNS,
        RoundCriterion.id,
        RoundCriterion.name,
        RoundCriterion.max_points,
        RoundCriterion.weight,
    )
    return (
        reading_joins(columns)
        .outerjoin(Score, Score.assignment_id == Assignment.id)
        .order_by(RoundCriterion.position, RoundCriterion.id)
    )


def load(session: Session, *, slug: str, position: int, judge_id: int, code: str) -> Lookup:
    """The judge's active reading of `code` in round `position` of contest `slug`."""
    rows = (
        session.connection()
        .execute(
            _load_statement(),
            {"slug": slug, "position": position, "judge_id": judge_id, "code": code},
        )
        .all()
    )
    if not rows:
        return Lookup(False, False, False, None)
    (cid, cstate, rid, rstate, seated, aid, active, sid, status, points, comment, total, version,
     *_criterion) = rows[0]  # fmt: skip
    if rid is None:
        return Lookup(True, False, False, None)
    if not seated:
        return Lookup(True, True, False, None)
    if aid is None:
        return Lookup(True, True, True, None)
    score = (
        StoredScore(sid, status, dict(points or {}), comment, total, version)
        if sid is not None
        else None
    )
    criteria = tuple(Criterion(*row[13:]) for row in rows if row[13] is not None)
    target = ScoreTarget(cid, cstate, rid, rstate, aid, judge_id, bool(active), criteria, score)
    return Lookup(True, True, True, target)


def target_of(assignment: Assignment) -> ScoreTarget:
    """The same as `load` finds, from mapped objects."""
    rnd = assignment.round
    s = assignment.score
    return ScoreTarget(
        rnd.contest_id,
        rnd.contest.state,
        rnd.id,
        rnd.state,
        assignment.id,
        assignment.judge_id,
        assignment.active,
        tuple(Criterion(c.id, c.name, c.max_points, c.weight) for c in rnd.criteria),
        _stored(s) if s is not None else None,
    )


# --------------------------------------------------------------------------- writing


def save_draft(
    session: Session,
    target: ScoreTarget,
    *,
    raw_points: Mapping[str, Any],
    comment: str,
    expected_version: int | None,
    actor_id: int,
) -> StoredScore:
    """Autosave: partial points allowed; a stale version raises StaleScore with the newer one."""
    check_can_write(target)
    score = target.score
    if score is not None and score.status == ScoreStatus.submitted:
        raise score_locked()
    check_version(score, expected_version)
    points, problems = parse_points(target.criteria, raw_points, complete=False)
    if problems:
        raise ProblemError(problems)
    comment = comment or ""
    if score is not None and score.points == points and score.comment == comment:
        return score  # nothing changed: no write, no audit event
    now = datetime.now(UTC)
    values = {
        "points": points,
        "comment": comment,
        "total": weighted_total(target.criteria, points),
        "status": ScoreStatus.draft,  # a draft is never submitted (checked above)
        "updated_at": now,
    }
    if score is None:
        values["created_at"] = now
    return _write(session, target, values, action="score.draft", actor_id=actor_id)


def submit_score(
    session: Session,
    target: ScoreTarget,
    *,
    raw_points: Mapping[str, Any],
    comment: str,
    expected_version: int | None,
    actor_id: int,
) -> StoredScore:
    """Validate every criterion and lock. A repeated submit of the same values records one score."""
    score = target.score
    points, problems = parse_points(target.criteria, raw_points, complete=True)
    if score is not None and score.status == ScoreStatus.submitted:
        if not problems and score.points == points:
            return score  # a double submit
        raise score_locked()
    check_can_write(target)
    check_version(score, expected_version)
    if problems:
        raise ProblemError(problems)
    now = datetime.now(UTC)
    values = {
        "points": points,
        "comment": comment or "",
        "total": weighted_total(target.criteria, points),
        "status": ScoreStatus.submitted,
        "submitted_at": now,
        "updated_at": now,
        "reopen_requested": "",
    }
    if score is None:
        values["created_at"] = now
    return _write(session, target, values, action="score.submit", actor_id=actor_id)


@cache
def _update_statement(columns: tuple[str, ...]):
    # Quoting the version read makes the UPDATE a compare-and-set: a row changed meanwhile
    # (another tab, another app server) matches nothing, and nothing is overwritten.
    return (
        update(Score)
        .where(Score.id == bindparam("score_id"), Score.version == bindparam("old_version"))
        .values(
            {
                **{name: bindparam(f"new_{name}") for name in columns},
                "version": bindparam("new_version"),
            }
        )
    )


@cache
def _audit_statement():
    return insert(AuditEvent)


def _write(
    session: Session, target: ScoreTarget, values: dict[str, Any], *, action: str, actor_id: int
) -> StoredScore:
    if session.new or session.dirty or session.deleted:
        session.flush()  # mapped changes of a caller (demo, tests) go first
    conn = session.connection()
    old = target.score
    if old is None:
        score_id = _insert_first(session, target, values)
        version = 1
    else:
        version = old.version + 1
        done = conn.execute(
            _update_statement(tuple(sorted(values))),
            {
                **{f"new_{name}": value for name, value in values.items()},
                "score_id": old.id,
                "old_version": old.version,
                "new_version": version,
            },
        )
        if done.rowcount != 1:
            raise StaleScore(_current(session, target.assignment_id))
        score_id = old.id
    new = StoredScore(
        score_id,
        values["status"],
        values["points"],
        values["comment"],
        values["total"],
        version,
    )
    conn.execute(
        _audit_statement(),
        audit_values(
            actor_id=actor_id,
            contest_id=target.contest_id,
            action=action,
            object_type="Score",
            object_id=score_id,
            before=snapshot(old),
            after=snapshot(new),
        ),
    )
    _forget_loaded(session, target.assignment_id, score_id)
    return new


def _insert_first(session: Session, target: ScoreTarget, values: dict[str, Any]) -> int:
    """The first save of a reading. Two tabs that both saw no score race here: the unique
    assignment_id lets one row in, and the other is told the score is stale."""
    score_id = session.connection().scalar(
        insert_or_skip(session, Score)
        .values(assignment_id=target.assignment_id, version=1, **values)
        .on_conflict_do_nothing(index_elements=[Score.assignment_id])
        .returning(Score.id)
    )
    if score_id is None:
        raise StaleScore(_current(session, target.assignment_id))
    return score_id


def _current(session: Session, assignment_id: int) -> StoredScore | None:
    row = (
        session.connection()
        .execute(select(*_SCORE_COLUMNS).where(Score.assignment_id == assignment_id))
        .first()
    )
    return StoredScore(*row) if row is not None else None


def _forget_loaded(session: Session, assignment_id: int, score_id: int) -> None:
    """The statements went around the ORM: a mapped Score or Assignment.score already loaded
    in this session (the demo, tests) would show the old values, so expire them."""
    if not session.identity_map:
        return
    score = session.identity_map.get(session.identity_key(Score, score_id))
    if score is not None:
        session.expire(score)
    assignment = session.identity_map.get(session.identity_key(Assignment, assignment_id))
    if assignment is not None:
        session.expire(assignment, ["score"])
