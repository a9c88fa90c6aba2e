"""One stored time format (milliseconds, ``Z``) for every service, and the migration that brings stores of
the earlier release there (their Zendesk timestamps were whole seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from connectors.zendesk.normalize import zendesk_time
from sync.model import parse_utc, utc_iso
from sync.store import Store
from sync.store.migrations import MIGRATIONS


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2024-05-01T09:30:00Z", "2024-05-01T09:30:00.000Z"),
        ("2024-05-01T09:30:00.123456Z", "2024-05-01T09:30:00.123Z"),
        ("2024-05-01T11:30:00.000+0200", "2024-05-01T09:30:00.000Z"),  # Jira's offset without a colon
        ("2024-05-01T02:30:00-07:00", "2024-05-01T09:30:00.000Z"),
        ("2024-05-01T09:30:00", "2024-05-01T09:30:00.000Z"),  # naive: taken as UTC
    ],
)
def test_every_form_is_stored_one_way(text: str, stored: str) -> None:
    assert utc_iso(parse_utc(text)) == stored


def test_utc_iso_converts_zones_and_sorts_as_time() -> None:
    late_west = datetime(2024, 5, 1, 2, 30, tzinfo=timezone(timedelta(hours=-7)))
    early_utc = datetime(2024, 5, 1, 9, 29, 59, 999000, tzinfo=UTC)
    assert utc_iso(late_west) == "2024-05-01T09:30:00.000Z"
    assert utc_iso(early_utc) < utc_iso(late_west)


def test_zendesk_timestamps_are_stored_in_milliseconds() -> None:
    assert zendesk_time("2024-05-01T09:30:00Z") == "2024-05-01T09:30:00.000Z"
    assert zendesk_time("2024-05-01T11:30:00+02:00") == "2024-05-01T09:30:00.000Z"
    assert zendesk_time(None) is None


def test_a_store_of_the_earlier_release_gets_zendesk_timestamps_in_milliseconds(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    names = [name for name, _ in MIGRATIONS]
    before = names.index("008_zendesk_milliseconds")
    for name, migration in MIGRATIONS[:before]:
        migration(db)
        db.table("_migrations", pk="name").insert({"name": name, "applied_at": "2026-01-01T00:00:00.000Z"})
    base = {"kind": "issue", "title": "t", "status": "open", "status_category": "todo", "deleted": 0}
    db["items"].insert_all(
        [
            {**base, "uid": "zd:1", "source": "zendesk", "connection": "zd", "key": "#1",
             "created_at": "2024-05-01T09:30:00Z", "updated_at": "2024-05-02T10:00:00Z", "due_date": None},
            {**base, "uid": "jira:1", "source": "jira", "connection": "jira", "key": "ENG-1",
             "created_at": "2024-05-01T09:30:00.250Z", "updated_at": "2024-05-02T10:00:00.500Z"},
        ]
    )  # fmt: skip
    db.close()
    store = Store(path)
    try:
        rows = {r["uid"]: r for r in store.iter_table("items")}
        assert (rows["zd:1"]["created_at"], rows["zd:1"]["updated_at"], rows["zd:1"]["due_date"]) == (
            "2024-05-01T09:30:00.000Z",
            "2024-05-02T10:00:00.000Z",
            None,
        )
        assert rows["jira:1"]["updated_at"] == "2024-05-02T10:00:00.500Z"
        assert store.migrate() == []
    finally:
        store.close()
