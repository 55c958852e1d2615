"""Many-row writes straight through the database driver: executemany, or PostgreSQL's COPY.

SQLAlchemy's per-row parameter processing costs more than the database's own insert
for narrow rows; report ingestion writes hundreds of thousands of them, so it hands
ready-made tuples to the driver (SQLite), or a staged file of COPY text (PostgreSQL).
Values must already be in a form both accept (str, int, bool, None; JSON and dates as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

CHUNK = 5000


def insert_many(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """INSERT the rows in the session's transaction. Raises SQLAlchemy's DBAPIError subclasses."""
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
    for start in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(sql, list(rows[start : start + CHUNK]))


def copy_file(session: Session, table: Table, columns: Sequence[str], path: str, chunk: int = 1024 * 1024) -> None:
    """COPY a file in PostgreSQL's text format into `table`, in the session's transaction.

    The bytes go to the server as they are: no row passes through Python.
    Raises SQLAlchemy's DBAPIError subclasses (a psycopg error is wrapped as SQLAlchemy wraps it).
    """
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy, open(path, "rb") as f:
            while block := f.read(chunk):
                copy.write(block)
    except Exception as exc:
        if isinstance(exc, connection.dialect.loaded_dbapi.Error):
            raise DBAPIError.instance(sql, None, exc, connection.dialect.loaded_dbapi.Error) from exc
        raise
    finally:
        cursor.close()
