"""Items for the unit tests: a Jira-like issue with overridable fields."""

from __future__ import annotations

from sync.model import Item


def item(n: int, **extra: object) -> Item:
    base: dict[str, object] = dict(
        uid=f"j:{n}",
        connection="j",
        source="jira",
        native_id=str(n),
        key=f"ENG-{n}",
        kind="issue",
        title=f"Item {n}",
        status="To Do",
        status_category="todo",
        updated_at="2026-10-01T00:00:00Z",
        created_at="2026-09-01T00:00:00Z",
    )
    base.update(extra)
    return Item(**base)  # type: ignore[arg-type]
