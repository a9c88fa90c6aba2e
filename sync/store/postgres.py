"""The PostgreSQL backend (psycopg 3), for several daemons sharing one store.

Connections come from one pool per URL (psycopg-pool): the daemon opens a store per job, and taking a
pooled connection costs nothing next to a new login. Connections are in autocommit mode, so a statement
outside :meth:`PostgresBackend.begin` commits on its own and no reader leaves a transaction open (none is
ever open across a wait on a tracker). An unsynced write transaction sets ``synchronous_commit = off``
for itself: atomic, and lost only with the server's last moments, as SQLite's unsynced commits.

Migrations run in one transaction under ``pg_advisory_xact_lock``, so daemons starting together apply
each once. PostgreSQL text cannot hold NUL characters; a NUL a tracker sends is stored as U+FFFD
(:func:`nul_free`).
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from connectors.errors import register_secret, scrub
from sync.model import batched
from sync.store.backend import CONNECT_TIMEOUT, Backend, StoreUnavailable, advisory_key, redact_url
from sync.store.migrations import MIGRATIONS, POSTGRES

MIGRATIONS_TABLE = "rankbridge_migrations"
POOL_SIZE = 32  # per URL and process: the daemon's parallel pulls, its stages and a writing command
MIGRATION_LOCK = advisory_key("migrate")
ROWS_PER_STATEMENT = 5000  # rows of one insert (each column an array)


def _configure(conn: psycopg.Connection[Any]) -> None:
    """A new pooled connection: plan each statement for its parameters and the tables as they are now.
    A statement run often is prepared, and after a few runs PostgreSQL may keep one generic plan for it,
    chosen while the tables were small: a first pull that fills a table would then scan it whole for every
    page (a 25,000-item pull took three times as long)."""
    conn.execute("set plan_cache_mode = force_custom_plan")


_pools: dict[str, ConnectionPool[psycopg.Connection[Any]]] = {}
_pools_lock = threading.Lock()


def pool(url: str) -> ConnectionPool[psycopg.Connection[Any]]:
    """The process's pool of connections to ``url`` (opened on first use, closed at exit)."""
    with _pools_lock:
        found = _pools.get(url)
        if found is None:
            found = ConnectionPool(
                url,
                min_size=0,
                max_size=POOL_SIZE,
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
                configure=_configure,
                check=ConnectionPool.check_connection,
                timeout=CONNECT_TIMEOUT,
                num_workers=1,
                name=f"rankbridge-store-{len(_pools)}",
                open=True,
            )
            _pools[url] = found
        return found


@atexit.register
def close_pools() -> None:
    with _pools_lock:
        for each in _pools.values():
            each.close(timeout=1)
        _pools.clear()


