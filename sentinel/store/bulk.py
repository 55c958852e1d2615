"""Many-row writes straight through the database driver's executemany.

SQLAlchemy's per-row parameter processing costs more than the database's own insert
for narrow rows; report ingestion writes hundreds of thousands of them, so it hands
ready-made tuples to the driver. Values must already be in a form both SQLite and
PostgreSQL accept (str, int, bool, None; JSON and dates as text).
"""

from __future__ import annotations

import marshal
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Table
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


class RowSpool:
    """Rows parked in an anonymous temporary file, to be written later in one short
    transaction: memory holds one batch, whatever the number of rows.

    Rows must be tuples of str, int, bool and None (they are marshalled). Use as a
    context manager; the file disappears on close.
    """

    def __init__(self, batch: int = 500) -> None:
        self.batch = batch
        self.rows = 0
        self._pending: list[tuple[Any, ...]] = []
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()

    def add(self, row: tuple[Any, ...]) -> None:
        self._pending.append(row)
        self.rows += 1
        if len(self._pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            marshal.dump(self._pending, self._file)
            self._pending = []

    def batches(self) -> Iterator[list[tuple[Any, ...]]]:
        """The rows in the order added, a batch at a time (may be read more than once)."""
        self._flush()
        self._file.seek(0)
        while True:
            try:
                yield marshal.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
