"""Pulling: the streams of a Zendesk connection, each one request when nothing changed.

Cursor semantics (see connectors/base.py):

* ``tickets``: the cursor is the export's opaque ``after_cursor``; the first run starts at ``start_time``.
  Zendesk orders the export by update time and excludes the last minute before each request, so its cursor
  never passes the run's start and an item updated while we page is read on the next run.
* ``organizations``: the time-based export's ``end_time`` (unix seconds) through the shared cursor
  (:mod:`connectors.cursor`), so never past the run's start; the start is closed (``start_time`` re-reads
  what changed at that second) and the store de-duplicates.
* ``jira_links``: the id of the last link read; links are listed by id, so new links come after it.

The tickets stream side-loads users, groups and organisations (``include=``) and folds the ones a ticket
uses into its payload as ``_sideloaded`` (only the fields normalising reads), and, when ``comments`` is
on, the comment bodies as ``_comments`` (one request per changed ticket), so that :mod:`normalize` stays
pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import Page
from connectors.cursor import IncrementalCursor, floor_second
from connectors.zendesk.client import AfterIdPages, CursorExport, TimeExport, ZendeskClient
from connectors.zendesk.config import ZendeskConfig

TICKET_EXPORT = "/api/v2/incremental/tickets/cursor.json"
ORGANIZATION_EXPORT = "/api/v2/incremental/organizations.json"
JIRA_LINKS = "/api/v2/jira/links"
STREAMS = ("tickets", "organizations", "jira_links")
PERSON_FIELDS = ("id", "name", "email", "organization_id")
# What a ticket's customer record needs of its organisation (the organizations stream keeps the whole
# object); the rest would be copied into every ticket's stored payload.
ORGANIZATION_FIELDS = ("id", "name", "organization_fields", "external_id", "domain_names")


def _picked(rows: Any, names: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
    """Side-loaded rows by id, each cut down to ``names``."""
    if not isinstance(rows, list):
        return {}
    return {r.get("id"): {k: r[k] for k in names if k in r} for r in rows if isinstance(r, dict)}


class ZendeskStreams:
    def __init__(self, client: ZendeskClient, config: ZendeskConfig) -> None:
        self.client = client
        self.config = config

    # --- tickets -----------------------------------------------------------------------------------------
    def tickets(self, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        params = {"per_page": self.config.page_size, "include": "users,groups,organizations"}
        export = CursorExport("tickets", params, cursor, self.config.start_time)
        for tickets, data in self.client.pages(TICKET_EXPORT, export, self.config.page_cap("tickets")):
            payloads = with_sideloads(tickets, data)
            if self.config.comments:
                for payload in payloads:
                    self._add_comments(payload)
            yield Page(payloads, export.after)

    def _add_comments(self, payload: dict[str, Any]) -> None:
        if payload.get("status") == "deleted" or not isinstance(payload.get("id"), int):
            return
        data = self.client.get(f"/api/v2/tickets/{payload['id']}/comments.json")
        comments = [c for c in data.get("comments") or [] if isinstance(c, Mapping)]
        # The first comment is the description, which the ticket already carries.
        bodies = [str(c.get("plain_body") or c.get("body") or "") for c in comments[1:]]
        payload["_comments"] = [b for b in bodies if b]

    # --- organisations -------------------------------------------------------------------------------
    def organizations(self, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        """The cursor is the export's ``end_time`` (unix seconds), through the shared cursor's cap."""
        stored = datetime.fromtimestamp(int(cursor), UTC) if cursor and cursor.isdigit() else None
        state = IncrementalCursor(stored, run_started, settle=False, floor=floor_second)
        export = TimeExport("organizations", {"per_page": 1000}, int(stored.timestamp()) if stored else 0)
        cap = self.config.page_cap("organizations")
        for rows, _ in self.client.pages(ORGANIZATION_EXPORT, export, cap):
            state.observe(datetime.fromtimestamp(export.end_time, UTC))
            value = state.page_value()
            yield Page(rows, str(int(value.timestamp())) if value is not None else None)

    # --- Jira links ----------------------------------------------------------------------------------
    def jira_links(self, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        after = int(cursor) if cursor and cursor.isdigit() else None
        pages = AfterIdPages("links", after)
        for rows, _ in self.client.pages(JIRA_LINKS, pages, self.config.page_cap("jira_links")):
            last = rows[-1].get("id") if rows else None
            yield Page(rows, str(last) if last is not None else None)


def with_sideloads(tickets: list[dict[str, Any]], data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tickets of one export page with the side-loaded objects each uses folded in as ``_sideloaded``
    (the pull and ``rankbridge import`` both)."""
    # Each side-loaded object is picked once per page and shared by the tickets that use it.
    users = _picked(data.get("users"), PERSON_FIELDS)
    groups = _picked(data.get("groups"), ("id", "name"))
    organizations = _picked(data.get("organizations"), ORGANIZATION_FIELDS)
    out = []
    for ticket in tickets:
        sideloaded = {
            "requester": users.get(ticket.get("requester_id")),
            "assignee": users.get(ticket.get("assignee_id")),
            "group": groups.get(ticket.get("group_id")),
            "organization": organizations.get(ticket.get("organization_id")),
        }
        present = {k: v for k, v in sideloaded.items() if v is not None}
        out.append({**ticket, "_sideloaded": present} if present else ticket)
    return out
