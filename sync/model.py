"""Normalised records: what connectors produce and what the store, rules and planner share.

This module sits at the bottom of the import graph (cli → sync → connectors, rules → model) and
imports nothing of ours.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive lists of ``size`` (the last may be shorter): the one chunking helper, for
    API batch limits and pages (``itertools.batched`` arrives with Python 3.12)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def parse_utc(value: str) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset; a naive one is taken as UTC) as an aware UTC datetime;
    :class:`ValueError` when it is not one."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def utc_iso(moment: datetime) -> str:
    """The one stored time format: UTC, milliseconds, ``Z`` (``2024-05-01T09:30:00.000Z``); text of this
    form sorts in time order."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StatusCategory(StrEnum):
    TRIAGE = "triage"
    BACKLOG = "backlog"
    TO_DO = "todo"
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
    requester_domain: str | None = None  # the requester's email domain (never the address)
    organization: str | None = None
    parent_uid: str | None = None
    container: str | None = None
    estimate: float | None = None
    due_date: str | None = None
    created_at: str | None = None
    native_rank: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False

    @property
    def ref(self) -> str:
        """The item's qualified reference, ``CONNECTION:KEY`` (see :func:`qualified_ref`)."""
        return qualified_ref(self)

    def row(self) -> dict[str, Any]:
        """The item as a dict of its fields (``labels`` and ``fields`` copied, one level deep)."""
        row = dict(self.__dict__)
        row["labels"] = list(self.labels)
        row["fields"] = dict(self.fields)
        return row


def qualified_ref(item: Item) -> str:
    """``CONNECTION:KEY``: the one reference that names an item across trackers (``jira:ENG-16``,
    ``linear:ENG-16``, ``github:acme/app#5``, ``zendesk:102``). A bare key can name items of several
    connections (Jira projects and Linear teams both use ENG-n); this cannot. Zendesk's ``#102`` is
    written without its ``#``."""
    return f"{item.connection}:{item.key.removeprefix('#')}"


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
    """An organisation that asks for work, as one tracker knows it; ``uid`` is ``<connection>:<native id>``.
    ``external_ids`` (a CRM's ids), ``domains`` (email domains) and the name tie the records of one
    organisation in several trackers together (see :mod:`rules.customers`); ``fields`` are its organisation
    fields by name (renewal date, churn risk, segment …)."""

    uid: str
    connection: str
    name: str
    tier: str | None = None
    arr: float | None = None
    size: int | None = None
    external_ids: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Team:
    """A team as its tracker describes it (a Linear team): the container its items carry, its name, its
    workflow states in the team's order with their canonical category, and its cycle length in weeks
    (None when the team plans without cycles). ``uid`` is ``<connection>:<native id>``."""

    uid: str
    connection: str
    container: str
    name: str
    states: tuple[tuple[str, str], ...] = ()
    cycle_weeks: float | None = None


@dataclass(frozen=True)
class Cycle:
    """A team's planning period in its tracker (a Linear cycle), from ``starts_at`` to ``ends_at`` (UTC):
    which cycle is current or next for a team's capacity. ``uid`` is ``<connection>:<native id>``;
    ``deleted`` marks an archived cycle."""

    uid: str
    connection: str
    container: str
    number: int
    name: str | None
    starts_at: str
    ends_at: str
    completed_at: str | None = None
    updated_at: str | None = None
    deleted: bool = False


@dataclass
class Records:
    """What one payload normalises into."""

    items: list[Item] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)

    def extend(self, other: Records) -> None:
        self.items.extend(other.items)
        self.links.extend(other.links)
        self.customers.extend(other.customers)
        self.teams.extend(other.teams)
        self.cycles.extend(other.cycles)


class OpKind(StrEnum):
    RANK = "rank"  # move native ids after/before an anchor
    FIELD = "field"  # set one field of one item
    STATUS = "status"  # move one item to a status category
    COMMENT = "comment"  # add a note or reply
    TAGS = "tags"  # add tags to items, never replacing a person's
    FIELDS = "fields"  # set several fields of several items in one bulk request (Zendesk update_many)
    UNTAG = "untag"  # remove tags we added (undo)
    UNPLACE = "unplace"  # take items we added off a board (undo; GitHub Projects v2)


