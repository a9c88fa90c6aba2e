"""The store's plumbing: the backend (SQLite or PostgreSQL), write transactions and page batches."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync.model import Link
from sync.store import jsontext
from sync.store.backend import Backend, open_backend

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
    """The store's plumbing over a :class:`~sync.store.backend.Backend`: ``location`` is an SQLite file
    path (the default) or a ``postgresql://`` URL."""

    def __init__(self, location: str | Path) -> None:
        # Called before every commit; raises to roll the transaction back instead (a daemon sets it to
        # its leases' guard, so that one that lost a lease commits nothing more).
        self.guard: Callable[[], None] | None = None
        self.sql: Backend = open_backend(str(location))
        try:
            self.migrate()
        except BaseException:
            self.sql.close()
            raise

    @property
    def location(self) -> str:
        """Where the store is, fit to show (a URL's password replaced)."""
        return self.sql.location

    def close(self) -> None:
        self.sql.close()

    @contextmanager
    def _writing(self, synced: bool = True) -> Iterator[None]:
        """A write transaction (SQLite takes its write lock up front, see :mod:`sync.store.sqlite`).

        ``synced=False`` commits without waiting for the disk: still atomic, and safe against a crash of
        the process, but a power loss may undo it. Pulled pages are written so (their cursor goes with
        them, so an undone page is simply read again); everything else (outbox, journal) is synced. Inside
        an open transaction (a :class:`PageBatch`) it is a savepoint of that transaction."""
        if self.sql.in_transaction:
            with self.sql.savepoint():
                yield
            return
        self.sql.begin(synced)
        try:
            yield
        except BaseException:
            self.sql.rollback()
            raise
        self._commit()

    def _commit(self) -> None:
        """Commit the open transaction, unless :attr:`guard` refuses: then it is rolled back and the
        refusal raised."""
        if self.guard is not None:
            try:
                self.guard()
            except BaseException:
                self.sql.rollback()
                raise
        self.sql.commit()

    def page_batch(self, max_records: int = 5000, max_seconds: float = 2.0) -> PageBatch:
        """Pulled pages written several to a transaction (see :class:`PageBatch`)."""
        return PageBatch(self, max_records, max_seconds)

    def migrate(self) -> list[str]:
        """Apply the migrations this store has not had yet; their names (see the backends)."""
        return self.sql.migrate()


class PageBatch:
    """One write transaction kept open over several pulled pages, committed after the page that brings it
    to ``max_records`` records or ``max_seconds`` open (checked as each page is written), and when the
    batch ends.

    Each page is still written whole with its cursor (a savepoint of the open transaction), so what a
    commit makes visible is always complete pages with the cursor of the last one; a crash loses the
    uncommitted pages, which the next run reads again from the committed cursor. Committing every page
    on its own rewrote the same index pages over and over: a 25,000-issue Jira pull in pages of 100 wrote
    522 MB of write-ahead log for a 115 MB store (126 MB in batches), and checkpointing it cost more than
    writing the rows. Bounded in time, the write lock is never held long (readers are never blocked), and
    the pull commits the batch whenever the next page is slow to come (``commit`` while it waits), so no
    transaction stays open across a wait on a tracker, in either backend.
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
            self.store.sql.begin(synced=False)
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
            self.store._commit()
        except BaseException:
            with contextlib.suppress(Exception):
                self.store.sql.rollback()
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
