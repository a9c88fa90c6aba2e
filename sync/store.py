"""The store: one SQLite file (WAL) behind a narrow interface. Nothing else in rankbridge writes SQL.

Every page of pulled records is written in one transaction together with its cursor (``write_page``), so a
crash loses at most the page in flight. Upserts give every record in a batch the same keys, because
sqlite-utils writes NULL over stored values for keys a record lacks.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.echo import is_echo
from sync.migrations import MIGRATIONS
from sync.model import Customer, Item, Link, Op, Records

ITEM_FIELDS = [f.name for f in fields(Item)]
JSON_ITEM_FIELDS = ("labels", "fields")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:24]


@dataclass
class PageStats:
    changed: int = 0
    echoes: int = 0
    unchanged: int = 0
    quarantined: int = 0
    changed_uids: list[str] = field(default_factory=list)


@dataclass
class Snapshot:
    """What the rules engine reads: open and closed items, links and customers."""

    items: list[Item]
    links: list[Link]
    customers: list[Customer]


def item_from_row(row: dict[str, Any]) -> Item:
    data: dict[str, Any] = {name: row.get(name) for name in ITEM_FIELDS}
    data["labels"] = json.loads(row["labels"] or "[]")
    data["fields"] = json.loads(row["fields"] or "{}")
    data["deleted"] = bool(row["deleted"])
    data["priority_level"] = row["priority_level"] or 0
    data["body"] = row["body"] or ""
    return Item(**data)


def item_row(item: Item) -> dict[str, Any]:
    row = item.row()
    for name in JSON_ITEM_FIELDS:
        row[name] = json.dumps(row[name], sort_keys=True, ensure_ascii=False)
    row["deleted"] = int(item.deleted)
    row["content_hash"] = digest(row)
    return row


def link_id(link: Link) -> str:
    return digest([link.src_uid, link.type, link.dst_uid, link.dst_ref, link.origin])


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.enable_wal()
        self.migrate()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _writing(self, synced: bool = True) -> Iterator[None]:
        """A write transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE): a deferred one
        that reads first fails at once with "database is locked" when another writer committed since.

        ``synced=False`` commits without waiting for the disk (WAL with ``synchronous=NORMAL``): still
        atomic, and safe against a crash of the process, but a power loss may undo it. Pulled pages are
        written so (their cursor goes with them, so an undone page is simply read again); everything else
        (outbox, journal) is synced, and a synced commit also makes every earlier one durable."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        if not synced:
            self.db.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.conn.rollback()
                raise
            self.db.conn.execute("COMMIT")
        finally:
            if not synced:
                self.db.conn.execute("PRAGMA synchronous = FULL")

    def _t(self, name: str) -> sqlite_utils.db.Table:
        return self.db.table(name)

    # --- migrations --------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        table = self.db["_migrations"]
        if not table.exists():
            self._t("_migrations").create({"name": str, "applied_at": str}, pk="name")
        done = {row["name"] for row in self.db["_migrations"].rows}
        applied = []
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            with self._writing():
                migration(self.db)
                self._t("_migrations").insert({"name": name, "applied_at": now_iso()})
            applied.append(name)
        return applied

    # --- pulling -------------------------------------------------------------------------------------
    def cursor(self, connection: str, stream: str) -> str | None:
        rows = list(
            self.db.query(
                "select value from cursors where connection = ? and stream = ?", [connection, stream]
            )
        )
        return rows[0]["value"] if rows else None

    def write_page(
        self,
        connection: str,
        stream: str,
        records: Records,
        raw: Iterable[tuple[str, dict[str, Any]]],
        cursor: str | None,
        quarantined: Iterable[tuple[dict[str, Any], str]] = (),
    ) -> PageStats:
        """Store one page's records, raw payloads, links, quarantined payloads and cursor atomically."""
        stats = PageStats()
        pulled_at = now_iso()
        with self._writing(synced=False):
            rows = [item_row(item) | {"stream": stream, "pulled_at": pulled_at} for item in records.items]
            changed, echoes = self._changed_rows(rows)
            stats.changed, stats.echoes = len(changed) - echoes, echoes
            stats.unchanged = len(rows) - len(changed)
            stats.changed_uids = [r["uid"] for r in changed]
            if changed:
                self._upsert("items", changed, "uid")
            raw_rows = [
                {"uid": uid, "stream": stream, "payload": json.dumps(p), "pulled_at": pulled_at}
                for uid, p in raw
            ]
            if raw_rows:
                self._upsert("raw", raw_rows, "uid")
            self._replace_links(connection, stream, [i.uid for i in records.items], records.links)
            if records.customers:
                self._upsert("customers", [vars(c) for c in records.customers], "uid")
            for payload, reason in quarantined:
                stats.quarantined += 1
                self._quarantine(connection, stream, payload, reason)
            if cursor is not None:
                self._t("cursors").upsert(
                    {"connection": connection, "stream": stream, "value": cursor, "updated_at": pulled_at},
                    pk=("connection", "stream"),
                )
        return stats

    def _changed_rows(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """Rows whose content differs from what is stored, merged with it first: a record whose
        ``native_rank`` is None keeps the stored rank, and its ``fields`` are laid over the stored ones
        (two streams may describe one item, e.g. GitHub's REST issue and its Projects v2 item).
        Also counts the changed rows that are only our own pushed writes coming back (echoes)."""
        if not rows:
            return [], 0
        known = self._rows_by_uid("items", [r["uid"] for r in rows])
        changed = []
        for row in rows:
            old = known.get(row["uid"])
            if old is not None:
                if row["native_rank"] is None:
                    row["native_rank"] = old["native_rank"]
                merged = {**json.loads(old["fields"] or "{}"), **json.loads(row["fields"])}
                row["fields"] = json.dumps(merged, sort_keys=True, ensure_ascii=False)
                row["content_hash"] = digest(
                    {k: v for k, v in row.items() if k not in ("content_hash", "stream", "pulled_at")}
                )
            if old is None or old["content_hash"] != row["content_hash"]:
                changed.append(row)
        return changed, self._count_echoes(changed, known)

    def _rows_by_uid(self, table: str, uids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"select * from {table} where uid in ({marks})", chunk):
                found[row["uid"]] = row
        return found

    def _count_echoes(self, changed: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> int:
        candidates = [r["uid"] for r in changed if r["uid"] in known]
        if not candidates:
            return 0
        pushed: dict[str, dict[str, tuple[Any, str]]] = {}
        for start in range(0, len(candidates), 500):
            chunk = candidates[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"select * from pushed where uid in ({marks})", chunk):
                pushed.setdefault(row["uid"], {})[row["field"]] = (json.loads(row["value"]), row["at"])
        reordered = {
            row["connection"]: row["at"]
            for row in self.db.query(
                "select connection, max(at) as at from journal where kind = 'rank' "
                "and result in ('ok', 'already') group by connection"
            )
        }
        last_pull = {
            row["connection"]: row["at"]
            for row in self.db.query(
                "select connection, max(started_at) as at from runs where kind = 'pull' "
                "and finished_at is not null group by connection"
            )
        }
        return sum(
            1
            for r in changed
            if r["uid"] in known
            and is_echo(
                known[r["uid"]],
                r,
                pushed.get(r["uid"], {}),
                reordered.get(r["connection"]),
                last_pull.get(r["connection"]),
            )
        )

    def _replace_links(self, connection: str, stream: str, uids: list[str], links: list[Link]) -> None:
        tag = f"{connection}:{stream}"
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            self.db.execute(f"delete from links where stream = ? and src_uid in ({marks})", [tag, *chunk])
        if links:
            rows = [
                {
                    "id": link_id(link),
                    "src_uid": link.src_uid,
                    "dst_uid": link.dst_uid,
                    "dst_ref": link.dst_ref,
                    "type": link.type,
                    "origin": link.origin,
                    "stream": tag,
                }
                for link in links
            ]
            self._upsert("links", rows, "id")

    def _upsert(self, table: str, rows: list[dict[str, Any]], pk: str) -> None:
        """Insert ``rows``, or update the stored row with the same ``pk``, in one prepared statement for
        the batch (sqlite-utils' ``upsert_all`` sends two statements a row and converts every value in
        Python, which made it most of a large pull's store time). Every row has the same keys."""
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != pk)
        action = f"do update set {updates}" if updates else "do nothing"
        sql = f'insert into "{table}" ({names}) values ({marks}) on conflict ("{pk}") {action}'
        values = operator.itemgetter(*columns)
        self.db.conn.executemany(
            sql, [values(row) for row in rows] if len(columns) > 1 else [(values(row),) for row in rows]
        )

    def _quarantine(self, connection: str, stream: str, payload: dict[str, Any], reason: str) -> None:
        row = {
            "id": digest([connection, stream, payload]),
            "connection": connection,
            "stream": stream,
            "payload": json.dumps(payload, default=str),
            "reason": reason,
            "at": now_iso(),
        }
        self._t("quarantine").upsert(row, pk="id")

    def resolve_links(self) -> int:
        """Point references (``key:ENG-1``, ``url:https://…``) at the items they name, once pulled."""
        with self._writing():
            before = self.db.execute("select count(*) from links where dst_uid is null").fetchone()[0]
            self.db.execute(
                """update links set dst_uid = (
                     select uid from items where
                       (links.dst_ref like 'key:%' and items.key = substr(links.dst_ref, 5))
                       or (links.dst_ref like 'url:%' and items.url = substr(links.dst_ref, 5))
                       or (links.dst_ref like 'uid:%' and items.uid = substr(links.dst_ref, 5))
                     order by items.uid limit 1)
                   where dst_uid is null and dst_ref is not null"""
            )
            after = self.db.execute("select count(*) from links where dst_uid is null").fetchone()[0]
        return int(before - after)

    def quarantine(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from quarantine order by at"))

    # --- reading ---------------------------------------------------------------------------------------
    def items(self, connection: str | None = None, include_deleted: bool = False) -> list[Item]:
        sql = "select * from items where (? is null or connection = ?)"
        if not include_deleted:
            sql += " and deleted = 0"
        return [item_from_row(r) for r in self.db.query(sql + " order by uid", [connection, connection])]

    def item(self, ref: str) -> Item | None:
        """An item by uid or key (the first match when a key exists in two trackers)."""
        rows = list(
            self.db.query("select * from items where uid = ? or key = ? order by uid limit 1", [ref, ref])
        )
        return item_from_row(rows[0]) if rows else None

    def raw(self, uid: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select payload from raw where uid = ?", [uid]))
        return json.loads(rows[0]["payload"]) if rows else None

    def links(self) -> list[Link]:
        return [
            Link(
                src_uid=r["src_uid"],
                type=r["type"],
                origin=r["origin"],
                dst_uid=r["dst_uid"],
                dst_ref=r["dst_ref"],
            )
            for r in self.db.query("select * from links order by id")
        ]

    def customers(self) -> list[Customer]:
        return [
            Customer(**{k: r[k] for k in ("uid", "connection", "name", "tier", "arr", "size")})
            for r in self.db.query("select * from customers order by uid")
        ]

    def snapshot(self) -> Snapshot:
        return Snapshot(items=self.items(), links=self.links(), customers=self.customers())

    def counts(self) -> dict[str, int]:
        return {name: self.db[name].count for name in ("items", "links", "customers", "quarantine", "outbox")}

    def cursors(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from cursors order by connection, stream"))

    # --- runs ------------------------------------------------------------------------------------------
    def start_run(self, kind: str, connection: str | None = None) -> int:
        row = {"kind": kind, "connection": connection, "started_at": now_iso(), "status": "running"}
        return int(self._t("runs").insert(row).last_pk)  # type: ignore[arg-type]

    def finish_run(
        self, run_id: int, status: str, stats: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        self._t("runs").update(
            run_id,
            {"finished_at": now_iso(), "status": status, "stats": json.dumps(stats or {}), "error": error},
        )

    def runs(self, kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql = "select * from runs where (? is null or kind = ?) order by id desc limit ?"
        return list(self.db.query(sql, [kind, kind, limit]))

    def last_success(self, kind: str, connection: str | None = None) -> dict[str, Any] | None:
        sql = (
            "select * from runs where kind = ? and status = 'ok' and (? is null or connection = ?) "
            "order by id desc limit 1"
        )
        rows = list(self.db.query(sql, [kind, connection, connection]))
        return rows[0] if rows else None

    # --- scores ----------------------------------------------------------------------------------------
    def save_scores(self, run_id: int, rows: list[dict[str, Any]]) -> None:
        with self._writing():
            self.db.execute("delete from scores")
            if rows:
                self._t("scores").insert_all([r | {"run_id": run_id} for r in rows], pk="uid")
                history = [
                    {
                        "run_id": run_id,
                        "uid": r["uid"],
                        "score": r["score"],
                        "rank": r["rank"],
                        "components": r["components"],
                    }
                    for r in rows
                ]
                self._t("score_history").insert_all(history, pk=("run_id", "uid"), replace=True)

    def scores(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from scores order by rank is null, rank, uid"))

    def previous_scores(self, before_run: int) -> dict[str, dict[str, Any]]:
        """Scores of the latest ranking run before ``before_run``, by uid."""
        rows = list(
            self.db.query("select max(run_id) as r from score_history where run_id < ?", [before_run])
        )
        previous = rows[0]["r"] if rows else None
        if previous is None:
            return {}
        return {
            r["uid"]: r for r in self.db.query("select * from score_history where run_id = ?", [previous])
        }

    # --- outbox and journal ----------------------------------------------------------------------------
    def stage_ops(self, plan_id: int, ops: list[Op]) -> None:
        """Replace every not-yet-sent or failed op with this plan's ops: a newer plan re-derives every intent
        from the latest state, so an older op is either in it again or no longer wanted. Ops caught
        mid-send (``sending``) stay, to be checked against the tracker by the next push."""
        stamp = now_iso()
        with self._writing():
            self.db.execute(
                "update outbox set state = 'superseded', updated_at = ? where state in ('pending', 'failed')",
                [stamp],
            )
            rows = [
                {
                    "key": op.key,
                    "plan_id": plan_id,
                    "seq": seq,
                    "connection": op.connection,
                    "kind": op.kind,
                    "scope": op.scope,
                    "payload": json.dumps(op.payload, sort_keys=True),
                    "before": json.dumps(op.before, sort_keys=True),
                    "reason": op.reason,
                    "state": "pending",
                    "attempts": 0,
                    "error": None,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for seq, op in enumerate(ops)
            ]
            if rows:
                self._t("outbox").upsert_all(rows, pk="key")

    def outbox(
        self, states: tuple[str, ...] = ("pending", "sending", "failed")
    ) -> list[tuple[Op, dict[str, Any]]]:
        marks = ",".join("?" * len(states))
        rows = self.db.query(
            f"select * from outbox where state in ({marks}) order by plan_id, seq", list(states)
        )
        return [(op_from_row(r), r) for r in rows]

    def mark_op(self, key: str, state: str, error: str | None = None, attempt: bool = False) -> None:
        sql = "update outbox set state = ?, error = ?, updated_at = ?"
        if attempt:
            sql += ", attempts = attempts + 1"
        self.db.execute(sql + " where key = ?", [state, error, now_iso(), key])
        self.db.conn.commit()

    def journal(
        self,
        run_id: int,
        op: Op,
        result: str,
        after: dict[str, Any],
        detail: str = "",
        pushed: Iterable[tuple[str, str, Any, Any]] = (),
    ) -> None:
        """Record one applied op, settle its outbox row and remember pushed values, in one transaction."""
        with self._writing():
            self._t("journal").insert(
                {
                    "op_key": op.key,
                    "run_id": run_id,
                    "connection": op.connection,
                    "kind": op.kind,
                    "scope": op.scope,
                    "payload": json.dumps(op.payload, sort_keys=True),
                    "before": json.dumps(op.before),
                    "after": json.dumps(after, default=str),
                    "result": result,
                    "detail": detail,
                    "at": now_iso(),
                }
            )
            state = "done" if result in ("ok", "already") else "failed"
            self.db.execute(
                "update outbox set state = ?, error = ?, updated_at = ? where key = ?",
                [state, None if state == "done" else detail, now_iso(), op.key],
            )
            for uid, name, value, before in pushed:
                self._remember_push(uid, name, value, before)

    def _remember_push(self, uid: str, name: str, value: Any, before: Any) -> None:
        """Keep our latest value and the person's value we first overwrote (``original``): while the
        tracker still shows our value, rules read the original, so our output never feeds our input."""
        rows = list(
            self.db.query("select value, original from pushed where uid = ? and field = ?", [uid, name])
        )
        still_ours = bool(rows) and json.loads(rows[0]["value"]) == before
        original = rows[0]["original"] if still_ours else json.dumps(before)
        row = {"uid": uid, "field": name, "value": json.dumps(value), "original": original, "at": now_iso()}
        self._t("pushed").upsert(row, pk=("uid", "field"))

    def journal_entries(self, run_id: int | None = None) -> list[dict[str, Any]]:
        sql = "select * from journal where (? is null or run_id = ?) order by id"
        return list(self.db.query(sql, [run_id, run_id]))

    def pushed(self) -> dict[tuple[str, str], Any]:
        return {(r["uid"], r["field"]): json.loads(r["value"]) for r in self.db.query("select * from pushed")}

    def originals(self) -> dict[tuple[str, str], tuple[Any, Any]]:
        """(our pushed value, the value it replaced) per item and field."""
        rows = self.db.query("select * from pushed where original is not null")
        return {(r["uid"], r["field"]): (json.loads(r["value"]), json.loads(r["original"])) for r in rows}

    def journal_since(self, connection: str, at: str, kind: str) -> list[dict[str, Any]]:
        """Journal entries of one connection and op kind recorded after ``at``, oldest first."""
        sql = "select * from journal where connection = ? and kind = ? and at > ? order by id"
        return list(self.db.query(sql, [connection, kind, at]))

    # --- scope orders (manual position overrides) --------------------------------------------------
    def scope_order(self, connection: str, scope: str) -> dict[str, Any] | None:
        """The order the latest plan observed in one rank scope: ``items``, ``ranks``, ``pins``, ``at``."""
        sql = "select * from scope_orders where connection = ? and scope = ?"
        rows = list(self.db.query(sql, [connection, scope]))
        if not rows:
            return None
        row = rows[0]
        return {
            "items": json.loads(row["items"]),
            "ranks": json.loads(row["ranks"]),
            "pins": json.loads(row["pins"]),
            "at": row["at"],
        }

    def save_scope_order(
        self,
        connection: str,
        scope: str,
        items: list[str],
        ranks: dict[str, str | None],
        pins: dict[str, float],
    ) -> None:
        with self._writing():
            self._t("scope_orders").upsert(
                {
                    "connection": connection,
                    "scope": scope,
                    "items": json.dumps(items),
                    "ranks": json.dumps(ranks),
                    "pins": json.dumps(pins, sort_keys=True),
                    "at": now_iso(),
                },
                pk=("connection", "scope"),
            )

    def replace_rule_links(self, tag: str, links: list[Link]) -> None:
        """Replace every link a rule (not a connector) made under ``tag`` (e.g. ``rule:mirrors``)."""
        with self._writing():
            self.db.execute("delete from links where stream = ?", [tag])
            if links:
                rows = [
                    {
                        "id": link_id(link),
                        "src_uid": link.src_uid,
                        "dst_uid": link.dst_uid,
                        "dst_ref": link.dst_ref,
                        "type": link.type,
                        "origin": link.origin,
                        "stream": tag,
                    }
                    for link in links
                ]
                self._t("links").upsert_all(rows, pk="id")

    def iter_table(self, name: str) -> Iterator[dict[str, Any]]:
        yield from self.db[name].rows


def op_from_row(row: dict[str, Any]) -> Op:
    return Op(
        connection=row["connection"],
        kind=row["kind"],
        scope=row["scope"],
        payload=json.loads(row["payload"]),
        before=json.loads(row["before"]),
        reason=row["reason"],
        key=row["key"],
    )
