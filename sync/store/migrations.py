"""Named migrations of the store. Append new ones to :data:`MIGRATIONS` and their PostgreSQL DDL to
:data:`POSTGRES` under the same name; never edit one that has shipped.

SQLite: sqlite-utils' :class:`~sqlite_utils.migrations.Migrations` applies them and records each in its
``_sqlite_migrations`` table (set ``rankbridge``). Stores made before it kept the record in a table of
their own (``_migrations``); :func:`adopt_legacy_records` copies those records over once.

PostgreSQL: the same names, each a list of statements, applied and recorded in ``_migrations`` by
:mod:`sync.store.postgres`. Text columns use the "C" collation, so that text sorts and compares by code
point as in SQLite (ids, keys and ISO timestamps are compared as text), whatever the database's locale.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils
from sqlite_utils.migrations import Migrations

Migration = Callable[[sqlite_utils.Database], None]


def m001_initial(db: sqlite_utils.Database) -> None:
    db.table("items").create(
        {
            "uid": str,
            "connection": str,
            "source": str,
            "native_id": str,
            "key": str,
            "kind": str,
            "title": str,
            "body": str,
            "url": str,
            "status": str,
            "status_id": str,
            "status_category": str,
            "priority": str,
            "priority_level": int,
            "labels": str,
            "assignee": str,
            "requester": str,
            "organization": str,
            "parent_uid": str,
            "container": str,
            "estimate": float,
            "due_date": str,
            "created_at": str,
            "updated_at": str,
            "native_rank": str,
            "fields": str,
            "deleted": int,
            "content_hash": str,
            "stream": str,
            "pulled_at": str,
        },
        pk="uid",
    )
    db.table("items").create_index(["connection"])
    db.table("items").create_index(["key"])
    db.table("items").create_index(["url"])
    db.table("raw").create({"uid": str, "stream": str, "payload": str, "pulled_at": str}, pk="uid")
    db.table("links").create(
        {
            "id": str,
            "src_uid": str,
            "dst_uid": str,
            "dst_ref": str,
            "type": str,
            "origin": str,
            "stream": str,
        },
        pk="id",
    )
    db.table("links").create_index(["src_uid"])
    db.table("links").create_index(["dst_uid"])
    db.table("customers").create(
        {"uid": str, "connection": str, "name": str, "tier": str, "arr": float, "size": int}, pk="uid"
    )
    db.table("scores").create(
        {
            "uid": str,
            "run_id": int,
            "score": float,
            "rank": int,
            "framework": str,
            "components": str,
            "explanation": str,
        },
        pk="uid",
    )
    db.table("score_history").create(
        {"run_id": int, "uid": str, "score": float, "rank": int, "components": str}, pk=("run_id", "uid")
    )
    db.table("cursors").create(
        {"connection": str, "stream": str, "value": str, "updated_at": str}, pk=("connection", "stream")
    )
    db.table("runs").create(
        {
            "id": int,
            "kind": str,
            "connection": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "stats": str,
            "error": str,
        },
        pk="id",
    )
    db.table("outbox").create(
        {
            "key": str,
            "plan_id": int,
            "seq": int,
            "connection": str,
            "kind": str,
            "scope": str,
            "payload": str,
            "before": str,
            "reason": str,
            "state": str,
            "attempts": int,
            "error": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="key",
    )
    db.table("outbox").create_index(["state"])
    db.table("journal").create(
        {
            "id": int,
            "op_key": str,
            "run_id": int,
            "connection": str,
            "kind": str,
            "payload": str,
            "before": str,
            "after": str,
            "result": str,
            "detail": str,
            "at": str,
        },
        pk="id",
    )
    db.table("quarantine").create(
        {"id": str, "connection": str, "stream": str, "payload": str, "reason": str, "at": str}, pk="id"
    )
    db.table("pushed").create({"uid": str, "field": str, "value": str, "at": str}, pk=("uid", "field"))


def m002_journal_scope(db: sqlite_utils.Database) -> None:
    db.table("journal").add_column("scope", str)


def m003_pushed_original(db: sqlite_utils.Database) -> None:
    db.table("pushed").add_column("original", str)


def m004_scope_orders(db: sqlite_utils.Database) -> None:
    """Per rank scope, the order the latest plan observed, with native ranks and pinned items (the
    reference that tells a person's moves from ours, see :mod:`sync.plan.positions`)."""
    db.table("scope_orders").create(
        {"connection": str, "scope": str, "items": str, "ranks": str, "pins": str, "at": str},
        pk=("connection", "scope"),
    )


def m005_customer_identity(db: sqlite_utils.Database) -> None:
    """What ties one organisation's records in several trackers together (external ids, email domains),
    its organisation fields, and a request's email domain."""
    for column in ("external_ids", "domains", "fields"):
        db.table("customers").add_column(column, str)
    db.table("items").add_column("requester_domain", str)


def m006_pauses(db: sqlite_utils.Database) -> None:
    """Connections whose pushes wait after an undo, until `rankbridge resume` or a rules change."""
    db.table("pauses").create({"connection": str, "undo_of": int, "rules": str, "at": str}, pk="connection")


def m007_connection_writes(db: sqlite_utils.Database) -> None:
    """Per connection, when we last sent it a write: a plan for a connection is made only from a pull that
    started after that (see :meth:`sync.store.writelog.WriteLog.fresh`)."""
    db.table("connection_writes").create({"connection": str, "sent_at": str}, pk="connection")


def m008_zendesk_milliseconds(db: sqlite_utils.Database) -> None:
    """Zendesk timestamps in the one stored form (milliseconds, ``Z``, as every other service): stores made
    before kept Zendesk's whole seconds (``2024-05-01T09:30:00Z``), so ``updated_at`` held two formats and
    text comparison across services was off by the fraction."""
    for column in ("created_at", "updated_at", "due_date"):
        db.execute(
            f"update items set {column} = substr({column}, 1, 19) || '.000Z' "
            f"where source = 'zendesk' and {column} glob "
            "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'"
        )


def m009_full_reads(db: sqlite_utils.Database) -> None:
    """Per stream, when its last whole read (from no cursor) began that completed: the periodic re-read
    that finds deleted items is due ``full_read_hours`` after it (see :mod:`sync.pull.absence`)."""
    db.table("full_reads").create(
        {"connection": str, "stream": str, "started_at": str}, pk=("connection", "stream")
    )


def m010_connection_schedule(db: sqlite_utils.Database) -> None:
    """When each connection is pulled next, shared by every daemon of the store (it replaced the daemon's
    in-memory backoff): its interval, the next run, failures in a row and the last error; and whether a
    pull's changes still owe it a plan (``plan_owed``), so that whoever runs the stages next plans it."""
    db.table("connection_schedule").create(
        {
            "connection": str,
            "interval_seconds": int,
            "next_run_at": str,
            "failures": int,
            "last_error": str,
            "plan_owed": int,
            "updated_at": str,
        },
        pk="connection",
        defaults={"failures": 0, "plan_owed": 0},
        not_null={"interval_seconds", "next_run_at"},
    )


def m011_leases(db: sqlite_utils.Database) -> None:
    """Who holds each daemon lease (a PostgreSQL store's advisory locks; see :mod:`sync.daemon.pglease`):
    its name, connections, host, pid, server session, since when and its last heartbeat, for `status`."""
    db.table("leases").create(
        {
            "lease": int,
            "name": str,
            "connections": str,
            "host": str,
            "pid": int,
            "session_pid": int,
            "since": str,
            "heartbeat_at": str,
        },
        pk="lease",
    )


def m012_teams_and_cycles(db: sqlite_utils.Database) -> None:
    """Trackers' teams (name, workflow states, cycle length) and their cycles (dates, completion): the
    planning calendar a team's capacity is counted against."""
    db.table("teams").create(
        {"uid": str, "connection": str, "container": str, "name": str, "states": str, "cycle_weeks": float},
        pk="uid",
    )
    db.table("cycles").create(
        {
            "uid": str,
            "connection": str,
            "container": str,
            "number": int,
            "name": str,
            "starts_at": str,
            "ends_at": str,
            "completed_at": str,
            "updated_at": str,
            "deleted": int,
        },
        pk="uid",
    )
    db.table("cycles").create_index(["connection", "container"])


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_initial", m001_initial),
    ("002_journal_scope", m002_journal_scope),
    ("003_pushed_original", m003_pushed_original),
    ("004_scope_orders", m004_scope_orders),
    ("005_customer_identity", m005_customer_identity),
    ("006_pauses", m006_pauses),
    ("007_connection_writes", m007_connection_writes),
    ("008_zendesk_milliseconds", m008_zendesk_milliseconds),
    ("009_full_reads", m009_full_reads),
    ("010_connection_schedule", m010_connection_schedule),
    ("011_leases", m011_leases),
    ("012_teams_and_cycles", m012_teams_and_cycles),
]

