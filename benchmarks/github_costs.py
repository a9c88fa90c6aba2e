"""Request-count measurements of the GitHub connector against its emulator, shared by tests and benchmarks.

* :func:`full_pull_cost` - a first pull of ``issues`` issues: list pages sent vs ``ceil(listed / 100)``.
* :func:`rerank_cost` - a ``size``-item project where ``moved`` items change place: position mutations
  sent vs items moved (the planner keeps the longest increasing subsequence in place).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

from connectors.github import GithubConfig, GithubConnector
from sandbox.github.emulator import GithubEmulator
from sandbox.serving import serve
from sync.model import Op, OpKind
from sync.plan.moves import minimal_moves

TOKEN = "ghp_measure_token"
FAST_POLICY = {"base_wait": 0.01, "max_wait": 5.0, "timeout": 30.0, "min_write_interval": 0.0}


def connector_for(emulator: GithubEmulator, **overrides: Any) -> GithubConnector:
    settings = {**emulator.connection_config(), "token": emulator.token, "policy": FAST_POLICY, **overrides}
    return GithubConnector("github", GithubConfig(**settings))


def full_pull_cost(issues: int = 1000, seed: int = 7) -> dict[str, Any]:
    emulator = GithubEmulator(TOKEN)
    served = serve(emulator)
    try:
        emulator.generate(issues, seed, [])
        connector = connector_for(emulator)
        started = datetime.now(UTC)
        pulled = 0
        for stream in connector.streams():
            if stream.startswith("issues:"):
                pulled += sum(len(page.payloads) for page in connector.pull(stream, None, started))
        connector.close()
        listed = sum(1 for i in emulator.world.issues.values())
        pages = sum(1 for r in emulator.log if r["method"] == "GET" and r["path"].endswith("/issues"))
        repos = len(emulator.world.repos)
        return {
            "issues": issues,
            "listed_with_pull_requests": listed,
            "issues_pulled": pulled,
            "list_pages": pages,
            "ideal_pages": math.ceil(listed / 100),
            "bound": math.ceil(listed / 100) + repos,
            "requests": connector.request_count(),
        }
    finally:
        served.stop()


def shuffled(order: list[str], moved: int, seed: int) -> list[str]:
    """``order`` with ``moved`` items taken out and put back at random places."""
    rng = random.Random(seed)
    desired = list(order)
    for native_id in rng.sample(order, moved):
        desired.remove(native_id)
        desired.insert(rng.randrange(len(desired) + 1), native_id)
    return desired


def rerank_cost(size: int = 300, moved: int = 10, seed: int = 7) -> dict[str, Any]:
    emulator = GithubEmulator(TOKEN)
    served = serve(emulator)
    try:
        emulator.generate(int(size * 1.6) + 20, seed, [])
        emulator.truncate_project(size)
        connector = connector_for(emulator)
        scope = connector.scopes()[0].name
        current = connector.current_order(scope)
        desired = shuffled(current, moved, seed)
        emulator.log.clear()
        ops: list[Op] = []
        for move in minimal_moves(current, desired, 1):
            payload: dict[str, Any] = {
                "items": move.items,
                "after": move.after,
                "before": move.before,
                "ranks": {},
            }
            ops.append(Op("github", OpKind.RANK, scope, payload, {}, "measure", f"rank-{len(ops)}"))
        results = [connector.apply(op) for op in ops]
        mutations = [r for r in emulator.log if r["mutating"]]
        final = [e.key for e in emulator.board()]
        connector.close()
        return {
            "project_items": len(current),
            "items_moved": moved,
            "rank_ops": len(ops),
            "position_mutations": sum(
                1 for r in mutations if (r["operation"] or {}).get("name") == "UpdateItemPosition"
            ),
            "all_writes": len(mutations),
            "all_ok": all(r.ok for r in results),
            "order_matches": final == desired,
        }
    finally:
        served.stop()
