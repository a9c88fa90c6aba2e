"""Pure mapping of Linear payloads to normalised records (no I/O).

* issues → an ``issue`` Item: workflow state type → status category, priority 0–4 → priority_level, team key →
  container, parent issue → parent_uid, project → a ``parent`` Link to the project's epic Item and
  ``fields["project"]``, cycle → ``fields["cycle"]``, sortOrder → ``native_rank`` (repr of the float),
  archived or trashed → deleted; attachments and description URLs of other trackers → ``relates`` Links;
  our attachment linking to its report page (subtitle :data:`REPORT_SUBTITLE`) → ``fields["report"]``.
* projects → ``epic`` Items (roadmap anchors); customers → Customer records;
* customer_needs → a ``feedback`` Item per need (organization = customer uid) with a ``requests`` Link to
  its issue, so the rules engine counts it like a Zendesk ticket;
* teams → a Team record (name, workflow states with their categories, cycle length in weeks; the pull also
  feeds the connector's state cache from them); cycles → a Cycle record (team, number, dates, completion),
  the planning calendar, besides reaching issues as ``fields["cycle"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from connectors.errors import SkippableError
from connectors.urls import TRACKER_URL
from sync.model import (
    Customer,
    Cycle,
    Item,
    Kind,
    Link,
    LinkType,
    Records,
    StatusCategory,
    Team,
    parse_utc,
    utc_iso,
)

SOURCE = "linear"

STATE_TYPES: dict[str, StatusCategory] = {
    "triage": StatusCategory.TRIAGE,
    "backlog": StatusCategory.BACKLOG,
    "unstarted": StatusCategory.TO_DO,
    "started": StatusCategory.IN_PROGRESS,
    "completed": StatusCategory.DONE,
    "canceled": StatusCategory.CANCELED,
    "duplicate": StatusCategory.CANCELED,
}
# What a canonical category is written as (the first Linear state type of it).
CATEGORY_STATE_TYPE: dict[str, str] = {}
for _type, _category in STATE_TYPES.items():
    CATEGORY_STATE_TYPE.setdefault(_category.value, _type)

PROJECT_STATUS_TYPES: dict[str, StatusCategory] = {
    "backlog": StatusCategory.BACKLOG,
    "planned": StatusCategory.TO_DO,
    "paused": StatusCategory.BACKLOG,
    "started": StatusCategory.IN_PROGRESS,
    "completed": StatusCategory.DONE,
    "canceled": StatusCategory.CANCELED,
}

# The subtitle that marks the attachment rankbridge writes: the link to the issue's page in the HTML report.
# issues.graphql selects it by this value (as ``reportLink``), so the two must agree.
REPORT_SUBTITLE = "rankbridge ranking report"
REPORT_LINKS = {"subtitle": {"eq": REPORT_SUBTITLE}}  # an AttachmentFilter


class Context:
    """What a normaliser needs to know about the connection (names and the status map)."""

    def __init__(self, connection: str, status_map: Mapping[str, str], viewer_id: str | None = None) -> None:
        self.connection = connection
        self.status_map = status_map
        self.viewer_id = viewer_id  # the API key's user: whose priority changes are ours, not a person's

    def uid(self, native_id: str) -> str:
        return f"{self.connection}:{native_id}"


def normalize(ctx: Context, stream: str, payload: Mapping[str, Any]) -> Records:
    """One payload of ``stream`` → records; :class:`SkippableError` for a malformed payload."""
    mapper = MAPPERS.get(stream)
    if mapper is None:
        raise SkippableError(f"linear: unknown stream {stream!r}")
    try:
        return mapper(ctx, payload)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = payload.get("identifier") or payload.get("id") if isinstance(payload, Mapping) else None
        raise SkippableError(f"linear {stream} payload {what or '?'}: {type(exc).__name__}: {exc}") from exc


def timestamp(value: Any) -> str:
    """A Linear DateTime as UTC ISO with milliseconds and ``Z``."""
    if not isinstance(value, str):
        raise ValueError(f"timestamp expected, got {value!r}")
    return utc_iso(parse_utc(value))


def optional_timestamp(value: Any) -> str | None:
    return None if value is None else timestamp(value)


def timeless_date(value: Any) -> str | None:
    return None if value is None else date.fromisoformat(str(value)).isoformat()


def nodes(connection: Any) -> list[dict[str, Any]]:
    if connection is None:
        return []
    return list(connection["nodes"])


def category(ctx: Context, state_name: str, state_type: str, table: Mapping[str, StatusCategory]) -> str:
    if state_name in ctx.status_map:
        return StatusCategory(ctx.status_map[state_name]).value
    if state_type not in table:
        raise ValueError(f"unknown state type {state_type!r}")
    return table[state_type].value


PERSON_PRIORITY = "priority_by_person"


def priority_by_person(history: Any, ours: str | None) -> int | None:
    """The priority a person last set, from the issue's history, when we (``ours``) changed it since:
    the latest change by anyone else, else the value our first change replaced. None when we never
    changed it (the current value is then a person's) or the history was not read."""
    if not isinstance(history, list) or ours is None:
        return None
    changes = sorted(
        (h for h in history if isinstance(h, Mapping) and h.get("toPriority") is not None),
        key=lambda h: str(h.get("createdAt") or ""),
    )
    if not any(h.get("actorId") == ours for h in changes):
        return None
    person: int | None = None
    for change in changes:
        if change.get("actorId") != ours:
            person = int(change["toPriority"])
        elif person is None and change.get("fromPriority") is not None:
            person = int(change["fromPriority"])
    return person


def person(user: Any) -> str | None:
    if not user:
        return None
    return str(user.get("email") or user.get("name") or "") or None


def issue(ctx: Context, p: Mapping[str, Any]) -> Records:
    uid = ctx.uid(str(p["id"]))
    state, team = p["state"], p["team"]
    project, cycle, parent = p.get("project"), p.get("cycle"), p.get("parent")
    fields: dict[str, Any] = {"priority": int(p["priority"])}
    if project:
        fields["project"] = project["name"]
        fields["project_id"] = project["id"]
    if cycle:
        fields["cycle"] = {
            "number": cycle["number"],
            "name": cycle.get("name"),
            "starts_at": optional_timestamp(cycle.get("startsAt")),
            "ends_at": optional_timestamp(cycle.get("endsAt")),
        }
    report = nodes(p.get("reportLink"))
    if report:  # absent while we have written none: the planner then writes one
        fields["report"] = str(report[0]["url"])
    priority = int(p["priority"])
    if not 0 <= priority <= 4:
        raise ValueError(f"priority {priority} outside 0–4")
    by_person = priority_by_person(p.get("priorityHistory"), ctx.viewer_id)
    if by_person is not None:
        fields[PERSON_PRIORITY] = by_person
    item = Item(
        uid=uid,
        connection=ctx.connection,
        source=SOURCE,
        native_id=str(p["id"]),
        key=str(p["identifier"]),
        kind=Kind.ISSUE.value,
        title=str(p["title"]),
        body=p.get("description") or "",
        url=p.get("url"),
        status=str(state["name"]),
        status_id=str(state["id"]),
        status_category=category(ctx, state["name"], state["type"], STATE_TYPES),
        priority=p.get("priorityLabel"),
        priority_level=priority,
        labels=sorted(str(label["name"]) for label in nodes(p.get("labels"))),
        assignee=person(p.get("assignee")),
        requester=person(p.get("creator")),
        parent_uid=ctx.uid(str(parent["id"])) if parent else None,
        container=str(team["key"]),
        estimate=None if p.get("estimate") is None else float(p["estimate"]),
        due_date=timeless_date(p.get("dueDate")),
        created_at=timestamp(p["createdAt"]),
        updated_at=timestamp(p["updatedAt"]),
        native_rank=repr(float(p["sortOrder"])),
        fields=fields,
        deleted=p.get("archivedAt") is not None or bool(p.get("trashed")),
    )
    links = [Link(uid, LinkType.PARENT.value, "api", dst_uid=ctx.uid(str(project["id"])))] if project else []
    links.extend(tracker_links(uid, p))
    return Records(items=[item], links=links)


def tracker_links(uid: str, p: Mapping[str, Any]) -> list[Link]:
    """``relates`` links to other trackers' items: attachments first, then URLs in the description."""
    seen: set[str] = set()
    links: list[Link] = []
    sources = [(str(a["url"]), "api") for a in nodes(p.get("attachments"))]
    sources += [(m.group(0), "text") for m in TRACKER_URL.finditer(p.get("description") or "")]
    for url, origin in sources:
        if url in seen or not TRACKER_URL.fullmatch(url):
            continue
        seen.add(url)
        links.append(Link(uid, LinkType.RELATES.value, origin, dst_ref=f"url:{url}"))
    return links


def project(ctx: Context, p: Mapping[str, Any]) -> Records:
    status = p["status"]
    teams = nodes(p.get("teams"))
    item = Item(
        uid=ctx.uid(str(p["id"])),
        connection=ctx.connection,
        source=SOURCE,
        native_id=str(p["id"]),
        key=str(p["slugId"]),
        kind=Kind.EPIC.value,
        title=str(p["name"]),
        body=p.get("description") or "",
        url=p.get("url"),
        status=str(status["name"]),
        status_category=category(ctx, status["name"], status["type"], PROJECT_STATUS_TYPES),
        priority_level=int(p.get("priority") or 0),
        container=str(teams[0]["key"]) if teams else None,
        due_date=timeless_date(p.get("targetDate")),
        created_at=timestamp(p["createdAt"]),
        updated_at=timestamp(p["updatedAt"]),
        native_rank=repr(float(p["sortOrder"])),
        fields={"start_date": timeless_date(p.get("startDate"))},
        deleted=p.get("archivedAt") is not None,
    )
    return Records(items=[item])


def customer(ctx: Context, p: Mapping[str, Any]) -> Records:
    tier = p.get("tier")
    size = p.get("size")
    record = Customer(
        uid=ctx.uid(str(p["id"])),
        connection=ctx.connection,
        name=str(p["name"]),
        tier=str(tier["name"]) if tier else None,
        arr=None if p.get("revenue") is None else float(p["revenue"]),
        size=None if size is None else int(size),
        external_ids=tuple(str(e) for e in p.get("externalIds") or ()),
        domains=tuple(str(d).lower() for d in p.get("domains") or ()),
    )
    return Records(customers=[record])


def customer_need(ctx: Context, p: Mapping[str, Any]) -> Records:
    """A CustomerNeed as ``feedback`` evidence: an Item requesting its issue, on behalf of its customer."""
    uid = ctx.uid(str(p["id"]))
    target, owner = p.get("issue"), p.get("customer")
    issue_open = target is None or STATE_TYPES[target["state"]["type"]].is_open
    body = p.get("body") or ""
    title = body.strip().splitlines()[0][:120] if body.strip() else "Customer request"
    item = Item(
        uid=uid,
        connection=ctx.connection,
        source=SOURCE,
        native_id=str(p["id"]),
        key=f"need-{p['id']}",
        kind=Kind.FEEDBACK.value,
        title=title,
        body=body,
        url=p.get("url") or ((p.get("attachment") or {}).get("url")),
        status="open" if issue_open else "closed",
        status_category=StatusCategory.TO_DO.value if issue_open else StatusCategory.DONE.value,
        priority="important" if float(p.get("priority") or 0) > 0 else None,
        priority_level=2 if float(p.get("priority") or 0) > 0 else 0,
        requester=person(p.get("creator")),
        organization=ctx.uid(str(owner["id"])) if owner else None,
        created_at=timestamp(p["createdAt"]),
        updated_at=timestamp(p["updatedAt"]),
        fields={"customer": owner["name"]} if owner else {},
        deleted=p.get("archivedAt") is not None or target is None,
    )
    links = []
    if target:
        links.append(Link(uid, LinkType.REQUESTS.value, "api", dst_uid=ctx.uid(str(target["id"]))))
    source_url = (p.get("attachment") or {}).get("url")
    if source_url and TRACKER_URL.fullmatch(source_url):
        links.append(Link(uid, LinkType.MIRRORS.value, "api", dst_ref=f"url:{source_url}"))
    return Records(items=[item], links=links)


def team(ctx: Context, p: Mapping[str, Any]) -> Records:
    """A team (linear/schema.graphql ``Team``: ``key``, ``name``, ``states``, ``cyclesEnabled``,
    ``cycleDuration`` in weeks)."""
    states = tuple(
        (str(s["name"]), category(ctx, str(s["name"]), str(s["type"]), STATE_TYPES))
        for s in sorted(nodes(p.get("states")), key=lambda s: float(s.get("position") or 0))
    )
    weeks = p.get("cycleDuration") if p.get("cyclesEnabled") else None
    return Records(
        teams=[
            Team(
                uid=ctx.uid(str(p["id"])),
                connection=ctx.connection,
                container=str(p["key"]),
                name=str(p["name"]),
                states=states,
                cycle_weeks=float(weeks) if weeks is not None else None,
            )
        ]
    )


def cycle(ctx: Context, p: Mapping[str, Any]) -> Records:
    """A cycle (linear/schema.graphql ``Cycle``: ``number``, ``name``, ``startsAt``, ``endsAt``,
    ``completedAt``, ``team``); an archived one is kept as deleted."""
    return Records(
        cycles=[
            Cycle(
                uid=ctx.uid(str(p["id"])),
                connection=ctx.connection,
                container=str(p["team"]["key"]),
                number=int(p["number"]),
                name=p.get("name"),
                starts_at=timestamp(p["startsAt"]),
                ends_at=timestamp(p["endsAt"]),
                completed_at=optional_timestamp(p.get("completedAt")),
                updated_at=optional_timestamp(p.get("updatedAt")),
                deleted=p.get("archivedAt") is not None,
            )
        ]
    )


MAPPERS: dict[str, Callable[[Context, Mapping[str, Any]], Records]] = {
    "issues": issue,
    "projects": project,
    "customers": customer,
    "customer_needs": customer_need,
    "teams": team,
    "cycles": cycle,
}
