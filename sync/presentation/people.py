"""Output a product manager reads without translating: pushes in the tracker's terms (qualified references,
titles, field names, priority labels, statuses, why an op failed), ages in human units, why an op waits,
and what a feedback ticket asks for.

Each function returns plain data (lists and dicts of text), so ``--json`` carries the same words.
"""

from __future__ import annotations

from typing import Any

from sync.model import Item
from sync.store import Store

# Linear's priority numbers (linear/schema.graphql, Issue.priority: "0 = No priority, 1 = Urgent, 2 = High,
# 3 = Medium, 4 = Low"); the other trackers write names, shown as they are.
PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
CATEGORY_WORDS = {
    "triage": "Triage",
    "backlog": "Backlog",
    "todo": "To do",
    "in_progress": "In progress",
    "done": "Done",
    "canceled": "Canceled",
}


def human_age(seconds: float | None) -> str:
    """``42 s``, ``5 min``, ``3 h 20 min``, ``2 d 4 h``; ``never`` for None."""
    if seconds is None:
        return "never"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    return f"{days} d {hours % 24} h" if hours % 24 else f"{days} d"


class Names:
    """Items of one store by connection and native id, for naming them the way people know them."""

    def __init__(self, store: Store, types: dict[str, str]) -> None:
        self.store = store
        self.types = types  # connection -> service type (jira, github, linear, zendesk)
        self.cache: dict[str, Item | None] = {}

    def source(self, connection: str) -> str:
        return self.types.get(connection, connection)

    def item(self, connection: str, native_id: Any) -> Item | None:
        uid = f"{connection}:{native_id}"
        if uid not in self.cache:
            self.cache[uid] = self.store.item(uid)
        return self.cache[uid]

    def ref(self, connection: str, native_id: Any) -> str:
        item = self.item(connection, native_id)
        return item.ref if item else f"{connection}:{native_id}"

    def titled(self, connection: str, native_id: Any) -> str:
        item = self.item(connection, native_id)
        return f"{item.ref} “{item.title}”" if item else f"{connection}:{native_id}"


def shown(field: str, value: Any, source: str) -> str:
    """A field value as its tracker shows it (Linear priorities by label, statuses by name)."""
    if value is None or value == "":
        return "(empty)"
    if field == "priority" and source == "linear" and isinstance(value, int):
        return PRIORITY_LABELS.get(value, str(value))
    if field == "category" and isinstance(value, str):
        return CATEGORY_WORDS.get(value, value)
    return str(value)


def describe_op(names: Names, op: dict[str, Any]) -> dict[str, Any]:
    """One journalled op in the tracker's terms: the items it touched and the change, before → after."""
    connection, payload, before = op["connection"], op["payload"], op["before"] or {}
    source = names.source(connection)
    if "items" in payload and "after" in payload:  # a rank move
        moved = [names.ref(connection, i) for i in payload["items"]]
        anchor = payload["after"] or payload.get("before")
        where = (
            f"after {names.ref(connection, anchor)}"
            if payload["after"]
            else f"before {names.ref(connection, anchor)}"
        )
        change = (
            f"moved {', '.join(moved[:6])}{' …' if len(moved) > 6 else ''} {where if anchor else ''}".rstrip()
        )
        return {"refs": moved, "change": change}
    if "field" in payload:
        name = payload["field"]
        old, new = shown(name, before.get(name), source), shown(name, payload["value"], source)
        return {
            "refs": [names.ref(connection, payload["item"])],
            "change": f"{names.titled(connection, payload['item'])}: {name} {old} → {new}",
        }
    if "category" in payload:
        old = before.get("status") or shown("category", before.get("category"), source)
        new = (op.get("after") or {}).get("status") or shown("category", payload["category"], source)
        return {
            "refs": [names.ref(connection, payload["item"])],
            "change": f"{names.titled(connection, payload['item'])}: status {old} → {new}",
        }
    if "body" in payload:
        text = " ".join(str(payload["body"]).split())
        return {
            "refs": [names.ref(connection, payload["item"])],
            "change": f"{names.titled(connection, payload['item'])}: note “{text[:70]}”",
        }
    if "tags" in payload:
        tagged = [names.ref(connection, i) for i in payload.get("items", [])]
        return {
            "refs": tagged,
            "change": f"tags {', '.join(payload['tags'])} on {', '.join(tagged[:6]) or 'no item'}",
        }
    if isinstance(payload.get("items"), dict):  # several fields of several items in one batch (Zendesk)
        parts = [
            f"{names.ref(connection, native)} "
            + ", ".join(f"{k} → {shown(k, v, source)}" for k, v in values.items())
            for native, values in list(payload["items"].items())[:4]
        ]
        more = len(payload["items"]) - len(parts)
        return {
            "refs": [names.ref(connection, n) for n in payload["items"]],
            "change": "; ".join(parts) + (f"; and {more} more" if more > 0 else ""),
        }
    return {"refs": [], "change": f"{op['kind']} op"}


