"""Audit and undo: what each push wrote, and the inverse of one push as a new plan.

``undo RUN`` puts back every value push RUN wrote, in every tracker: fields (scores, ranks, Zendesk ticket
fields, Linear priority; a field that was empty is cleared), statuses (to the very status the item had where
the tracker allows), the order of each rank scope, board membership (an issue the push put on a GitHub board
is taken off it), and tags (removed again). Values are compared in each tracker's own terms (Zendesk answers
numbers as strings): a value a person changed since the push is kept and listed. A posted note cannot be
unposted: it is listed, and ``--follow-up TEXT`` adds a note after it where the tracker takes notes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from connectors.base import Connector
from sync.errors import UsageError
from sync.model import Item, OpKind
from sync.plan.fieldops import FieldChange, field_ops, make_op
from sync.plan.moves import minimal_moves
from sync.plan.planner import Plan
from sync.refs import label, shared_keys
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


def undo_plan(
    store: Store, connectors: Mapping[str, Connector], run_id: int, follow_up: str | None = None
) -> Plan:
    if not any(r["id"] == run_id for r in store.runs("push", limit=10_000)):
        raise NotAPush(f"run {run_id} is not a push (see `rankbridge log`)")
    entries = [e for e in store.journal_entries(run_id) if e["result"] in ("ok", "already")]
    undo = Undo(Plan(), {i.uid: i for i in store.items()}, follow_up)
    orders: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        connector = connectors.get(entry["connection"])
        if connector is None:
            undo.plan.keep(entry["connection"], f"{entry['connection']}: not configured, cannot undo its ops")
            continue
        added = json.loads(entry["after"] or "{}").get("added") or []
        undo.added.setdefault(connector.name, []).extend(str(a) for a in added)
        if entry["kind"] == OpKind.RANK:
            before = json.loads(entry["before"])
            orders.setdefault((entry["connection"], entry["scope"]), before.get("order", []))
    for connection, added in undo.added.items():
        undo.unplace(connectors[connection], added)
    for entry in entries:
        connector = connectors.get(entry["connection"])
        if connector is not None:
            undo.entry(connector, entry["kind"], json.loads(entry["payload"]), json.loads(entry["before"]))
    for connector in {c.name: c for c in connectors.values()}.values():
        changes = undo.changes.get(connector.name)
        if changes:
            undo.plan.ops.extend(field_ops(connector.name, changes, connector.field_batch()))
    for (connection, scope), order in orders.items():
        leaving = set(undo.added.get(connection, ()))
        _undo_order(undo.plan, connectors[connection], undo.items, scope, order, leaving)
    return undo.plan


@dataclass
class Undo:
    """The inverse plan being built, with what it needs across entries."""

    plan: Plan
    items: dict[str, Item]
    follow_up: str | None = None
    added: dict[str, list[str]] = field(default_factory=dict)  # connection -> issues the push put on a board
    changes: dict[str, list[FieldChange]] = field(default_factory=dict)

    @cached_property
    def shared(self) -> frozenset[str]:
        """Keys two connections share: notes name those items by their qualified reference."""
        return shared_keys(self.items.values())

    def label(self, item: Item) -> str:
        return label(item, self.shared)

    def entry(self, connector: Connector, kind: str, payload: dict[str, Any], before: dict[str, Any]) -> None:
        if kind == OpKind.FIELD:
            self.field(connector, str(payload["item"]), {payload["field"]: payload["value"]}, before)
        elif kind == OpKind.FIELDS:
            for item, values in payload["items"].items():
                self.field(connector, str(item), values, before.get(item) or {})
        elif kind == OpKind.STATUS:
            self.status(connector, payload, before)
        elif kind == OpKind.TAGS:
            self.untag(connector, [str(i) for i in payload["items"]], list(payload["tags"]))
        elif kind == OpKind.COMMENT:
            self.comment(connector, payload)

    def field(
        self, connector: Connector, native_id: str, ours: dict[str, Any], before: dict[str, Any]
    ) -> None:
        item = self.items.get(connector.uid(native_id))
        if item is None or native_id in self.added.get(connector.name, ()):
            return  # gone, or leaving the board with its field values
        change = FieldChange(item)
        for name, value in ours.items():
            current, old = item.fields.get(name), before.get(name)
            if not same(current, value):
                self.plan.keep(
                    connector.name,
                    f"kept {name} of {self.label(item)} = {current!r}: changed by hand after the push",
                )
            elif not same(current, old):
                change.new[name], change.old[name] = old, current
        if change.new:
            self.changes.setdefault(connector.name, []).append(change)

    def status(self, connector: Connector, payload: dict[str, Any], before: dict[str, Any]) -> None:
        item = self.items.get(connector.uid(payload["item"]))
        old = before.get("category")
        if item is None or old is None:
            return
        if item.status_category != payload["category"]:
            shown = f"{self.label(item)} = {item.status_category!r}"
            note = f"kept status of {shown}: changed by hand after the push"
            self.plan.keep(connector.name, note)
            return
        if old == item.status_category:
            return
        target = {"item": payload["item"], "category": old, "status": before.get("status")}
        reason = f"undo: status of {self.label(item)} {item.status!r} → {before.get('status') or old!r}"
        self.plan.ops.append(
            make_op(
                connector.name, OpKind.STATUS, item.uid, target, {"category": item.status_category}, reason
            )
        )

    def untag(self, connector: Connector, native_ids: list[str], tags: list[str]) -> None:
        """Tags the push added go again, from the items that still carry them."""
        for tag in tags:
            carrying = [
                n
                for n in native_ids
                if (i := self.items.get(connector.uid(n))) is not None and tag in i.labels
            ]
            if carrying:
                payload: dict[str, Any] = {"items": carrying, "tags": [tag]}
                reason = f"undo: tag {tag!r} off {len(carrying)} item(s)"
                self.plan.ops.append(
                    make_op(connector.name, OpKind.UNTAG, f"untag:{tag}", payload, {}, reason)
                )

    def unplace(self, connector: Connector, native_ids: list[str]) -> None:
        """Issues the push put on a board leave it again."""
        on_board = [
            n
            for n in dict.fromkeys(native_ids)
            if (i := self.items.get(connector.uid(n))) is not None and i.native_rank is not None
        ]
        if on_board:
            reason = f"undo: take {len(on_board)} issue(s) the push added off the board"
            payload: dict[str, Any] = {"items": on_board}
            self.plan.ops.append(make_op(connector.name, OpKind.UNPLACE, "board", payload, {}, reason))

    def comment(self, connector: Connector, payload: dict[str, Any]) -> None:
        item = self.items.get(connector.uid(payload["item"]))
        key = self.label(item) if item else payload["item"]
        if self.follow_up:
            note = {"item": payload["item"], "body": self.follow_up, "public": bool(payload.get("public"))}
            reason = f"undo: follow-up note on {key} (a posted note cannot be removed)"
            self.plan.ops.append(
                make_op(connector.name, OpKind.COMMENT, connector.uid(payload["item"]), note, {}, reason)
            )
            return
        self.plan.keep(
            connector.name,
            f"cannot undo the note posted on {key} ({str(payload['body'])[:60]!r}); "
            "add a correction with `rankbridge undo RUN --follow-up TEXT`",
        )


def same(current: Any, wanted: Any) -> bool:
    """Equal in the tracker's own terms: numbers as numbers even when the tracker answers strings
    (Zendesk's "68" for 68), an empty string as empty."""
    if current == wanted:
        return True
    if current in (None, "") and wanted in (None, ""):
        return True
    try:
        return math.isclose(float(current), float(wanted), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _undo_order(
    plan: Plan, connector: Connector, items: dict[str, Item], scope: str, old: list[str], leaving: set[str]
) -> None:
    members = [
        i
        for i in items.values()
        if i.connection == connector.name and connector.scope_of(i) == scope and i.native_id not in leaving
    ]
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
