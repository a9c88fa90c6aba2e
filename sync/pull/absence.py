"""Gone by absence: an item a whole read of its stream no longer lists is marked deleted.

**A whole read** of a stream is a read from no cursor that completes: every page read, no error, no stop
(a daemon shutdown), no page cap reached. It happens on a stream's first pull, every
``full_read_hours`` after the last one (counted from the connection's first pull while there was none),
and when asked (`rankbridge pull --full`). A re-read of a stream that has a cursor keeps the stored
cursor until it completes (its pages start from the beginning again), then commits the read's own.

**What it judges.** Only streams that declare ``Stream.holds`` (the items a read from no cursor returns
while they exist: a repository's issues, a Jira connection's JQL, Linear's issues of the configured teams,
Zendesk's tickets updated since ``start_time``); a board or an organisation list judges nothing. Of the
connection's stored items the stream holds, those the read did not list are marked deleted (kept for
history, out of the ranking) and their pending ops dropped with a note, as for a 404/410 on a write
(:meth:`sync.store.writelog.WriteLog.mark_gone`). An item listed again later is undeleted by that read.

**What never marks anything:** a partial, failed or stopped read, an incremental read, and a whole read
that quarantined a payload (a record we could not read may be one of the held items: its absence proves
nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from connectors.base import Connector, Page
from sync.model import Item, parse_utc
from sync.store import Store

log = logging.getLogger(__name__)


@dataclass
class WholeRead:
    """One whole read of an item stream in progress: what it listed, and the cursor it will commit."""

    connection: str
    stream: str
    started_at: str
    holds: Callable[[Item], bool]
    rereading: bool  # the stream had a cursor: it stays until the read completes
    listed: set[str] = field(default_factory=set)
    cursor: str | None = None  # the latest page cursor of a re-read, committed when it completes
    unread: int = 0  # payloads quarantined during the read

    def page(self, page: Page) -> Page:
        """The page to store: a re-read's page cursors are held back (kept for the end)."""
        if not self.rereading:
            return page
        if page.cursor is not None:
            self.cursor = page.cursor
        return Page(page.payloads, None)

    def finish(self, store: Store) -> list[str]:
        """The read completed: record it, commit its cursor, mark what it did not list; the uids marked."""
        gone: list[str] = []
        if self.unread:
            log.warning(
                "%s %s: a whole read quarantined %d payload(s): no item is marked deleted by this read",
                self.connection,
                self.stream,
                self.unread,
            )
        else:
            gone = [
                item.uid
                for item in store.items(self.connection)
                if item.uid not in self.listed and self.holds(item)
            ]
        why = f"deleted: no longer listed by a whole read of {self.connection} {self.stream}"
        store.finish_full_read(self.connection, self.stream, self.started_at, self.cursor, gone, why)
        if gone:
            log.warning(
                "%s %s: %d item(s) no longer listed, marked deleted: %s",
                self.connection,
                self.stream,
                len(gone),
                ", ".join(sorted(gone)[:10]) + (" …" if len(gone) > 10 else ""),
            )
        return gone


def whole_read(
    store: Store, connector: Connector, stream: str, cursor: str | None, forced: bool, started_at: str
) -> WholeRead | None:
    """The whole read this pull of ``stream`` is, or None (an incremental read, or a stream that lists no
    items whose absence means anything). ``forced``: read it whole now whatever the cursor."""
    holds = connector.stream(stream).holds
    if holds is None:
        return None
    if cursor is None:
        return WholeRead(connector.name, stream, started_at, holds, rereading=False)
    if forced or _due(store, connector, stream, started_at):
        return WholeRead(connector.name, stream, started_at, holds, rereading=True)
    return None


def _due(store: Store, connector: Connector, stream: str, now: str) -> bool:
    hours = connector.config.full_read_hours
    if hours <= 0:
        return False
    since = store.last_full_read(connector.name, stream) or store.first_pull(connector.name)
    if since is None:
        return False
    return parse_utc(now) - parse_utc(since) >= timedelta(hours=hours)
