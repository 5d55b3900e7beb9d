"""Blueprints of the contest side, split by audience: public, accounts, administration."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, g
from flask_babel import get_locale
from flask_wtf import FlaskForm

from contest.problems import ProblemError


def locale() -> str:
    return str(get_locale() or "vi")


def show_problems(form: FlaskForm | None, error: ProblemError) -> None:
    """Put each problem on its form field when it names one, else flash it above the form.

    A request that shows a problem has failed: whatever it wrote before the problem was found
    is rolled back at the request boundary, even when the answer is a redirect."""
    g.rollback_request = True
    lang = locale()
    for p in error.problems:
        field = getattr(form, p.field, None) if (form is not None and p.field) else None
        if field is not None:
            field.errors = [*list(field.errors or []), p.message(lang)]
        else:
            flash(p.message(lang), "error")


def me():
    """The signed-in user as a model instance (not the proxy), for services."""
    from flask_login import current_user

    return current_user._get_current_object()


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def contest_for(slug: str, may: Callable | None = None):
    """The contest of `slug` (404 when there is none); with `may`, 403 unless
    `may(current_user, contest)`. Every back-office blueprint starts its views here."""
    from flask_login import current_user

    from contest import services
    from contest.web import db

    contest = services.get_contest(db(), slug)
    if contest is None:
        abort(404)
    if may is not None:
        require(may(current_user, contest))
    return contest


def contest_entry(contest, entry_id: int):
    """An entry of `contest` by id: 404 for an unknown id or another contest's entry."""
    from contest.models import Entry
    from contest.web import db

    entry = db().get(Entry, entry_id)
    if entry is None or entry.contest_id != contest.id:
        abort(404)
    return entry


def identity_vault():
    return current_app.extensions["vault"]


def upload_store():
    from contest.storage import FileStore

    return FileStore(current_app.config["UPLOAD_DIR"])
