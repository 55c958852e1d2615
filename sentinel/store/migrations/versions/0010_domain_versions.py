"""a version per organization's domains, bumped by the database on every change

Revision ID: 0010_domain_versions
Revises: 0009_perf

Domain lists are cached per process (sentinel/store/versions.py) under the version of each
organization whose domains they show: the row `domains:<organization id>` in
cache_generations. Triggers bump it on every insert, update and delete of a domain,
cascades included, whoever writes (the API, the worker, the CLI, another instance, an
administrator's SQL), in the writing transaction; no code path can forget to.

On PostgreSQL the triggers are per statement and bump each organization once, in name
order: two transactions changing domains of the same organizations take the counter rows'
locks in the same order, so they queue instead of deadlocking.
"""

from __future__ import annotations

from alembic import op

revision = "0010_domain_versions"
down_revision = "0009_perf"
branch_labels = None
depends_on = None

_SQLITE_BUMP = (
    "INSERT INTO cache_generations (name, value) VALUES ('domains:' || {row}.organization_id, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = value + 1;"
)

_POSTGRES_FUNCTION = """
CREATE FUNCTION bump_domain_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cache_generations (name, value)
        SELECT DISTINCT 'domains:' || organization_id, 1 FROM new_rows ORDER BY 1
        ON CONFLICT (name) DO UPDATE SET value = cache_generations.value + 1;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO cache_generations (name, value)
        SELECT name, 1 FROM (
            SELECT 'domains:' || organization_id AS name FROM new_rows
            UNION SELECT 'domains:' || organization_id FROM old_rows
        ) AS changed ORDER BY 1
        ON CONFLICT (name) DO UPDATE SET value = cache_generations.value + 1;
    ELSE
        INSERT INTO cache_generations (name, value)
        SELECT DISTINCT 'domains:' || organization_id, 1 FROM old_rows ORDER BY 1
        ON CONFLICT (name) DO UPDATE SET value = cache_generations.value + 1;
    END IF;
    RETURN NULL;
END
$$
"""

_POSTGRES_TRIGGERS = {
    "domains_versions_insert": "AFTER INSERT ON domains REFERENCING NEW TABLE AS new_rows",
    "domains_versions_update": "AFTER UPDATE ON domains REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "domains_versions_delete": "AFTER DELETE ON domains REFERENCING OLD TABLE AS old_rows",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER domains_versions_insert AFTER INSERT ON domains BEGIN "
                   f"{_SQLITE_BUMP.format(row='NEW')} END")
        op.execute(f"CREATE TRIGGER domains_versions_update AFTER UPDATE ON domains BEGIN "
                   f"{_SQLITE_BUMP.format(row='NEW')} END")
        # An organization change (never made by the API) must bump the old one too.
        op.execute("CREATE TRIGGER domains_versions_move AFTER UPDATE OF organization_id ON domains "
                   f"WHEN OLD.organization_id IS NOT NEW.organization_id BEGIN {_SQLITE_BUMP.format(row='OLD')} END")
        op.execute(f"CREATE TRIGGER domains_versions_delete AFTER DELETE ON domains BEGIN "
                   f"{_SQLITE_BUMP.format(row='OLD')} END")
        return
    op.execute(_POSTGRES_FUNCTION)
    for name, when in _POSTGRES_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION bump_domain_versions()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("domains_versions_insert", "domains_versions_update", "domains_versions_move",
                     "domains_versions_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name in _POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON domains")
        op.execute("DROP FUNCTION IF EXISTS bump_domain_versions()")
    op.execute("DELETE FROM cache_generations WHERE name LIKE 'domains:%'")
