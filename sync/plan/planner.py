"""Plan: desired state (scores, unified rank, status decisions) minus observed state (the store) minus what
we last pushed gives the fewest write ops. Nothing is written whose value already matches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Connector
from rules.mirrors import mirror_groups
from rules.status import Decision
from sync.model import Item, Link, LinkType, Op, OpKind, StatusCategory, batched, report_link
from sync.plan.fieldops import FieldChange, field_ops, make_op, story_issue, ticket_story
from sync.plan.moves import minimal_moves
from sync.plan.positions import remember
from sync.plan.priority import levels_by_rank
from sync.refs import label, shared_keys
from sync.store import Store

TAG_BATCH = 100
# The close reason a closed category carries (GitHub's state_reason; other trackers ignore it).
CLOSE_REASONS = {StatusCategory.DONE.value: "completed", StatusCategory.CANCELED.value: "not_planned"}


@dataclass(frozen=True)
class Kept:
    """Something the plan leaves alone and reports: a value a person changed by hand, or an op undo cannot
    invert. Stored with the plan run as a record, so ``status`` never parses the note back."""

    connection: str
    note: str

    def as_dict(self) -> dict[str, str]:
        return {"connection": self.connection, "note": self.note}


@dataclass
class Plan:
    ops: list[Op] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)  # manual overrides respected, ops undo leaves alone
    naive_rank_writes: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # connection -> why it was not planned

    def keep(self, connection: str, note: str) -> None:
        self.kept.append(Kept(connection, note))

    def notes(self) -> list[str]:
        return [k.note for k in self.kept]

    def by_connection(self) -> dict[str, list[Op]]:
        grouped: dict[str, list[Op]] = defaultdict(list)
        for op in self.ops:
            grouped[op.connection].append(op)
        return dict(grouped)


@dataclass
class Planner:
    store: Store
    connectors: Mapping[str, Connector]
    scores: dict[str, dict[str, Any]]  # uid -> {"score", "rank"}
    decisions: list[Decision] = field(default_factory=list)
    report_url: str | None = None  # where the HTML report is published: trackers link to item pages
    save: bool = True  # False: plan without remembering the observed orders (a what-if)
    shared: frozenset[str] = frozenset()  # keys two connections share: notes name those items qualified
    only: set[str] | None = None  # the connections to plan (those read after our last write); None: all

    def label(self, item: Item) -> str:
        return label(item, self.shared)

    def _planned(self, connection: str) -> bool:
        return self.only is None or connection in self.only

    def build(self) -> Plan:
        plan = Plan()
        items = self.store.items()
        self.shared = shared_keys(items)
        links = self.store.links()
        pushed = self.store.pushed()
        decided = Plan()
        self._decision_ops(decided, items, links, pushed)
        closing = {  # items this plan closes leave their rank scope: moving them first is a wasted write
            self.connectors[op.connection].uid(str(op.payload["item"]))
            for op in decided.ops
            if op.kind == OpKind.STATUS and not StatusCategory(op.payload["category"]).is_open
        }
        for name, connector in self.connectors.items():
            if not self._planned(name):
                continue
            mine = [i for i in items if i.connection == name]
            if connector.config.push_rank:
                self._rank_ops(plan, connector, [i for i in mine if i.uid not in closing])
            self._field_ops(plan, connector, mine, links, items, pushed, closing)
        plan.ops.extend(decided.ops)
        plan.kept.extend(decided.kept)
        return plan

    # --- order -----------------------------------------------------------------------------------------
    def _rank_ops(self, plan: Plan, connector: Connector, items: list[Item]) -> None:
        for scope in connector.scopes():
            members = [i for i in items if connector.scope_of(i) == scope.name and i.uid in self.scores]
            current = sorted(members, key=connector.order_key)
            desired = sorted(members, key=lambda i: self.scores[i.uid]["rank"])
            current_ids = [i.native_id for i in current]
            desired_ids = [i.native_id for i in desired]
            plan.naive_rank_writes += sum(1 for a, b in zip(current_ids, desired_ids, strict=True) if a != b)
            ranks = {i.native_id: i.native_rank for i in members}
            keys = {i.native_id: self.label(i) for i in members}
            index = {nid: n for n, nid in enumerate(current_ids)}
            memory = remember(
                self.store,
                connector.name,
                scope.name,
                current_ids,
                ranks,
                {i.native_id: float(self.scores[i.uid]["score"]) for i in members},
                connector.config.score_precision,
                connector.config.respect_manual,
                self.save,
            )
            if memory.pins:
                # Report the pins that keep an item from moving (the plan without them would move it).
                free = minimal_moves(current_ids, desired_ids, scope.max_batch)
                would_move = {nid for move in free for nid in move.items}
                for nid in sorted(memory.pins.keys() & would_move, key=index.__getitem__):
                    at = self.scores[connector.uid(nid)]["rank"]
                    note = f"kept {keys[nid]} where it was moved by hand (unified rank #{at})"
                    plan.keep(connector.name, note)
            # Items without a position (not on a GitHub board yet) are placed by the push that adds them.
            unplaced = {i.native_id for i in members if i.native_rank is None}
            moves = minimal_moves(current_ids, desired_ids, scope.max_batch, memory.pins, unplaced)
            for move in moves:
                anchors = [a for a in (move.after, move.before) if a]
                payload = {
                    "items": move.items,
                    "after": move.after,
                    "before": move.before,
                    "ranks": {nid: ranks[nid] for nid in [*move.items, *anchors]},
                }
                # The whole order before the push, so that `rankbridge undo` can restore it.
                before = {"positions": {nid: index[nid] for nid in move.items}, "order": current_ids}
                where = f"after {keys[move.after]}" if move.after else f"before {keys[move.before or '']}"
                moved = ", ".join(keys[n] for n in move.items[:5]) + ("…" if len(move.items) > 5 else "")
                reason = f"unified ranking: {moved} go {where}"
                plan.ops.append(make_op(connector.name, OpKind.RANK, scope.name, payload, before, reason))

    # --- fields ----------------------------------------------------------------------------------------
    def _field_ops(
        self,
        plan: Plan,
        connector: Connector,
        items: list[Item],
        links: list[Link],
        everything: list[Item],
        pushed: dict[tuple[str, str], Any],
        closing: set[str],
    ) -> None:
        writable = connector.writable_fields()
        if not writable:
            return
        by_uid = {i.uid: i for i in everything}
        requested = _requested(links)
        precision = connector.config.score_precision
        # Items this plan closes leave the ranking: the bands are counted without them, or the next plan
        # would shift every level below them.
        ranked = [i for i in items if i.uid not in closing]
        priorities = self._priorities(connector, ranked) if "priority" in writable else {}
        changes: list[FieldChange] = []
        for item in items:
            if not connector.can_write(item):
                continue
            wanted = self._wanted_fields(connector, item, requested.get(item.uid, []), by_uid)
            if item.uid in priorities:
                wanted["priority"] = priorities[item.uid]
            change = FieldChange(item)
            for name in sorted(writable & wanted.keys()):
                value, current = wanted[name], item.fields.get(name)
                if _same(value, current, precision):
                    continue
                last = pushed.get((item.uid, name))
                if (
                    connector.config.respect_manual
                    and last is not None
                    and current is not None
                    and not _same(last, current, precision)
                ):
                    plan.keep(
                        connector.name,
                        f"kept {self.label(item)} {name} = {current!r}: "
                        f"changed by hand after we wrote {last!r}",
                    )
                    continue
                change.new[name], change.old[name] = value, current
            if change.new and not set(change.new) <= connector.quiet_fields(item):
                changes.append(change)
        plan.ops.extend(field_ops(connector.name, changes, connector.field_batch()))

    def _priorities(self, connector: Connector, items: list[Item]) -> dict[str, int]:
        """The tracker's priority of each ranked item, by its rank within this connection."""
        ranked = [i for i in items if i.uid in self.scores and connector.can_write(i)]
        ranked.sort(key=lambda i: int(self.scores[i.uid]["rank"]))
        return levels_by_rank([i.uid for i in ranked], connector.priority_shares())

    def _wanted_fields(
        self, connector: Connector, item: Item, requested: list[str], by_uid: dict[str, Item]
    ) -> dict[str, Any]:
        own = self.scores.get(item.uid)
        if own is not None:
            wanted = connector.derived_fields(item, own["score"], own["rank"])
            page_of: Item | None = item if wanted else None
        else:
            targets = [by_uid[u] for u in requested if u in by_uid]
            wanted = ticket_story(targets, self.scores)
            page_of = story_issue(targets, self.scores)
        if self.report_url and page_of is not None and page_of.uid in self.scores:
            # The link to the page of the item the fields describe (a ranked item has a page).
            wanted["report"] = report_link(self.report_url, page_of)
        return wanted

    # --- status decisions --------------------------------------------------------------------------------
    def _decision_ops(
        self, plan: Plan, items: list[Item], links: list[Link], pushed: dict[tuple[str, str], Any]
    ) -> None:
        by_uid = {i.uid: i for i in items}
        groups = mirror_groups(links, by_uid) if any(d.target == "mirrors" for d in self.decisions) else {}
        tags: dict[tuple[str, str], list[Item]] = defaultdict(list)
        for decision in self.decisions:
            origin = by_uid.get(decision.uid)
            if origin is None:
                continue
            if decision.target == "mirrors":
                targets = [by_uid[u] for u in groups.get(origin.uid, ()) if u != origin.uid]
            else:
                targets = [origin]
            for item in targets:
                connector = self.connectors.get(item.connection)
                if connector is None or not self._planned(item.connection) or not connector.can_write(item):
                    continue
                self._status_op(plan, connector, decision, origin, item, pushed)
                self._comment_op(plan, decision, item, pushed)
                if decision.tag and decision.tag not in item.labels:
                    tags[(item.connection, decision.tag)].append(item)
        for (name, tag), members in sorted(tags.items()):
            for chunk in batched(members, TAG_BATCH):
                tag_payload: dict[str, Any] = {"items": [i.native_id for i in chunk], "tags": [tag]}
                reason = f"tag {tag!r} on {len(chunk)} item(s)"
                plan.ops.append(make_op(name, OpKind.TAGS, f"tag:{tag}", tag_payload, {}, reason))

    def _status_op(
        self,
        plan: Plan,
        connector: Connector,
        decision: Decision,
        origin: Item,
        item: Item,
        pushed: dict[tuple[str, str], Any],
    ) -> None:
        """One status write (transition, state, close with reason); a status a person changed after we set
        it is kept when the connection respects manual edits."""
        wanted = decision.set_category
        if not wanted or wanted == item.status_category:
            return
        ours = pushed.get((item.uid, "status_category"))
        if connector.config.respect_manual and ours is not None and ours != item.status_category:
            plan.keep(
                connector.name,
                f"kept {self.label(item)} status {item.status_category!r}: "
                f"changed by hand after we set {ours!r}",
            )
            return
        payload: dict[str, Any] = {"item": item.native_id, "category": wanted}
        change = f"{item.status_category} → {wanted}"
        if wanted in CLOSE_REASONS:
            payload["reason"] = CLOSE_REASONS[wanted]
            change += f" (closed as {CLOSE_REASONS[wanted]})"
        if item is origin:
            reason = f"status rule {decision.rule!r}: {self.label(item)} {change}"
        else:
            reason = (
                f"status rule {decision.rule!r}: {self.label(origin)} is {origin.status_category}, "
                f"so its mirror {self.label(item)} {change}"
            )
        plan.ops.append(
            make_op(
                connector.name,
                OpKind.STATUS,
                item.uid,
                payload,
                {"category": item.status_category, "status": item.status},
                reason,
            )
        )

    def _comment_op(
        self, plan: Plan, decision: Decision, item: Item, pushed: dict[tuple[str, str], Any]
    ) -> None:
        if not decision.comment or (item.uid, f"comment:{decision.rule}") in pushed:
            return
        note: dict[str, Any] = {
            "item": item.native_id,
            "body": decision.comment,
            "public": False,
            "rule": decision.rule,
        }
        reason = f"status rule {decision.rule!r}: note on {self.label(item)}"
        plan.ops.append(make_op(item.connection, OpKind.COMMENT, item.uid, note, {}, reason))


def _requested(links: list[Link]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for link in links:
        if link.type == LinkType.REQUESTS and link.dst_uid and link.dst_uid not in out[link.src_uid]:
            out[link.src_uid].append(link.dst_uid)
    return out


def _same(a: Any, b: Any, precision: float) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= precision
    if isinstance(a, int | float) and isinstance(b, str):
        try:
            return abs(float(a) - float(b)) <= precision
        except ValueError:
            return False
    return bool(a == b)
