"""Audit and undo: what each push wrote, and the inverse of one push as a new plan.

``undo`` respects later human edits: a field or status a person changed after our push is left alone and
reported; the order of a scope goes back to what it was before the push, moving only what must move.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.base import Connector
from sync.errors import UsageError
from sync.model import Item, OpKind
from sync.plan.fieldops import make_op
from sync.plan.moves import minimal_moves
from sync.plan.planner import Plan
from sync.store import Store


class NotAPush(UsageError):
    """``undo RUN`` names a run that is not a push."""


def push_log(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    out = []
    for run in store.runs("push", limit=limit):
        entries = store.journal_entries(run["id"])
        out.append(
            {
                "run": run["id"],
                "started_at": run["started_at"],
                "finished_at": run["finished_at"],
                "status": run["status"],
                "error": run["error"],
                "ops": [
                    {
                        "connection": e["connection"],
                        "kind": e["kind"],
                        "result": e["result"],
                        "payload": json.loads(e["payload"]),
                        "before": _short(json.loads(e["before"])),
                        "after": json.loads(e["after"]),
                        "detail": e["detail"],
                        "at": e["at"],
                    }
                    for e in entries
                ],
            }
        )
    return out


def _short(before: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in before.items() if k != "order"}


def undo_plan(store: Store, connectors: Mapping[str, Connector], run_id: int) -> Plan:
    if not any(r["id"] == run_id for r in store.runs("push", limit=10_000)):
        raise NotAPush(f"run {run_id} is not a push (see `rankbridge log`)")
    entries = [e for e in store.journal_entries(run_id) if e["result"] == "ok"]
    plan = Plan()
    items = {i.uid: i for i in store.items()}
    orders: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        payload, before = json.loads(entry["payload"]), json.loads(entry["before"])
        connector = connectors.get(entry["connection"])
        if connector is None:
            plan.keep(entry["connection"], f"{entry['connection']}: not configured, cannot undo its ops")
            continue
        if entry["kind"] == OpKind.RANK:
            orders.setdefault((entry["connection"], entry["scope"]), before.get("order", []))
        elif entry["kind"] in (OpKind.FIELD, OpKind.STATUS):
            _undo_value(plan, connector, items, entry["kind"], payload, before)
        else:
            note = f"{entry['kind']} ops cannot be undone (a note or tag stays): {payload}"
            plan.keep(entry["connection"], note)
    for (connection, scope), order in orders.items():
        _undo_order(plan, connectors[connection], items, scope, order)
    return plan


def _undo_value(
    plan: Plan,
    connector: Connector,
    items: dict[str, Item],
    kind: str,
    payload: dict[str, Any],
    before: dict[str, Any],
) -> None:
    item = items.get(connector.uid(payload["item"]))
    if item is None:
        return
    if kind == OpKind.FIELD:
        name, ours = payload["field"], payload["value"]
        current, old = item.fields.get(name), before.get(name)
        target = {"item": payload["item"], "field": name, "value": old}
        label = f"{name} of {item.key}"
    else:
        ours, current, old = payload["category"], item.status_category, before.get("category")
        target = {"item": payload["item"], "category": old}
        label = f"status of {item.key}"
    if current != ours:
        plan.keep(connector.name, f"kept {label} = {current!r}: changed by hand after the push")
        return
    if old is None or old == current:
        return
    plan.ops.append(
        make_op(
            connector.name, kind, item.uid, target, {"value": current}, f"undo: {label} {current!r} → {old!r}"
        )
    )


def _undo_order(plan: Plan, connector: Connector, items: dict[str, Item], scope: str, old: list[str]) -> None:
    members = [i for i in items.values() if i.connection == connector.name and connector.scope_of(i) == scope]
    current = [i.native_id for i in sorted(members, key=connector.order_key)]
    previous = {nid: n for n, nid in enumerate(old)}
    desired = sorted(current, key=lambda nid: previous.get(nid, len(previous)))
    batch = next((s.max_batch for s in connector.scopes() if s.name == scope), 1)
    ranks = {i.native_id: i.native_rank for i in members}
    # Items the push did not order (new since, or left out because the push closed them) stay put.
    unknown = [nid for nid in current if nid not in previous]
    for move in minimal_moves(current, desired, batch, pinned=unknown):
        anchors = [a for a in (move.after, move.before) if a]
        payload = {
            "items": move.items,
            "after": move.after,
            "before": move.before,
            "ranks": {nid: ranks.get(nid) for nid in [*move.items, *anchors]},
        }
        plan.ops.append(
            make_op(
                connector.name,
                OpKind.RANK,
                scope,
                payload,
                {"order": current},
                f"undo: restore the order before the push ({len(move.items)} item(s))",
            )
        )
