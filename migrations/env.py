"""Alembic environment: the URL comes from the app's configuration (contest.migrate passes it)
or from DATABASE_URL; the metadata from both packages' models."""

from __future__ import annotations

import contextlib
import os

from alembic import context
from sqlalchemy import engine_from_config, pool

import contest.models  # noqa: F401  (registers tables)
from contest.db import Base, normalise_url

with contextlib.suppress(ModuleNotFoundError):  # judging's models, once that package has them
    import judging.models  # noqa: F401

config = context.config
url = (
    config.attributes.get("url")
    or config.get_main_option("sqlalchemy.url")
    or os.environ.get("DATABASE_URL")
)
if not url:
    raise SystemExit("No database URL: set DATABASE_URL or run `flask --app app db-upgrade`.")
config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
