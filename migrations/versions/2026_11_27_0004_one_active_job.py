"""one active job of a kind per contest

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 20:05:00

A partial unique index on jobs (contest_id, kind) over queued and running jobs. Before it,
two simultaneous "scan" clicks could queue two scans; any such pair already stored is
resolved first: the newest active job of each pair stays, the older ones are marked failed
with a message (nothing is deleted).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ACTIVE = "state IN ('queued', 'running')"


def upgrade() -> None:
    op.execute(
        sa.text(
            f"""
            UPDATE jobs SET state = 'failed',
                message = 'superseded: another job of the same kind was queued at the same time'
            WHERE {ACTIVE} AND contest_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM jobs AS newer
                WHERE newer.contest_id = jobs.contest_id AND newer.kind = jobs.kind
                  AND newer.state IN ('queued', 'running') AND newer.id > jobs.id
            )
            """
        )
    )
    op.create_index(
        "uq_jobs_one_active",
        "jobs",
        ["contest_id", "kind"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_one_active", table_name="jobs")
