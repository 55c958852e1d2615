"""DMARC aggregate reports, their records, and the daily rollups behind stats and sources

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _counts(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def _domain_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("domain_id", sa.String(length=40), nullable=False),
        sa.Column("org_name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("policy_domain", sa.String(length=253), nullable=False),
        sa.Column("begin_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        *_counts("message_count", "dmarc_pass_count"),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        _domain_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "org_name", "external_id", name="uq_reports_org_reporter_id"),
    )
    op.create_index("ix_reports_domain_day", "reports", ["domain_id", "day"])
    op.create_index("ix_reports_org_day", "reports", ["organization_id", "day"])
    op.create_table(
        "report_records",
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_ip", sa.String(length=45), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("dkim", sa.String(length=64), nullable=True),
        sa.Column("spf", sa.String(length=64), nullable=True),
        sa.Column("dmarc_pass", sa.Boolean(), nullable=False),
        sa.Column("dkim_aligned", sa.Boolean(), nullable=False),
        sa.Column("spf_aligned", sa.Boolean(), nullable=False),
        sa.Column("header_from", sa.String(length=1000), nullable=False),
        sa.Column("envelope_from", sa.String(length=1000), nullable=True),
        sa.Column("envelope_to", sa.String(length=1000), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id", "position"),
    )
    op.create_table(
        "report_day_stats",
        sa.Column("domain_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reporter", sa.String(length=255), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        *_counts(
            "messages",
            "dmarc_pass",
            "dkim_aligned",
            "spf_aligned",
            "disposition_none",
            "disposition_pass",
            "disposition_quarantine",
            "disposition_reject",
            "disposition_other",
        ),
        _domain_fk(),
        sa.PrimaryKeyConstraint("domain_id", "day", "reporter"),
    )
    op.create_table(
        "report_day_sources",
        sa.Column("domain_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source_ip", sa.String(length=45), nullable=False),
        *_counts("messages", "dmarc_pass", "dkim_aligned", "spf_aligned"),
        _domain_fk(),
        sa.PrimaryKeyConstraint("domain_id", "day", "source_ip"),
    )
    op.create_table(
        "report_day_source_names",
        sa.Column("domain_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source_ip", sa.String(length=45), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        *_counts("messages"),
        _domain_fk(),
        sa.PrimaryKeyConstraint("domain_id", "day", "source_ip", "kind", "name"),
    )
    op.create_index(
        "ix_report_day_source_names_ip", "report_day_source_names", ["domain_id", "source_ip", "day"]
    )


def downgrade() -> None:
    op.drop_index("ix_report_day_source_names_ip", table_name="report_day_source_names")
    op.drop_table("report_day_source_names")
    op.drop_table("report_day_sources")
    op.drop_table("report_day_stats")
    op.drop_table("report_records")
    op.drop_index("ix_reports_org_day", table_name="reports")
    op.drop_index("ix_reports_domain_day", table_name="reports")
    op.drop_table("reports")
