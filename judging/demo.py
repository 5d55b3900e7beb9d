"""The judging side of the demo contest: rounds, judges seated, a balanced assignment, and
most readings scored (a few drafts and one disagreement left for a newcomer to handle)."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import services as contest_services
from contest.demo import DEMO_SLUG, DEMO_STAFF
from contest.models import StaffRole, User
from judging import services as js
from judging.models import Assignment, RoundState


def load_judging_demo(session: Session) -> dict[str, int]:
    contest = contest_services.get_contest(session, DEMO_SLUG)
    actor = contest_services.first_admin(session)
    made = {"rounds": 0, "assignments": 0, "scores": 0}
    rounds = js.rounds_of(session, contest)
    if not rounds:
        rounds = js.ensure_default_rounds(session, contest=contest, actor=actor)
        made["rounds"] = len(rounds)
    rnd = rounds[0]
    for email, name, role in DEMO_STAFF:
        if role == StaffRole.judge:
            js.invite_judge(session, rnd=rnd, actor=actor, email=email, full_name=name)
    if rnd.state == RoundState.setup:
        js.set_round_state(session, rnd=rnd, actor=actor, state="open")
    if session.scalar(select(Assignment.id).where(Assignment.round_id == rnd.id).limit(1)) is None:
        preview = js.apply_assignments(session, rnd=rnd, actor=actor, seed=2024)
        made["assignments"] = len(preview.plan.add) if preview.plan else 0
        made["scores"] = _score(session, rnd)
    return made


def _score(session: Session, rnd) -> int:
    """Judges of different severity; the last few readings are left to do, one as a draft."""
    rng = random.Random(7)
    severity = {}
    assignments = list(
        session.scalars(
            select(Assignment)
            .where(Assignment.round_id == rnd.id, Assignment.active.is_(True))
            .order_by(Assignment.id)
        )
    )
    quality = {}
    n = 0
    for i, a in enumerate(assignments):
        if i >= len(assignments) - 4:
            if i == len(assignments) - 4:
                c = rnd.criteria[0]
                js.save_draft(
                    session,
                    assignment=a,
                    raw_points={str(c.id): c.max_points * 0.7},
                    comment="",
                    expected_version=None,
                    actor=session.get(User, a.judge_id),
                )
            continue
        severity.setdefault(a.judge_id, rng.uniform(-6, 6))
        quality.setdefault(a.entry_id, rng.uniform(55, 88))
        total = max(0.0, min(100.0, quality[a.entry_id] + severity[a.judge_id] + rng.gauss(0, 3)))
        if i == 1:
            total = max(0.0, total - 25)  # one disagreement of more than 20 points
        points = {str(c.id): round(c.max_points * total / 100 * 4) / 4 for c in rnd.criteria}
        js.submit_score(
            session,
            assignment=a,
            raw_points=points,
            comment="",
            expected_version=None,
            actor=session.get(User, a.judge_id),
        )
        n += 1
    return n
