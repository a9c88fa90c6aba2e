"""What the Linear connector reads, declared as data, and the one incremental pull they share.

Incremental streams use the shared cursor (:mod:`connectors.cursor`: semantics and proof) with
``index_lag`` as its lag. Linear's ``DateComparator`` is used with ``gt``, an open start, so the pull asks
for ``gt: cursor - index_lag``: an item updated in the same millisecond as the cursor is read again instead
of lost, and the store de-duplicates the overlap by uid. Pages come oldest first (``orderBy: updatedAt``),
so the cursor committed with each page covers everything before it. ``teams`` is small and read in full.

Our report link is an attachment, and Linear does not say that creating one moves its issue's ``updatedAt``
(schema.graphql: ``Issue.updatedAt`` is "the last time at which the entity was meaningfully updated";
``Attachment.updatedAt`` is the attachment's own). So the issues stream also asks for the issues whose report
attachment changed since the cursor (``or`` with ``attachments: {some: …}``): the pull after our write reads
it back whether or not the issue's ``updatedAt`` moved, and the planner sees the link as written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.base import Page
from connectors.cursor import IncrementalCursor
from connectors.linear.client import LinearClient
from connectors.linear.config import LinearConfig
from connectors.linear.normalize import REPORT_LINKS
from sync.model import Item, Kind, parse_utc, utc_iso


@dataclass(frozen=True)
class Stream:
    """One stream: its document, root connection, and whether it reads incrementally by ``updatedAt``."""

    name: str
    document: str
    root: str
    incremental: bool = True
    team_filter: str | None = None  # how the filter names the team, when it can be narrowed to teams
    large: bool = False  # uses the (larger) issue page size
    report_links: bool = False  # also read items whose report-link attachment changed since the cursor


STREAMS: dict[str, Stream] = {
    s.name: s
    for s in (
        Stream("teams", "teams", "teams", incremental=False, team_filter=None),
        Stream("projects", "projects", "projects"),
        Stream("cycles", "cycles", "cycles", team_filter="team"),
        Stream("customers", "customers", "customers"),
        Stream("issues", "issues", "issues", team_filter="team", large=True, report_links=True),
        Stream("customer_needs", "customer_needs", "customerNeeds"),
    )
}


# What each stream that lists items returns while they exist (archived and trashed ones too: the documents
# ask includeArchived): issues of the configured teams, every project, every customer need.
HELD_KINDS = {"issues": Kind.ISSUE, "projects": Kind.EPIC, "customer_needs": Kind.FEEDBACK}


def holder(name: str, config: LinearConfig) -> Callable[[Item], bool] | None:
    """``Stream.holds`` of stream ``name`` (None for streams that list no items)."""
    kind = HELD_KINDS.get(name)
    if kind is None:
        return None
    teams = set(config.teams) if STREAMS[name].team_filter else set()

    def holds(item: Item) -> bool:
        return item.kind == kind and (not teams or item.container in teams)

    return holds


def build_filter(stream: Stream, config: LinearConfig, since: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if since is not None:
        start = parse_utc(since) - timedelta(seconds=config.index_lag)
        since_start = {"gt": utc_iso(start)}
        query["updatedAt"] = since_start
        if stream.report_links:
            linked = {"attachments": {"some": {**REPORT_LINKS, "updatedAt": since_start}}}
            query = {"or": [query, linked]}
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
    state = IncrementalCursor(parse_utc(cursor) if cursor else None, run_started, config.index_lag)
    client.server_time = None
    for nodes in client.pages(stream.document, stream.root, variables, config.page_cap(name)):
        if not stream.incremental:
            yield Page(nodes, None)
            continue
        state.queried_at(client.server_time)
        for node in nodes:
            state.observe(_time_or_none(node.get("updatedAt")))
        value = state.page_value()
        yield Page(nodes, utc_iso(value) if value is not None else None)
    settled = state.settled() if stream.incremental else None
    if settled is not None:
        yield Page([], utc_iso(settled))


def _time_or_none(value: Any) -> datetime | None:
    """A payload's timestamp, or None when it is malformed (normalize quarantines such payloads)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None
