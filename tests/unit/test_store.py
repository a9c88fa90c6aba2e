"""The store over both backends (SQLite and PostgreSQL, the ``backend`` fixture): pages with their cursor,
page batches, links, quarantine and named migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlite_utils

from sync.model import Customer, Cycle, Link, Records, Team
from sync.references import resolve_links
from sync.store import Store
from sync.store.base import PageBatch
from sync.store.migrations import MIGRATIONS, POSTGRES
from sync.store.sqlite import SqliteBackend
from tests.builders import feedback, item


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    opened = Store(store_location)
    yield opened
    opened.close()


def test_migrations_are_named_and_applied_once(store_location: str) -> None:
    first = Store(store_location)
    assert first.sql.applied_migrations() == [name for name, _ in MIGRATIONS]
    first.close()
    again = Store(store_location)
    assert again.migrate() == []
    again.close()


def test_both_dialects_have_every_migration() -> None:
    assert list(POSTGRES) == [name for name, _ in MIGRATIONS]


def test_a_store_of_the_earlier_release_keeps_its_migration_record(tmp_path: Path) -> None:
    """A store that recorded its migrations in its own ``_migrations`` table (before sqlite-utils'
    Migrations) has them copied over once, with their times, and none runs twice; a later migration runs."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    old, later = MIGRATIONS[:-1], MIGRATIONS[-1]
    for n, (name, migration) in enumerate(old):
        migration(db)  # a second run would fail: the tables exist
        db.table("_migrations").insert({"name": name, "applied_at": f"2026-0{n + 1}-01T00:00:00.000Z"})
    db.close()
    store = Store(path)
    assert isinstance(store.sql, SqliteBackend)
    try:
        rows = list(store.sql.db["_sqlite_migrations"].rows_where(order_by="id"))
        assert [r["name"] for r in rows] == [name for name, _ in MIGRATIONS]
        assert rows[0]["applied_at"] == "2026-01-01T00:00:00.000Z"
        legacy_times = {f"2026-0{n + 1}-01T00:00:00.000Z" for n in range(len(old))}
        assert rows[-1]["name"] == later[0] and rows[-1]["applied_at"] not in legacy_times
        assert not store.sql.db["_migrations"].exists()
        assert store.migrate() == []
    finally:
        store.close()


def test_page_and_cursor_commit_together_and_unchanged_records_change_nothing(store: Store) -> None:
    stats = store.write_page("j", "issues", Records(items=[item(1), item(2)]), [], "c1")
    assert (stats.changed, store.cursor("j", "issues")) == (2, "c1")
    again = store.write_page("j", "issues", Records(items=[item(1), item(2, title="renamed")]), [], "c2")
    assert (again.changed, again.unchanged) == (1, 1)
    assert store.item("ENG-2").title == "renamed"  # type: ignore[union-attr]


def refuse_bad_arr(store: Store) -> None:
    """Make the store refuse a customer whose ``arr`` is not a number (PostgreSQL's column type does)."""
    if isinstance(store.sql, SqliteBackend):
        store.sql.execute(
            "create trigger no_lots before insert on customers when new.arr = 'lots' "
            "begin select raise(abort, 'bad arr'); end"
        )


BAD_ARR = r"bad arr|invalid input syntax for type double precision"


def test_a_failing_page_leaves_neither_records_nor_cursor(store: Store) -> None:
    bad = Records(items=[item(1)], customers=[Customer("c", "z", "Acme", arr="lots")])  # type: ignore[arg-type]
    refuse_bad_arr(store)
    with pytest.raises(Exception, match=BAD_ARR):
        store.write_page("j", "issues", bad, [], "c9")
    assert store.items() == [] and store.cursor("j", "issues") is None


def test_a_second_stream_keeps_rank_and_merges_fields(store: Store) -> None:
    store.write_page(
        "g",
        "project",
        Records(items=[item(1, native_rank="0003", fields={"project_item_id": "P1"})]),
        [],
        None,
    )
    store.write_page("g", "issues", Records(items=[item(1, fields={"milestone": "v2"})]), [], None)
    stored = store.item("ENG-1")
    assert stored is not None
    assert stored.native_rank == "0003"
    assert stored.fields == {"project_item_id": "P1", "milestone": "v2"}


def test_links_resolve_when_the_other_side_arrives(store: Store) -> None:
    ticket = feedback(9, title="t", updated_at="2026-10-01T00:00:00Z", created_at=None)
    links = [
        Link("z:9", "requests", "text", dst_ref="key:ENG-1"),
        Link("z:9", "requests", "text", dst_ref="url:https://x/browse/ENG-2"),
    ]
    store.write_page("z", "tickets", Records(items=[ticket], links=links), [], None)
    assert resolve_links(store).changed == 0
    store.write_page("j", "issues", Records(items=[item(1), item(2, url="https://x/browse/ENG-2")]), [], None)
    assert resolve_links(store).changed == 2
    assert {link.dst_uid for link in store.links()} == {"j:1", "j:2"}


