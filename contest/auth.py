"""Flask-Login wiring: loading the user of a session, and safe redirects after login."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from contest.models import User


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to open this page.")
    manager.login_message_category = "info"
    # "strong": a session whose IP/user-agent fingerprint changes is dropped.
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        from contest.web import db

        try:
            uid, version = (int(x) for x in user_id.split(":", 1))
        except ValueError:
            return None
        user = db().get(User, uid)
        if user is None or user.auth_version != version or not user.is_active_account:
            return None
        return user

    @manager.unauthorized_handler
    def unauthorized():
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return {"error": str(_l("Please sign in again."))}, 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative `//evil`."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    return target
