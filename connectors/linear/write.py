"""Writes to Linear (one ``issueUpdate`` per change) and their verification by re-reading.

Rank: an op carries a run of moved issues and the anchor they go directly after (or, at the top, before).
Linear orders a team's issues by the float ``sortOrder``, so the run gets k evenly spaced values strictly
between the anchor and the issue that follows it now (maintainer advice: place *between* neighbours, not at
``neighbour - 1``). The neighbours come from a snapshot of the team's order, read once with one query and
kept up to date with our own writes (reused for ``rank_snapshot_ttl`` seconds); ``op.payload["ranks"]``
fills in an anchor the snapshot does not hold (e.g. an issue that has just been closed).

The ``report`` field is the issue's link to its page in the HTML report, an attachment
(:mod:`connectors.linear.report`).
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import AuthError, FatalError
from connectors.linear.client import LinearClient
from connectors.linear.config import LinearConfig
from connectors.linear.normalize import CATEGORY_STATE_TYPE, STATE_TYPES
from connectors.linear.report import ReportLinks, link_holds
from sync.model import Op, OpKind, OpResult, batched

OPEN_FILTER = {"type": {"nin": ["completed", "canceled", "duplicate"]}}
VERIFY_BATCH = 50  # issue_states costs ~125 complexity points per issue; Linear refuses > 10,000


@dataclass
class TeamOrder:
    """A team's open issues by sortOrder, as last read plus our own writes since."""

    ranks: dict[str, float]
    read_at: float = field(default_factory=time.monotonic)

    def ordered(self) -> list[str]:
        return sorted(self.ranks, key=lambda i: (self.ranks[i], i))

    def after(self, anchor: str) -> float | None:
        """sortOrder of the issue directly after ``anchor`` (None: the anchor is last)."""
        values = sorted(v for k, v in self.ranks.items() if k != anchor)
        at = bisect.bisect_right(values, self.ranks[anchor])
        return values[at] if at < len(values) else None

    def first(self) -> float | None:
        return min(self.ranks.values()) if self.ranks else None


def spaced(low: float | None, high: float | None, count: int, step: float) -> list[float]:
    """``count`` increasing values strictly between ``low`` and ``high`` (either may be open)."""
    if low is None and high is None:
        return [step * (i + 1) for i in range(count)]
    if high is None:
        assert low is not None
        return [low + step * (i + 1) for i in range(count)]
    if low is None:
        return [high - step * (count - i) for i in range(count)]
    gap = (high - low) / (count + 1)
    values = [low + gap * (i + 1) for i in range(count)]
    if any(not a < b for a, b in zip([low, *values], [*values, high], strict=True)):
        raise FatalError(f"no room for {count} sortOrder values between {low!r} and {high!r}")
    return values


