"""The store's plumbing: the SQLite file (WAL), write transactions and named migrations."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from sync import jsontext
from sync.migrations import MIGRATIONS
from sync.model import Link


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        self.path.parent.mkdir(parents=True, exist_ok=True)
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
        (outbox, journal) is synced, and a synced commit also makes every earlier one durable."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        if not synced:
            self.db.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.conn.rollback()
                raise
            self.db.conn.execute("COMMIT")
        finally:
            if not synced:
                self.db.conn.execute("PRAGMA synchronous = FULL")

    def _t(self, name: str) -> sqlite_utils.db.Table:
        return self.db.table(name)

    # --- migrations --------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        table = self.db["_migrations"]
        if not table.exists():
            self._t("_migrations").create({"name": str, "applied_at": str}, pk="name")
        done = {row["name"] for row in self.db["_migrations"].rows}
        applied = []
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            with self._writing():
                migration(self.db)
                self._t("_migrations").insert({"name": name, "applied_at": now_iso()})
            applied.append(name)
        return applied
