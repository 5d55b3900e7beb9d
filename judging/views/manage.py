"""The secretariat's judging pages: rounds, rubric, judges, assignment, progress, reopening."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from contest.forms import ActionForm
from contest.problems import ProblemError
from contest.views import contest_for, locale, me, show_problems
from contest.web import db
from judging import permissions
from judging import services as js
from judging.models import Assignment, JudgeSeat, Score

bp = Blueprint("manage_judging", __name__, url_prefix="/manage/<slug>/judging")


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user; each view checks the contest's back office."""


def _contest(slug: str):
    return contest_for(slug, permissions.can_manage_judging)


def _round(contest, position: int):
    rnd = js.get_round(db(), contest, position)
    if rnd is None:
        abort(404)
    return rnd


def _checked_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.route("/", methods=["GET", "POST"])
def rounds(slug: str):
    contest = _contest(slug)
    if request.method == "POST":
        _checked_form()
        js.ensure_default_rounds(db(), contest=contest, actor=me())
        flash(_("The rounds are created from the contest's rubric."), "success")
        return redirect(url_for("manage_judging.rounds", slug=slug))
    return render_template(
        "judging/manage_rounds.html",
        contest=contest,
        rounds=js.rounds_of(db(), contest),
        form=ActionForm(),
    )


def _float(name: str, default=None):
    raw = request.form.get(name, "")
    try:
        return float(raw.replace(",", ".")) if raw.strip() else default
    except ValueError:
        return None


@bp.route("/<int:position>", methods=["GET", "POST"])
def round_settings(slug: str, position: int):
    contest = _contest(slug)
    rnd = _round(contest, position)
    form = ActionForm()
    if request.method == "POST":
        _checked_form()
        if request.form.get("state") in ("setup", "open", "closed"):
            js.set_round_state(db(), rnd=rnd, actor=me(), state=request.form["state"])
            flash(_("The round's state is changed."), "success")
            return redirect(url_for("manage_judging.round_settings", slug=slug, position=position))
        try:
            readings = int(request.form.get("readings", rnd.readings))
        except ValueError:
            readings = -1
        kind = request.form.get("advance_kind") or ""
        value = _float("advance_value")
        tie_break = [t for t in request.form.getlist("tie_break") if t]
        try:
            js.update_round(
                db(),
                rnd=rnd,
                actor=me(),
                settings={
                    "name": (request.form.get("name") or rnd.name).strip(),
                    "readings": readings,
                    "gap": _float("gap"),
                    "extra_rule": request.form.get("extra_rule", rnd.extra_rule),
                    "method": request.form.get("method", rnd.method),
                    "advance_rule": {"kind": kind, "value": value} if kind else {},
                    "tie_break": tie_break,
                },
            )
        except ProblemError as e:
            show_problems(None, e)
            return render_template(
                "judging/manage_round.html", contest=contest, rnd=rnd, form=form
            ), 400
        flash(_("Saved."), "success")
        return redirect(url_for("manage_judging.round_settings", slug=slug, position=position))
    return render_template("judging/manage_round.html", contest=contest, rnd=rnd, form=form)


@bp.route("/<int:position>/rubric", methods=["GET", "POST"])
def round_rubric(slug: str, position: int):
    contest = _contest(slug)
    rnd = _round(contest, position)
    locked = js.round_has_scores(db(), rnd)
    if request.method == "POST":
        _checked_form()
        rows = []
        for i in range(30):
            name = (request.form.get(f"name-{i}") or "").strip()
            if not name and not request.form.get(f"max-{i}"):
                continue
            if request.form.get(f"remove-{i}"):
                continue
            rows.append(
                {
                    "name": name,
                    "guidance": request.form.get(f"guidance-{i}", ""),
                    "max_points": _float(f"max-{i}"),
                    "weight": _float(f"weight-{i}", 1.0),
                }
            )
        try:
            js.set_round_rubric(db(), rnd=rnd, actor=me(), criteria=rows)
        except ProblemError as e:
            show_problems(None, e)
            return render_template(
                "judging/manage_rubric.html",
                contest=contest,
                rnd=rnd,
                locked=locked,
                form=ActionForm(),
                rows=rows,
            ), 400
        flash(_("The rubric is saved."), "success")
        return redirect(url_for("manage_judging.round_settings", slug=slug, position=position))
    rows = [
        {"name": c.name, "guidance": c.guidance, "max_points": c.max_points, "weight": c.weight}
        for c in rnd.criteria
    ]
    return render_template(
        "judging/manage_rubric.html",
        contest=contest,
        rnd=rnd,
        locked=locked,
        form=ActionForm(),
        rows=rows,
    )