class PostgresBackend(Backend):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.location = redact_url(url)
        password = psycopg.conninfo.conninfo_to_dict(url).get("password")
        if password:
            register_secret(str(password))
        self._pool = pool(url)
        self._types: dict[str, dict[str, str]] = {}  # table -> column -> type, for array inserts
        try:
            self.conn = self._pool.getconn()
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot reach the store {self.location}: {self.describe(exc)}") from None

    def describe(self, exc: BaseException) -> str:
        """An error's first line, without the URL's password."""
        text = str(exc).strip()
        return scrub(text.splitlines()[0] if text else type(exc).__name__)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = any(?)", [nul_free(values)]

    @staticmethod
    def translate(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=dict_row) as cursor:
            self._run(cursor, sql, params)
            return cursor.fetchall()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cursor:
            self._run(cursor, sql, params)
            return cursor.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.conn.cursor() as cursor:
            self._run(cursor, sql, params)
            return cursor.rowcount

    def _run(self, cursor: psycopg.Cursor[Any], sql: str, params: Sequence[Any]) -> None:
        """A statement without parameters is sent as written (the driver reads ``%`` only with them)."""
        if params:
            cursor.execute(self.translate(sql), nul_free(params))
        else:
            cursor.execute(sql.encode())

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self.conn.cursor() as cursor:
            cursor.executemany(self.translate(sql), [nul_free(row) for row in rows])

    def upsert(self, table: str, rows: Sequence[dict[str, Any]], pk: tuple[str, ...]) -> None:
        """As the base's, in one statement per few thousand rows (their columns sent as arrays): one
        statement a row was mostly waiting on the server's answers. A key twice in one statement is
        refused by PostgreSQL, so the last row of each key is kept (what one statement a row leaves)."""
        if not rows:
            return
        last = {tuple(row[c] for c in pk): row for row in rows}
        columns = list(rows[0])
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in pk)
        keys = ", ".join(f'"{c}"' for c in pk)
        action = f"do update set {updates}" if updates else "do nothing"
        self._insert_arrays(table, columns, list(last.values()), f" on conflict ({keys}) {action}")

    def insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._insert_arrays(table, list(rows[0]), rows, "")

    def _insert_arrays(
        self, table: str, columns: list[str], rows: Sequence[dict[str, Any]], tail: str
    ) -> None:
        """``insert … select * from unnest(column arrays)``: a short statement, prepared once, whatever the
        number of rows. Each array holds one type, as the column's: values are given it as SQLite's
        column affinity would (a number in a text column becomes text, an integer in a real one a float)."""
        types = self._column_types(table)
        names = ", ".join(f'"{c}"' for c in columns)
        casts = ", ".join(f"%b::{types[c]}[]" for c in columns)  # binary: no per-element escaping
        sql = f'insert into "{table}" ({names}) select * from unnest({casts}){tail}'
        with self.conn.cursor() as cursor:
            for chunk in batched(rows, ROWS_PER_STATEMENT):
                arrays = [_as_column_type([row[c] for row in chunk], types[c]) for c in columns]
                cursor.execute(sql.encode(), arrays)

    def _column_types(self, table: str) -> dict[str, str]:
        if table not in self._types:
            sql = (
                "select column_name, data_type from information_schema.columns "
                "where table_schema = current_schema() and table_name = ?"
            )
            self._types[table] = {name: kind for name, kind in self.rows(sql, [table])}
        return self._types[table]

    def insert_returning_id(self, table: str, row: dict[str, Any]) -> int:
        names = ", ".join(f'"{c}"' for c in row)
        sql = f'insert into "{table}" ({names}) values ({", ".join("?" * len(row))}) returning id'
        return int(self.rows(sql, list(row.values()))[0][0])

    def batches(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """Through a server-side cursor (inside a transaction, as a snapshot opens one)."""
        with self.conn.cursor(name=f"rb_batches_{id(sql)}") as cursor:
            cursor.itersize = size
            cursor.execute(sql.encode())
            while chunk := cursor.fetchmany(size):
                yield chunk

    def begin_snapshot(self) -> None:
        self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def ids_assigned(self, table: str) -> None:
        self.execute(
            f"select setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
            f'from "{table}"'
        )

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        with self.conn.pipeline():
            yield

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def begin(self, synced: bool = True) -> None:
        self.execute("BEGIN")
        if not synced:
            self.execute("SET LOCAL synchronous_commit = off")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    def migrate(self) -> list[str]:
        """Pending migrations and their records in one transaction, under an advisory lock held until it
        ends: a second process waits, then finds them applied."""
        if not self._pending():
            return []
        self.begin()
        try:
            self.execute("select pg_advisory_xact_lock(?)", [MIGRATION_LOCK])
            self.execute(
                f"create table if not exists {MIGRATIONS_TABLE} "
                '(name text collate "C" primary key, applied_at text not null, seq bigint not null)'
            )
            pending = self._pending()
            done = len(self.applied_migrations())
            for seq, name in enumerate(pending, start=done + 1):
                for statement in POSTGRES[name]:
                    self.execute(statement)
                stamp = datetime.now(UTC).isoformat()
                self.execute(f"insert into {MIGRATIONS_TABLE} values (?, ?, ?)", [name, stamp, seq])
        except BaseException:
            self.rollback()
            raise
        self.commit()
        return pending

    def _pending(self) -> list[str]:
        applied = set(self.applied_migrations())
        return [name for name, _ in MIGRATIONS if name not in applied]

    def applied_migrations(self) -> list[str]:
        if self.rows("select to_regclass(?)", [MIGRATIONS_TABLE])[0][0] is None:
            return []
        return [r[0] for r in self.rows(f"select name from {MIGRATIONS_TABLE} order by seq")]

    def tables(self) -> list[str]:
        sql = (
            "select table_name from information_schema.tables where table_schema = current_schema() "
            "and table_type = 'BASE TABLE' order by table_name"
        )
        return [r[0] for r in self.rows(sql) if r[0] != MIGRATIONS_TABLE]

    def columns(self, table: str) -> list[str]:
        sql = (
            "select column_name from information_schema.columns where table_schema = current_schema() "
            "and table_name = ? order by ordinal_position"
        )
        return [r[0] for r in self.rows(sql, [table])]

    def close(self) -> None:
        conn, self.conn = self.conn, None  # type: ignore[assignment]
        if conn is not None:
            self._pool.putconn(conn)


def nul_free(values: Sequence[Any]) -> list[Any]:
    """Statement parameters with NUL characters in text (which PostgreSQL refuses) replaced by U+FFFD."""
    return [v.replace("\x00", "\ufffd") if type(v) is str and "\x00" in v else v for v in values]


def _as_column_type(values: list[Any], kind: str) -> list[Any]:
    """One column's values, each of the column's type where SQLite's affinity would convert it (an array
    holds one type: a driver refuses an int among floats), text without NUL characters."""
    if kind == "text":
        if any(type(v) is not str for v in values if v is not None):
            values = [
                v if v is None or type(v) is str else str(int(v) if type(v) is bool else v) for v in values
            ]
        return nul_free(values) if any("\x00" in v for v in values if v is not None) else values
    if kind == "double precision":
        return [float(v) if type(v) in (int, bool) else v for v in values]
    if kind == "bigint":
        return [int(v) if type(v) is bool or (type(v) is float and v.is_integer()) else v for v in values]
    return values
