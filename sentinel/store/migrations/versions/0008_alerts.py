"""alert rules, alerts, record changes; scheduled rescans of domains

Revision ID: 0008_alerts
Revises: 0006_email_case

Existing organizations get the default rules new ones are created with, so upgrading
turns monitoring on as a new sign-up would have it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_alerts"
down_revision = "0007_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("domains") as batch:
        batch.add_column(sa.Column("scan_interval_hours", sa.Integer(), nullable=False, server_default="24"))
        batch.add_column(sa.Column("next_scan_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("scan_claimed_until", sa.DateTime(), nullable=True))
    op.create_index("ix_domains_next_scan_at", "domains", ["next_scan_at"])
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("domain_ids", sa.JSON(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_rules_organization_id", "alert_rules", ["organization_id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("domain_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("triggered_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("resolution", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    unresolved = sa.text("status != 'resolved'")
    op.create_index(
        "uq_alerts_unresolved",
        "alerts",
        ["rule_id", "domain_id", "subject"],
        unique=True,
        sqlite_where=unresolved,
        postgresql_where=unresolved,
    )
    op.create_index("ix_alerts_org_triggered", "alerts", ["organization_id", "triggered_at"])
    op.create_index("ix_alerts_domain_status", "alerts", ["domain_id", "status"])
    op.create_table(
        "record_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain_id", sa.String(length=40), nullable=False),
        sa.Column("scan_id", sa.String(length=40), nullable=False),
        sa.Column("previous_scan_id", sa.String(length=40), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("selector", sa.String(length=255), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("before", sa.String(length=8192), nullable=True),
        sa.Column("after", sa.String(length=8192), nullable=True),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_record_changes_domain_changed", "record_changes", ["domain_id", "changed_at"])
    _default_rules_for_existing_organizations()


def _default_rules_for_existing_organizations() -> None:
    from datetime import UTC, datetime

    from sentinel.alerts.defaults import default_rule_rows
    from sentinel.clock import RandomIds

    bind = op.get_bind()
    organizations = sa.table("organizations", sa.column("id", sa.String))
    rules = sa.table(
        "alert_rules",
        *(sa.column(name) for name in ("id", "organization_id", "name", "type", "enabled", "severity")),
        sa.column("domain_ids", sa.JSON),
        sa.column("params", sa.JSON),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = RandomIds()
    rows = [
        {**row, "created_at": now, "updated_at": now}
        for (org_id,) in bind.execute(sa.select(organizations.c.id))
        for row in default_rule_rows(ids, org_id)
    ]
    if rows:
        bind.execute(rules.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_record_changes_domain_changed", table_name="record_changes")
    op.drop_table("record_changes")
    op.drop_index("ix_alerts_domain_status", table_name="alerts")
    op.drop_index("ix_alerts_org_triggered", table_name="alerts")
    op.drop_index("uq_alerts_unresolved", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_alert_rules_organization_id", table_name="alert_rules")
    op.drop_table("alert_rules")
    op.drop_index("ix_domains_next_scan_at", table_name="domains")
    with op.batch_alter_table("domains") as batch:
        batch.drop_column("scan_claimed_until")
        batch.drop_column("next_scan_at")
        batch.drop_column("scan_interval_hours")
