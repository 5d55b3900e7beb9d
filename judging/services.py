"""Services of the judging side: rounds, judges, conflicts, assignment, scores, progress.

`verb(session, *, ...)`: load models, call the pure modules, write models, flush; the view or
CLI command commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from contest.models import (
    Author,
    Category,
    Contest,
    Entry,
    EntryStatus,
    Membership,
    StaffRole,
    User,
)
from contest.passwords import generate_password
from contest.problems import Problem, ProblemError
from contest.services import (
    add_membership,
    create_login_token,
    create_user,
    find_user,
    record,
    replace_rubric,
)
from judging import assignment as planner
from judging import scoring
from judging.models import (
    Assignment,
    Conflict,
    JudgeSeat,
    Round,
    RoundCriterion,
    RoundEntry,
    RoundState,
    Score,
    ScoreStatus,
)

DEFAULT_ROUNDS = (
    # (name, readings, advance rule): DOMAIN.md: two blind readings, advance at 70 or top N;
    # the final round is read by the full panel (3 readings by default, editable).
    ("Sơ khảo", 2, {"kind": "threshold", "value": 70}),
    ("Chung khảo", 3, {"kind": "top_n", "value": 10}),
)


def _problem(code: str, vi: str, en: str, field: str | None = None, **params) -> ProblemError:
    return ProblemError(Problem(code, vi, en, params, field=field))


# --------------------------------------------------------------------------- rounds


def rounds_of(session: Session, contest: Contest) -> list[Round]:
    return list(
        session.scalars(
            select(Round).where(Round.contest_id == contest.id).order_by(Round.position)
        )
    )


def get_round(session: Session, contest: Contest, position: int) -> Round | None:
    return session.scalar(
        select(Round).where(Round.contest_id == contest.id, Round.position == position)
    )


def ensure_default_rounds(session: Session, *, contest: Contest, actor: User | None) -> list[Round]:
    """Create sơ khảo and chung khảo with the contest's rubric when the contest has no round."""
    existing = rounds_of(session, contest)
    if existing:
        return existing
    out = []
    for pos, (name, readings, rule) in enumerate(DEFAULT_ROUNDS, start=1):
        r = Round(
            contest_id=contest.id,
            position=pos,
            name=name,
            readings=readings,
            advance_rule=dict(rule),
        )
        for i, c in enumerate(contest.criteria):
            r.criteria.append(
                RoundCriterion(
                    name=c.name,
                    guidance=c.guidance,
                    max_points=c.max_points,
                    weight=c.weight,
                    position=i,
                )
            )
        session.add(r)
        out.append(r)
    session.flush()
    record(
        session,
        actor=actor,
        action="rounds.create",
        contest=contest,
        after={"rounds": [r.name for r in out]},
    )
    return out


ROUND_SETTINGS = ("name", "readings", "advance_rule", "gap", "extra_rule", "method", "tie_break")


def round_has_scores(session: Session, rnd: Round) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Score)
            .join(Assignment)
            .where(Assignment.round_id == rnd.id)
        )
    )


