"""Small builders for the worked examples of the rules engine."""

from __future__ import annotations

from datetime import UTC, datetime

from sync.model import Customer, Item, Link

NOW = datetime(2026, 11, 1, tzinfo=UTC)

CUSTOMERS = [
    Customer("z:acme", "z", "Acme", "enterprise", 120_000.0),
    Customer("z:beta", "z", "Beta", "starter", 5_000.0),
    Customer("z:cola", "z", "Cola", "growth", 30_000.0),
    Customer("z:dyna", "z", "Dyna", "enterprise", 200_000.0),
]


def issue(n: int, connection: str = "j", **extra: object) -> Item:
    base: dict[str, object] = dict(
        uid=f"{connection}:{n}",
        connection=connection,
        source={"j": "jira", "l": "linear", "g": "github"}.get(connection, "jira"),
        native_id=str(n),
        key=f"{connection.upper()}-{n}",
        kind="issue",
        title=f"Item {n}",
        status="To Do",
        status_category="todo",
        updated_at="2026-10-01T00:00:00Z",
        created_at="2026-09-01T00:00:00Z",
        container="ENG",
    )
    base.update(extra)
    return Item(**base)  # type: ignore[arg-type]


def ticket(n: int, org: str, *targets: str, **extra: object) -> tuple[Item, list[Link]]:
    feedback = Item(
        uid=f"z:t{n}",
        connection="z",
        source="zendesk",
        native_id=f"t{n}",
        key=f"#{n}",
        kind="feedback",
        title="please",
        status="open",
        status_category="todo",
        updated_at="2026-10-02T00:00:00Z",
        created_at="2026-10-02T00:00:00Z",
        organization=org,
        **extra,  # type: ignore[arg-type]
    )
    return feedback, [Link(src_uid=feedback.uid, type="requests", origin="api", dst_uid=t) for t in targets]


def mirror(a: str, b: str) -> Link:
    return Link(src_uid=a, type="mirrors", origin="api", dst_uid=b)
