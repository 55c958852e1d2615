"""stored reports keep a sample of their skipped records plus counts, not every one

Revision ID: 0005_reports_skipped
Revises: 0004

Reports stored before this kept every skipped record in `header`, which lists read: a
hostile file made that row hundreds of MB. Each header is rewritten to the first 100
skipped records, `skippedCount` and `skippedByReason` (the reason told from its text),
one report at a time so memory holds one header.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_reports_skipped"
down_revision = "0004"
branch_labels = None
depends_on = None

SAMPLE = 100
_REASONS = (
    ("missing_source_ip", re.compile(r"has no <source_ip>")),
    ("invalid_source_ip", re.compile(r"<source_ip> .* is not an IP address")),
    ("missing_count", re.compile(r"has no <count>")),
    ("invalid_count", re.compile(r"<count> .* is not a whole number")),
    ("count_out_of_range", re.compile(r"<count> .* is (out of range|more than)")),
    ("missing_header_from", re.compile(r"has no <header_from>")),
)

reports = sa.table("reports", sa.column("id", sa.String()), sa.column("header", sa.JSON()))


def _reason(text: str) -> str:
    for code, pattern in _REASONS:
        if pattern.search(text):
            return code
    return "invalid_text"


def upgrade() -> None:
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(reports.c.id))]
    for report_id in ids:
        header: dict[str, Any] | None = bind.execute(
            sa.select(reports.c.header).where(reports.c.id == report_id)
        ).scalar()
        if not header or "skippedCount" in header:
            continue
        skipped = header.get("skipped") or []
        by_reason: dict[str, int] = {}
        for item in skipped:
            code = _reason(str(item.get("reason", "")))
            by_reason[code] = by_reason.get(code, 0) + 1
        header = {**header, "skipped": skipped[:SAMPLE], "skippedCount": len(skipped), "skippedByReason": by_reason}
        bind.execute(sa.update(reports).where(reports.c.id == report_id).values(header=header))


def downgrade() -> None:
    # The sample is what remains; older code reads it (and shows its length as the count).
    pass
