"""The tests' one item builder: an open, Jira-like issue ``ENG-<n>`` of connection ``j``, every field
overridable by keyword. Feedback, other trackers and other keys are the same call with other values."""

from __future__ import annotations

from sync.model import Item


def item(n: int | str, connection: str = "j", **fields: object) -> Item:
    values: dict[str, object] = {
        "uid": f"{connection}:{n}",
        "connection": connection,
        "source": "jira",
        "native_id": str(n),
        "key": f"ENG-{n}",
        "kind": "issue",
        "title": f"Item {n}",
        "status": "To Do",
        "status_category": "todo",
        "updated_at": "2026-10-01T00:00:00Z",
        "created_at": "2026-09-01T00:00:00Z",
    }
    values.update(fields)
    return Item(**values)  # type: ignore[arg-type]


def feedback(n: int | str, connection: str = "z", **fields: object) -> Item:
    """An open help-desk ticket ``#<n>`` (a feedback item)."""
    defaults: dict[str, object] = {
        "source": "zendesk",
        "key": f"#{n}",
        "kind": "feedback",
        "title": "please",
        "status": "open",
        "updated_at": "2026-10-02T00:00:00Z",
        "created_at": "2026-10-02T00:00:00Z",
    }
    return item(n, connection, **(defaults | fields))