@bp.route("/<int:position>/judges", methods=["GET", "POST"])
def judges(slug: str, position: int):
    contest = _contest(slug)
    rnd = _round(contest, position)
    link = None
    if request.method == "POST":
        _checked_form()
        if request.form.get("action") == "withdraw":
            seat = db().get(JudgeSeat, int(request.form.get("seat_id", 0)))
            if seat is None or seat.round_id != rnd.id:
                abort(404)
            js.withdraw_judge(db(), seat=seat, actor=me(), reason=request.form.get("reason", ""))
            flash(
                _(
                    "The judge is withdrawn; their readings without a score will move at the next assignment."
                ),
                "success",
            )
            return redirect(url_for("manage_judging.judges", slug=slug, position=position))
        try:
            max_load = int(request.form["max_load"]) if request.form.get("max_load") else None
        except ValueError:
            max_load = 0
        try:
            seat, token = js.invite_judge(
                db(),
                rnd=rnd,
                actor=me(),
                email=request.form.get("email", ""),
                full_name=request.form.get("full_name", ""),
                category_ids=[int(c) for c in request.form.getlist("categories") if c.isdigit()],
                max_load=max_load,
            )
        except ProblemError as e:
            show_problems(None, e)
            return redirect(url_for("manage_judging.judges", slug=slug, position=position)), 303
        if token:
            link = url_for("auth.login_link", token=token, _external=True)
        flash(_("The judge is seated in this round."), "success")
    seats = js.seats_of(db(), rnd, active_only=False)
    cat_names = {c.id: c.name for c in contest.categories}
    return render_template(
        "judging/manage_judges.html",
        contest=contest,
        rnd=rnd,
        seats=seats,
        cat_names=cat_names,
        link=link,
        form=ActionForm(),
    )


@bp.route("/<int:position>/assign", methods=["GET", "POST"])
def assign(slug: str, position: int):
    contest = _contest(slug)
    rnd = _round(contest, position)
    seed = request.values.get("seed", type=int)
    if request.method == "POST":
        _checked_form()
        preview = js.apply_assignments(db(), rnd=rnd, actor=me(), seed=seed)
        if preview.plan is None:
            return render_template(
                "judging/manage_assign.html",
                contest=contest,
                rnd=rnd,
                preview=preview,
                problems=[p.message(locale()) for p in preview.problems],
                form=ActionForm(),
                applied=False,
            ), 422
        flash(
            _(
                "Assignments saved: %(a)s added, %(r)s removed.",
                a=len(preview.plan.add),
                r=len(preview.plan.remove),
            ),
            "success",
        )
        return redirect(url_for("manage_judging.progress", slug=slug, position=position))
    preview = js.preview_assignments(db(), rnd=rnd, seed=seed)
    db().rollback()  # a preview writes nothing (populating the round happens on apply)
    return render_template(
        "judging/manage_assign.html",
        contest=contest,
        rnd=_round(contest, position),
        preview=preview,
        problems=[p.message(locale()) for p in preview.problems],
        form=ActionForm(),
        applied=False,
    )


@bp.get("/<int:position>/progress")
def progress(slug: str, position: int):
    contest = _contest(slug)
    rnd = _round(contest, position)
    per_judge, per_cat = js.round_progress(db(), rnd=rnd)
    reopen = list(
        db().scalars(
            select(Score)
            .join(Assignment)
            .where(Assignment.round_id == rnd.id, Score.reopen_requested != "")
        )
    )
    return render_template(
        "judging/manage_progress.html",
        contest=contest,
        rnd=rnd,
        per_judge=per_judge,
        per_cat=per_cat,
        reopen=reopen,
        form=ActionForm(),
    )


@bp.post("/<int:position>/judges/<int:seat_id>/reassign")
def reassign(slug: str, position: int, seat_id: int):
    """One action for a late judge: their readings not yet started go to other judges."""
    contest = _contest(slug)
    rnd = _round(contest, position)
    _checked_form()
    seat = db().get(JudgeSeat, seat_id)
    if seat is None or seat.round_id != rnd.id:
        abort(404)
    try:
        moved = js.reassign_unstarted(db(), seat=seat, actor=me())
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("manage_judging.progress", slug=slug, position=position)), 303
    flash(_("%(n)s readings moved to other judges.", n=moved), "success")
    return redirect(url_for("manage_judging.progress", slug=slug, position=position))


@bp.post("/<int:position>/scores/<int:score_id>/reopen")
def reopen(slug: str, position: int, score_id: int):
    contest = _contest(slug)
    rnd = _round(contest, position)
    _checked_form()
    score = db().get(Score, score_id)
    if score is None or score.assignment.round_id != rnd.id:
        abort(404)
    try:
        js.reopen_score(db(), score=score, actor=me(), reason=request.form.get("reason", ""))
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("manage_judging.progress", slug=slug, position=position)), 303
    flash(_("The score is reopened for its judge."), "success")
    return redirect(url_for("manage_judging.progress", slug=slug, position=position))


@bp.post("/<int:position>/assignments/<int:assignment_id>/override")
def override(slug: str, position: int, assignment_id: int):
    contest = _contest(slug)
    rnd = _round(contest, position)
    _checked_form()
    a = db().get(Assignment, assignment_id)
    if a is None or a.round_id != rnd.id:
        abort(404)
    try:
        js.override_assignment(
            db(),
            assignment=a,
            new_judge_id=int(request.form.get("judge_id", 0)),
            actor=me(),
            reason=request.form.get("reason", ""),
        )
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("manage_judging.progress", slug=slug, position=position)), 303
    flash(_("The reading is moved."), "success")
    return redirect(url_for("manage_judging.progress", slug=slug, position=position))
