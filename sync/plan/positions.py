"""Manual position overrides: an item a person moved in a tracker keeps its place (``respect_manual``).

The rule, per rank scope (a Jira board, a GitHub project, a Linear team):

1. Every plan remembers the order it observed in the scope (``scope_orders``: native ids in order, each
   one's native rank, and the pins below).
2. The *expected* order is that remembered order with every rank op we journalled since then (``ok`` or
   ``already``) applied in journal order: what the tracker shows if nobody but us touched it. Items named
   by a rank op whose outcome is uncertain (``failed``, possibly in part, or still ``sending`` after a
   crash) are not judged, nor are items that had no native rank then or now (not yet on a GitHub board:
   a write that adds an item to a board places it, it does not move it).
3. The order the latest pull shows is compared with the expected one over the items both contain. The
   items outside a longest common subsequence are the fewest moves that explain the difference: a person
   moved them. Among equally long subsequences the one keeping most items whose native rank did not change
   wins (a moved item gets a new rank in Jira and Linear; a GitHub project renumbers every position, and
   order alone decides there).
4. A moved item is *pinned* with its score at that moment. We never move a pinned item: the rest of the
   scope is ordered around it. The pin holds while the item's score stays within the connection's
   ``score_precision`` of that score; once new evidence changes the score, the ranking may move it again.
   A pin ends when the item leaves the scope. With ``respect_manual = false`` nothing is pinned.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sync.store import Store

UNCERTAIN_OUTBOX = ("sending",)
APPLIED = ("ok", "already")


@dataclass
class ScopeMemory:
    """What one plan reads and leaves behind for a scope."""

    pins: dict[str, float] = field(default_factory=dict)  # native id -> score when pinned
    moved: list[str] = field(default_factory=list)  # moved by a person since the previous plan


def apply_move(order: list[str], items: list[str], after: str | None, before: str | None) -> list[str]:
    """``order`` with ``items`` taken out and put back directly after ``after`` (or before ``before``;
    at the top when neither is given). An anchor the order does not hold leaves the items at the end."""
    moving = set(items)
    rest = [i for i in order if i not in moving]
    if after is not None:
        at = rest.index(after) + 1 if after in rest else len(rest)
    elif before is not None:
        at = rest.index(before) if before in rest else len(rest)
    else:
        at = 0
    return [*rest[:at], *items, *rest[at:]]


def expected_order(
    store: Store, connection: str, scope: str, since: str, base: list[str]
) -> tuple[list[str], set[str]]:
    """The remembered order with our rank ops since ``since`` applied, and the ids we cannot judge."""
    order, uncertain = list(base), set()
    for entry in store.journal_since(connection, since, "rank"):
        if entry["scope"] != scope:
            continue
        payload = json.loads(entry["payload"])
        if entry["result"] in APPLIED:
            order = apply_move(order, payload["items"], payload.get("after"), payload.get("before"))
        else:
            uncertain.update(payload["items"])
    for op, _ in store.outbox(UNCERTAIN_OUTBOX):
        if op.connection == connection and op.kind == "rank" and op.scope == scope:
            uncertain.update(op.payload["items"])
    return order, uncertain


def moved_by_hand(
    expected: list[str], observed: list[str], unchanged: Collection[str], skip: Collection[str] = ()
) -> list[str]:
    """Ids of ``observed`` outside a longest common subsequence with ``expected`` (ids in both, not in
    ``skip``), preferring to keep ids in ``unchanged``; in observed order."""
    position = {nid: n for n, nid in enumerate(i for i in expected if i not in skip)}
    common = [nid for nid in observed if nid in position]
    weights = [len(common) + 1 + (1 if nid in unchanged else 0) for nid in common]
    keep = _heaviest_increasing([position[nid] for nid in common], weights, len(position))
    return [nid for n, nid in enumerate(common) if n not in keep]


def _heaviest_increasing(values: list[int], weights: list[int], size: int) -> set[int]:
    """Indexes of a strictly increasing subsequence of ``values`` (each in ``range(size)``) with the
    largest total weight: a Fenwick tree of prefix maxima, O(n log n)."""
    tree: list[tuple[int, int]] = [(0, -1)] * (size + 1)  # (best total, index ending it)
    previous = [-1] * len(values)
    best: list[int] = [0] * len(values)
    for n, value in enumerate(values):
        total, at = 0, -1
        k = value  # prefix max over values < value: positions 1..value
        while k > 0:
            if tree[k][0] > total:
                total, at = tree[k]
            k -= k & -k
        previous[n], best[n] = at, total + weights[n]
        k = value + 1
        while k <= size:
            if best[n] > tree[k][0]:
                tree[k] = (best[n], n)
            k += k & -k
    if not values:
        return set()
    end = max(range(len(values)), key=lambda n: best[n])
    out: set[int] = set()
    while end != -1:
        out.add(end)
        end = previous[end]
    return out


def remember(
    store: Store,
    connection: str,
    scope: str,
    observed: list[str],
    ranks: Mapping[str, str | None],
    scores: Mapping[str, float],
    precision: float,
    respect: bool,
    save: bool = True,
) -> ScopeMemory:
    """Detect the items a person moved since the previous plan, update the pins, remember this order
    (unless ``save`` is False: a what-if plan leaves the memory as it was)."""
    memory = ScopeMemory()
    previous = store.scope_order(connection, scope)
    present = set(observed)
    if previous is not None and respect:
        for nid, pinned_score in previous["pins"].items():
            if nid in present and nid in scores and abs(scores[nid] - pinned_score) <= precision:
                memory.pins[nid] = pinned_score
        expected, uncertain = expected_order(store, connection, scope, previous["at"], previous["items"])
        unchanged = {nid for nid in observed if previous["ranks"].get(nid) == ranks.get(nid)}
        # Items without a position then or now (not yet on a GitHub board) were placed, not moved.
        unplaced = {nid for nid in observed if previous["ranks"].get(nid) is None or ranks.get(nid) is None}
        memory.moved = moved_by_hand(expected, observed, unchanged, uncertain | unplaced)
        for nid in memory.moved:
            if nid in scores:
                memory.pins[nid] = scores[nid]
    if save:
        store.save_scope_order(connection, scope, observed, dict(ranks), memory.pins)
    return memory
