"""Rank: run the rules engine over a store snapshot and keep scores, ranks and explanations."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import Connector
from rules.capacity import tracker_cycle
from rules.engine import RankResult, RulesEngine
from rules.explain import components, explain
from rules.roadmap import AlignmentReport, alignment_report
from sync.config import Config
from sync.model import Item
from sync.store.records import Snapshot, Store


@dataclass
class RankOutcome:
    run_id: int  # 0 when the ranking was not saved
    result: RankResult
    previous: dict[str, dict[str, Any]]
    rows: list[dict[str, Any]]  # score rows as the store keeps them, best first

    def changed(self) -> int:
        """Items whose rank or score differs from the previous run."""
        out = 0
        for s in self.result.scores:
            before = self.previous.get(s.uid)
            if before is None or before["rank"] != s.rank or abs(before["score"] - s.score) > 1e-9:
                out += 1
        return out


UNRANKED = 1 << 30


def tie_break(
    items: list[Item], connectors: Mapping[str, Connector], previous: Mapping[str, int | None] | None = None
) -> dict[str, tuple[int, ...]]:
    """Equal scores keep the order the trackers already have, so ties cause no writes.

    Ties across trackers keep the previous run's unified order: within each scope the previous unified
    ranks of its members are handed out again in the tracker's order (the first item in the tracker takes
    the smallest), so a push that reorders one tracker never reshuffles ties between trackers (which would
    change every unified rank written into a field)."""
    grouped: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in items:
        connector = connectors.get(item.connection)
        scope = connector.scope_of(item) if connector else None
        if connector is not None and scope is not None:
            grouped[(item.connection, scope)].append(item)
    ties: dict[str, tuple[int, ...]] = {}
    for (connection, _), members in grouped.items():
        members.sort(key=connectors[connection].order_key)
        slots = sorted(r for r in ((previous or {}).get(i.uid) for i in members) if r is not None)
        for position, item in enumerate(members):
            ties[item.uid] = (slots[position] if position < len(slots) else UNRANKED, position)
    return ties


def rules_engine(config: Config) -> RulesEngine:
    """The rules engine of a config: scoring, roadmap, capacity and customer identities."""
    return RulesEngine(config.scoring, config.roadmap, config.capacity, config.customers)


# Native attributes a write-back also changes (Linear's priority, written from rank).
WRITTEN_INPUTS = {"priority": "priority_level"}
PERSON_PRIORITY = "priority_by_person"  # the tracker's record of the priority a person last set


def without_our_output(items: list[Item], originals: dict[tuple[str, str], tuple[Any, Any]]) -> None:
    """Where a tracker still shows a value we wrote, rules read the value a person had set before:
    otherwise our output would feed our input and the ranking would chase its own tail."""
    for item in items:
        for name, attribute in WRITTEN_INPUTS.items():
            ours = originals.get((item.uid, name))
            if ours is None or item.fields.get(name) != ours[0] or ours[1] is None:
                continue
            item.fields[name] = ours[1]
            setattr(item, attribute, ours[1])


def person_snapshot(store: Store) -> Snapshot:
    """The store as the rules must see it: every field we write shows the value a person last set.

    Where that value comes from: our journal remembers, per item and field, the value our first write
    replaced (``pushed.original``) and keeps it while the tracker still shows our value; a person's later
    edit replaces both. A store that never saw our writes (a fresh store, reading trackers another store
    wrote to) gets it from the tracker's own history: the Linear connector reads each issue's priority
    history where it writes priority, and the latest change by anyone but us is the person's value
    (``fields["priority_by_person"]``, :func:`connectors.linear.normalize.priority_by_person`)."""
    snapshot = store.snapshot()
    for item in snapshot.items:
        by_person = item.fields.get(PERSON_PRIORITY)
        if isinstance(by_person, int) and not isinstance(by_person, bool):
            item.fields["priority"] = by_person
            item.priority_level = by_person
    without_our_output(snapshot.items, store.originals())
    return snapshot


def name_tracker_cycles(result: RankResult, store: Store) -> None:
    """Each cut line names the tracker's own cycle it counts against, where the tracker keeps cycles."""
    if not result.capacity:
        return
    cycles, today = store.cycles(), datetime.now(UTC).date()
    for line in result.capacity.values():
        line.tracker_cycle = tracker_cycle(cycles, line.connection, line.container, today)


def rank(store: Store, config: Config, connectors: Mapping[str, Connector], save: bool = True) -> RankOutcome:
    """Score and rank the store; every member of a mirror group gets the group's score and rank (the
    planner then puts each tracker's copy at that position). ``save=False`` writes nothing to the store."""
    engine = rules_engine(config)
    snapshot = person_snapshot(store)
    run_id = store.start_run("rank") if save else 0
    previous = {row["uid"]: row for row in store.scores()}
    result = engine.rank(
        snapshot.items,
        snapshot.links,
        snapshot.customers,
        tie_break(snapshot.items, connectors, {uid: row["rank"] for uid, row in previous.items()}),
    )
    name_tracker_cycles(result, store)
    rows = [
        {
            "uid": s.uid,
            "score": s.score,
            "rank": s.rank,
            "framework": s.framework,
            "components": json.dumps(components(s, previous.get(s.uid)), default=str),
            "explanation": explain(s, previous.get(s.uid)),
        }
        for s in result.scores
    ]
    if save:
        store.save_scores(run_id, rows)
        stats = {
            "ranked": len(rows),
            "excluded": len(result.excluded),
            "errors": len(result.errors),
            # What the HTML report shows of this run: the roadmap alignment and each team's cut line.
            "alignment": alignment_report(result, config.roadmap).as_dict(),
            "capacity": {name: line.as_dict() for name, line in result.capacity.items()},
        }
        store.finish_run(run_id, "ok", stats)
    return RankOutcome(run_id, result, previous, sorted(rows, key=_rank_order))


def _rank_order(row: dict[str, Any]) -> tuple[bool, int, str]:
    """The store's order of score rows: by rank, unranked last, then by uid."""
    return (row["rank"] is None, row["rank"] or 0, row["uid"])


def alignment(store: Store, config: Config) -> AlignmentReport:
    """The roadmap alignment report over the store as it is now (scores computed, nothing saved)."""
    engine = rules_engine(config)
    snapshot = person_snapshot(store)
    result = engine.rank(snapshot.items, snapshot.links, snapshot.customers)
    return alignment_report(result, config.roadmap)