SET_NAME = "rankbridge"
LEGACY_TABLE = "_migrations"  # where stores made before sqlite-utils' Migrations kept their record


def migration_set() -> Migrations:
    migrations = Migrations(SET_NAME)
    for name, migration in MIGRATIONS:
        migrations(name=name)(migration)
    return migrations


def adopt_legacy_records(db: sqlite_utils.Database, migrations: Migrations) -> None:
    """Copy a store's own migration record (names and times) into sqlite-utils' table, once, then drop it:
    the migrations it lists ran already and must not run again."""
    legacy = db.table(LEGACY_TABLE)
    if not legacy.exists():
        return
    migrations.ensure_migrations_table(db)
    known = {m.name for m in migrations.applied(db)}
    rows = [
        {"migration_set": SET_NAME, "name": row["name"], "applied_at": row["applied_at"]}
        for row in legacy.rows_where(order_by="rowid")
        if row["name"] not in known
    ]
    db.table(Migrations.migrations_table).insert_all(rows)
    legacy.drop()


TEXT = 'text collate "C"'
ID = "bigint generated by default as identity primary key"


def _table(name: str, columns: str, pk: str | None = None) -> str:
    """``create table`` for PostgreSQL from ``"name type, ..."`` (``T`` is text)."""
    spec = ", ".join(
        f"{column} {TEXT if kind == 'T' else kind}"
        for column, kind in (part.strip().split(" ", 1) for part in columns.split(","))
    )
    return f"create table {name} ({spec}" + (f", primary key ({pk})" if pk else "") + ")"