@dataclass(frozen=True)
class Op:
    """One write a connector can apply. ``payload`` is JSON data; its keys per kind:

    rank:    {"items": [native ids in order], "after": id | None, "before": id | None,
              "ranks": {native id: native rank known at plan time}}
    field:   {"item": id, "field": name, "value": new value}
    status:  {"item": id, "category": canonical category, "reason": optional close reason}
    comment: {"item": id, "body": text, "public": bool}
    tags:    {"items": [ids], "tags": [tags]}
    fields:  {"items": {id: {name: new value}}}  (``before``: {id: {name: value before}})
    untag:   {"items": [ids], "tags": [tags]}
    unplace: {"items": [ids]}  (the items leave the board; the issues stay)
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
    gone: list[str] = field(default_factory=list)  # native ids the tracker says no longer exist (404/410)


def storable(value: Any) -> Any:
    """``value`` with every lone UTF-16 surrogate (valid in JSON as ``"\\ud800"``, but not Unicode text a
    UTF-8 store can hold) replaced by U+FFFD, through strings, lists, tuples, dicts and dataclasses. Valid
    text comes back as the same object."""
    if _valid_text(value):
        return value
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, list | tuple):
        cleaned = [storable(v) for v in value]
        changed = any(a is not b for a, b in zip(cleaned, value, strict=True))
        return type(value)(cleaned) if changed else value
    if isinstance(value, dict):
        pairs = [(storable(k), storable(v)) for k, v in value.items()]
        changed = any(a is not k or b is not v for (a, b), (k, v) in zip(pairs, value.items(), strict=True))
        return dict(pairs) if changed else value
    if is_dataclass(value) and not isinstance(value, type):
        updates = {}
        for f in fields(value):
            current = getattr(value, f.name)
            cleaned = storable(current)
            if cleaned is not current:
                updates[f.name] = cleaned
        return replace(value, **updates) if updates else value
    return value


def _valid_text(value: Any) -> bool:
    """Whether every string in ``value`` is valid Unicode, checked in one pass of the C JSON encoder: text
    written without escapes encodes to UTF-8 unless it holds a lone surrogate. False also when ``value``
    holds something JSON cannot (then :func:`storable` walks it)."""
    try:
        json.dumps(value, ensure_ascii=False, check_circular=False, default=_members).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
    return True


def _members(value: Any) -> Any:
    """The JSON encoder's fallback: a dataclass as its fields; any other value as nothing (not text)."""
    if is_dataclass(value) and not isinstance(value, type):
        return (
            vars(value)
            if hasattr(value, "__dict__")
            else {f.name: getattr(value, f.name) for f in fields(value)}
        )
    return None


UNSAFE_IN_PATH = re.compile(r"[^A-Za-z0-9._-]+")


def report_page(connection: str, key: str) -> str:
    """The path of an item's page in the HTML report, relative to the report's root, e.g.
    ``items/jira/ENG-42.html``. Stable across runs (the trackers link to it). A key with characters
    unsafe in a path (``acme/app#12``, ``#1234``) gets them replaced and a short digest of the key
    appended, so two keys never share a page."""
    safe_connection = UNSAFE_IN_PATH.sub("-", connection).strip("-.") or "connection"
    safe = UNSAFE_IN_PATH.sub("-", key).strip("-.") or "item"
    if safe != key or safe_connection != connection:
        safe += "-" + hashlib.sha256(f"{connection}:{key}".encode()).hexdigest()[:8]
    return f"items/{safe_connection}/{safe}.html"


def report_link(report_url: str, item: Item) -> str:
    """The URL of an item's page in the published report (``[report] report_url`` + its page path)."""
    return f"{report_url.rstrip('/')}/{report_page(item.connection, item.key)}"


MARKER_PREFIX = "rankbridge:"


def comment_marker(identity: str) -> str:
    """The marker a comment op carries (``payload["marker"]``): we put it in the text we post and look for
    it when asking the tracker whether the comment is there, so a comment is never posted twice."""
    return MARKER_PREFIX + identity[:16]


def marked_text(body: str, marker: str | None, hidden: bool = False) -> str:
    """``body`` with its marker on a last line (``hidden``: as an HTML comment, for Markdown trackers)."""
    if not marker:
        return body
    return f"{body}\n\n<!-- {marker} -->" if hidden else f"{body}\n\n[{marker}]"


def shows_comment(texts: list[str], body: str, marker: str | None) -> bool:
    """Whether one of a tracker's comment ``texts`` is ours: by its marker (or, for an op staged before
    markers, by its text)."""
    if marker:
        return any(marker in text for text in texts)
    return any(text.strip() == body.strip() for text in texts)