def update_round(
    session: Session, *, rnd: Round, actor: User, settings: Mapping[str, Any]
) -> Round:
    problems: list[Problem] = []
    readings = settings.get("readings", rnd.readings)
    if not isinstance(readings, int) or not (1 <= readings <= 20):
        problems.append(
            Problem(
                "readings_range",
                "Số lượt chấm mỗi bài phải từ 1 đến 20.",
                "Readings per entry must be between 1 and 20.",
                field="readings",
            )
        )
    gap = settings.get("gap", rnd.gap)
    if gap is None or not (0 < gap <= 100):
        problems.append(
            Problem(
                "gap_range",
                "Độ lệch điểm phải lớn hơn 0 và không quá 100.",
                "The disagreement gap must be above 0 and at most 100.",
                field="gap",
            )
        )
    if settings.get("extra_rule", rnd.extra_rule) not in ("mean_all", "third_decides"):
        problems.append(
            Problem(
                "extra_rule",
                "Quy tắc chấm lần ba không hợp lệ.",
                "Unknown rule for the extra reading.",
                field="extra_rule",
            )
        )
    if settings.get("method", rnd.method) not in ("mean", "trimmed", "calibrated"):
        problems.append(
            Problem(
                "method", "Cách tính điểm không hợp lệ.", "Unknown scoring method.", field="method"
            )
        )
    rule = settings.get("advance_rule", rnd.advance_rule) or {}
    if rule and (
        rule.get("kind") not in ("top_n", "top_percent", "threshold")
        or not isinstance(rule.get("value"), int | float)
        or rule["value"] <= 0
    ):
        problems.append(
            Problem(
                "advance_rule",
                "Điều kiện vào vòng sau không hợp lệ.",
                "The rule for moving forward is not valid.",
                field="advance_rule",
            )
        )
    if (
        "tie_break" in settings
        and round_has_scores(session, rnd)
        and settings["tie_break"] != rnd.tie_break
    ):
        problems.append(
            Problem(
                "tie_break_locked",
                "Thứ tự phân định đồng điểm phải công bố trước khi chấm; đã có điểm nên không đổi được.",
                "The tie-break order must be declared before scoring; scores exist, so it cannot change.",
                field="tie_break",
            )
        )
    if problems:
        raise ProblemError(problems)
    before = {k: getattr(rnd, k) for k in ROUND_SETTINGS}
    for k in ROUND_SETTINGS:
        if k in settings:
            setattr(rnd, k, settings[k])
    session.flush()
    after = {k: getattr(rnd, k) for k in ROUND_SETTINGS}
    changed = {k for k in ROUND_SETTINGS if before[k] != after[k]}
    if changed:
        record(
            session,
            actor=actor,
            action="round.update",
            contest=rnd.contest,
            obj=rnd,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return rnd


def set_round_rubric(
    session: Session, *, rnd: Round, actor: User, criteria: Sequence[Mapping[str, Any]]
) -> None:
    """Editable until the first score of the round is entered."""
    if round_has_scores(session, rnd):
        raise _problem(
            "rubric_locked",
            "Đã có điểm trong vòng này: không sửa được thang điểm.",
            "Scores exist in this round: the rubric can no longer change.",
        )
    before, after = replace_rubric(session, owned=rnd.criteria, model=RoundCriterion, rows=criteria)
    record(
        session,
        actor=actor,
        action="round.rubric",
        contest=rnd.contest,
        obj=rnd,
        before={"criteria": before},
        after={"criteria": after},
    )


def round_entry_ids(session: Session, rnd: Round) -> list[int]:
    return list(
        session.scalars(
            select(RoundEntry.entry_id)
            .where(RoundEntry.round_id == rnd.id)
            .order_by(RoundEntry.entry_id)
        )
    )


def populate_first_round(session: Session, *, rnd: Round) -> int:
    """Put every released, submitted entry not yet in the first round into it (late ones too)."""
    if rnd.position != 1:
        return 0
    have = set(round_entry_ids(session, rnd))
    ids = session.scalars(
        select(Entry.id).where(
            Entry.contest_id == rnd.contest_id,
            Entry.status == EntryStatus.submitted,
            Entry.secret_code.is_not(None),
        )
    )
    added = 0
    for eid in ids:
        if eid not in have:
            session.add(RoundEntry(round_id=rnd.id, entry_id=eid))
            added += 1
    session.flush()
    return added


def set_round_state(session: Session, *, rnd: Round, actor: User, state: str) -> None:
    before = rnd.state.value
    rnd.state = RoundState(state)
    session.flush()
    record(
        session,
        actor=actor,
        action="round.state",
        contest=rnd.contest,
        obj=rnd,
        before={"state": before},
        after={"state": state},
    )


# --------------------------------------------------------------------------- judges


def seats_of(session: Session, rnd: Round, *, active_only: bool = True) -> list[JudgeSeat]:
    q = select(JudgeSeat).where(JudgeSeat.round_id == rnd.id).order_by(JudgeSeat.id)
    if active_only:
        q = q.where(JudgeSeat.withdrawn_at.is_(None))
    return list(session.scalars(q))


def invite_judge(
    session: Session,
    *,
    rnd: Round,
    actor: User,
    email: str,
    full_name: str,
    category_ids: Sequence[int] = (),
    max_load: int | None = None,
) -> tuple[JudgeSeat, str | None]:
    """Seat a judge in a round, creating the account when needed. Returns the seat and, for a
    new account, a one-time sign-in token (the link is shown on screen)."""
    if max_load is not None and max_load < 1:
        raise _problem(
            "max_load",
            "Số bài tối đa phải từ 1 trở lên.",
            "The maximum load must be at least 1.",
            field="max_load",
        )
    valid_cats = {c.id for c in rnd.contest.categories}
    if any(c not in valid_cats for c in category_ids):
        raise _problem(
            "bad_category",
            "Thể loại không thuộc cuộc thi.",
            "A category is not part of the contest.",
            field="categories",
        )
    user = find_user(session, email)
    token = None
    if user is None:
        user = create_user(
            session,
            email=email,
            full_name=full_name or email,
            password=generate_password(24),
            actor=actor,
            must_change_password=False,
        )
        token = create_login_token(session, user=user)
    if StaffRole.secretary in user.roles_in(rnd.contest_id):
        raise _problem(
            "secretary_as_judge",
            "Thư ký của cuộc thi không làm giám khảo cùng cuộc thi.",
            "A secretary of the contest cannot judge it.",
            field="email",
        )
    if session.scalar(
        select(func.count())
        .select_from(Entry)
        .join(Author)
        .where(
            Entry.contest_id == rnd.contest_id,
            Author.email_index == session.info["vault"].blind_index(email, kind="email"),
            Author.replaced_at.is_(None),
        )
    ):
        raise _problem(
            "judge_is_author",
            "Người này là tác giả trong cuộc thi: không thể làm giám khảo.",
            "This person is an author in the contest and cannot judge it.",
            field="email",
        )
    add_membership(session, actor=actor, user=user, contest=rnd.contest, role=StaffRole.judge)
    seat = session.scalar(
        select(JudgeSeat).where(JudgeSeat.round_id == rnd.id, JudgeSeat.user_id == user.id)
    )
    if seat is None:
        n = (
            session.scalar(
                select(func.count()).select_from(JudgeSeat).where(JudgeSeat.round_id == rnd.id)
            )
            or 0
        )
        seat = JudgeSeat(
            round_id=rnd.id,
            user_id=user.id,
            category_ids=list(category_ids),
            max_load=max_load,
            pseudonym=f"GK-{n + 1:02d}",
        )
        session.add(seat)
    else:
        seat.category_ids = list(category_ids)
        seat.max_load = max_load
        seat.withdrawn_at = None
    session.flush()
    record(
        session,
        actor=actor,
        action="judge.seat",
        contest=rnd.contest,
        obj=seat,
        after={
            "round": rnd.position,
            "user_id": user.id,
            "categories": list(category_ids),
            "max_load": max_load,
        },
    )
    return seat, token


def withdraw_judge(session: Session, *, seat: JudgeSeat, actor: User, reason: str = "") -> None:
    seat.withdrawn_at = datetime.now(UTC)
    session.flush()
    record(
        session,
        actor=actor,
        action="judge.withdraw",
        contest=seat.round.contest,
        obj=seat,
        after={"user_id": seat.user_id},
        note=reason,
    )


# --------------------------------------------------------------------------- conflicts


def declare_conflict(
    session: Session, *, contest: Contest, judge: User, kind: str, text: str
) -> Conflict:
    """A judge declares a unit or a person they must not judge (before seeing any entry)."""
    vault = session.info["vault"]
    text = (text or "").strip()
    if kind not in ("unit", "person"):
        raise _problem("conflict_kind", "Loại xung đột không hợp lệ.", "Unknown kind of conflict.")
    if len(text) < 2:
        raise _problem(
            "conflict_text",
            "Hãy ghi tên đơn vị hoặc người.",
            "Write the unit's or the person's name.",
            field="text",
        )
    index = vault.blind_index(text, kind="unit" if kind == "unit" else "name")
    c = Conflict(
        contest_id=contest.id,
        judge_id=judge.id,
        kind=f"declared_{kind}",
        declared_index=index,
        declared_sealed=b"",
    )
    session.add(c)
    session.flush()
    c.declared_sealed = vault.seal({"text": text}, context=f"conflict:{c.id}")
    record(
        session,
        actor=judge,
        action="conflict.declare",
        contest=contest,
        obj=c,
        after={"kind": kind},
    )
    return c


def conflict_pairs(
    session: Session, *, contest: Contest, judge_ids: Sequence[int]
) -> set[tuple[int, int]]:
    """Every (judge, entry) pair that must not meet: declared units and people matched against
    the sealed authors' blind indexes, the judge's own name or e-mail among the authors, and
    recorded recusals. Nothing is unsealed and nothing is shown to the judge."""
    vault = session.info["vault"]
    pairs: set[tuple[int, int]] = set()
    authors = session.execute(
        select(Author.entry_id, Author.name_index, Author.unit_index, Author.email_index)
        .join(Entry, Entry.id == Author.entry_id)
        .where(Entry.contest_id == contest.id, Author.replaced_at.is_(None))
    ).all()
    by_name: dict[str, set[int]] = defaultdict(set)
    by_unit: dict[str, set[int]] = defaultdict(set)
    by_email: dict[str, set[int]] = defaultdict(set)
    for eid, name_i, unit_i, email_i in authors:
        by_name[name_i].add(eid)
        if unit_i:
            by_unit[unit_i].add(eid)
        if email_i:
            by_email[email_i].add(eid)
    judges = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(judge_ids))))}
    for jid, user in judges.items():
        for eid in by_name.get(vault.blind_index(user.full_name, kind="name"), ()):
            pairs.add((jid, eid))
        for eid in by_email.get(vault.blind_index(user.email, kind="email"), ()):
            pairs.add((jid, eid))
    for c in session.scalars(
        select(Conflict).where(
            Conflict.contest_id == contest.id, Conflict.judge_id.in_(list(judge_ids))
        )
    ):
        if c.entry_id is not None:
            pairs.add((c.judge_id, c.entry_id))
        elif c.kind == "declared_unit":
            pairs.update((c.judge_id, eid) for eid in by_unit.get(c.declared_index, ()))
        elif c.kind == "declared_person":
            pairs.update((c.judge_id, eid) for eid in by_name.get(c.declared_index, ()))
    return pairs