def _index(table: str, column: str) -> str:
    return f"create index idx_{table}_{column} on {table} ({column})"


INT, REAL = "bigint", "double precision"
POSTGRES: dict[str, list[str]] = {
    "001_initial": [
        _table(
            "items",
            "uid T, connection T, source T, native_id T, key T, kind T, title T, body T, url T, status T, "
            f"status_id T, status_category T, priority T, priority_level {INT}, labels T, assignee T, "
            f"requester T, organization T, parent_uid T, container T, estimate {REAL}, due_date T, "
            f"created_at T, updated_at T, native_rank T, fields T, deleted {INT}, content_hash T, "
            "stream T, pulled_at T",
            "uid",
        ),
        *(_index("items", column) for column in ("connection", "key", "url")),
        _table("raw", "uid T, stream T, payload T, pulled_at T", "uid"),
        _table("links", "id T, src_uid T, dst_uid T, dst_ref T, type T, origin T, stream T", "id"),
        _index("links", "src_uid"),
        _index("links", "dst_uid"),
        _table("customers", f"uid T, connection T, name T, tier T, arr {REAL}, size {INT}", "uid"),
        _table(
            "scores",
            f"uid T, run_id {INT}, score {REAL}, rank {INT}, framework T, components T, explanation T",
            "uid",
        ),
        _table(
            "score_history", f"run_id {INT}, uid T, score {REAL}, rank {INT}, components T", "run_id, uid"
        ),
        _table("cursors", "connection T, stream T, value T, updated_at T", "connection, stream"),
        _table(
            "runs", f"id {ID}, kind T, connection T, started_at T, finished_at T, status T, stats T, error T"
        ),
        _table(
            "outbox",
            f"key T, plan_id {INT}, seq {INT}, connection T, kind T, scope T, payload T, before T, reason T, "
            f"state T, attempts {INT}, error T, created_at T, updated_at T",
            "key",
        ),
        _index("outbox", "state"),
        _table(
            "journal",
            f"id {ID}, op_key T, run_id {INT}, connection T, kind T, payload T, before T, after T, result T, "
            "detail T, at T",
        ),
        _table("quarantine", "id T, connection T, stream T, payload T, reason T, at T", "id"),
        _table("pushed", "uid T, field T, value T, at T", "uid, field"),
    ],
    "002_journal_scope": [f"alter table journal add column scope {TEXT}"],
    "003_pushed_original": [f"alter table pushed add column original {TEXT}"],
    "004_scope_orders": [
        _table("scope_orders", "connection T, scope T, items T, ranks T, pins T, at T", "connection, scope")
    ],
    "005_customer_identity": [
        *(f"alter table customers add column {c} {TEXT}" for c in ("external_ids", "domains", "fields")),
        f"alter table items add column requester_domain {TEXT}",
    ],
    "006_pauses": [_table("pauses", f"connection T, undo_of {INT}, rules T, at T", "connection")],
    "007_connection_writes": [_table("connection_writes", "connection T, sent_at T", "connection")],
    "008_zendesk_milliseconds": [
        f"update items set {column} = substr({column}, 1, 19) || '.000Z' where source = 'zendesk' "
        f"and {column} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}Z$'"
        for column in ("created_at", "updated_at", "due_date")
    ],
    "009_full_reads": [_table("full_reads", "connection T, stream T, started_at T", "connection, stream")],
    "010_connection_schedule": [
        _table(
            "connection_schedule",
            f"connection T, interval_seconds {INT} not null, next_run_at {TEXT} not null, "
            f"failures {INT} not null default 0, last_error T, plan_owed {INT} not null default 0, "
            "updated_at T",
            "connection",
        )
    ],
    "011_leases": [
        _table(
            "leases",
            f"lease {INT}, name T, connections T, host T, pid {INT}, session_pid {INT}, since T, "
            "heartbeat_at T",
            "lease",
        )
    ],
    "012_teams_and_cycles": [
        _table("teams", f"uid T, connection T, container T, name T, states T, cycle_weeks {REAL}", "uid"),
        _table(
            "cycles",
            f"uid T, connection T, container T, number {INT}, name T, starts_at T, ends_at T, "
            f"completed_at T, updated_at T, deleted {INT}",
            "uid",
        ),
        "create index idx_cycles_connection_container on cycles (connection, container)",
    ],
}
