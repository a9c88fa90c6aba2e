"""``rankbridge status``: per connection last run, lag, cursors, errors, pending ops, quarantine, manual
overrides (from the latest plan), and who holds the store (a running daemon)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sync.daemon.lock import current_holder
from sync.engine import Engine
from sync.store import Store


def manual_overrides(store: Store) -> dict[str, list[str]]:
    """The latest plan's respected manual overrides by connection (notes read ``kept <key> <field> …``)."""
    plans = [r for r in store.runs("plan", limit=1) if r["finished_at"]]
    stats = json.loads(plans[0]["stats"] or "{}") if plans else {}
    notes: list[str] = stats.get("manual_overrides", [])
    out: dict[str, list[str]] = {}
    connections: list[str] = stats.get("manual_override_connections", [])
    if len(connections) == len(notes):  # the planner says which connection each note is about
        for connection, note in zip(connections, notes, strict=True):
            out.setdefault(connection, []).append(note)
        return out
    for note in notes:
        parts = note.split(" ", 2)
        item = store.item(parts[1]) if len(parts) > 1 else None
        out.setdefault(item.connection if item else "", []).append(note)
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
    rows = []
    for name in engine.config.connections:
        runs = [r for r in store.runs("pull", limit=200) if r["connection"] == name]
        last = runs[0] if runs else None
        success = store.last_success("pull", name)
        rows.append(
            {
                "name": name,
                "type": engine.config.connections[name].type,
                "last_pull": last["finished_at"] if last else None,
                "last_status": last["status"] if last else None,
                "lag_seconds": _age_seconds(success["finished_at"]) if success else None,
                "error": last["error"] if last else None,
                "cursors": [
                    {"stream": c["stream"], "value": c["value"]} for c in cursors if c["connection"] == name
                ],
                "pending_ops": sum(1 for op, _ in pending if op.connection == name),
                "failed_ops": [row["error"] for op, row in pending if op.connection == name and row["error"]][
                    :10
                ],
                "quarantined": sum(1 for q in quarantined if q["connection"] == name),
                "manual_overrides": overrides.get(name, []),
            }
        )
    holder = current_holder(engine.config.store.path)
    return {
        "store": str(engine.config.store.path),
        "connections": rows,
        "counts": store.counts(),
        "daemon": holder.describe() if holder else None,
    }
