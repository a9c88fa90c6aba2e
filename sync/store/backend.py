"""The one interface the store's SQL goes through, with two implementations: SQLite (a file, the default;
:mod:`sync.store.sqlite`) and PostgreSQL (a URL; :mod:`sync.store.postgres`).

The store's statements are written once, in the subset both dialects accept, with ``?`` placeholders
(PostgreSQL's driver takes ``%s``; :meth:`Backend.translate` is the one place that converts them). What
differs lives here: connecting, transactions (a write transaction, a savepoint inside one, a commit that
need not wait for the disk), the named migrations' DDL, and how a new row's id comes back.

Outside a transaction every statement commits on its own (``execute``), so a reader never keeps a
transaction open; :meth:`Backend.begin`/:meth:`Backend.commit` bracket a write transaction.
"""

from __future__ import annotations

import hashlib
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sync.errors import UsageError

URL_SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT = 10  # seconds, for a PostgreSQL connection and for a free one in the pool
_savepoints = count(1)


class StoreUnavailable(UsageError):
    """The store cannot be opened or reached (the message names it, with any password replaced)."""


def is_url(location: str) -> bool:
    """Whether a store location is a database URL (PostgreSQL) rather than a file path (SQLite)."""
    return urlsplit(location).scheme in URL_SCHEMES


def advisory_key(name: str) -> int:
    """A stable 64-bit PostgreSQL advisory-lock key for ``name`` (the same in every process and host)."""
    return int.from_bytes(hashlib.sha256(f"rankbridge:{name}".encode()).digest()[:8], "big", signed=True)


def redact_url(url: str) -> str:
    """``url`` with its password (and any ``password=`` parameter) replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:***@{host}" if has_password else netloc
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Backend(ABC):
    """A connection to one store, used by one thread at a time."""

    dialect: str
    location: str  # where the store is, fit to show (no password)

    # --- statements ------------------------------------------------------------------------------------
    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a query, as dicts by column name."""

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query, as tuples (cheaper where a read is large and its columns known)."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (committed at once outside a transaction); the number of rows it changed."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row (prepared once)."""

    @abstractmethod
    def insert_returning_id(self, table: str, row: dict[str, Any]) -> int:
        """Insert ``row`` into a table whose ``id`` the database assigns; that id."""

    @abstractmethod
    def batches(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a large query, ``size`` at a time (never all in memory at once)."""

    @abstractmethod
    def begin_snapshot(self) -> None:
        """Open a read-only transaction in which every read sees the same committed state."""

    @abstractmethod
    def ids_assigned(self, table: str) -> None:
        """Rows with explicit ids were copied into ``table``: make the ids the database assigns next
        follow them."""

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column`` is one of ``values``: the condition and its parameters (a list of placeholders here;
        PostgreSQL takes one array, so the statement is the same whatever the number of values)."""
        return f"{column} in ({','.join('?' * len(values))})", list(values)

    @staticmethod
    def translate(sql: str) -> str:
        """The statement in the driver's placeholder style (``?`` here)."""
        return sql

    # --- transactions ----------------------------------------------------------------------------------
    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def begin(self, synced: bool = True) -> None:
        """Open a write transaction. ``synced=False``: its commit need not wait for the disk (still atomic;
        a crash of the machine, not of the process, may undo it; pulled pages are written so)."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements whose results are not read sent without waiting for each answer (PostgreSQL's
        pipeline mode; in-process SQLite has nothing to wait for). An error is raised by the end."""
        yield

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the open transaction that is undone alone when it fails."""
        name = f"rb_{next(_savepoints)}"
        self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if self.in_transaction:
                self.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.execute(f"RELEASE SAVEPOINT {name}")

    # --- schema ----------------------------------------------------------------------------------------
    @abstractmethod
    def migrate(self) -> list[str]:
        """Apply the named migrations this store has not had yet (serialised between processes); their
        names."""

    @abstractmethod
    def applied_migrations(self) -> list[str]:
        """Names of the migrations this store has had, in the order applied."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The store's tables (the migrations' record excluded)."""

    @abstractmethod
    def columns(self, table: str) -> list[str]:
        """A table's columns in their order."""

    @abstractmethod
    def close(self) -> None: ...

    # --- statements written once for both dialects -------------------------------------------------------
    def upsert(self, table: str, rows: Sequence[dict[str, Any]], pk: tuple[str, ...]) -> None:
        """Insert ``rows``, or update the stored row with the same primary key, in one prepared statement
        for the batch. Every row has the same keys."""
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in pk)
        action = f"do update set {updates}" if updates else "do nothing"
        keys = ", ".join(f'"{c}"' for c in pk)
        sql = f'insert into "{table}" ({names}) values ({marks}) on conflict ({keys}) {action}'
        values = operator.itemgetter(*columns)
        self.executemany(sql, [values(r) for r in rows] if len(columns) > 1 else [(values(r),) for r in rows])

    def insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows`` (every row has the same keys)."""
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'insert into "{table}" ({names}) values ({", ".join("?" * len(columns))})'
        self.executemany(sql, [tuple(r[c] for c in columns) for r in rows])

    def count(self, table: str) -> int:
        return int(self.rows(f'select count(*) from "{table}"')[0][0])


def open_backend(location: str) -> Backend:
    """The backend a store location names: a ``postgresql://`` URL, or an SQLite file path."""
    if is_url(location):
        from sync.store.postgres import PostgresBackend

        return PostgresBackend(location)
    from sync.store.sqlite import SqliteBackend

    return SqliteBackend(location)
