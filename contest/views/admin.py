"""The administrator's back office: staff accounts, contests, categories, rubric, audit log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from contest import permissions, presets, rules, services
from contest.forms import (
    CategoriesForm,
    ContestForm,
    MembershipForm,
    RubricForm,
    StaffUserForm,
    StateForm,
)
from contest.models import AuditEvent, Contest, Membership, StaffRole, User
from contest.passwords import generate_password
from contest.problems import ProblemError
from contest.views import contest_for, locale, me, require, show_problems
from contest.web import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE = 50


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user; each view then checks its own predicate."""


def _to_utc(value: datetime | None) -> datetime | None:
    # The form shows Vietnam time; storage is UTC.
    return value.replace(tzinfo=VN) if value is not None else None


def _to_local(value: datetime) -> datetime:
    return value.astimezone(VN).replace(tzinfo=None)


# --------------------------------------------------------------------------- dashboard


@bp.get("/")
def dashboard():
    user = me()
    if user.is_admin:
        contests = list(db().scalars(select(Contest).order_by(Contest.created_at.desc())))
    else:
        contests = [m.contest for m in user.memberships if m.role == StaffRole.secretary]
        if not contests:
            abort(403)
    return render_template("admin/dashboard.html", contests=contests, is_admin=user.is_admin)


# --------------------------------------------------------------------------- users


@bp.route("/users", methods=["GET", "POST"])
def users():
    require(permissions.can_manage_users(current_user))
    form = StaffUserForm()
    contests = list(db().scalars(select(Contest).order_by(Contest.title)))
    form.contest.choices = _contest_choices(contests)
    created_password = None
    if form.validate_on_submit():
        password = generate_password()
        contest = services.get_contest(db(), form.contest.data) if form.contest.data else None
        if form.role.data and contest is None:
            form.contest.errors = [_("Choose the contest for this role.")]
        else:
            try:
                user = services.create_user(
                    db(),
                    email=form.email.data,
                    full_name=form.full_name.data,
                    password=password,
                    actor=me(),
                    is_admin=form.is_admin.data,
                    must_change_password=True,
                )
                if contest is not None and form.role.data:
                    services.add_membership(
                        db(),
                        actor=me(),
                        user=user,
                        contest=contest,
                        role=StaffRole(form.role.data),
                    )
            except ProblemError as e:
                show_problems(form, e)
            else:
                created_password = password
                flash(
                    _(
                        "Account %(email)s created. Give this one-time password to its owner; "
                        "it is shown only once.",
                        email=user.email,
                    ),
                    "success",
                )
                form = StaffUserForm(formdata=None)
                form.contest.choices = _contest_choices(contests)
    status = 400 if request.method == "POST" and created_password is None else 200
    staff = sorted(
        db().scalars(select(User).where(or_(User.is_admin, User.memberships.any()))),
        key=lambda u: (not u.is_admin, u.email),
    )
    return (
        render_template(
            "admin/users.html", form=form, staff=staff, created_password=created_password
        ),
        status,
    )


# --------------------------------------------------------------------------- contests


def _settings_from(form: ContestForm) -> dict:
    return {
        "slug": (form.slug.data or "").strip(),
        "title": (form.title.data or "").strip(),
        "description": form.description.data or "",
        "rules": form.rules.data or "",
        "opens_at": _to_utc(form.opens_at.data),
        "closes_at": _to_utc(form.closes_at.data),
        "min_words": form.min_words.data,
        "max_words": form.max_words.data,
        "allowed_file_types": list(form.allowed_file_types.data or []),
        "max_file_mb": form.max_file_mb.data,
        "max_entries_per_author": form.max_entries_per_author.data,
        "max_media_entries_per_author": form.max_media_entries_per_author.data,
        "max_coauthors": form.max_coauthors.data,
        "max_media_coauthors": form.max_media_coauthors.data,
    }


def _preset_choices() -> list[SelectChoice]:
    en = locale().startswith("en")
    return [
        SelectChoice(k, p.label_en if en else p.label) for k, p in presets.CONTEST_PRESETS.items()
    ]


def _contest_choices(contests) -> list[SelectChoice]:
    return [SelectChoice("", _("(none)"))] + [SelectChoice(c.slug, c.title) for c in contests]


