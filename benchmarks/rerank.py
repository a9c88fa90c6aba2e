"""Re-rank writes: after 20 items' inputs change, the order-write calls the push makes vs the naive count
(one call per item whose position differs), on a store already in step with its tracker."""

from __future__ import annotations

import random
from typing import Any

from benchmarks.emulators import Remote
from connectors.registry import service_types
from sync.engine import Engine

CHANGED = 20
ORDERED = tuple(service_types(ranks=True))  # the services with rank scopes
# A rule the edits below trigger: the edited items gain "security" and their scores rise.
RULES = {"scoring": {"adjust": [{"name": "security first", "when": "'security' in labels", "multiply": 3.0}]}}


def run(engine: Engine, remote: Remote, service: str, items: int, changed: int = CHANGED) -> dict[str, Any]:
    candidates = [i for i in remote.state(service)["items"] if i.get("order") is not None]
    candidates = [i for i in candidates if "security" not in i.get("labels", [])]
    for target in random.Random(3).sample(candidates, min(changed, len(candidates))):
        remote.edit(
            service, {"key": target["key"], "set": {"labels": [*target.get("labels", []), "security"]}}
        )
    engine.pull()
    engine.rank()
    plan, plan_id = engine.plan()
    rank_ops = [o for o in plan.ops if o.kind == "rank"]
    engine.store.stage_ops(plan_id, rank_ops)  # the order writes alone
    remote.reset(service)
    report = engine.push()
    log = remote.requests(service)
    return {
        "service": service,
        "items": items,
        "changed_inputs": changed,
        "planned_rank_ops": len(rank_ops),
        "moved_items": sum(len(o.payload["items"]) for o in rank_ops),
        "rank_write_calls": sum(1 for r in log if r["mutating"]),
        "naive_calls": plan.naive_rank_writes,
        "push_errors": len(report.errors),
    }