def recuse(session: Session, *, assignment: Assignment, actor: User, reason: str) -> None:
    """A judge (or the secretariat) takes a judge off an entry: recorded as a conflict."""
    if assignment.score is not None and assignment.score.status == ScoreStatus.submitted:
        raise _problem(
            "recuse_submitted",
            "Điểm đã nộp: hãy đề nghị mở lại trước.",
            "The score is submitted: ask for it to be reopened first.",
        )
    session.add(
        Conflict(
            contest_id=assignment.round.contest_id,
            judge_id=assignment.judge_id,
            entry_id=assignment.entry_id,
            kind="recusal",
            note=reason,
        )
    )
    assignment.active = False
    assignment.removed_at = datetime.now(UTC)
    session.flush()
    record(
        session,
        actor=actor,
        action="conflict.recusal",
        contest=assignment.round.contest,
        obj=assignment,
        note=reason,
    )


# --------------------------------------------------------------------------- assignment


@dataclass
class AssignmentPreview:
    plan: planner.Plan | None
    problems: list[Any]
    entries: int
    judges: int


def _planner_inputs(session: Session, rnd: Round):
    entries = session.execute(
        select(Entry.id, Entry.secret_code, Category.name)
        .join(RoundEntry, RoundEntry.entry_id == Entry.id)
        .join(Category, Category.id == Entry.category_id)
        .where(RoundEntry.round_id == rnd.id, Entry.status == EntryStatus.submitted)
        .order_by(Entry.id)
    ).all()
    # Categories by name: the planner's sentences name them ("... in category Báo, 2 are needed").
    cats = {c.id: c.name for c in rnd.contest.categories}
    seats = seats_of(session, rnd)
    slots = [
        planner.EntrySlot(entry_id=e, code=code or str(e), category=cat) for e, code, cat in entries
    ]
    judges = [
        planner.JudgeSpec(
            judge_id=s.user_id,
            name=s.pseudonym,
            categories=frozenset(cats[c] for c in s.category_ids if c in cats),
            max_load=s.max_load,
        )
        for s in seats
    ]
    existing = []
    rows = session.execute(
        select(Assignment.entry_id, Assignment.judge_id, Assignment.pinned, Score.id)
        .outerjoin(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.round_id == rnd.id, Assignment.active.is_(True))
    ).all()
    for eid, jid, pinned, score_id in rows:
        existing.append(
            planner.Existing(entry_id=eid, judge_id=jid, locked=bool(pinned or score_id))
        )
    conflicts = conflict_pairs(session, contest=rnd.contest, judge_ids=[s.user_id for s in seats])
    entry_ids = {s.entry_id for s in slots}
    conflicts = {(j, e) for j, e in conflicts if e in entry_ids}
    return slots, judges, existing, conflicts


