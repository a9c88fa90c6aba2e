"""The Zendesk emulator's in-memory model: tickets, organisations, users, groups, ticket fields, Jira links
and bulk jobs, with tickets and organisations indexed by update time for the incremental exports."""

from __future__ import annotations

import bisect
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Organization:
    id: int
    name: str
    fields: dict[str, Any]
    tags: list[str]
    created: float
    updated: float

    def json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": f"{base}/api/v2/organizations/{self.id}.json",
            "name": self.name,
            "external_id": None,
            "details": None,
            "notes": None,
            "group_id": None,
            "domain_names": [],
            "shared_tickets": False,
            "shared_comments": False,
            "tags": list(self.tags),
            "organization_fields": dict(self.fields),
            "created_at": iso(self.created),
            "updated_at": iso(self.updated),
        }


@dataclass
class User:
    id: int
    name: str
    email: str
    role: str
    organization_id: int | None
    created: float

    def json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": f"{base}/api/v2/users/{self.id}.json",
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "organization_id": self.organization_id,
            "active": True,
            "verified": True,
            "time_zone": "UTC",
            "locale": "en-US",
            "created_at": iso(self.created),
            "updated_at": iso(self.created),
        }


@dataclass
class Group:
    id: int
    name: str

    def json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": f"{base}/api/v2/groups/{self.id}.json",
            "name": self.name,
            "default": False,
            "deleted": False,
            "is_public": True,
        }


@dataclass
class TicketField:
    id: int
    title: str
    type: str

    def json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": f"{base}/api/v2/ticket_fields/{self.id}.json",
            "type": self.type,
            "title": self.title,
            "raw_title": self.title,
            "description": "",
            "active": True,
            "required": False,
            "position": self.id % 1000,
            "removable": True,
            "agent_can_edit": True,
            "visible_in_portal": False,
            "editable_in_portal": False,
        }


@dataclass
class Comment:
    id: int
    author_id: int
    body: str
    public: bool
    created: float

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "Comment",
            "author_id": self.author_id,
            "body": self.body,
            "plain_body": self.body,
            "html_body": f"<p>{self.body}</p>",
            "public": self.public,
            "attachments": [],
            "created_at": iso(self.created),
        }


@dataclass
class Ticket:
    id: int
    subject: str
    description: str
    status: str
    priority: str | None
    requester_id: int
    organization_id: int | None
    group_id: int | None
    assignee_id: int | None
    tags: list[str]
    custom: dict[int, Any]
    created: float
    updated: float
    type: str | None = "question"
    custom_status_id: int | None = None
    due_at: float | None = None
    comments: list[Comment] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # merged over the JSON (to make it malformed)

    def json(self, base: str) -> dict[str, Any]:
        """``TicketObject`` (support-oas.full.yaml)."""
        data = {
            "id": self.id,
            "url": f"{base}/api/v2/tickets/{self.id}.json",
            "type": self.type,
            "subject": self.subject,
            "raw_subject": self.subject,
            "description": self.description,
            "priority": self.priority,
            "status": self.status,
            "recipient": "support@example.com",
            "requester_id": self.requester_id,
            "submitter_id": self.requester_id,
            "assignee_id": self.assignee_id,
            "organization_id": self.organization_id,
            "group_id": self.group_id,
            "collaborator_ids": [],
            "follower_ids": [],
            "has_incidents": False,
            "is_public": True,
            "due_at": iso(self.due_at) if self.due_at is not None else None,
            "custom_status_id": self.custom_status_id,
            "tags": list(self.tags),
            "via": {"channel": "web"},
            "custom_fields": [
                {"id": fid, "value": value if isinstance(value, str) else json.dumps(value)}
                for fid, value in sorted(self.custom.items())
                if value is not None
            ],
            "sharing_agreement_ids": [],
            "from_messaging_channel": False,
            "created_at": iso(self.created),
            "updated_at": iso(self.updated),
            "generated_timestamp": int(self.updated),
        }
        # The schema declares only due_at nullable; an absent assignee, group, organisation, priority or
        # type is left out (the live API sends null; a client must take both).
        data = {k: v for k, v in data.items() if v is not None or k == "due_at"}
        data.update(self.raw)
        return data


@dataclass
class JiraLink:
    id: int
    ticket_id: int
    issue_id: str
    issue_key: str
    created: float

    def json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "ticket_id": str(self.ticket_id),
            "issue_id": self.issue_id,
            "issue_key": self.issue_key,
            "created_at": iso(self.created),
            "updated_at": iso(self.created),
            "url": f"{base}/api/services/jira/links/{self.id}",
        }


@dataclass
class Job:
    id: str
    total: int
    results: list[dict[str, Any]]
    polls_before_done: int = 1


class TimeIndex:
    """(updated, id) pairs kept sorted, for "what changed after this position" reads."""

    def __init__(self) -> None:
        self.keys: list[tuple[float, int]] = []

    def put(self, old: float | None, new: float, ident: int) -> None:
        if old is not None:
            index = bisect.bisect_left(self.keys, (old, ident))
            if index < len(self.keys) and self.keys[index] == (old, ident):
                del self.keys[index]
        bisect.insort(self.keys, (new, ident))

    def after(self, position: tuple[float, int], until: float) -> list[tuple[float, int]]:
        """Entries strictly after ``position`` and updated no later than ``until``."""
        start = bisect.bisect_right(self.keys, position)
        end = bisect.bisect_right(self.keys, (until, 1 << 62))
        return self.keys[start:end]


class ZendeskData:
    def __init__(self) -> None:
        self.tickets: dict[int, Ticket] = {}
        self.organizations: dict[int, Organization] = {}
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.fields: dict[int, TicketField] = {}
        self.links: dict[int, JiraLink] = {}
        self.jobs: dict[str, Job] = {}
        self.ticket_index = TimeIndex()
        self.org_index = TimeIndex()
        self.expected_links: list[dict[str, Any]] = []
        self._last = 0.0

    def now(self) -> float:
        """Strictly increasing write times (ms apart at least), so every write moves ``updated``."""
        self._last = max(time.time(), self._last + 0.001)
        return self._last

    def add_ticket(self, ticket: Ticket) -> None:
        self.tickets[ticket.id] = ticket
        self.ticket_index.put(None, ticket.updated, ticket.id)

    def touch_ticket(self, ticket: Ticket) -> None:
        old, ticket.updated = ticket.updated, self.now()
        self.ticket_index.put(old, ticket.updated, ticket.id)

    def remove_ticket(self, ticket: Ticket) -> None:
        """Delete Ticket Permanently (``DELETE /api/v2/deleted_tickets/{id}``, support-oas: "Permanently
        deletes a soft-deleted ticket … can't be undone"): the export no longer lists it."""
        del self.tickets[ticket.id]
        self.ticket_index.keys.remove((ticket.updated, ticket.id))

    def add_organization(self, org: Organization) -> None:
        self.organizations[org.id] = org
        self.org_index.put(None, org.updated, org.id)

    def touch_organization(self, org: Organization) -> None:
        old, org.updated = org.updated, self.now()
        self.org_index.put(old, org.updated, org.id)

    def field_named(self, name: str) -> TicketField | None:
        wanted = name.lower().replace("_", " ")
        for f in self.fields.values():
            if f.title.lower().replace("_", " ") == wanted:
                return f
        return None
