"""The application factory. `flask --app app run` finds `create_app`."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from contest.config import default_config, from_environment, load_or_create_secret_key
from contest.db import make_engine, make_session_factory
from contest.extensions import babel, csrf, limiter, login_manager
from contest.vault import Vault

ROOT = Path(__file__).resolve().parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` (tests) overrides the environment, which overrides defaults."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "INSTANCE_PATH", str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(default_config(app.instance_path))
    app.config.from_mapping(from_environment(os.environ))
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    # The identity vault's key lives outside the database (instance/vault.key or VAULT_KEY).
    env = dict(os.environ)
    if app.config.get("VAULT_KEY"):
        env["VAULT_KEY"] = app.config["VAULT_KEY"]
    app.extensions["vault"] = Vault.from_env_or_file(app.instance_path, env)

    engine = make_engine(
        app.config["DATABASE_URL"],
        idle_ping=float(app.config.get("DB_IDLE_PING_SECONDS", 30)),
    )
    app.extensions["db_engine"] = engine
    app.extensions["db_session_factory"] = make_session_factory(engine, app.extensions["vault"])

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    if not app.debug:
        logging.basicConfig(level=logging.INFO)
    return app


def _init_extensions(app: Flask) -> None:
    from contest import auth, filters, web

    babel.init_app(app, locale_selector=web.select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    auth.configure_login(login_manager)
    web.register_request_hooks(app)
    filters.register(app)


def _register_blueprints(app: Flask) -> None:
    from contest.views import admin, auth_views, contestant, public, secretariat

    app.register_blueprint(public.bp)
    app.register_blueprint(contestant.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(secretariat.bp)
    from contest.views import screening

    app.register_blueprint(screening.bp)
    from judging.views import judge, manage, results

    app.register_blueprint(judge.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(results.bp)


def _register_cli(app: Flask) -> None:
    from contest import backup, cli
    from judging import cli as judging_cli

    cli.register(app)
    judging_cli.register(app)
    backup.register(app)
    from contest import screening_cli

    screening_cli.register(app)
