"""``rankbridge status``: per connection last run, lag, cursors, errors, pending ops, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sync.engine import Engine


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
            }
        )
    return {"connections": rows, "counts": store.counts()}