def record_detected_conflicts(
    session: Session, *, contest: Contest, judge_ids: Sequence[int]
) -> int:
    """Write every conflict found (declared unit or person matched, same name, the judge is an
    author) as a row with its entry, so each one is on record; returns how many are new."""
    pairs = conflict_pairs(session, contest=contest, judge_ids=judge_ids)
    have = set(
        session.execute(
            select(Conflict.judge_id, Conflict.entry_id).where(
                Conflict.contest_id == contest.id, Conflict.entry_id.is_not(None)
            )
        ).all()
    )
    new = sorted(pairs - have)
    for judge_id, entry_id in new:
        session.add(
            Conflict(contest_id=contest.id, judge_id=judge_id, entry_id=entry_id, kind="detected")
        )
    if new:
        session.flush()
        record(
            session,
            actor=None,
            action="conflict.detected",
            contest=contest,
            after={"pairs": len(new)},
        )
    return len(new)


def preview_assignments(
    session: Session, *, rnd: Round, seed: int | None = None
) -> AssignmentPreview:
    populate_first_round(session, rnd=rnd)
    slots, judges, existing, conflicts = _planner_inputs(session, rnd)
    try:
        plan = planner.plan_assignments(
            slots,
            judges,
            readings=rnd.readings,
            conflicts=conflicts,
            existing=existing,
            seed=rnd.seed if seed is None else seed,
        )
    except planner.AssignmentError as e:
        return AssignmentPreview(None, list(e.problems), len(slots), len(judges))
    return AssignmentPreview(plan, [], len(slots), len(judges))


