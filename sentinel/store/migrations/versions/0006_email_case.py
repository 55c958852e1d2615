"""e-mail addresses compare without regard to case: stored ones are lower-cased

Revision ID: 0006_email_case
Revises: 0005_reports_skipped

`Alice@Example.com` and `alice@example.com` reach the same mailbox at every provider that
matters, so they are one account. Addresses stored before were only lower-cased in their
domain part; each is lower-cased now unless another account already holds the lower-case
form (such pairs stay as they are, and the lower-case one is the one found from now on).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_email_case"
down_revision = "0005_reports_skipped"
branch_labels = None
depends_on = None


def upgrade() -> None:
    users = sa.table("users", sa.column("id", sa.String), sa.column("email", sa.String))
    bind = op.get_bind()
    taken = {email for (email,) in bind.execute(sa.select(users.c.email))}
    rows = bind.execute(sa.select(users.c.id, users.c.email).where(users.c.email != sa.func.lower(users.c.email)))
    for user_id, email in rows.all():
        lowered = email.lower()
        if lowered not in taken:
            bind.execute(users.update().where(users.c.id == user_id).values(email=lowered))
            taken.add(lowered)


def downgrade() -> None:
    # Lower-cased addresses are still the same mailboxes; nothing to undo.
    pass
