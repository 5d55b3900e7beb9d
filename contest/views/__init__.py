"""Blueprints of the contest side, split by audience: public, accounts, administration."""

from __future__ import annotations

from flask import abort, flash, g
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
