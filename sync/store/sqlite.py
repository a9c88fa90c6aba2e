"""The SQLite backend: one file in WAL mode through sqlite-utils (named migrations), the default store.

Write transactions take SQLite's write lock up front (``BEGIN IMMEDIATE``): a deferred one that reads
first fails at once with "database is locked" when another writer committed since. An unsynced commit
(``synchronous=NORMAL`` for that transaction) is atomic and safe against a crash of the process; a synced
one also makes every earlier one durable.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.store.backend import Backend
from sync.store.base import private_file
from sync.store.migrations import (
    LEGACY_TABLE,
    adopt_legacy_records,
    migration_set,
)

MIGRATIONS_TABLE = "_sqlite_migrations"


class SqliteBackend(Backend):
    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        private_file(self.path)  # 0600 in 0700 folders: SQLite gives its -wal and -shm files the same mode
        self.db = sqlite_utils.Database(self.path)
        self.conn: sqlite3.Connection = self.db.conn
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.db.enable_wal()
        self._synced = True

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        outside = not self.conn.in_transaction
        changed = self.conn.execute(sql, params).rowcount
        if outside and self.conn.in_transaction:  # the module's implicit transaction of a lone statement
            self.conn.commit()
        return changed

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        outside = not self.conn.in_transaction
        self.conn.executemany(sql, rows)
        if outside and self.conn.in_transaction:
            self.conn.commit()

    def insert_returning_id(self, table: str, row: dict[str, Any]) -> int:
        names = ", ".join(f'"{c}"' for c in row)
        sql = f'insert into "{table}" ({names}) values ({", ".join("?" * len(row))}) returning id'
        outside = not self.conn.in_transaction
        new_id = int(self.conn.execute(sql, list(row.values())).fetchone()[0])
        if outside and self.conn.in_transaction:
            self.conn.commit()
        return new_id

    def batches(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        cursor = self.conn.execute(sql)
        while chunk := cursor.fetchmany(size):
            yield chunk

    def begin_snapshot(self) -> None:
        self.conn.execute("BEGIN")  # deferred: the first read fixes the snapshot (WAL)
        self.conn.execute("select count(*) from sqlite_master").fetchone()

    def ids_assigned(self, table: str) -> None:
        """Nothing to do: SQLite's next rowid follows the largest one."""

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def begin(self, synced: bool = True) -> None:
        self._synced = synced
        if not synced:
            self.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._restore_sync()
            raise

    def commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        finally:
            self._restore_sync()

    def rollback(self) -> None:
        try:
            self.conn.rollback()
        finally:
            self._restore_sync()

    def _restore_sync(self) -> None:
        if not self._synced:
            self._synced = True
            self.conn.execute("PRAGMA synchronous = FULL")

    def migrate(self) -> list[str]:
        """A store that has every migration is only read (readers never take the write lock); otherwise
        every pending migration and its record go in one write transaction (``BEGIN IMMEDIATE``
        serialises two processes opening a new store, so each migration is applied once)."""
        migrations = migration_set()
        if not migrations.pending(self.db) and not self.db.table(LEGACY_TABLE).exists():
            return []
        self.begin()
        try:
            adopt_legacy_records(self.db, migrations)
            pending = [m.name for m in migrations.pending(self.db)]
            migrations.apply(self.db)
        except BaseException:
            self.rollback()
            raise
        self.commit()
        return pending

    def applied_migrations(self) -> list[str]:
        sql = f"select name from {MIGRATIONS_TABLE} where migration_set = 'rankbridge' order by id"
        return [r[0] for r in self.rows(sql)]

    def tables(self) -> list[str]:
        return [t for t in self.db.table_names() if not t.startswith(("_", "sqlite_"))]

    def columns(self, table: str) -> list[str]:
        return [c.name for c in self.db.table(table).columns]

    def close(self) -> None:
        self.db.close()
