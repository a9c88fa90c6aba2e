"""The sample world of the README's evidence examples (section "Evidence PMs ask for"): epic ENG-1 asked for
by three requests, its story ENG-2 by one, on 1 November 2026."""

from __future__ import annotations

from datetime import UTC, datetime

from sync.model import Customer, Item, Link
from tests.builders import feedback, item

NOW = datetime(2026, 11, 1, tzinfo=UTC)

CUSTOMERS = [
    Customer(
        "zendesk:acme",
        "zendesk",
        "Acme",
        "enterprise",
        120_000.0,
        fields={"renewal_date": "2026-11-21", "churn_risk": "high", "region": "EMEA"},
    ),
    Customer("linear:acme", "linear", "ACME", None, 100_000.0),  # the same customer, in Linear
    Customer("zendesk:globex", "zendesk", "Globex", "growth", 30_000.0, fields={"churn_risk": "low"}),
]


def _work(n: int, kind: str, parent: str | None = None) -> Item:
    return item(n, "jira", kind=kind, title=f"Work {n}", container="ENG", parent_uid=parent)


def _request(n: int, org: str, created: str, priority: str | None, labels: list[str]) -> Item:
    connection = org.split(":")[0]
    return feedback(
        f"r{n}",
        connection,
        source=connection,
        key=f"#{n}",
        updated_at=created,
        created_at=created,
        organization=org,
        priority=priority,
        labels=labels,
    )


REQUESTS = [
    _request(1, "zendesk:acme", "2026-10-22T00:00:00Z", "urgent", []),  # 10 days old
    _request(2, "linear:acme", "2026-08-03T00:00:00Z", "important", []),  # a Linear need, 90 days
    _request(3, "zendesk:globex", "2026-05-05T00:00:00Z", "normal", ["vip"]),  # 180 days
    _request(4, "zendesk:globex", "2026-10-31T00:00:00Z", "low", []),  # asks for the story
]
ITEMS = [_work(1, "epic"), _work(2, "issue", parent="jira:1"), *REQUESTS]
LINKS = [
    *(Link(r.uid, "requests", "api", dst_uid="jira:1") for r in REQUESTS[:3]),
    Link(REQUESTS[3].uid, "requests", "api", dst_uid="jira:2"),
]