@bp.route("/contests/new", methods=["GET", "POST"])
def contest_new():
    require(permissions.can_create_contest(current_user))
    form = ContestForm()
    form.preset.choices = _preset_choices()
    if request.method == "GET":
        p = presets.CONTEST_PRESETS["local"]
        form.preset.data = "local"
        form.min_words.data = p.min_words
        form.max_words.data = p.max_words
        form.allowed_file_types.data = list(p.allowed_file_types)
        form.max_file_mb.data = 20
        form.max_entries_per_author.data = 2
        form.max_media_entries_per_author.data = 3
        form.max_coauthors.data = 2
        form.max_media_coauthors.data = 3
    if form.validate_on_submit():
        try:
            contest = services.create_contest(
                db(), actor=me(), preset=form.preset.data, settings=_settings_from(form)
            )
        except ProblemError as e:
            show_problems(form, e)
        else:
            flash(_("The contest is created as a draft."), "success")
            return redirect(url_for("admin.contest_detail", slug=contest.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/contest_form.html", form=form, contest=None), status


@bp.get("/contests/<slug>")
def contest_detail(slug: str):
    contest = contest_for(slug)
    require(permissions.can_view_contest_admin(current_user, contest))
    targets = rules.ALLOWED_TRANSITIONS[contest.state.value]
    return render_template(
        "admin/contest_detail.html",
        contest=contest,
        targets=targets,
        state_form=StateForm(),
        can_edit=permissions.can_edit_contest(current_user, contest),
        memberships=sorted(contest.memberships, key=lambda m: (m.role.value, m.user.email)),
        membership_form=MembershipForm(),
        rubric_total=sum(c.max_points * c.weight for c in contest.criteria),
    )


@bp.route("/contests/<slug>/edit", methods=["GET", "POST"])
def contest_edit(slug: str):
    contest = contest_for(slug)
    require(permissions.can_edit_contest(current_user, contest))
    form = ContestForm(obj=contest if request.method == "GET" else None)
    form.preset.choices = _preset_choices()
    form.preset.validators = []
    if request.method == "GET":
        form.opens_at.data = _to_local(contest.opens_at)
        form.closes_at.data = _to_local(contest.closes_at)
        form.version.data = str(contest.version)
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        try:
            services.update_contest(
                db(),
                actor=me(),
                contest=contest,
                changes=_settings_from(form),
                expected_version=version,
            )
        except ProblemError as e:
            show_problems(form, e)
            if any(p.code == "stale" for p in e.problems):
                return render_template("admin/contest_form.html", form=form, contest=contest), 409
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.contest_detail", slug=contest.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/contest_form.html", form=form, contest=contest), status


@bp.post("/contests/<slug>/state")
def contest_state(slug: str):
    contest = contest_for(slug)
    require(permissions.can_edit_contest(current_user, contest))
    form = StateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.transition_contest(db(), actor=me(), contest=contest, target=form.target.data)
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("admin.contest_detail", slug=slug)), 303
    flash(_("The contest's state is changed."), "success")
    return redirect(url_for("admin.contest_detail", slug=slug))


@bp.route("/contests/<slug>/rubric", methods=["GET", "POST"])
def contest_rubric(slug: str):
    contest = contest_for(slug)
    require(permissions.can_edit_contest(current_user, contest))
    locked = services.rubric_locked(db(), contest)
    if request.method == "GET":
        form = RubricForm(
            formdata=None,
            data={
                "criteria": [
                    {
                        "name": c.name,
                        "guidance": c.guidance,
                        "max_points": c.max_points,
                        "weight": c.weight,
                    }
                    for c in contest.criteria
                ]
            },
        )
        return render_template("admin/rubric.html", form=form, contest=contest, locked=locked)
    form = RubricForm()
    if not form.validate_on_submit():
        return render_template("admin/rubric.html", form=form, contest=contest, locked=locked), 400
    rows = [
        {
            "name": (r.form.name.data or "").strip(),
            "guidance": r.form.guidance.data or "",
            "max_points": r.form.max_points.data,
            "weight": r.form.weight.data if r.form.weight.data is not None else 1.0,
        }
        for r in form.criteria
        if not r.form.remove.data and ((r.form.name.data or "").strip() or r.form.max_points.data)
    ]
    if form.add_row.data:
        form.criteria.append_entry()
        return render_template("admin/rubric.html", form=form, contest=contest, locked=locked)
    try:
        services.set_rubric(db(), actor=me(), contest=contest, criteria=rows)
    except ProblemError as e:
        show_problems(None, e)
        return render_template("admin/rubric.html", form=form, contest=contest, locked=locked), 400
    flash(_("The rubric is saved."), "success")
    return redirect(url_for("admin.contest_detail", slug=slug))


