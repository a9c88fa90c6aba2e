"""The vocabulary of rule expressions: each item's own fields and the evidence linked to it.

Evidence comes from links: feedback that ``requests`` an item (counted once per organisation, weighted by
the organisation's ARR and tier), mirrors (the same work in another tracker) and children.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sync.model import Customer, Item, Kind, Link, LinkType, StatusCategory

VOCABULARY: dict[str, str] = {
    "key": "the item's key, e.g. ENG-42 or acme/app#12",
    "title": "the item's title",
    "kind": "issue, epic or feedback",
    "source": "jira, github, linear or zendesk",
    "connection": "the connection's name in the config",
    "status": "the native status name",
    "status_category": "triage, backlog, todo, in_progress, done or canceled",
    "priority_level": "0 none, 1 urgent, 2 high, 3 medium, 4 low",
    "labels": "list of labels (use 'x' in labels)",
    "estimate": "the estimate in the connection's unit, or None",
    "due_in_days": "days until the due date (negative when overdue), or None",
    "age_days": "days since the item was created",
    "container": "Jira project, repository, Linear team or Zendesk group",
    "fields": "configured custom fields by name (fields['Story Points'])",
    "has_parent": "True when the item has a parent or epic",
    "parent_title": "the parent's or epic's title, or ''",
    "children": "number of child items",
    "feedback_count": "feedback items (tickets, customer needs) requesting this item",
    "feedback_orgs": "distinct organisations among them",
    "feedback_arr": "ARR of those distinct organisations",
    "enterprise_orgs": "distinct organisations of tier 'enterprise' requesting this item",
    "tiers": "list of the requesting organisations' tiers",
    "newest_request_days": "days since the newest request, or None",
    "oldest_request_days": "days since the oldest request, or None",
    "mirrors": "number of mirrors of this item in other trackers",
    "linked_count": "for feedback: issues it asks for",
    "linked_done": "for feedback: those of them done or canceled",
    "linked_all_done": "for feedback: True when it asks for at least one issue and all are done",
    "linked_keys": "for feedback: keys of the issues it asks for",
}


@dataclass
class Evidence:
    feedback: list[Item] = field(default_factory=list)
    requested: list[Item] = field(default_factory=list)
    mirrors: set[str] = field(default_factory=set)
    children: int = 0


def collect_evidence(items: Iterable[Item], links: Iterable[Link]) -> dict[str, Evidence]:
    by_uid = {item.uid: item for item in items}
    evidence: dict[str, Evidence] = defaultdict(Evidence)
    for item in by_uid.values():
        if item.parent_uid:
            evidence[item.parent_uid].children += 1
    for link in links:
        if link.dst_uid is None or link.dst_uid not in by_uid or link.src_uid not in by_uid:
            continue
        if link.type == LinkType.REQUESTS and by_uid[link.src_uid].kind == Kind.FEEDBACK:
            evidence[link.dst_uid].feedback.append(by_uid[link.src_uid])
            evidence[link.src_uid].requested.append(by_uid[link.dst_uid])
        elif link.type == LinkType.MIRRORS:
            evidence[link.dst_uid].mirrors.add(link.src_uid)
            evidence[link.src_uid].mirrors.add(link.dst_uid)
    return evidence


def _days_between(earlier: str | None, later: datetime) -> float | None:
    if not earlier:
        return None
    try:
        moment = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round((later - moment).total_seconds() / 86400, 2)


def _due_in_days(due: str | None, now: datetime) -> float | None:
    if not due:
        return None
    try:
        return float((date.fromisoformat(due[:10]) - now.date()).days)
    except ValueError:
        return None


def item_names(
    item: Item, evidence: Evidence, customers: dict[str, Customer], parents: dict[str, Item], now: datetime
) -> dict[str, Any]:
    """The names an expression sees for ``item``."""
    orgs = {f.organization for f in evidence.feedback if f.organization}
    known_orgs = [customers[o] for o in orgs if o in customers]
    request_times = [f.created_at or f.updated_at for f in evidence.feedback]
    request_ages = [a for a in (_days_between(t, now) for t in request_times) if a is not None]
    parent = parents.get(item.parent_uid or "")
    return {
        "key": item.key,
        "title": item.title,
        "kind": item.kind,
        "source": item.source,
        "connection": item.connection,
        "status": item.status,
        "status_category": item.status_category,
        "priority_level": item.priority_level,
        "labels": list(item.labels),
        "estimate": item.estimate,
        "due_in_days": _due_in_days(item.due_date, now),
        "age_days": _days_between(item.created_at, now) or 0.0,
        "container": item.container or "",
        "fields": dict(item.fields),
        "has_parent": item.parent_uid is not None,
        "parent_title": parent.title if parent else "",
        "children": evidence.children,
        "feedback_count": len(evidence.feedback),
        "feedback_orgs": len(orgs),
        "feedback_arr": float(sum(c.arr or 0 for c in known_orgs)),
        "enterprise_orgs": sum(1 for c in known_orgs if (c.tier or "").lower() == "enterprise"),
        "tiers": sorted({(c.tier or "").lower() for c in known_orgs if c.tier}),
        "newest_request_days": min(request_ages) if request_ages else None,
        "oldest_request_days": max(request_ages) if request_ages else None,
        "mirrors": len(evidence.mirrors),
        **linked_names(evidence.requested),
    }


def linked_names(requested: list[Item]) -> dict[str, Any]:
    done = sum(1 for i in requested if i.status_category in (StatusCategory.DONE, StatusCategory.CANCELED))
    return {
        "linked_count": len(requested),
        "linked_done": done,
        "linked_all_done": bool(requested) and done == len(requested),
        "linked_keys": sorted(i.key for i in requested),
    }


def is_rankable(item: Item) -> bool:
    """Open work items take part in the unified ranking; feedback and closed work do not."""
    if item.deleted or item.kind == Kind.FEEDBACK:
        return False
    try:
        return StatusCategory(item.status_category).is_open
    except ValueError:
        return True
