"""Who may do what on the contest side. Views call these predicates; templates get their
results as prepared values. One place for every role rule."""

from __future__ import annotations

from contest.models import Contest, StaffRole, User


def _user(user) -> User | None:
    return user if getattr(user, "is_authenticated", False) else None


def is_admin(user) -> bool:
    u = _user(user)
    return bool(u and u.is_admin)


def can_manage_users(user) -> bool:
    return is_admin(user)


def can_create_contest(user) -> bool:
    return is_admin(user)


def can_edit_contest(user, contest: Contest) -> bool:
    """Settings, categories, rubric, state: the organising committee's administrators."""
    return is_admin(user)


def can_view_contest_admin(user, contest: Contest) -> bool:
    """The contest's back office: administrators and that contest's secretaries."""
    u = _user(user)
    if u is None:
        return False
    return u.is_admin or StaffRole.secretary in u.roles_in(contest.id)


def can_view_audit(user, contest: Contest | None = None) -> bool:
    if contest is None:
        return is_admin(user)
    return can_view_contest_admin(user, contest)


def is_judge_of(user, contest: Contest) -> bool:
    u = _user(user)
    return bool(u and StaffRole.judge in u.roles_in(contest.id))


def can_see_contest(user, contest: Contest) -> bool:
    """Drafts are visible only to the back office; every other state is public."""
    if contest.state.value != "draft":
        return True
    return can_view_contest_admin(user, contest)


def can_submit_to(user, contest: Contest) -> bool:
    """A signed-in person who is not on the contest's staff (judges and secretaries of a
    contest cannot compete in it)."""
    u = _user(user)
    return bool(u and not u.roles_in(contest.id))


def can_view_entry(user, entry) -> bool:
    u = _user(user)
    if u is None:
        return False
    return entry.owner_id == u.id or can_view_contest_admin(u, entry.contest)


def can_edit_entry(user, entry) -> bool:
    """Only the contestant who owns it; the deadline itself is checked by the service."""
    u = _user(user)
    return bool(u and entry.owner_id == u.id)


def can_manage_entries(user, contest: Contest) -> bool:
    """Intake, import, anonymisation review, release: the contest's back office."""
    return can_view_contest_admin(user, contest)


def can_read_identity(user, contest: Contest) -> bool:
    """Sealed identities: administrators and that contest's secretaries only."""
    return can_view_contest_admin(user, contest)
