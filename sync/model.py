"""Normalised records: what connectors produce and what the store, rules and planner share.

This module sits at the bottom of the import graph (cli → sync → connectors, rules → model) and
imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class StatusCategory(StrEnum):
    TRIAGE = "triage"
    BACKLOG = "backlog"
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELED = "canceled"

    @property
    def is_open(self) -> bool:
        return self not in (StatusCategory.DONE, StatusCategory.CANCELED)


class Kind(StrEnum):
    ISSUE = "issue"
    EPIC = "epic"
    FEEDBACK = "feedback"


class LinkType(StrEnum):
    REQUESTS = "requests"  # feedback → issue
    PARENT = "parent"  # child → parent/epic
    MIRRORS = "mirrors"  # the same work in two trackers
    DUPLICATES = "duplicates"
    RELATES = "relates"


@dataclass
class Item:
    """One work item or feedback ticket. ``uid`` is ``<connection>:<native id>``.

    Two streams may describe the same item (GitHub's REST issue and its Projects v2 item): the store keeps
    the stored ``native_rank`` when a record's is None, and lays a record's ``fields`` over the stored ones.
    """

    uid: str
    connection: str
    source: str
    native_id: str
    key: str
    kind: str
    title: str
    status: str
    status_category: str
    updated_at: str
    body: str = ""
    url: str | None = None
    status_id: str | None = None
    priority: str | None = None
    priority_level: int = 0
    labels: list[str] = field(default_factory=list)
    assignee: str | None = None
    requester: str | None = None
    organization: str | None = None
    parent_uid: str | None = None
    container: str | None = None
    estimate: float | None = None
    due_date: str | None = None
    created_at: str | None = None
    native_rank: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False

    def row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Link:
    """A typed edge from one item to another; ``dst_ref`` keeps a reference not yet resolved to a uid."""

    src_uid: str
    type: str
    origin: str
    dst_uid: str | None = None
    dst_ref: str | None = None


@dataclass(frozen=True)
class Customer:
    """An organisation that asks for work; ``uid`` is ``<connection>:<native id>``."""

    uid: str
    connection: str
    name: str
    tier: str | None = None
    arr: float | None = None
    size: int | None = None


@dataclass
class Records:
    """What one payload normalises into."""

    items: list[Item] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)

    def extend(self, other: Records) -> None:
        self.items.extend(other.items)
        self.links.extend(other.links)
        self.customers.extend(other.customers)


class OpKind(StrEnum):
    RANK = "rank"  # move native ids after/before an anchor
    FIELD = "field"  # set one field of one item
    STATUS = "status"  # move one item to a status category
    COMMENT = "comment"  # add a note or reply
    TAGS = "tags"  # add tags to items, never replacing a person's


@dataclass(frozen=True)
class Op:
    """One write a connector can apply. ``payload`` is JSON data; its keys per kind:

    rank:    {"items": [native ids in order], "after": id | None, "before": id | None,
              "ranks": {native id: native rank known at plan time}}
    field:   {"item": id, "field": name, "value": new value}
    status:  {"item": id, "category": canonical category, "reason": optional close reason}
    comment: {"item": id, "body": text, "public": bool}
    tags:    {"items": [ids], "tags": [tags]}
    """

    connection: str
    kind: str
    scope: str
    payload: dict[str, Any]
    before: dict[str, Any]
    reason: str
    key: str  # idempotency key: a digest of connection, kind and payload


@dataclass
class OpResult:
    """What applying an op did: ``failed`` maps native ids to an error for partial failures (e.g. 207)."""

    ok: bool
    detail: str = ""
    failed: dict[str, str] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