def apply_assignments(
    session: Session, *, rnd: Round, actor: User | None, seed: int | None = None
) -> AssignmentPreview:
    preview = preview_assignments(session, rnd=rnd, seed=seed)
    if preview.plan is None:
        return preview
    record_detected_conflicts(
        session, contest=rnd.contest, judge_ids=[st.user_id for st in seats_of(session, rnd)]
    )
    now = datetime.now(UTC)
    active = {
        (a.entry_id, a.judge_id): a
        for a in session.scalars(select(Assignment).where(Assignment.round_id == rnd.id))
    }
    for eid, jid in preview.plan.remove:
        a = active.get((eid, jid))
        if a is not None and a.active:
            a.active = False
            a.removed_at = now
    for eid, jid in preview.plan.add:
        a = active.get((eid, jid))
        if a is not None:
            a.active = True
            a.removed_at = None
        else:
            session.add(Assignment(round_id=rnd.id, entry_id=eid, judge_id=jid, source="auto"))
    if seed is not None:
        rnd.seed = seed
    session.flush()
    record(
        session,
        actor=actor,
        action="assignments.apply",
        contest=rnd.contest,
        obj=rnd,
        after={
            "added": len(preview.plan.add),
            "removed": len(preview.plan.remove),
            "seed": rnd.seed,
        },
    )
    return preview


def waiting_extra(session: Session, *, rnd: Round) -> set[int]:
    """Entries whose extra reading is assigned but not yet submitted."""
    rows = session.execute(
        select(Assignment.entry_id)
        .outerjoin(Score, Score.assignment_id == Assignment.id)
        .where(
            Assignment.round_id == rnd.id,
            Assignment.active.is_(True),
            Assignment.source == "extra",
            (Score.id.is_(None)) | (Score.status != ScoreStatus.submitted),
        )
    )
    return {r[0] for r in rows}


def override_assignment(
    session: Session, *, assignment: Assignment, new_judge_id: int, actor: User, reason: str
) -> Assignment:
    """The secretariat moves a reading to another judge by hand, with a reason."""
    if not reason.strip():
        raise _problem("reason_missing", "Hãy ghi lý do.", "Write the reason.", field="reason")
    if assignment.score is not None:
        raise _problem(
            "has_score",
            "Lượt chấm đã có điểm: không chuyển được.",
            "This reading has a score and cannot be moved.",
        )
    rnd = assignment.round
    seat = session.scalar(
        select(JudgeSeat).where(
            JudgeSeat.round_id == rnd.id,
            JudgeSeat.user_id == new_judge_id,
            JudgeSeat.withdrawn_at.is_(None),
        )
    )
    if seat is None:
        raise _problem(
            "not_a_judge",
            "Người này không phải giám khảo của vòng.",
            "This person is not a judge of the round.",
        )
    if (new_judge_id, assignment.entry_id) in conflict_pairs(
        session, contest=rnd.contest, judge_ids=[new_judge_id]
    ):
        raise _problem(
            "conflicted",
            "Giám khảo này có xung đột với tác phẩm.",
            "This judge has a conflict with the entry.",
        )
    taken = session.scalar(
        select(Assignment).where(
            Assignment.round_id == rnd.id,
            Assignment.entry_id == assignment.entry_id,
            Assignment.judge_id == new_judge_id,
        )
    )
    if taken is not None and taken.active:
        raise _problem(
            "already_reads",
            "Giám khảo này đã chấm tác phẩm.",
            "This judge already reads the entry.",
        )
    assignment.active = False
    assignment.removed_at = datetime.now(UTC)
    if taken is not None:
        taken.active, taken.removed_at, taken.pinned, taken.source, taken.reason = (
            True,
            None,
            True,
            "manual",
            reason,
        )
        new = taken
    else:
        new = Assignment(
            round_id=rnd.id,
            entry_id=assignment.entry_id,
            judge_id=new_judge_id,
            source="manual",
            reason=reason,
            pinned=True,
        )
        session.add(new)
    session.flush()
    record(
        session,
        actor=actor,
        action="assignment.override",
        contest=rnd.contest,
        obj=new,
        before={"judge_id": assignment.judge_id},
        after={"judge_id": new_judge_id},
        note=reason,
    )
    return new