def _parse_quotas(text: str) -> list[list] | None:
    out: list[list] = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            return None
        code, _sep, count = part.partition("=")
        try:
            n = int(count.strip())
        except ValueError:
            return None
        out.append([code.strip(), n])
    return out


@bp.route("/contests/<slug>/categories", methods=["GET", "POST"])
def contest_categories(slug: str):
    contest = contest_for(slug)
    require(permissions.can_edit_contest(current_user, contest))
    if request.method == "GET":
        form = CategoriesForm(
            formdata=None,
            data={
                "categories": [
                    {
                        "id": str(c.id),
                        "name": c.name,
                        "overlap_percent": round(c.overlap_threshold * 100, 2),
                        "quotas": ", ".join(f"{code}={n}" for code, n in c.prize_quotas),
                    }
                    for c in contest.categories
                ]
            },
        )
        return render_template("admin/categories.html", form=form, contest=contest)
    form = CategoriesForm()
    ok = form.validate_on_submit()
    rows = []
    for row in form.categories:
        quotas = _parse_quotas(row.form.quotas.data)
        if quotas is None:
            row.form.quotas.errors = [
                *row.form.quotas.errors,
                _("Write each prize as code=count, separated by commas."),
            ]
            ok = False
            continue
        try:
            cid = int(row.form.id.data)
        except (TypeError, ValueError):
            abort(400)
        pct = row.form.overlap_percent.data
        rows.append(
            {
                "id": cid,
                "name": row.form.name.data or "",
                "overlap_threshold": None if pct is None else pct / 100.0,
                "prize_quotas": quotas,
            }
        )
    if ok:
        try:
            services.set_categories(db(), actor=me(), contest=contest, categories=rows)
        except ProblemError as e:
            show_problems(None, e)
        else:
            flash(_("The categories are saved."), "success")
            return redirect(url_for("admin.contest_detail", slug=slug))
    return render_template("admin/categories.html", form=form, contest=contest), 400


@bp.post("/contests/<slug>/members")
def contest_add_member(slug: str):
    contest = contest_for(slug)
    require(permissions.can_edit_contest(current_user, contest))
    form = MembershipForm()
    if form.validate_on_submit():
        user = services.find_user(db(), form.email.data)
        if user is None:
            flash(_("No account has this e-mail. Create the account first."), "error")
            return redirect(url_for("admin.contest_detail", slug=slug)), 303
        services.add_membership(
            db(), actor=me(), user=user, contest=contest, role=StaffRole(form.role.data)
        )
        flash(_("Added."), "success")
    else:
        flash(_("Enter an e-mail and choose a role."), "error")
    return redirect(url_for("admin.contest_detail", slug=slug))


@bp.post("/contests/<slug>/members/<int:membership_id>/remove")
def contest_remove_member(slug: str, membership_id: int):
    contest = contest_for(slug)
    require(permissions.can_edit_contest(current_user, contest))
    # The button sends only the CSRF token, which CSRFProtect checks before any view runs.
    m = db().get(Membership, membership_id)
    if m is None or m.contest_id != contest.id:
        abort(404)
    services.remove_membership(db(), actor=me(), membership=m)
    flash(_("Removed."), "success")
    return redirect(url_for("admin.contest_detail", slug=slug))


# --------------------------------------------------------------------------- audit


@bp.get("/audit")
def audit():
    slug = request.args.get("contest")
    contest = services.get_contest(db(), slug) if slug else None
    if slug and contest is None:
        abort(404)
    require(permissions.can_view_audit(current_user, contest))
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    q = select(AuditEvent).order_by(AuditEvent.id.desc())
    if contest is not None:
        q = q.where(AuditEvent.contest_id == contest.id)
    events = list(db().scalars(q.offset((page - 1) * PAGE).limit(PAGE + 1)))
    return render_template(
        "admin/audit.html",
        events=events[:PAGE],
        contest=contest,
        page=page,
        has_next=len(events) > PAGE,
    )