def log_entries(store: Store, types: dict[str, str], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``push_log`` entries with each op described for people (``described``: refs, change, reason)."""
    names = Names(store, types)
    for run in runs:
        for op in run["ops"]:
            described = describe_op(names, op)
            failed = op["result"] not in ("ok", "already")
            described["reason"] = op.get("detail") if failed else None
            op["described"] = described
    return runs


def pending_reason(row: dict[str, Any], paused: dict[str, Any] | None) -> str:
    """Why a staged op has not reached its tracker yet."""
    if paused is not None:
        return f"pushes paused by the undo of push #{paused['undo_of']} (`rankbridge resume`)"
    if row["state"] == "sending":
        return "sent when a push was cut off; the tracker is asked before anything is sent again"
    if row["state"] == "failed":
        return f"failed ({row.get('error') or 'no reason given'}); tried again on the next push"
    return f"staged by plan #{row['plan_id']}; waiting for `rankbridge push` (or the daemon's next cycle)"


def feedback_view(store: Store, item: Item) -> dict[str, Any]:
    """What a feedback ticket asks for, the issues it is linked to (with their rank) and the rank it carries
    (the best rank among the open issues it asks for: what rankbridge writes into its fields)."""
    ranks = {row["uid"]: row["rank"] for row in store.scores()}
    linked = []
    for link in store.links():
        if link.src_uid != item.uid or link.dst_uid is None or link.type != "requests":
            continue
        issue = store.item(link.dst_uid)
        if issue is not None:
            linked.append(
                {
                    "ref": issue.ref,
                    "title": issue.title,
                    "status": issue.status,
                    "rank": ranks.get(issue.uid),
                    "origin": link.origin,
                }
            )
    linked.sort(key=lambda entry: (entry["rank"] is None, entry["rank"] or 0))
    carried = next((entry["rank"] for entry in linked if entry["rank"] is not None), None)
    return {
        "ref": item.ref,
        "kind": item.kind,
        "title": item.title,
        "asks": " ".join(item.body.split())[:400],
        "requester": item.requester,
        "organization": item.organization,
        "status": item.status,
        "linked": linked,
        "rank": carried,
    }


def feedback_lines(view: dict[str, Any]) -> list[str]:
    who = ", ".join(x for x in (view["requester"], view["organization"]) if x) or "unknown requester"
    lines = [
        f"{view['ref']} “{view['title']}” ({view['status']}), from {who}",
        f"  asks: {view['asks'] or '(no text)'}",
    ]
    if view["rank"] is not None:
        lines.append(f"  carries rank {view['rank']}: the best-ranked open issue it asks for")
    else:
        lines.append("  carries no rank: none of the issues it asks for is ranked")
    if not view["linked"]:
        lines.append("  linked to no issue yet (a URL or key of a tracked issue in the ticket links it)")
    for entry in view["linked"]:
        rank = f"rank {entry['rank']}" if entry["rank"] is not None else "not ranked"
        lines.append(
            f"  asks for {entry['ref']} “{entry['title']}” ({entry['status']}, {rank}; {entry['origin']})"
        )
    return lines
