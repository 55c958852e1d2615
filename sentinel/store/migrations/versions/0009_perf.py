"""a generation counter for caches that must stay exact across processes

Revision ID: 0009_perf
Revises: 0006_email_case

Each instance of `serve` caches authenticated principals; every change that can alter one
(revocation, rotation, memberships, plans) bumps the `principals` row in the same
transaction, and every request compares it with the generation its cache was filled at.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_perf"
down_revision = "0008_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(table, [{"name": "principals", "value": 0}])


def downgrade() -> None:
    op.drop_table("cache_generations")
