"""Migration 0005: headers stored with every skipped record are cut to a sample plus counts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from sentinel.store.db import MIGRATIONS, Database


def _upgrade(db: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_old_headers_are_cut_to_a_sample_with_counts(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _upgrade(db, "0004")
        skipped = [{"index": i, "reason": f"record at line {i}: <source_ip> 'x{i}' is not an IP address"}
                   for i in range(5000)]
        skipped.append({"index": 5000, "reason": "record at line 9 has no <header_from>"})
        now = datetime(2024, 6, 14, tzinfo=UTC)
        with db.engine.connect() as c:
            # Only the report row matters here; its organization and domain are left out.
            c.exec_driver_sql("PRAGMA foreign_keys=OFF")
            c.execute(
                text("INSERT INTO reports (id, organization_id, domain_id, org_name, external_id, policy_domain, "
                     "begin_at, end_at, day, received_at, record_count, message_count, dmarc_pass_count, header) "
                     "VALUES ('rpt_1', 'org_1', 'dom_1', 'R', 'r-1', 'example.com', :now, :now, :day, :now, "
                     "0, 0, 0, :header)"),
                {"now": now, "day": date(2024, 6, 14), "header": json.dumps({"domain": "example.com",
                                                                            "skipped": skipped})},
            )
            c.commit()
        _upgrade(db, "head")
        with db.engine.connect() as c:
            header = json.loads(c.execute(text("SELECT header FROM reports WHERE id = 'rpt_1'")).scalar_one())
        assert header["skippedCount"] == 5001
        assert header["skippedByReason"] == {"invalid_source_ip": 5000, "missing_header_from": 1}
        assert header["skipped"] == skipped[:100]
        assert header["domain"] == "example.com"
    finally:
        db.dispose()
