"""Small builders for the worked examples of the rules engine."""

from __future__ import annotations

from datetime import UTC, datetime

from sync.model import Customer, Item, Link
from tests.builders import feedback, item

NOW = datetime(2026, 11, 1, tzinfo=UTC)

CUSTOMERS = [
    Customer("z:acme", "z", "Acme", "enterprise", 120_000.0),
    Customer("z:beta", "z", "Beta", "starter", 5_000.0),
    Customer("z:cola", "z", "Cola", "growth", 30_000.0),
    Customer("z:dyna", "z", "Dyna", "enterprise", 200_000.0),
]


SOURCES = {"j": "jira", "l": "linear", "g": "github"}  # the one-letter connections of the worked examples


def issue(n: int, connection: str = "j", **extra: object) -> Item:
    defaults: dict[str, object] = {
        "source": SOURCES.get(connection, "jira"),
        "key": f"{connection.upper()}-{n}",
        "container": "ENG",
    }
    return item(n, connection, **(defaults | extra))


def ticket(n: int, org: str, *targets: str, **extra: object) -> tuple[Item, list[Link]]:
    request = feedback(f"t{n}", key=f"#{n}", organization=org, **extra)
    return request, [Link(src_uid=request.uid, type="requests", origin="api", dst_uid=t) for t in targets]


def mirror(a: str, b: str) -> Link:
    return Link(src_uid=a, type="mirrors", origin="api", dst_uid=b)
