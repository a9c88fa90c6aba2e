"""The store's plumbing: the SQLite file (WAL), write transactions and named migrations."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.model import Link
from sync.store import jsontext
from sync.store.migrations import LEGACY_TABLE, adopt_legacy_records, migration_set

SQL_VARIABLES = 500  # ids bound to one ``in (...)`` query, well under SQLite's limit


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def private_file(path: Path) -> None:
    """Create ``path`` (and missing folders) readable by the owner only: 0600, folders 0700."""
    missing = [p for p in reversed(path.parents) if not p.exists()]
    for folder in missing:
        folder.mkdir(mode=0o700, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:24]


def link_id(link: Link) -> str:
    """A link's row id: a digest of all it says (one per pulled link, so the fast encoder)."""
    parts = [link.src_uid, link.type, link.dst_uid, link.dst_ref, link.origin]
    return hashlib.sha256(jsontext.dumps_bytes(parts)).hexdigest()[:24]


def link_rows(links: list[Link], stream: str) -> list[dict[str, Any]]:
    """Rows of the links table; ``stream`` tags who made them (a connector's stream or a rule)."""
    return [
        {
            "id": link_id(link),
            "src_uid": link.src_uid,
            "dst_uid": link.dst_uid,
            "dst_ref": link.dst_ref,
            "type": link.type,
            "origin": link.origin,
            "stream": stream,
        }
        for link in links
    ]


class StoreBase:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        private_file(self.path)  # 0600 in 0700 folders: SQLite gives its -wal and -shm files the same mode
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.enable_wal()
        self.migrate()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _writing(self, synced: bool = True) -> Iterator[None]:
        """A write transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE): a deferred one
        that reads first fails at once with "database is locked" when another writer committed since.

        ``synced=False`` commits without waiting for the disk (WAL with ``synchronous=NORMAL``): still
        atomic, and safe against a crash of the process, but a power loss may undo it. Pulled pages are
        written so (their cursor goes with them, so an undone page is simply read again); everything else
        (outbox, journal) is synced, and a synced commit also makes every earlier one durable. Inside an
        open transaction (a :class:`PageBatch`) it is a savepoint of that transaction."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self._begin(synced)
        try:
            yield
        except BaseException:
            self._end(synced, commit=False)
            raise
        self._end(synced, commit=True)

    def _begin(self, synced: bool) -> None:
        if not synced:
            self.db.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            if not synced:
                self.db.conn.execute("PRAGMA synchronous = FULL")
            raise

    def _end(self, synced: bool, commit: bool) -> None:
        try:
            if commit:
                self.db.conn.execute("COMMIT")
            else:
                self.db.conn.rollback()
        finally:
            if not synced:
                self.db.conn.execute("PRAGMA synchronous = FULL")

    def page_batch(self, max_records: int = 5000, max_seconds: float = 2.0) -> PageBatch:
        """Pulled pages written several to a transaction (see :class:`PageBatch`)."""
        return PageBatch(self, max_records, max_seconds)

    def _t(self, name: str) -> sqlite_utils.db.Table:
        return self.db.table(name)

    # --- migrations --------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply the migrations this store has not had yet; their names. A store that has them all is only
        read (readers never take the write lock); otherwise every pending migration and its record go in
        one write transaction, so two processes opening a new store apply each once."""
        migrations = migration_set()
        if not migrations.pending(self.db) and not self._t(LEGACY_TABLE).exists():
            return []
        with self._writing():
            adopt_legacy_records(self.db, migrations)
            pending = [m.name for m in migrations.pending(self.db)]
            migrations.apply(self.db)
        return pending


class PageBatch:
    """One write transaction kept open over several pulled pages, committed after the page that brings it
    to ``max_records`` records or ``max_seconds`` open (checked as each page is written), and when the
    batch ends.

    Each page is still written whole with its cursor (a savepoint of the open transaction), so what a
    commit makes visible is always complete pages with the cursor of the last one; a crash loses the
    uncommitted pages, which the next run reads again from the committed cursor. Committing every page
    on its own rewrote the same index pages over and over: a 25,000-issue Jira pull in pages of 100 wrote
    522 MB of write-ahead log for a 115 MB store (126 MB in batches), and checkpointing it cost more than
    writing the rows. Bounded in time, the write lock is never held long (readers are never blocked).
    """

    def __init__(self, store: StoreBase, max_records: int, max_seconds: float) -> None:
        self.store = store
        self.max_records = max_records
        self.max_seconds = max_seconds
        self._pending = 0
        self._opened: float | None = None

    def add(self, records: int) -> None:
        """Open the transaction if needed, before a page of ``records`` is written."""
        if self._opened is None:
            self.store._begin(synced=False)
            self._opened = time.monotonic()
        self._pending += records

    def written(self) -> None:
        """A page was written: commit if the batch is full or old enough."""
        assert self._opened is not None
        if self._pending >= self.max_records or time.monotonic() - self._opened >= self.max_seconds:
            self.commit()

    def commit(self) -> None:
        """Commit the pages written so far (a commit that fails is rolled back, and raises)."""
        if self._opened is None:
            return
        self._opened, self._pending = None, 0
        try:
            self.store._end(synced=False, commit=True)
        except BaseException:
            with contextlib.suppress(Exception):
                self.store.db.conn.rollback()
            raise

    def __enter__(self) -> PageBatch:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Commit what was written, whatever ended the batch: every page in the transaction is whole (a
        page that failed midway rolled back to its savepoint). When the batch ended on an error, that
        error is the one raised, even if the commit fails too."""
        if kind is None:
            self.commit()
            return
        with contextlib.suppress(Exception):
            self.commit()
