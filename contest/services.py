"""Services of the contest side: `verb(session, *, ...)`. They flush, never commit; the web
request or CLI command that calls them commits (or rolls back on any exception)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest import presets, rules
from contest.db import utcnow
from contest.models import (
    AuditEvent,
    Category,
    Contest,
    ContestState,
    Criterion,
    LoginToken,
    Membership,
    StaffRole,
    User,
)
from contest.passwords import (
    DUMMY_HASH,
    MIN_LENGTH,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from contest.problems import Problem, ProblemError

# --------------------------------------------------------------------------- audit


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    contest: Contest | None = None,
    obj: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Append an audit event in the caller's transaction (it lands or vanishes with the change)."""
    event = AuditEvent(
        **audit_values(
            actor_id=actor.id if actor else None,
            contest_id=contest.id if contest else None,
            action=action,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=getattr(obj, "id", None) if obj is not None else None,
            before=before,
            after=after,
            note=note,
        )
    )
    session.add(event)
    session.flush()
    return event


def audit_values(
    *,
    actor_id: int | None,
    contest_id: int | None,
    action: str,
    object_type: str = "",
    object_id: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> dict[str, Any]:
    """The columns of one audit event: the one shape both `record` (ORM) and the judges'
    score writes (a plain INSERT, judging.scoring) store."""
    return {
        "at": utcnow(),
        "actor_id": actor_id,
        "contest_id": contest_id,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id or ""),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "note": note,
    }


def _jsonable(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, datetime):
            v = v.isoformat()
        elif hasattr(v, "value") and not isinstance(v, int | float | str):
            v = v.value
        out[k] = v
    return out


# --------------------------------------------------------------------------- accounts


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _password_problems(password: str) -> list[Problem]:
    if len(password or "") < MIN_LENGTH:
        return [
            Problem(
                "password_short",
                "Mật khẩu cần ít nhất {n} ký tự.",
                "The password needs at least {n} characters.",
                {"n": MIN_LENGTH},
                field="password",
            )
        ]
    return []


def email_index(session: Session, email: str) -> str:
    return session.info["vault"].blind_index(normalise_email(email), kind="login_email")


