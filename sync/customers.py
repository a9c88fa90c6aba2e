"""``rankbridge customers``: the customer identities of the store (one per organisation across trackers),
with the records each merges, tier, ARR and how many requests count for it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table

from rules.customers import Identities
from sync.config import Config
from sync.model import Kind
from sync.store import Store


def customer_report(store: Store, config: Config) -> list[dict[str, Any]]:
    """One row per customer identity, largest ARR first."""
    snapshot = store.snapshot()
    identities = Identities(snapshot.customers, config.customers)
    requests: Counter[str] = Counter()
    for item in snapshot.items:
        if item.kind == Kind.FEEDBACK.value and not item.deleted:
            identity = identities.of(item)
            if identity is not None:
                requests[identity.id] += 1
    return [identity.as_dict() | {"requests": requests[identity.id]} for identity in identities.all]


def customers_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"Customers: {len(rows)}")
    for column in ("customer", "tier", "ARR", "size", "requests", "sources"):
        table.add_column(column, justify="right" if column in ("ARR", "size", "requests") else "left")
    for row in rows:
        sources = ", ".join(f"{s['uid']} ({s['name']})" for s in row["sources"])
        table.add_row(
            row["name"],
            row["tier"] or "",
            f"${row['arr']:,.0f}" if row["arr"] else "",
            "" if row["size"] is None else str(row["size"]),
            str(row["requests"]),
            sources,
        )
    return table
