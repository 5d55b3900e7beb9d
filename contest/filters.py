"""Jinja filters and template globals: formatting lives here, not in templates."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_login import current_user

from contest import permissions


def _dt(value: datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    if fmt == "short":
        return format_datetime(value, "HH:mm dd/MM/yyyy")
    return format_datetime(value, fmt)


def _date(value) -> str:
    return "" if value is None else format_date(value, "dd/MM/yyyy")


def _number(value, digits: int = 0) -> str:
    if value is None:
        return ""
    fmt = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return format_decimal(value, fmt)


def _percent(value) -> str:
    return "" if value is None else format_percent(value, "#,##0.#%")


def _warning_text(code: str) -> str:
    from contest.extract import warning_message

    return warning_message(code, str(get_locale() or "vi"))


def register(app: Flask) -> None:
    app.jinja_env.filters["warning_text"] = _warning_text
    app.jinja_env.filters["dt"] = _dt
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["number"] = _number
    app.jinja_env.filters["percent"] = _percent

    @app.context_processor
    def _globals():
        return {
            "current_locale": str(get_locale() or "vi"),
            "languages": current_app.config["LANGUAGES"],
            "nav_is_admin": permissions.is_admin(current_user),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