def add_extra_reading(session: Session, *, rnd: Round, entry_id: int, actor: User) -> Assignment:
    """One more reading for a disagreement, by the least-loaded judge without a conflict.
    Refused while an extra reading of the entry is still waiting for its score."""
    seats = seats_of(session, rnd)
    entry = session.get(Entry, entry_id)
    if entry_id in waiting_extra(session, rnd=rnd):
        raise _problem(
            "extra_waiting",
            "Bài {entry_code} đã có một lượt chấm thêm đang chờ điểm.",
            "Entry {entry_code} already has an extra reading waiting for its score.",
            entry_code=entry.secret_code,
        )
    current = {
        a.judge_id
        for a in session.scalars(
            select(Assignment).where(
                Assignment.round_id == rnd.id,
                Assignment.entry_id == entry_id,
                Assignment.active.is_(True),
            )
        )
    }
    conflicts = conflict_pairs(session, contest=rnd.contest, judge_ids=[s.user_id for s in seats])
    loads = dict(
        session.execute(
            select(Assignment.judge_id, func.count())
            .where(Assignment.round_id == rnd.id, Assignment.active.is_(True))
            .group_by(Assignment.judge_id)
        ).all()
    )
    candidates = [
        s
        for s in seats
        if s.user_id not in current
        and (s.user_id, entry_id) not in conflicts
        and (not s.category_ids or entry.category_id in s.category_ids)
        and (s.max_load is None or loads.get(s.user_id, 0) < s.max_load)
    ]
    if not candidates:
        raise _problem(
            "no_extra_judge",
            "Không còn giám khảo nào (không xung đột, còn chỗ) để chấm thêm bài {entry_code}.",
            "No judge is left (without a conflict, with room) for an extra reading of {entry_code}.",
            entry_code=entry.secret_code,
        )
    seat = min(candidates, key=lambda s: (loads.get(s.user_id, 0), s.id))
    a = Assignment(
        round_id=rnd.id,
        entry_id=entry_id,
        judge_id=seat.user_id,
        source="extra",
        reason="disagreement",
        pinned=True,
    )
    session.add(a)
    session.flush()
    record(
        session,
        actor=actor,
        action="assignment.extra",
        contest=rnd.contest,
        obj=a,
        after={"entry_id": entry_id, "judge_id": seat.user_id},
    )
    return a


# --------------------------------------------------------------------------- scores


# The rules and the writes of a judge's score live in judging.scoring (plain statements: the
# hot path of a judging panel); these keep the signatures for callers holding mapped objects.
StaleScore = scoring.StaleScore


def _on_assignment(write):
    """scoring.save_draft / submit_score for a caller holding the mapped Assignment."""

    def on_assignment(
        session: Session,
        *,
        assignment: Assignment,
        raw_points: Mapping[str, Any],
        comment: str,
        expected_version: int | None,
        actor: User | None,
    ) -> scoring.StoredScore:
        return write(
            session,
            scoring.target_of(assignment),
            raw_points=raw_points,
            comment=comment,
            expected_version=expected_version,
            actor_id=actor.id if actor else None,
        )

    on_assignment.__doc__ = write.__doc__
    return on_assignment


save_draft = _on_assignment(scoring.save_draft)
submit_score = _on_assignment(scoring.submit_score)


def request_reopen(session: Session, *, score: Score, actor: User, reason: str) -> None:
    if not reason.strip():
        raise _problem("reason_missing", "Hãy ghi lý do.", "Write the reason.", field="reason")
    score.reopen_requested = reason.strip()
    session.flush()
    record(
        session,
        actor=actor,
        action="score.reopen_request",
        contest=score.assignment.round.contest,
        obj=score,
        note=reason.strip(),
    )


def reopen_score(session: Session, *, score: Score, actor: User, reason: str) -> None:
    if not reason.strip():
        raise _problem(
            "reason_missing",
            "Hãy ghi lý do mở lại.",
            "Write the reason for reopening.",
            field="reason",
        )
    if score.assignment.round.contest.state.value == "finalised":
        raise _problem(
            "finalised",
            "Kết quả đã tổng kết: điểm đã khóa.",
            "Results are finalised: scores are locked.",
        )
    before = scoring.snapshot(score)
    score.status = ScoreStatus.draft
    score.submitted_at = None
    score.reopen_requested = ""
    session.flush()
    record(
        session,
        actor=actor,
        action="score.reopen",
        contest=score.assignment.round.contest,
        obj=score,
        before=before,
        after=scoring.snapshot(score),
        note=reason.strip(),
    )


# --------------------------------------------------------------------------- judge views and progress


