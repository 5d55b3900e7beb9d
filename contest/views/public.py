"""Pages anyone may see: the home page, a contest's page, the language switch."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from contest import permissions, services
from contest.auth import safe_next
from contest.forms import LanguageForm
from contest.models import Contest, ContestState
from contest.web import db

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    contests = db().scalars(
        select(Contest)
        .where(Contest.state != ContestState.draft)
        .order_by(Contest.closes_at.desc())
    )
    return render_template("public/home.html", contests=list(contests))


@bp.get("/contests/<slug>")
def contest_page(slug: str):
    contest = services.get_contest(db(), slug)
    if contest is None or not permissions.can_see_contest(current_user, contest):
        abort(404)
    now = datetime.now(UTC)
    return render_template(
        "public/contest.html",
        contest=contest,
        accepting=contest.state == ContestState.open
        and contest.opens_at <= now < contest.closes_at,
        seconds_left=max(0, int((contest.closes_at - now).total_seconds())),
        can_admin=permissions.can_view_contest_admin(current_user, contest),
    )


@bp.post("/language")
def set_language():
    form = LanguageForm()
    lang = form.lang.data if form.validate_on_submit() else None
    target = safe_next(request.form.get("next")) or url_for("public.home")
    resp = make_response(redirect(target))
    if lang in ("vi", "en"):
        # Remembered for a year, and on the account when signed in.
        resp.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            user = db().merge(current_user._get_current_object())
            user.locale = lang
    return resp
