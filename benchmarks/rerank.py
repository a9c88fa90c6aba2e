"""Re-rank writes: after 20 items' inputs change, the calls the push makes vs one call per moved item."""

from __future__ import annotations

import random
from typing import Any

from benchmarks.harness import ITEMS, bench

CHANGED = 20
RANK_WRITE = {"jira": "/rest/agile/1.0/issue/rank", "github": "/graphql", "linear": "/graphql"}


def run(service: str, items: int = ITEMS, changed: int = CHANGED) -> dict[str, Any]:
    with bench([service], items) as b, b.engine() as engine:
        engine.sync()
        engine.sync()
        candidates = [i for i in b.box.state(service)["items"] if i.get("order") is not None]
        for target in random.Random(3).sample(candidates, min(changed, len(candidates))):
            labels = [*target.get("labels", []), "security"]
            b.box.edit(service, {"key": target["key"], "set": {"labels": labels}})
        engine.pull()
        engine.rank()
        plan, _ = engine.plan()
        b.box.reset(service)
        engine.push()
        log = b.requests(service)
    rank_ops = [o for o in plan.ops if o.kind == "rank"]
    rank_calls = sum(1 for r in log if r["mutating"] and r["path"] == RANK_WRITE[service]
                     and (r["operation"] is None or "osition" in r["operation"].get("name", "")
                          or "sortOrder" in str(r["operation"]) or service == "linear"))
    return {
        "service": service,
        "items": items,
        "changed_inputs": changed,
        "planned_rank_ops": len(rank_ops),
        "moved_items": sum(len(o.payload["items"]) for o in rank_ops),
        "rank_write_calls": rank_calls,
        "naive_calls": plan.naive_rank_writes,
        "all_write_calls": sum(1 for r in log if r["mutating"]),
    }