def judge_assignments(session: Session, *, rnd: Round, judge: User) -> list[Assignment]:
    """The judge's active readings ordered by code, with their entry's category and their
    score loaded in the same round trips (no query per row; the essay text is not loaded)."""
    return list(
        session.scalars(
            select(Assignment)
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(
                Assignment.round_id == rnd.id,
                Assignment.judge_id == judge.id,
                Assignment.active.is_(True),
            )
            .order_by(Entry.secret_code)
            .options(
                selectinload(Assignment.entry)
                .load_only(Entry.secret_code, Entry.category_id)
                .selectinload(Entry.category),
                selectinload(Assignment.score),
            )
        )
    )


_JUDGE_CODES = (
    select(Entry.secret_code)
    .join(Assignment, Assignment.entry_id == Entry.id)
    .where(
        Assignment.round_id == bindparam("round_id"),
        Assignment.judge_id == bindparam("judge_id"),
        Assignment.active.is_(True),
    )
    .order_by(Entry.secret_code)
)


def judge_codes(session: Session, *, rnd: Round, judge: User) -> list[str]:
    """The codes of the judge's active readings, in order (for previous/next links)."""
    return list(session.scalars(_JUDGE_CODES, {"round_id": rnd.id, "judge_id": judge.id}))


_NEXT_UNSUBMITTED = (
    select(Entry.secret_code)
    .join(Assignment, Assignment.entry_id == Entry.id)
    .outerjoin(Score, Score.assignment_id == Assignment.id)
    .where(
        Assignment.round_id == bindparam("round_id"),
        Assignment.judge_id == bindparam("judge_id"),
        Assignment.active.is_(True),
        (Score.id.is_(None)) | (Score.status != ScoreStatus.submitted),
    )
    .order_by(Entry.secret_code)
    .limit(1)
)


def next_unsubmitted_code(session: Session, *, round_id: int, judge_id: int) -> str | None:
    """The first of the judge's readings (by code) without a submitted score, in one query."""
    return session.connection().scalar(
        _NEXT_UNSUBMITTED, {"round_id": round_id, "judge_id": judge_id}
    )


@dataclass
class Reading:
    """What a judge's request about one reading needs, found in one query: the contest, the
    round (criteria loaded), whether the judge holds a seat in it, and the judge's active
    assignment for the code (score loaded; the entry and its category with `with_entry`)."""

    contest: Contest | None
    rnd: Round | None
    seated: bool
    assignment: Assignment | None


@cache
def _reading_statement(with_entry: bool):
    """Built once per process with bound parameters: constructing this select and its cache
    key cost more Python time than the database took to answer it."""
    loads = [contains_eager(Round.criteria), joinedload(Assignment.score)]
    if with_entry:
        # Only what the judge's page shows (contest.entries.anonymised_view): the original
        # text, the title and the sealed details are neither loaded nor reachable (raiseload:
        # touching them raises instead of quietly loading them).
        entry = joinedload(Assignment.entry)
        loads.append(
            entry.load_only(
                Entry.secret_code,
                Entry.redacted_text,
                Entry.words,
                Entry.category_id,
                raiseload=True,
            )
        )
        loads.append(entry.joinedload(Entry.category))
    return (
        scoring.reading_joins(select(Contest, Round, scoring.seat_held(), Assignment))
        .order_by(RoundCriterion.position, RoundCriterion.id)
        .options(*loads)
    )


def reading(
    session: Session, *, slug: str, position: int, judge: User, code: str, with_entry: bool = False
) -> Reading:
    """One round trip instead of five (contest, round, seat, assignment, score) and the
    criteria in the same answer, as mapped objects: the reading page and the judge's other
    requests on one reading (autosave and submit use the plain-column twin,
    judging.scoring.load)."""
    params = {"slug": slug, "position": position, "judge_id": judge.id, "code": code}
    row = session.execute(_reading_statement(with_entry), params).unique().first()
    if row is None:
        return Reading(None, None, False, None)
    contest, rnd, seated, a = row
    return Reading(contest, rnd, bool(seated) and rnd is not None, a)


def assignment_for(session: Session, *, rnd: Round, judge: User, code: str) -> Assignment | None:
    return session.scalar(
        select(Assignment)
        .join(Entry, Entry.id == Assignment.entry_id)
        # contest_id lets the database use the (contest, secret code) unique index instead
        # of scanning every assignment of the round
        .where(
            Entry.contest_id == rnd.contest_id,
            Entry.secret_code == code,
            Assignment.round_id == rnd.id,
            Assignment.judge_id == judge.id,
            Assignment.active.is_(True),
        )
    )


