"""Configuration: defaults, environment variables, and the generated secret key.

Read only from `create_app`, never at import time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_KEYS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "REDIS_URL",
    "UPLOAD_DIR",
    "VAULT_KEY",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_SENDER",
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "DB_IDLE_PING_SECONDS",
)


def default_config(instance_path: str) -> dict[str, Any]:
    inst = Path(instance_path)
    return {
        "DATABASE_URL": f"sqlite:///{inst / 'contest.db'}",
        "UPLOAD_DIR": str(inst / "uploads"),
        "REDIS_URL": None,
        # Uploads are capped per contest (20 MB default); the request cap sits a little above
        # so a too-large file gets the friendly 413 page instead of a dropped connection.
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Judges keep a page open for a long time; the token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_TRANSLATION_DIRECTORIES": str(
            Path(__file__).resolve().parent.parent / "translations"
        ),
        "LANGUAGES": ("vi", "en"),
        "LOGIN_LIMIT": "10 per minute;60 per hour",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_SENDER": "no-reply@localhost",
    }


def from_environment(environ: dict[str, str] | os._Environ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ENV_KEYS:
        value = environ.get(key)
        if value:
            out[key] = value
    if environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes"):
        out["SESSION_COOKIE_SECURE"] = True
        out["REMEMBER_COOKIE_SECURE"] = True
    if out.get("REDIS_URL"):
        out.setdefault("RATELIMIT_STORAGE_URI", out["REDIS_URL"])
    return out


def load_or_create_secret_key(instance_path: str) -> str:
    """Return the key in instance/secret_key, creating it (mode 0600) on first run."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_name(f".secret_key.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        # link() fails if another worker won the race; then everyone uses the winner's key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