def find_user(session: Session, email: str) -> User | None:
    if not (email or "").strip():
        return None
    return session.scalar(select(User).where(User.email_index == email_index(session, email)))


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    password: str,
    actor: User | None = None,
    is_admin: bool = False,
    must_change_password: bool = False,
    locale: str | None = None,
) -> User:
    email = normalise_email(email)
    problems: list[Problem] = []
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        problems.append(
            Problem(
                "email_invalid",
                "Địa chỉ e-mail không hợp lệ.",
                "The e-mail address is not valid.",
                field="email",
            )
        )
    if not (full_name or "").strip():
        problems.append(
            Problem(
                "name_missing", "Hãy nhập họ và tên.", "Enter the full name.", field="full_name"
            )
        )
    problems += _password_problems(password)
    if not problems and find_user(session, email) is not None:
        problems.append(
            Problem(
                "email_taken",
                "Đã có tài khoản với e-mail này. Hãy đăng nhập hoặc dùng e-mail khác.",
                "An account with this e-mail already exists. Sign in or use another e-mail.",
                field="email",
            )
        )
    if problems:
        raise ProblemError(problems)
    user = User(
        email_index=email_index(session, email),
        password_hash=hash_password(password),
        is_admin=is_admin,
        must_change_password=must_change_password,
        locale=locale,
    )
    session.add(user)
    session.flush()
    user.set_profile(session.info["vault"], email=email, full_name=full_name.strip())
    session.flush()
    # The audit log names accounts by id only: it is not sealed.
    record(
        session, actor=actor or user, action="user.create", obj=user, after={"is_admin": is_admin}
    )
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The user when e-mail and password match an active account, else None."""
    user = find_user(session, email)
    if user is None:
        verify_password(DUMMY_HASH, password or "")  # same cost either way
        return None
    if not user.is_active_account or not verify_password(user.password_hash, password or ""):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def change_password(session: Session, *, user: User, current: str, new: str) -> None:
    problems: list[Problem] = []
    if not verify_password(user.password_hash, current or ""):
        problems.append(
            Problem(
                "password_wrong",
                "Mật khẩu hiện tại không đúng.",
                "The current password is wrong.",
                field="current",
            )
        )
    problems += _password_problems(new)
    if problems:
        raise ProblemError(problems)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.auth_version += 1  # signs out every other session of this user
    record(session, actor=user, action="user.password_change", obj=user)


def set_password(session: Session, *, user: User, new: str) -> None:
    """Set a password right after a one-time sign-in link (the old one was never known)."""
    problems = _password_problems(new)
    if problems:
        raise ProblemError(problems)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.auth_version += 1
    record(session, actor=user, action="user.password_set", obj=user)


def ensure_admin(
    session: Session, *, email: str | None = None, password: str | None = None
) -> tuple[User | None, str | None]:
    """Create the first administrator when there is none.

    Returns (user, one-time password) when it created one, (None, None) when an administrator
    already existed. The password is generated unless given; it must be changed at first login.
    """
    exists = session.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(True)))
    if exists:
        return None, None
    generated = password is None
    password = password or generate_password()
    user = create_user(
        session,
        email=email or "admin@localhost",
        full_name="Quản trị viên",
        password=password,
        is_admin=True,
        must_change_password=generated,
    )
    return user, password


def first_admin(session: Session) -> User | None:
    return session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))


def add_membership(
    session: Session, *, actor: User, user: User, contest: Contest, role: StaffRole
) -> Membership:
    existing = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.contest_id == contest.id,
            Membership.role == role,
        )
    )
    if existing:
        return existing
    m = Membership(user=user, contest=contest, role=role)
    session.add(m)
    session.flush()
    record(
        session,
        actor=actor,
        action="membership.add",
        contest=contest,
        obj=m,
        after={"user_id": user.id, "role": role.value},
    )
    return m


def remove_membership(session: Session, *, actor: User, membership: Membership) -> None:
    record(
        session,
        actor=actor,
        action="membership.remove",
        contest=membership.contest,
        obj=membership,
        before={"user_id": membership.user_id, "role": membership.role.value},
    )
    session.delete(membership)
    session.flush()


# --------------------------------------------------------------------------- one-time sign-in links


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_login_token(session: Session, *, user: User, hours: int = 72) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        LoginToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=datetime.now(UTC) + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def use_login_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(LoginToken).where(LoginToken.token_hash == _token_hash(token)))
    now = datetime.now(UTC)
    if row is None or row.used_at is not None or row.expires_at < now:
        return None
    row.used_at = now
    user = session.get(User, row.user_id)
    session.flush()
    return user if user is not None and user.is_active_account else None


# --------------------------------------------------------------------------- contests

CONTEST_FIELDS = (
    "slug",
    "title",
    "description",
    "rules",
    "opens_at",
    "closes_at",
    "min_words",
    "max_words",
    "allowed_file_types",
    "max_file_mb",
    "max_entries_per_author",
    "max_media_entries_per_author",
    "max_coauthors",
    "max_media_coauthors",
)


def contest_snapshot(contest: Contest) -> dict[str, Any]:
    snap = {f: getattr(contest, f) for f in CONTEST_FIELDS}
    snap["state"] = contest.state.value
    return snap


def get_contest(session: Session, slug: str) -> Contest | None:
    return session.scalar(select(Contest).where(Contest.slug == slug))


def create_contest(
    session: Session,
    *,
    actor: User,
    preset: str,
    settings: Mapping[str, Any],
) -> Contest:
    """Create a contest in draft from a preset (categories, 100-point rubric, prize table)."""
    if preset not in presets.CONTEST_PRESETS:
        raise ProblemError(
            Problem(
                "preset_unknown",
                "Không có mẫu “{p}”.",
                "There is no preset “{p}”.",
                {"p": preset},
                field="preset",
            )
        )
    p = presets.CONTEST_PRESETS[preset]
    values = {
        "allowed_file_types": list(p.allowed_file_types),
        "min_words": p.min_words,
        "max_words": p.max_words,
        **{k: v for k, v in settings.items() if k in CONTEST_FIELDS},
    }
    problems = rules.check_contest_settings(values)
    for required in ("slug", "opens_at", "closes_at"):
        if values.get(required) is None:
            problems.append(
                Problem(
                    "missing",
                    "Thiếu thông tin bắt buộc.",
                    "A required field is missing.",
                    field=required,
                )
            )
    if not problems and get_contest(session, values["slug"]) is not None:
        problems.append(
            Problem(
                "slug_taken",
                "Mã rút gọn “{slug}” đã được dùng cho cuộc thi khác.",
                "The short name “{slug}” is already used by another contest.",
                {"slug": values["slug"]},
                field="slug",
            )
        )
    if problems:
        raise ProblemError(problems)
    contest = Contest(prize_scheme=p.prize_scheme, **values)
    for i, code in enumerate(p.category_codes):
        c = presets.category_preset(code)
        quotas = c.national_quotas if p.prize_scheme == "national" else c.local_quotas
        contest.categories.append(
            Category(
                code=c.code,
                name=c.name,
                kind=c.kind,
                position=i,
                overlap_threshold=c.overlap_threshold,
                prize_quotas=[list(q) for q in quotas],
            )
        )
    for i, c in enumerate(presets.RUBRIC):
        contest.criteria.append(
            Criterion(
                name=c.name,
                guidance=c.guidance,
                max_points=c.max_points,
                weight=c.weight,
                position=i,
            )
        )
    session.add(contest)
    session.flush()
    record(
        session,
        actor=actor,
        action="contest.create",
        contest=contest,
        obj=contest,
        after={**contest_snapshot(contest), "preset": preset},
    )
    return contest


def update_contest(
    session: Session,
    *,
    actor: User,
    contest: Contest,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Contest:
    if expected_version is not None and expected_version != contest.version:
        raise ProblemError(
            Problem(
                "stale",
                "Cuộc thi vừa được người khác sửa. Hãy tải lại trang để xem bản mới rồi sửa lại.",
                "Someone else has just edited this contest. Reload the page to see it, then edit again.",
            )
        )
    if contest.state == ContestState.finalised:
        raise ProblemError(
            Problem(
                "finalised",
                "Cuộc thi đã tổng kết, không sửa được nữa.",
                "The contest is finalised and can no longer be edited.",
            )
        )
    before = contest_snapshot(contest)
    merged = {**before, **{k: v for k, v in changes.items() if k in CONTEST_FIELDS}}
    problems = rules.check_contest_settings(merged)
    if merged["slug"] != contest.slug and get_contest(session, merged["slug"]) is not None:
        problems.append(
            Problem(
                "slug_taken",
                "Mã rút gọn “{slug}” đã được dùng.",
                "The short name “{slug}” is already used.",
                {"slug": merged["slug"]},
                field="slug",
            )
        )
    if problems:
        raise ProblemError(problems)
    for k in CONTEST_FIELDS:
        setattr(contest, k, merged[k])
    session.flush()
    after = contest_snapshot(contest)
    diff_before = {k: before[k] for k in before if before[k] != after[k]}
    diff_after = {k: after[k] for k in diff_before}
    if diff_before:
        record(
            session,
            actor=actor,
            action="contest.update",
            contest=contest,
            obj=contest,
            before=diff_before,
            after=diff_after,
        )
    return contest


def transition_contest(session: Session, *, actor: User, contest: Contest, target: str) -> Contest:
    problems = rules.check_transition(contest.state.value, target)
    if problems:
        raise ProblemError(problems)
    before = contest.state.value
    contest.state = ContestState(target)
    session.flush()
    record(
        session,
        actor=actor,
        action="contest.state",
        contest=contest,
        obj=contest,
        before={"state": before},
        after={"state": target},
    )
    return contest


def set_categories(
    session: Session, *, actor: User, contest: Contest, categories: Sequence[Mapping[str, Any]]
) -> None:
    """Replace the editable fields of existing categories (name, threshold, quotas)."""
    problems: list[Problem] = []
    by_id = {c.id: c for c in contest.categories}
    for row in categories:
        cat = by_id.get(row["id"])
        if cat is None:
            continue
        thr = row.get("overlap_threshold")
        if thr is None or not (0 < thr <= 1):
            problems.append(
                Problem(
                    "threshold_range",
                    "Thể loại “{name}”: ngưỡng trùng lặp phải lớn hơn 0% và không quá 100%.",
                    "Category “{name}”: the overlap threshold must be above 0% and at most 100%.",
                    {"name": cat.name},
                )
            )
        for code, count in row.get("prize_quotas", []):
            if count < 0:
                problems.append(
                    Problem(
                        "quota_negative",
                        "Số giải không được âm.",
                        "A prize count cannot be negative.",
                        {"code": code},
                    )
                )
        if not (row.get("name") or "").strip():
            problems.append(
                Problem(
                    "category_name_missing", "Hãy nhập tên thể loại.", "Enter the category's name."
                )
            )
    if problems:
        raise ProblemError(problems)
    for row in categories:
        cat = by_id.get(row["id"])
        if cat is None:
            continue
        before = {
            "name": cat.name,
            "overlap_threshold": cat.overlap_threshold,
            "prize_quotas": cat.prize_quotas,
        }
        cat.name = row["name"].strip()
        cat.overlap_threshold = row["overlap_threshold"]
        cat.prize_quotas = [list(q) for q in row.get("prize_quotas", cat.prize_quotas)]
        after = {
            "name": cat.name,
            "overlap_threshold": cat.overlap_threshold,
            "prize_quotas": cat.prize_quotas,
        }
        if before != after:
            record(
                session,
                actor=actor,
                action="category.update",
                contest=contest,
                obj=cat,
                before=before,
                after=after,
            )
    session.flush()


def rubric_locked(session: Session, contest: Contest) -> bool:
    """The rubric is editable until the contest reaches judging (scores then depend on it)."""
    return contest.state in (ContestState.judging, ContestState.finalised)


def set_rubric(
    session: Session, *, actor: User, contest: Contest, criteria: Sequence[Mapping[str, Any]]
) -> None:
    if rubric_locked(session, contest):
        raise ProblemError(
            Problem(
                "rubric_locked",
                "Đã vào giai đoạn chấm: không sửa được thang điểm của cuộc thi.",
                "Judging has started: the contest's rubric can no longer be changed.",
            )
        )
    before, after = replace_rubric(session, owned=contest.criteria, model=Criterion, rows=criteria)
    record(
        session,
        actor=actor,
        action="rubric.update",
        contest=contest,
        obj=contest,
        before={"criteria": before},
        after={"criteria": after},
    )


def replace_rubric(
    session: Session, *, owned: list, model: type, rows: Sequence[Mapping[str, Any]]
):
    """Check `rows` as a rubric and replace the criteria in `owned` (a contest's or a round's)
    with new `model` rows. Returns (before, after) as plain dicts for the audit log."""
    problems = rules.check_rubric(rows)
    if problems:
        raise ProblemError(problems)
    before = [_criterion_dict(c) for c in owned]
    for old in list(owned):
        owned.remove(old)
    session.flush()
    for i, c in enumerate(rows):
        owned.append(
            model(
                name=c["name"].strip(),
                guidance=(c.get("guidance") or "").strip(),
                max_points=float(c["max_points"]),
                weight=float(c.get("weight", 1.0)),
                position=i,
            )
        )
    session.flush()
    return before, [_criterion_dict(c) for c in owned]


def _criterion_dict(c) -> dict[str, Any]:
    return {"name": c.name, "max_points": c.max_points, "weight": c.weight, "guidance": c.guidance}