def test_quarantined_payloads_are_kept_with_their_reason(store: Store) -> None:
    store.write_page("j", "issues", Records(), [], "c", [({"id": "x"}, "no fields")])
    (row,) = store.quarantine()
    assert row["reason"] == "no fields" and row["connection"] == "j"


def _seen_elsewhere(location: str) -> list[str]:
    """What another connection (another process) sees committed."""
    other = Store(location)
    try:
        return sorted(i.key for i in other.items())
    finally:
        other.close()


def _write(store: Store, batch: PageBatch, records: Records, cursor: str) -> None:
    batch.add(len(records.items))
    store.write_page("j", "issues", records, [], cursor)
    batch.written()


def test_a_page_batch_commits_whole_pages_when_full(store: Store, store_location: str) -> None:
    with store.page_batch(max_records=3, max_seconds=3600) as batch:
        _write(store, batch, Records(items=[item(1), item(2)]), "c1")
        assert _seen_elsewhere(store_location) == []  # two records: not yet committed
        _write(store, batch, Records(items=[item(3)]), "c2")
        assert _seen_elsewhere(store_location) == [
            "ENG-1",
            "ENG-2",
            "ENG-3",
        ]  # three: committed with cursor c2
        _write(store, batch, Records(items=[item(4)]), "c3")
        assert _seen_elsewhere(store_location) == ["ENG-1", "ENG-2", "ENG-3"]
    assert _seen_elsewhere(store_location) == ["ENG-1", "ENG-2", "ENG-3", "ENG-4"]  # the end commits the rest
    assert store.cursor("j", "issues") == "c3"


def test_a_page_batch_commits_when_old_enough(store: Store, store_location: str) -> None:
    with store.page_batch(max_records=10**6, max_seconds=0) as batch:
        _write(store, batch, Records(items=[item(1)]), "c1")
        assert _seen_elsewhere(store_location) == ["ENG-1"]


def test_a_page_failing_in_a_batch_rolls_back_alone_and_earlier_pages_commit(
    store: Store, store_location: str
) -> None:
    bad = Records(items=[item(2)], customers=[Customer("c", "z", "Acme", arr="lots")])  # type: ignore[arg-type]
    refuse_bad_arr(store)
    with pytest.raises(Exception, match=BAD_ARR), store.page_batch(max_records=100) as batch:
        _write(store, batch, Records(items=[item(1)]), "c1")
        _write(store, batch, bad, "c2")
    assert _seen_elsewhere(store_location) == ["ENG-1"] and store.cursor("j", "issues") == "c1"
    assert not store.sql.in_transaction


def test_a_nul_character_from_a_tracker_is_stored_and_a_reread_changes_nothing(store: Store) -> None:
    """JSON allows ``\\u0000`` in a title; PostgreSQL text cannot hold it (stored there as U+FFFD)."""
    store.write_page("j", "issues", Records(items=[item(1, title="before\x00after")]), [], "c1")
    again = store.write_page("j", "issues", Records(items=[item(1, title="before\x00after")]), [], "c2")
    assert (again.changed, again.unchanged) == (0, 1)
    stored = store.item("ENG-1")
    assert stored is not None and stored.title in ("before\x00after", "before\ufffdafter")


def test_teams_and_cycles_are_kept_and_updated_in_place(store: Store) -> None:
    """A tracker's teams and cycles (Linear's), written with a page, read back whole; a re-read cycle (now
    completed) replaces the stored one."""
    team = Team("l:t1", "l", "ENG", "Engineering", (("Todo", "todo"), ("Done", "done")), 2.0)
    running = Cycle("l:c2", "l", "ENG", 2, "Cycle 2", "2026-11-30T00:00:00.000Z", "2026-12-14T00:00:00.000Z")
    store.write_page("l", "teams", Records(teams=[team]), [], None)
    store.write_page("l", "cycles", Records(cycles=[running]), [], "c1")
    assert store.teams() == [team] and store.cycles() == [running]
    done = replace(running, completed_at="2026-12-14T00:00:00.000Z", deleted=True)
    store.write_page("l", "cycles", Records(cycles=[done]), [], "c2")
    assert store.cycles() == [done] and store.cursor("l", "cycles") == "c2"


def test_stores_opened_at_once_on_a_new_database_apply_each_migration_once(store_location: str) -> None:
    """Daemons starting together on an empty store: every one opens it, each migration runs once (PostgreSQL:
    under an advisory transaction lock; SQLite: its write lock)."""
    opened: list[list[str]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_store() -> None:
        start.wait()
        try:
            store = Store(store_location)
            opened.append(store.sql.applied_migrations())
            store.close()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert opened == [[name for name, _ in MIGRATIONS]] * 4
