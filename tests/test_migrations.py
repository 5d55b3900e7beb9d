"""The Alembic history and the models describe the same schema: a column, index or
constraint added to a model without a migration (or the reverse) fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from contest.db import Base
from contest.models import *  # noqa: F403 - every table must be in the metadata
from judging.models import *  # noqa: F403


def _diff(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            return compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_match_the_models(database_url):
    assert _diff(database_url) == []
