"""Request plumbing shared by every blueprint: the per-request database session, the
transaction boundary, locale choice, security headers and error pages."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def db() -> Session:
    """The request's session: created on first use, committed or rolled back at the end."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_session_factory"]()
    return g.db_session


def _forget_user() -> None:
    """After a database failure the error page must not try to load the signed-in user
    again (the locale and the menu ask for it): treat the request as anonymous."""
    from flask_login import AnonymousUserMixin

    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
    g._login_user = AnonymousUserMixin()


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in langs:
        return user.locale
    chosen = request.cookies.get("lang")
    if chosen in langs:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _finish_request(response):
    session = g.pop("db_session", None)
    if session is None:
        return response
    try:
        if response.status_code < 400 and not g.pop("rollback_request", False):
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
    return response


def _teardown(exc):
    # Reached with a session still open only when the view raised: roll everything back.
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if (
        request.endpoint
        and request.endpoint != "static"
        and "Cache-Control" not in response.headers
    ):
        # Pages may carry personal data: never keep them in shared caches.
        response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = str(get_locale() or "vi")
    return response


ERROR_TITLES = {
    400: lambda: _("The request could not be understood"),
    403: lambda: _("You do not have access to this page"),
    404: lambda: _("Page not found"),
    405: lambda: _("This action is not allowed here"),
    409: lambda: _("Someone else changed this in the meantime"),
    413: lambda: _("The file or form is too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong on our side"),
    503: lambda: _("The service is briefly unavailable"),
}


def error_advice(code: int) -> str:
    advice = {
        400: _("Go back, reload the page and try again."),
        403: _("Sign in with an account that has access, or ask the contest secretariat."),
        404: _("Check the address, or start again from the home page."),
        405: _("Go back and use the page's own buttons."),
        409: _(
            "Your change was not saved because someone else saved a newer version. "
            "Reload the page to see it, then make your change again."
        ),
        413: _("The limit is %(mb)s MB. Make the file smaller and send it again.", mb=_max_mb()),
        429: _("Wait a minute before trying again."),
        500: _("Nothing you entered was lost halfway. Try again in a moment."),
        503: _("Nothing was saved halfway. Please try again in a few seconds."),
    }
    return advice.get(code, "")


def _max_mb() -> int:
    return int((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024))


def render_error(code: int, message: str | None = None):
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])()
    wants_json = request.accept_mimetypes.best == "application/json" or request.is_json
    if wants_json:
        return {"error": title, "message": message or error_advice(code)}, code
    # 500 and 503 may come from the database itself: their page must not touch it again
    # (the full layout loads the signed-in user from the database).
    template = "errors/minimal.html" if code >= 500 else "errors/error.html"
    return (
        render_template(template, code=code, title=title, message=message or error_advice(code)),
        code,
    )


def register_request_hooks(app: Flask) -> None:
    app.after_request(_security_headers)
    app.after_request(_finish_request)
    app.teardown_request(_teardown)

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(
            400, _("The form expired or was sent from elsewhere. Reload the page and try again.")
        )

    @app.errorhandler(StaleDataError)
    def _stale(e):
        return render_error(409)

    @app.errorhandler(OperationalError)
    def _db_down(e):
        log.warning("database error: %s", e)
        _forget_user()
        resp, code = render_error(503)
        return resp, code, {"Retry-After": "5"}

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        code = e.code or 500
        if code in ERROR_TITLES:
            # A view's own sentence (abort(403, "...")) is shown; Werkzeug's English default is not.
            desc = e.description if e.description != type(e).description else None
            if code == 429:  # Flask-Limiter's description is the limit itself, in English
                desc = None
            return render_error(code, desc)
        return e

    @app.errorhandler(Exception)
    def _unexpected(e):
        if isinstance(e, HTTPException):
            return _http(e)
        log.exception("unhandled error")
        _forget_user()
        return render_error(500)
