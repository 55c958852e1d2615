"""all-time totals per domain and sending IP

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_sources",
        sa.Column("domain_id", sa.String(length=40), nullable=False),
        sa.Column("source_ip", sa.String(length=45), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("dmarc_pass", sa.BigInteger(), nullable=False),
        sa.Column("dmarc_fail", sa.BigInteger(), nullable=False),
        sa.Column("dkim_aligned", sa.BigInteger(), nullable=False),
        sa.Column("spf_aligned", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("domain_id", "source_ip"),
    )
    op.create_index("ix_report_sources_volume", "report_sources", ["domain_id", "messages"])
    op.create_index("ix_report_sources_failures", "report_sources", ["domain_id", "dmarc_fail"])
    # Reports stored before this table existed are summed from the daily rollup.
    op.execute(
        "INSERT INTO report_sources "
        "(domain_id, source_ip, messages, dmarc_pass, dmarc_fail, dkim_aligned, spf_aligned) "
        "SELECT domain_id, source_ip, SUM(messages), SUM(dmarc_pass), SUM(messages) - SUM(dmarc_pass), "
        "SUM(dkim_aligned), SUM(spf_aligned) FROM report_day_sources GROUP BY domain_id, source_ip"
    )


def downgrade() -> None:
    op.drop_index("ix_report_sources_failures", table_name="report_sources")
    op.drop_index("ix_report_sources_volume", table_name="report_sources")
    op.drop_table("report_sources")
