"""One writer per PostgreSQL store: a session-level advisory lock, the PostgreSQL twin of the file lock in
:mod:`sync.daemon.lock` (same interface, same :class:`~sync.daemon.lock.LockHeld` refusal).

The lock lives on a connection of its own (never a pooled one, which would carry the lock back to the
pool), so it ends when its session does: released, closed, or cut off when the holder dies. The holder
names itself in the session's ``application_name`` (command, pid, host, start), which any other session
reads in ``pg_stat_activity`` to say who holds the store.
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Any

from sync.daemon.lock import LockHeld, LockInfo, StoreLock
from sync.daemon.lock import current_holder as file_holder
from sync.store.backend import CONNECT_TIMEOUT, StoreUnavailable, advisory_key, redact_url
from sync.store.base import now_iso

if TYPE_CHECKING:
    import psycopg

    from sync.config import StoreConfig

WRITER_KEY = advisory_key("store-writer")
APPLICATION = "rankbridge-writer"
NAME_LENGTH = 63  # PostgreSQL keeps this much of an application_name
HOLDER_SQL = (
    "select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid "
    "where l.locktype = 'advisory' and l.granted and l.objsubid = 1 and l.database = "
    "(select oid from pg_database where datname = current_database()) "
    "and l.classid = %s::bigint::oid and l.objid = %s::bigint::oid"
)


def lock_parts(key: int) -> tuple[int, int]:
    """How ``pg_locks`` shows a 64-bit advisory key: its high and low 32 bits (``classid``, ``objid``)."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


def application_name(command: str) -> str:
    """Who holds the lock, as its session names itself (the host last: a long one is cut short)."""
    return f"{APPLICATION}|{os.getpid()}|{now_iso()}|{command}|{socket.gethostname()}"[:NAME_LENGTH]


class AdvisoryStoreLock:
    """``with AdvisoryStoreLock(url, "sync", wait=10):`` — raises :class:`LockHeld` if not obtained in
    time."""

    def __init__(self, url: str, command: str, wait: float = 0.0, poll: float = 0.1) -> None:
        self.url = url
        self.command = command
        self.wait = wait
        self.poll = poll
        self.stale: LockInfo | None = None  # never: a dead holder's session (and lock) ends with it
        self._conn: psycopg.Connection[Any] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> AdvisoryStoreLock:
        import psycopg  # only PostgreSQL stores need the driver: SQLite commands start without it

        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name=application_name(self.command),
            )
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot reach the store {redact_url(self.url)}: {exc}") from None
        deadline = time.monotonic() + self.wait
        while not _try_lock(conn):
            if time.monotonic() >= deadline:
                holder = holder_on(conn)
                conn.close()
                raise LockHeld(redact_url(self.url), holder, self.wait)
            time.sleep(self.poll)
        self._conn = conn
        return self

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # the session's end releases its advisory locks

    def holder(self) -> LockInfo | None:
        if self._conn is None:
            return None
        return holder_on(self._conn)

    def __enter__(self) -> AdvisoryStoreLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _try_lock(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("select pg_try_advisory_lock(%s)", [WRITER_KEY]).fetchone()
    return bool(row and row[0])


def holder_on(conn: psycopg.Connection[Any]) -> LockInfo | None:
    """Who holds the writer lock of the store ``conn`` reaches (None when nobody does)."""
    row = conn.execute(HOLDER_SQL, list(lock_parts(WRITER_KEY))).fetchone()
    if row is None:
        return None
    parts = str(row[0]).split("|", 4)
    if len(parts) < 4 or parts[0] != APPLICATION or not parts[1].isdigit():
        return LockInfo(0, str(row[0]) or "unknown", "?")
    command = parts[3] + (f" on {parts[4]}" if len(parts) > 4 and parts[4] else "")
    return LockInfo(int(parts[1]), command, parts[2])


def current_holder(url: str) -> LockInfo | None:
    """Who holds the writer lock of the store at ``url`` right now."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            return holder_on(conn)
    except psycopg.Error:
        return None


def writer_lock(store: StoreConfig, command: str, wait: float = 0.0) -> StoreLock | AdvisoryStoreLock:
    """The writer lock of the configured store: the file lock beside an SQLite file, the advisory lock of
    a PostgreSQL database."""
    if store.url is not None:
        return AdvisoryStoreLock(store.location, command, wait=wait)
    return StoreLock(store.path, command, wait=wait)


def store_holder(store: StoreConfig) -> LockInfo | None:
    """Who holds the configured store's writer lock right now (None when nobody does)."""
    if store.url is not None:
        return current_holder(store.location)
    return file_holder(store.path)
