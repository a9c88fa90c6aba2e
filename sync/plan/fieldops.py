"""Field writes: what a feedback ticket shows about the work it asks for, and how field changes become ops.

**One story per ticket.** A ticket may ask for several issues (its link field, mentions, Zendesk's Jira
links). Its fields describe exactly one of them, so that the issue, its status, rank and score never mix:

1. the highest-ranked *open* linked issue (the work that decides when the customer gets an answer);
2. when none is open, the most recently updated *completed* one (what shipped), else the most recently
   updated *canceled* one (what was declined).

``linked_key`` names that issue, ``linked_status`` is its status category, ``rank`` and ``score`` are its
unified rank and score while it is open, and cleared (set empty) once it is closed: closed work has no
rank. When the chosen issue closes and another linked issue is still open, the story moves to that one.

**Requests.** A tracker that can change several fields of several items at once (Zendesk's Update Many
Tickets, a background job) gets one ``fields`` op per batch of items; every other tracker one ``field``
op per value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.model import Item, Op, OpKind, StatusCategory, batched, comment_marker
from sync.store.base import digest

STORY_FIELDS = ("linked_key", "linked_status", "rank", "score")


def make_op(
    connection: str, kind: str, scope: str, payload: dict[str, Any], before: dict[str, Any], reason: str
) -> Op:
    if kind == OpKind.COMMENT and "marker" not in payload:
        payload = {**payload, "marker": comment_marker(digest([connection, scope, payload]))}
    return Op(connection, kind, scope, payload, before, reason, digest([connection, kind, scope, payload]))


def story_issue(targets: Iterable[Item], scores: Mapping[str, Mapping[str, Any]]) -> Item | None:
    """The one linked issue a ticket's fields describe (rules 1 and 2 of the module docstring)."""
    issues = list(targets)
    open_ones = [t for t in issues if StatusCategory(t.status_category).is_open]
    ranked = [t for t in open_ones if t.uid in scores and scores[t.uid].get("rank") is not None]
    if ranked:
        return min(ranked, key=lambda t: (int(scores[t.uid]["rank"]), t.uid))
    if open_ones:
        return min(open_ones, key=lambda t: t.uid)
    for category in (StatusCategory.DONE, StatusCategory.CANCELED):
        closed = [t for t in issues if t.status_category == category]
        if closed:
            return max(closed, key=lambda t: (t.updated_at or "", t.uid))
    return None


def ticket_story(targets: list[Item], scores: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The values of ``linked_key``, ``linked_status``, ``rank`` and ``score`` for a ticket asking for
    ``targets`` (nothing when it asks for no known issue)."""
    chosen = story_issue(targets, scores)
    if chosen is None:
        return {}
    own = scores.get(chosen.uid) if StatusCategory(chosen.status_category).is_open else None
    return {
        "linked_key": chosen.ref,
        "linked_status": chosen.status_category,
        "rank": int(own["rank"]) if own and own.get("rank") is not None else None,
        "score": round(float(own["score"]), 2) if own else None,
    }


@dataclass
class FieldChange:
    """The fields of one item a plan changes: new values and the values they replace."""

    item: Item
    new: dict[str, Any] = field(default_factory=dict)
    old: dict[str, Any] = field(default_factory=dict)


def field_ops(connection: str, changes: list[FieldChange], batch: int) -> list[Op]:
    """``fields`` ops of up to ``batch`` items each, or (``batch`` 0) one ``field`` op per value."""
    if batch <= 0:
        return [
            make_op(
                connection,
                OpKind.FIELD,
                change.item.uid,
                {"item": change.item.native_id, "field": name, "value": value},
                {name: change.old[name]},
                f"{name} of {change.item.key}: {change.old[name]!r} → {value!r}",
            )
            for change in changes
            for name, value in change.new.items()
        ]
    ops = []
    for chunk in batched(changes, batch):
        payload = {"items": {c.item.native_id: c.new for c in chunk}}
        before = {c.item.native_id: c.old for c in chunk}
        keys = ", ".join(c.item.key for c in chunk[:5]) + ("…" if len(chunk) > 5 else "")
        reason = f"fields of {len(chunk)} item(s) in one request: {keys}"
        ops.append(make_op(connection, OpKind.FIELDS, f"fields:{chunk[0].item.uid}", payload, before, reason))
    return ops