class LinearWriter:
    """Applies and verifies ops; keeps team orders and workflow states it has read."""

    def __init__(self, client: LinearClient, config: LinearConfig) -> None:
        self.client = client
        self.config = config
        self.orders: dict[str, TeamOrder] = {}
        self.team_states: dict[str, list[dict[str, Any]]] = {}  # team key -> states (from the teams stream)
        self.report = ReportLinks(client, config.report_attachment or "Ranking report")

    # --- reading the order -------------------------------------------------------------------------------
    def read_order(self, team: str) -> TeamOrder:
        variables = {"filter": {"team": {"key": {"eq": team}}, "state": OPEN_FILTER}, "first": 250}
        ranks: dict[str, float] = {}
        for page in self.client.pages("team_order", "issues", variables):
            ranks.update({str(n["id"]): float(n["sortOrder"]) for n in page})
        self.orders[team] = TeamOrder(ranks)
        return self.orders[team]

    def order(self, team: str) -> TeamOrder:
        known = self.orders.get(team)
        if known is None or time.monotonic() - known.read_at > self.config.rank_snapshot_ttl:
            return self.read_order(team)
        return known

    # --- apply -------------------------------------------------------------------------------------------
    def apply(self, op: Op) -> OpResult:
        handlers = {
            OpKind.RANK.value: self.rank,
            OpKind.FIELD.value: self.field,
            OpKind.STATUS.value: self.status,
        }
        handler = handlers.get(op.kind)
        if handler is None:
            return OpResult(False, f"linear: {op.kind} ops are not supported")
        return handler(op)  # a failure is this op's failed result (Connector.apply)

    def rank(self, op: Op) -> OpResult:
        items = [str(i) for i in op.payload["items"]]
        after, before = op.payload.get("after"), op.payload.get("before")
        known_ranks = {str(k): float(v) for k, v in (op.payload.get("ranks") or {}).items() if v is not None}
        order = self.order(op.scope)
        for item in items:  # the moved issues leave their old places first
            order.ranks.pop(item, None)
        for anchor in (after, before):
            if anchor is not None and anchor not in order.ranks and anchor in known_ranks:
                order.ranks[anchor] = known_ranks[anchor]
        if after is not None:
            if after not in order.ranks:
                return OpResult(False, f"linear: anchor {after} is not in team {op.scope}")
            values = spaced(order.ranks[after], order.after(after), len(items), self.config.rank_spacing)
        else:
            high = order.ranks.get(before) if before is not None else order.first()
            values = spaced(None, high, len(items), self.config.rank_spacing)
        return self._write_ranks(order, dict(zip(items, values, strict=True)))

    def _write_ranks(self, order: TeamOrder, values: dict[str, float]) -> OpResult:
        failed: dict[str, str] = {}
        written: dict[str, Any] = {}
        for item, value in values.items():
            try:
                self._update(item, {"sortOrder": value})
            except AuthError:
                raise  # a rejected key stops the connection (Connector.apply), not one item of the op
            except FatalError as exc:
                failed[item] = str(exc)
                continue
            order.ranks[item] = value
            written[item] = repr(value)
        ok = not failed
        return OpResult(ok, f"{len(written)} issue(s) placed", failed=failed, after={"ranks": written})

    def field(self, op: Op) -> OpResult:
        name, value = op.payload["field"], op.payload["value"]
        if name == "report":
            return self.report.write(str(op.payload["item"]), value)
        if name != "priority":
            return OpResult(False, f"linear: field {name!r} cannot be written (only priority and report)")
        priority = int(value)
        if not 0 <= priority <= 4:
            return OpResult(False, f"linear: priority {priority} outside 0–4")
        self._update(op.payload["item"], {"priority": priority})
        return OpResult(True, f"priority {priority}", after={"priority": priority})

    def status(self, op: Op) -> OpResult:
        wanted = str(op.payload["category"])
        state_type = CATEGORY_STATE_TYPE.get(wanted)
        if state_type is None:
            return OpResult(False, f"linear: unknown status category {wanted!r}")
        issue = self._issues([op.payload["item"]]).get(op.payload["item"])
        if issue is None:
            return OpResult(False, f"linear: issue {op.payload['item']} not found")
        if STATE_TYPES.get(issue["state"]["type"]) == wanted:
            return OpResult(True, "already in that status", after={"status_category": wanted})
        states = self.team_states.get(issue["team"]["key"]) or issue["team"]["states"]["nodes"]
        named = [
            st for st in states if st.get("name") == op.payload.get("status") and st.get("type") == state_type
        ]
        target = named[0] if named else pick_state(states, state_type)  # undo: the very state it had
        if target is None:
            return OpResult(False, f"linear: team {issue['team']['key']} has no {state_type} state")
        self._update(op.payload["item"], {"stateId": target["id"]})
        return OpResult(
            True, f"moved to {target['name']}", after={"status_category": wanted, "status": target["name"]}
        )

    def _update(self, issue_id: str, values: dict[str, Any]) -> dict[str, Any]:
        data = self.client.execute("issue_update", {"id": issue_id, "input": values}, write=True)
        payload = data.get("issueUpdate") or {}
        if not payload.get("success"):
            raise FatalError(f"linear: issueUpdate of {issue_id} did not succeed")
        return dict(payload.get("issue") or {})

    # --- verify ------------------------------------------------------------------------------------------
    def verify(self, ops: list[Op]) -> dict[str, bool]:
        links = [op for op in ops if op.kind == OpKind.FIELD.value and op.payload["field"] == "report"]
        linked = self.report.links(str(op.payload["item"]) for op in links) if links else {}
        link_keys = {op.key for op in links}
        ids = {
            str(op.payload["item"])
            for op in ops
            if op.kind in (OpKind.FIELD.value, OpKind.STATUS.value) and op.key not in link_keys
        }
        issues = self._issues(ids) if ids else {}
        fresh = self._fresh_orders([op for op in ops if op.kind == OpKind.RANK.value])
        result: dict[str, bool] = {}
        for op in ops:
            if op.kind == OpKind.RANK.value:
                result[op.key] = rank_holds(fresh[op.scope], op.payload)
            elif op.key in link_keys:
                result[op.key] = link_holds(linked.get(str(op.payload["item"])), op.payload["value"])
            elif op.kind == OpKind.FIELD.value:
                issue = issues.get(str(op.payload["item"]))
                result[op.key] = (
                    issue is not None
                    and op.payload["field"] == "priority"
                    and int(issue["priority"]) == int(op.payload["value"])
                )
            elif op.kind == OpKind.STATUS.value:
                issue = issues.get(str(op.payload["item"]))
                result[op.key] = (
                    issue is not None and STATE_TYPES.get(issue["state"]["type"]) == op.payload["category"]
                )
            else:
                result[op.key] = False
        return result

    def _fresh_orders(self, rank_ops: list[Op]) -> dict[str, list[str]]:
        """Each team's live order, with anchors that have left it since (e.g. just closed) put back by
        their sortOrder, so that "directly after the anchor" can still be judged."""
        ranks = {scope: dict(self.read_order(scope).ranks) for scope in {op.scope for op in rank_ops}}
        missing = {
            str(anchor)
            for op in rank_ops
            for anchor in (op.payload.get("after"), op.payload.get("before"))
            if anchor is not None and str(anchor) not in ranks[op.scope]
        }
        found = self._issues(missing) if missing else {}
        for op in rank_ops:
            for anchor in (op.payload.get("after"), op.payload.get("before")):
                if anchor is not None and str(anchor) in found:
                    ranks[op.scope].setdefault(str(anchor), float(found[str(anchor)]["sortOrder"]))
        return {scope: TeamOrder(values).ordered() for scope, values in ranks.items()}

    def _issues(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(ids))
        found: dict[str, dict[str, Any]] = {}
        for chunk in batched(wanted, VERIFY_BATCH):
            data = self.client.execute("issue_states", {"filter": {"id": {"in": chunk}}, "first": len(chunk)})
            found.update({str(n["id"]): n for n in data["issues"]["nodes"]})
        return found


def pick_state(states: list[dict[str, Any]], state_type: str) -> dict[str, Any] | None:
    """The team's first state (by position) of ``state_type``."""
    matching = [s for s in states if s.get("type") == state_type]
    return min(matching, key=lambda s: float(s.get("position") or 0)) if matching else None


def rank_holds(order: list[str], payload: dict[str, Any]) -> bool:
    """Whether ``items`` stand in their order after ``after`` (or, at the top, before ``before``).

    Relative order, not adjacency: a later op of the same plan may place the next run right behind these
    items (a long run is sent in chained parts), which is still the intended order."""
    chain = [str(a) for a in (payload.get("after"),) if a is not None] + [str(i) for i in payload["items"]]
    if payload.get("after") is None and payload.get("before") is not None:
        chain.append(str(payload["before"]))
    position = {item: index for index, item in enumerate(order)}
    if any(item not in position for item in chain):
        return False
    return all(position[a] < position[b] for a, b in itertools.pairwise(chain))
