"""The judges' pages: their rounds, their entries, the reading page with autosave, conflicts.

Everything here receives only the anonymised view of an entry (code, category, redacted text,
word count): never an Entry with its authors, files or metadata.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from contest import services as contest_services
from contest.entries import anonymised_view
from contest.forms import ActionForm
from contest.problems import ProblemError
from contest.views import locale, me, show_problems
from contest.web import db
from judging import permissions, scoring
from judging import services as js
from judging.models import RoundState, ScoreStatus

bp = Blueprint("judge", __name__, url_prefix="/judge")


@bp.before_request
@login_required
def _signed_in():
    """Every judge page needs a signed-in user."""


def _round(slug: str, position: int):
    contest = contest_services.get_contest(db(), slug)
    if contest is None:
        abort(404)
    rnd = js.get_round(db(), contest, position)
    if rnd is None or not js.is_seated(db(), rnd=rnd, judge=me()):
        abort(403)
    return contest, rnd


def _reading(slug: str, position: int, code: str, *, with_entry: bool = False):
    """The contest, round and this judge's assignment for `code`, in one query (the same
    answers as `_round` then an assignment lookup: 404 without the contest, 403 otherwise)."""
    r = js.reading(db(), slug=slug, position=position, judge=me(), code=code, with_entry=with_entry)
    _refuse_unless(r.contest is not None, r.rnd is not None and r.seated, r.assignment)
    return r.contest, r.rnd, r.assignment


def _refuse_unless(contest_found: bool, seated: bool, assignment) -> None:
    """404 without the contest; 403 without a seat in the round, and 403 for another judge's
    entry or no such code alike, so codes cannot be probed."""
    if not contest_found:
        abort(404)
    if not seated or not permissions.can_score(current_user, assignment):
        abort(403)


@bp.get("/")
def home():
    rounds = js.judge_rounds(db(), me())
    return render_template("judging/judge_home.html", rounds=rounds)


@bp.get("/<slug>/round/<int:position>/")
def round_home(slug: str, position: int):
    contest, rnd = _round(slug, position)
    items = [
        {
            "code": a.entry.secret_code,
            "category": a.entry.category.name,
            "status": js.progress_status(a),
            "total": a.score.total if a.score else None,
        }
        for a in js.judge_assignments(db(), rnd=rnd, judge=me())
    ]
    done = sum(1 for i in items if i["status"] == "submitted")
    return render_template(
        "judging/judge_round.html", contest=contest, rnd=rnd, items=items, done=done
    )


def _score_payload(score) -> dict:
    if score is None:
        return {
            "version": None,
            "points": {},
            "comment": "",
            "status": "not_started",
            "total": None,
        }
    return {
        "version": score.version,
        "points": score.points,
        "comment": score.comment,
        "status": score.status.value,
        "total": score.total,
    }


@bp.get("/<slug>/round/<int:position>/entries/<code>")
def read(slug: str, position: int, code: str):
    contest, rnd, a = _reading(slug, position, code, with_entry=True)
    view = anonymised_view(a.entry)
    codes = js.judge_codes(db(), rnd=rnd, judge=me())
    i = codes.index(code)
    return render_template(
        "judging/read.html",
        contest=contest,
        rnd=rnd,
        entry=view,
        paragraphs=[p for p in view.text.split("\n\n") if p.strip()],
        criteria=rnd.criteria,
        score=_score_payload(a.score),
        locked=a.score is not None and a.score.status == ScoreStatus.submitted,
        open_round=rnd.state == RoundState.open,
        next_code=codes[i + 1] if i + 1 < len(codes) else None,
        prev_code=codes[i - 1] if i > 0 else None,
        form=ActionForm(),
    )


def _target(slug: str, position: int, code: str) -> scoring.ScoreTarget:
    """For autosave and submit: the same answers as `_reading` (404 without the contest, 403
    otherwise), from one query of plain columns (judging.scoring: these two requests are most
    of what a panel sends)."""
    found = scoring.load(db(), slug=slug, position=position, judge_id=me().id, code=code)
    _refuse_unless(found.contest_found, found.round_found and found.seated, found.target)
    return found.target


def _raw_points(criteria) -> dict:
    return {str(c.id): request.form.get(f"points-{c.id}") for c in criteria}


def _version() -> int | None:
    try:
        v = request.form.get("version")
        return int(v) if v not in (None, "", "null") else None
    except ValueError:
        return None


def _problem_json(e: ProblemError):
    return jsonify(
        {
            "error": e.problems[0].code,
            "message": " ".join(e.messages(locale())),
            "fields": {p.field: p.message(locale()) for p in e.problems if p.field},
        }
    ), 422


def _stale_json(e: scoring.StaleScore):
    return jsonify(
        {"error": "stale", "message": e.messages(locale())[0], "score": _score_payload(e.score)}
    ), 409


@bp.post("/<slug>/round/<int:position>/entries/<code>/draft")
def save_draft(slug: str, position: int, code: str):
    """Autosave (JSON answer). 409 with the newer score when another tab saved first."""
    target = _target(slug, position, code)
    try:
        score = scoring.save_draft(
            db(),
            target,
            raw_points=_raw_points(target.criteria),
            comment=request.form.get("comment", ""),
            expected_version=_version(),
            actor_id=me().id,
        )
    except scoring.StaleScore as e:
        return _stale_json(e)
    except ProblemError as e:
        return _problem_json(e)
    return jsonify({"ok": True, "score": _score_payload(score)})


@bp.post("/<slug>/round/<int:position>/entries/<code>/submit")
def submit(slug: str, position: int, code: str):
    target = _target(slug, position, code)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        scoring.submit_score(
            db(),
            target,
            raw_points=_raw_points(target.criteria),
            comment=request.form.get("comment", ""),
            expected_version=_version(),
            actor_id=me().id,
        )
    except (scoring.StaleScore, ProblemError) as e:
        if wants_json:
            return _stale_json(e) if isinstance(e, scoring.StaleScore) else _problem_json(e)
        show_problems(None, e)
        return redirect(url_for("judge.read", slug=slug, position=position, code=code)), 303
    flash(_("Score submitted for %(code)s.", code=code), "success")
    nxt = js.next_unsubmitted_code(db(), round_id=target.round_id, judge_id=me().id)
    target_url = (
        url_for("judge.read", slug=slug, position=position, code=nxt)
        if nxt
        else url_for("judge.round_home", slug=slug, position=position)
    )
    if wants_json:
        return jsonify({"ok": True, "next": target_url})
    return redirect(target_url)


@bp.post("/<slug>/round/<int:position>/entries/<code>/reopen")
def ask_reopen(slug: str, position: int, code: str):
    contest, rnd, a = _reading(slug, position, code)
    if not ActionForm().validate_on_submit() or a.score is None:
        abort(400)
    try:
        js.request_reopen(db(), score=a.score, actor=me(), reason=request.form.get("reason", ""))
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("judge.read", slug=slug, position=position, code=code)), 303
    flash(_("Your request to reopen was sent to the secretariat."), "success")
    return redirect(url_for("judge.read", slug=slug, position=position, code=code))


@bp.post("/<slug>/round/<int:position>/entries/<code>/recuse")
def recuse(slug: str, position: int, code: str):
    """The judge steps back from an entry (a conflict seen only on reading); recorded."""
    contest, rnd, a = _reading(slug, position, code)
    if not ActionForm().validate_on_submit():
        abort(400)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Write the reason for stepping back."), "error")
        return redirect(url_for("judge.read", slug=slug, position=position, code=code)), 303
    try:
        js.recuse(db(), assignment=a, actor=me(), reason=reason)
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("judge.read", slug=slug, position=position, code=code)), 303
    flash(
        _(
            "You no longer judge %(code)s; the secretariat will give it to another judge.",
            code=code,
        ),
        "success",
    )
    return redirect(url_for("judge.round_home", slug=slug, position=position))


@bp.route("/<slug>/conflicts", methods=["GET", "POST"])
def conflicts(slug: str):
    contest = contest_services.get_contest(db(), slug)
    if contest is None:
        abort(404)
    if not any(js.is_seated(db(), rnd=r, judge=me()) for r in js.rounds_of(db(), contest)):
        abort(403)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            js.declare_conflict(
                db(),
                contest=contest,
                judge=me(),
                kind=request.form.get("kind", ""),
                text=request.form.get("text", ""),
            )
        except ProblemError as e:
            show_problems(None, e)
            return redirect(url_for("judge.conflicts", slug=slug)), 303
        flash(_("Recorded. You will not be given entries from this unit or person."), "success")
        return redirect(url_for("judge.conflicts", slug=slug))
    mine = js.declared_conflicts(db(), contest=contest, judge=me())
    return render_template("judging/conflicts.html", contest=contest, form=form, mine=mine)
