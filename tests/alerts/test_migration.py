"""Migration 0008: existing organizations get the default rules, existing domains rescans."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from sentinel.store.db import Database


@pytest.mark.db
def test_existing_organizations_get_the_default_rules(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from sentinel.store.db import MIGRATIONS

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")

    def run(step: str, revision: str) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)

    try:
        run("upgrade", "0006_email_case")
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO organizations (id, name, plan, created_at, updated_at) "
                           "VALUES ('org_old', 'Old', 'free', '2024-01-01', '2024-01-01')"))
            c.execute(text("INSERT INTO domains (id, organization_id, name, unicode_name, verification_token, "
                           "verified_at, dkim_selectors, learned_selectors, created_at, updated_at) VALUES "
                           "('dom_old', 'org_old', 'old.example', 'old.example', 't', '2024-01-02', '[]', '[]', "
                           "'2024-01-01', '2024-01-01')"))
        run("upgrade", "0008_alerts")
        with db.engine.connect() as c:
            rules = c.execute(text("SELECT type FROM alert_rules WHERE organization_id = 'org_old'"))
            types = sorted(r[0] for r in rules)
            interval = c.execute(text("SELECT scan_interval_hours FROM domains WHERE id = 'dom_old'")).scalar()
        assert types == sorted(
            ["dmarc_pass_rate", "dns_record_changed", "dns_error", "policy_weakened", "reports_stopped", "new_source"]
        )
        assert interval == 24
        run("downgrade", "0006_email_case")
        with db.engine.connect() as c:
            assert "alert_rules" not in {r[0] for r in c.execute(text("SELECT name FROM sqlite_master"))}
    finally:
        db.dispose()
