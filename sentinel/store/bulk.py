"""Many-row writes straight through the database driver's executemany.

SQLAlchemy's per-row parameter processing costs more than the database's own insert
for narrow rows; report ingestion writes hundreds of thousands of them, so it hands
ready-made tuples to the driver. Values must already be in a form both SQLite and
PostgreSQL accept (str, int, bool, None; JSON and dates as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

CHUNK = 5000


def insert_many(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    add_on_conflict: Sequence[str] | None = None,
) -> None:
    """INSERT the rows in the session's transaction.

    With `add_on_conflict` (the key columns), a row whose key exists adds its other
    columns to the stored ones (INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n,
    the same on SQLite >= 3.24 and PostgreSQL). Raises SQLAlchemy's DBAPIError subclasses.
    """
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    name = quote(table.name)
    sql = (
        f"INSERT INTO {name} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    if add_on_conflict is not None:
        updates = ", ".join(
            f"{quote(c)} = {name}.{quote(c)} + excluded.{quote(c)}" for c in columns if c not in add_on_conflict
        )
        sql += f" ON CONFLICT ({', '.join(quote(k) for k in add_on_conflict)}) DO UPDATE SET {updates}"
    for start in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(sql, list(rows[start : start + CHUNK]))


def subtract_many(
    session: Session, table: Table, keys: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """UPDATE each row found by its `keys` values, subtracting the other `columns` values.

    `columns` lists the keys first, in the order of each row's values.
    """
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    values = [c for c in columns if c not in keys]
    sql = (
        f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {quote(c)} - {marker}' for c in values)} "
        f"WHERE {' AND '.join(f'{quote(k)} = {marker}' for k in keys)}"
    )
    key_at = [columns.index(k) for k in keys]
    value_at = [columns.index(c) for c in values]
    params = [tuple(row[i] for i in value_at) + tuple(row[i] for i in key_at) for row in rows]
    for start in range(0, len(params), CHUNK):
        connection.exec_driver_sql(sql, params[start : start + CHUNK])
