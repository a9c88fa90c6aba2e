"""``rankbridge status``: per connection last run, lag, cursors, errors, pending ops, quarantine, manual
overrides (from the latest plan), who holds the store (a running daemon) and its leases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sync.daemon.advisory import store_holder
from sync.daemon.lease import lease_holders
from sync.engine import Engine
from sync.presentation.people import human_age, pending_reason
from sync.references import last_resolution
from sync.store import Store


def manual_overrides(store: Store) -> dict[str, list[str]]:
    """The latest plan's respected manual overrides by connection, from the records the plan run stored."""
    plans = [r for r in store.runs("plan", limit=1) if r["finished_at"]]
    stats = json.loads(plans[0]["stats"] or "{}") if plans else {}
    out: dict[str, list[str]] = {}
    for kept in stats.get("manual_overrides", []):
        # A plan stored by an earlier release kept bare notes; the next plan replaces it with records.
        if isinstance(kept, dict):
            out.setdefault(kept["connection"], []).append(kept["note"])
    return out


def _age_seconds(stamp: str | None) -> int | None:
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return int((datetime.now(UTC) - moment).total_seconds())


def connection_status(engine: Engine) -> dict[str, Any]:
    store = engine.store
    cursors = store.cursors()
    pending = store.outbox()
    quarantined = store.quarantine()
    overrides = manual_overrides(store)
    pauses = store.pauses()
    holder = store_holder(engine.config.store)
    cut = interrupted(store, holder is not None)
    rows = []
    for name in engine.config.connections:
        runs = [r for r in store.runs("pull", limit=200) if r["connection"] == name]
        last = runs[0] if runs else None
        success = store.last_success("pull", name)
        lag = _age_seconds(success["finished_at"]) if success else None
        mine = [(op, row) for op, row in pending if op.connection == name]
        rows.append(
            {
                "name": name,
                "type": engine.config.connections[name].type,
                "last_pull": last["finished_at"] if last else None,
                "last_status": (last["status"] if last["id"] not in cut else "interrupted") if last else None,
                "lag_seconds": lag,
                "lag": human_age(lag),
                "error": last["error"] if last else None,
                "cursors": [
                    {"stream": c["stream"], "value": c["value"]} for c in cursors if c["connection"] == name
                ],
                "pending_ops": len(mine),
                "pending": [
                    {"op": op.reason, "state": row["state"], "why": pending_reason(row, pauses.get(name))}
                    for op, row in mine[:10]
                ],
                "failed_ops": [row["error"] for op, row in pending if op.connection == name and row["error"]][
                    :10
                ],
                "quarantined": sum(1 for q in quarantined if q["connection"] == name),
                "manual_overrides": overrides.get(name, []),
                "paused": (
                    {"undo_of": pauses[name]["undo_of"], "since": pauses[name]["at"]}
                    if name in pauses
                    else None
                ),
            }
        )
    return {
        "store": engine.config.store.describe(),
        "connections": rows,
        "counts": store.counts(),
        "links": last_resolution(store),
        "daemon": holder.describe() if holder else None,
        "leases": lease_holders(engine.config),
        "interrupted": list(cut.values()),
    }


def interrupted(store: Store, held: bool) -> dict[int, dict[str, Any]]:
    """Runs left "running" by a process that was stopped (Ctrl-C) or killed, by id. While a process holds
    the store, its latest run of each kind may really be running and is not counted."""
    running = [r for r in store.runs(limit=500) if r["status"] == "running" and not r["finished_at"]]
    if held:
        latest: dict[tuple[str, str | None], int] = {}
        for run in store.runs(limit=500):
            latest.setdefault((run["kind"], run["connection"]), run["id"])
        running = [r for r in running if latest.get((r["kind"], r["connection"])) != r["id"]]
    keys = ("id", "kind", "connection", "started_at")
    return {r["id"]: {k: r[k] for k in keys} for r in running}
