"""What the Linear connector reads, declared as data, and the one incremental pull they share.

Cursor semantics (see :mod:`connectors.base`): the stored cursor is the largest ``updatedAt`` read so far,
never past the run's start. Linear's ``DateComparator`` is used with ``gt``, an open start, so the pull asks
for ``gt: cursor - overlap``: an item updated in the same millisecond as the cursor is read again instead of
lost, and the store de-duplicates the overlap by uid. Pages come oldest first (``orderBy: updatedAt``), so
the cursor committed with each page covers everything before it. ``teams`` is small and read in full.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Page
from connectors.linear.client import LinearClient, Paginator
from connectors.linear.config import LinearConfig


@dataclass(frozen=True)
class Stream:
    """One stream: its document, root connection, and whether it reads incrementally by ``updatedAt``."""

    name: str
    document: str
    root: str
    incremental: bool = True
    team_filter: str | None = None  # how the filter names the team, when it can be narrowed to teams
    large: bool = False  # uses the (larger) issue page size


STREAMS: dict[str, Stream] = {
    s.name: s
    for s in (
        Stream("teams", "teams", "teams", incremental=False, team_filter=None),
        Stream("projects", "projects", "projects"),
        Stream("cycles", "cycles", "cycles", team_filter="team"),
        Stream("customers", "customers", "customers"),
        Stream("issues", "issues", "issues", team_filter="team", large=True),
        Stream("customer_needs", "customer_needs", "customerNeeds"),
    )
}


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_filter(stream: Stream, config: LinearConfig, since: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if since is not None:
        start = parse_time(since) - timedelta(milliseconds=config.overlap_ms)
        query["updatedAt"] = {"gt": iso_ms(start)}
    if stream.team_filter and config.teams:
        query[stream.team_filter] = {"key": {"in": list(config.teams)}}
    return query


def pull(
    client: LinearClient, config: LinearConfig, name: str, cursor: str | None, run_started: datetime
) -> Iterator[Page]:
    """Yield pages of raw payloads of stream ``name`` with the cursor safe to commit after each."""
    stream = STREAMS[name]
    first = config.page_size if stream.large else config.small_page_size
    variables: dict[str, Any] = {"first": first}
    if stream.incremental:
        variables["filter"] = build_filter(stream, config, cursor)
    ceiling = iso_ms(run_started)
    newest = cursor
    read: datetime | None = None  # the newest ``updatedAt`` among the nodes this read returned
    client.server_time = None
    queried: datetime | None = None
    for nodes in Paginator(client, stream.document, stream.root, variables).pages():
        if not stream.incremental:
            yield Page(nodes, None)
            continue
        if queried is None:
            queried = client.server_time
        for node in nodes:
            updated = _time_or_none(node.get("updatedAt"))
            if updated is not None and (read is None or updated > read):
                read = updated
            if updated is not None and (newest is None or updated > parse_time(newest)):
                newest = iso_ms(updated)
        yield Page(nodes, _capped(newest, ceiling))
    settled = _settled(queried, read, newest, config.overlap_ms / 1000, run_started)
    if stream.incremental and settled is not None:
        yield Page([], settled)


def _settled(
    queried: datetime | None, read: datetime | None, newest: str | None, overlap: float, ceiling: datetime
) -> str | None:
    """After a complete read, the cursor may move to the server's time of the query, ``D`` (its ``Date``
    header), when nothing read was updated within ``overlap`` before ``D``: the next pull asks for
    ``updatedAt > D - overlap``. Without this, a pull re-reads every item updated within ``overlap`` of
    the newest one on every run (after a push, all the items written in its last second) until something
    newer changes. The argument is Jira's (:mod:`connectors.jira.streams`), with ``overlap`` as the bound on
    how late an update can become visible: every version older than ``D - overlap`` was visible to the
    read, which was complete, so it was read; anything else is newer than ``D - overlap`` and the next
    pull's filter reads it; a quiet read means nothing moved under the pages; ``D`` is never past the
    run's start (capped)."""
    if queried is None:
        return None
    if read is not None and read >= queried - timedelta(seconds=overlap):
        return None
    settled = min(queried, ceiling if ceiling.tzinfo else ceiling.replace(tzinfo=UTC))
    if newest is not None and settled <= parse_time(newest):
        return None
    return iso_ms(settled)


def _time_or_none(value: Any) -> datetime | None:
    """A payload's timestamp, or None when it is malformed (normalize quarantines such payloads)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _capped(newest: str | None, ceiling: str) -> str | None:
    if newest is None:
        return None
    return ceiling if parse_time(newest) > parse_time(ceiling) else iso_ms(parse_time(newest))