def entry_in_round(session: Session, *, rnd: Round, code: str) -> Entry | None:
    return session.scalar(
        select(Entry)
        .join(RoundEntry, RoundEntry.entry_id == Entry.id)
        .where(
            Entry.contest_id == rnd.contest_id,
            Entry.secret_code == code,
            RoundEntry.round_id == rnd.id,
        )
    )


def progress_status(a: Assignment) -> str:
    if a.score is None:
        return "not_started"
    return a.score.status.value


@dataclass
class JudgeProgress:
    seat: JudgeSeat
    assigned: int
    not_started: int
    draft: int
    submitted: int

    @property
    def late(self) -> bool:
        # Late: less than half done once the round has been open a while (the page shows who).
        return self.assigned > 0 and self.submitted < self.assigned / 2


def round_progress(
    session: Session, *, rnd: Round
) -> tuple[list[JudgeProgress], dict[str, dict[str, int]]]:
    rows = session.execute(
        select(Assignment.judge_id, Category.name, Score.status)
        .join(Entry, Entry.id == Assignment.entry_id)
        .join(Category, Category.id == Entry.category_id)
        .outerjoin(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.round_id == rnd.id, Assignment.active.is_(True))
    ).all()
    per_judge: dict[int, dict[str, int]] = defaultdict(
        lambda: {"assigned": 0, "not_started": 0, "draft": 0, "submitted": 0}
    )
    per_cat: dict[str, dict[str, int]] = defaultdict(
        lambda: {"assigned": 0, "not_started": 0, "draft": 0, "submitted": 0}
    )
    for jid, cat, status in rows:
        key = status.value if status is not None else "not_started"
        for d in (per_judge[jid], per_cat[cat]):
            d["assigned"] += 1
            d[key] += 1
    out = [
        JudgeProgress(
            seat=s,
            **per_judge.get(
                s.user_id, {"assigned": 0, "not_started": 0, "draft": 0, "submitted": 0}
            ),
        )
        for s in seats_of(session, rnd, active_only=False)
    ]
    return out, dict(per_cat)


def judge_rounds(session: Session, judge: User) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .join(JudgeSeat, JudgeSeat.round_id == Round.id)
            .where(JudgeSeat.user_id == judge.id, JudgeSeat.withdrawn_at.is_(None))
            .order_by(Round.contest_id, Round.position)
        )
    )


def is_seated(session: Session, *, rnd: Round, judge: User) -> bool:
    return (
        session.scalar(
            select(JudgeSeat.id).where(
                JudgeSeat.round_id == rnd.id,
                JudgeSeat.user_id == judge.id,
                JudgeSeat.withdrawn_at.is_(None),
            )
        )
        is not None
    )


def judges_of_contest(session: Session, contest: Contest) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.contest_id == contest.id, Membership.role == StaffRole.judge)
        )
    )


def declared_conflicts(session: Session, *, contest: Contest, judge: User) -> list[dict[str, str]]:
    """The judge's own declarations, unsealed for them (they wrote them)."""
    vault = session.info["vault"]
    out = []
    for c in session.scalars(
        select(Conflict)
        .where(
            Conflict.contest_id == contest.id,
            Conflict.judge_id == judge.id,
            Conflict.kind.in_(["declared_unit", "declared_person"]),
        )
        .order_by(Conflict.id)
    ):
        text = (
            vault.unseal(c.declared_sealed, context=f"conflict:{c.id}")["text"]
            if c.declared_sealed
            else ""
        )
        out.append({"kind": c.kind.removeprefix("declared_"), "text": text})
    return out


def reassign_unstarted(session: Session, *, seat: JudgeSeat, actor: User) -> int:
    """Cap a late judge at the readings they have started, and move the rest to others."""
    rnd = seat.round
    started = (
        session.scalar(
            select(func.count())
            .select_from(Assignment)
            .join(Score, Score.assignment_id == Assignment.id)
            .where(
                Assignment.round_id == rnd.id,
                Assignment.judge_id == seat.user_id,
                Assignment.active.is_(True),
            )
        )
        or 0
    )
    before = (
        session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(
                Assignment.round_id == rnd.id,
                Assignment.judge_id == seat.user_id,
                Assignment.active.is_(True),
            )
        )
        or 0
    )
    old_max = seat.max_load
    if started == 0:
        seat.withdrawn_at = datetime.now(UTC)
    else:
        seat.max_load = started
    session.flush()
    preview = apply_assignments(session, rnd=rnd, actor=actor)
    if preview.plan is None:
        seat.max_load = old_max
        seat.withdrawn_at = None
        raise ProblemError(list(preview.problems))
    record(
        session,
        actor=actor,
        action="judge.reassign",
        contest=rnd.contest,
        obj=seat,
        after={"moved": before - started},
    )
    return before - started
