"""Who may do what on the judging side. Views call these predicates."""

from __future__ import annotations

from contest import permissions as contest_permissions
from contest.models import Contest


def can_manage_judging(user, contest: Contest) -> bool:
    """Rounds, judges, assignment, progress, reopening: the contest's back office."""
    return contest_permissions.can_view_contest_admin(user, contest)


def can_score(user, assignment) -> bool:
    """Only the judge the reading is assigned to, while it is active."""
    return bool(
        getattr(user, "is_authenticated", False)
        and assignment is not None
        and assignment.active
        and assignment.judge_id == user.id
    )


def can_view_results(user, contest: Contest) -> bool:
    return contest_permissions.can_view_contest_admin(user, contest)


def can_finalise(user, contest: Contest) -> bool:
    """Approving results is the organising committee's (administrators)."""
    return contest_permissions.is_admin(user)


def can_reveal(user, contest: Contest) -> bool:
    return contest_permissions.is_admin(user)
