"""The store: SQLite or PostgreSQL behind a narrow interface. Nothing else in rankbridge writes SQL.

Every page of pulled records is written whole together with its cursor (``write_page``), in a transaction
of its own or of a :class:`sync.store.base.PageBatch` of several pages, so a crash loses at most the pages
not yet committed, and they are read again. Upserts give every record in a batch the same keys (a key a
record lacked would be written as NULL over the stored value).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from sync.model import Customer, Cycle, Item, Link, Records, Team, batched
from sync.store import jsontext
from sync.store.base import SQL_VARIABLES, digest, link_rows, now_iso
from sync.store.echo import is_echo
from sync.store.schedule import ScheduleLog

ITEM_FIELDS = [f.name for f in fields(Item)]
JSON_ITEM_FIELDS = ("labels", "fields")


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


def customer_row(customer: Customer) -> dict[str, Any]:
    row = dict(vars(customer))
    for name in ("external_ids", "domains", "fields"):
        value = row[name]
        row[name] = jsontext.dumps(list(value) if isinstance(value, tuple) else value, sort_keys=True)
    return row


def customer_from_row(row: dict[str, Any]) -> Customer:
    return Customer(
        **{k: row[k] for k in ("uid", "connection", "name", "tier", "arr", "size")},
        external_ids=tuple(json.loads(row.get("external_ids") or "[]")),
        domains=tuple(json.loads(row.get("domains") or "[]")),
        fields=json.loads(row.get("fields") or "{}"),
    )


def team_row(team: Team) -> dict[str, Any]:
    return {**vars(team), "states": jsontext.dumps([list(s) for s in team.states])}


def cycle_row(cycle: Cycle) -> dict[str, Any]:
    return {**vars(cycle), "deleted": int(cycle.deleted)}


def item_row(item: Item) -> dict[str, Any]:
    row = item.row()
    for name in JSON_ITEM_FIELDS:
        row[name] = jsontext.dumps(row[name], sort_keys=True)
    row["deleted"] = int(item.deleted)
    row["content_hash"] = content_hash(row)
    return row


HASH_EXCLUDED = frozenset(("content_hash", "stream", "pulled_at"))


def content_hash(row: dict[str, Any]) -> str:
    """A digest of a stored item's content. Column order is the dataclass's, fixed, so the values are
    encoded as one list (no key sorting): this runs once per pulled record and is on the hot path."""
    values = [value for name, value in row.items() if name not in HASH_EXCLUDED]
    return hashlib.sha256(jsontext.dumps_bytes(values)).hexdigest()[:24]


class Store(ScheduleLog):
    """Pulled records, links and customers; runs and scores come from :class:`RunLog`, the shared schedule
    from :class:`ScheduleLog`, the write log from :class:`WriteLog`."""

    # --- pulling -------------------------------------------------------------------------------------
    def cursor(self, connection: str, stream: str) -> str | None:
        sql = "select value from cursors where connection = ? and stream = ?"
        rows = self.sql.rows(sql, [connection, stream])
        return rows[0][0] if rows else None

    def last_full_read(self, connection: str, stream: str) -> str | None:
        """When the last completed whole read of ``stream`` began (None: never)."""
        sql = "select started_at from full_reads where connection = ? and stream = ?"
        rows = self.sql.rows(sql, [connection, stream])
        return rows[0][0] if rows else None

    def finish_full_read(
        self, connection: str, stream: str, started_at: str, cursor: str | None, gone: list[str], why: str
    ) -> None:
        """A whole read of ``stream`` completed: record it, commit its ``cursor`` (a re-read keeps the
        stored one until it completes), and mark the held items it did not list as gone."""
        with self._writing():
            self.sql.upsert(
                "full_reads",
                [{"connection": connection, "stream": stream, "started_at": started_at}],
                ("connection", "stream"),
            )
            if cursor is not None:
                self.sql.upsert(
                    "cursors",
                    [{"connection": connection, "stream": stream, "value": cursor, "updated_at": now_iso()}],
                    ("connection", "stream"),
                )
            self._mark_gone(gone, why)

    def write_page(
        self,
        connection: str,
        stream: str,
        records: Records,
        raw: Iterable[tuple[str, dict[str, Any] | str]],
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
            with self.sql.pipeline():  # the page's writes sent together (one wait for the server)
                if changed:
                    self.sql.upsert("items", changed, ("uid",))
                raw_rows = [
                    {
                        "uid": uid,
                        "stream": stream,
                        "payload": p if isinstance(p, str) else jsontext.dumps(p),  # JSON text as it is
                        "pulled_at": pulled_at,
                    }
                    for uid, p in raw
                ]
                if raw_rows:
                    self.sql.upsert("raw", raw_rows, ("uid",))
                self._replace_links(connection, stream, [i.uid for i in records.items], records.links)
                if records.customers:
                    # Side-loaded organisations repeat on every ticket of a page: each is written once.
                    unique = {c.uid: c for c in records.customers}
                    self.sql.upsert("customers", [customer_row(c) for c in unique.values()], ("uid",))
                if records.teams:
                    self.sql.upsert("teams", [team_row(t) for t in records.teams], ("uid",))
                if records.cycles:
                    self.sql.upsert("cycles", [cycle_row(c) for c in records.cycles], ("uid",))
                for payload, reason in quarantined:
                    stats.quarantined += 1
                    self._quarantine(connection, stream, payload, reason)
                if cursor is not None:
                    self.sql.upsert(
                        "cursors",
                        [
                            {
                                "connection": connection,
                                "stream": stream,
                                "value": cursor,
                                "updated_at": pulled_at,
                            }
                        ],
                        ("connection", "stream"),
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
                row["fields"] = jsontext.dumps(merged, sort_keys=True)
                row["content_hash"] = content_hash(row)
            # ``deleted`` is set in place when an item is found gone (WriteLog.mark_gone), so a row read again
            # compares it too: an item that reappears is undeleted.
            if old is None or old["content_hash"] != row["content_hash"] or old["deleted"] != row["deleted"]:
                changed.append(row)
        return changed, self._count_echoes(changed, known)

    def _rows_by_uid(self, table: str, uids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in batched(uids, SQL_VARIABLES):
            where, args = self.sql.in_list("uid", chunk)
            for row in self.sql.query(f"select * from {table} where {where}", args):
                found[row["uid"]] = row
        return found

    def _count_echoes(self, changed: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> int:
        candidates = [r["uid"] for r in changed if r["uid"] in known]
        if not candidates:
            return 0
        pushed: dict[str, dict[str, tuple[Any, str]]] = {}
        for chunk in batched(candidates, SQL_VARIABLES):
            where, args = self.sql.in_list("uid", chunk)
            for row in self.sql.query(f"select * from pushed where {where}", args):
                pushed.setdefault(row["uid"], {})[row["field"]] = (json.loads(row["value"]), row["at"])
        reordered = {
            row["connection"]: row["at"]
            for row in self.sql.query(
                "select connection, max(at) as at from journal where kind = 'rank' "
                "and result in ('ok', 'already') group by connection"
            )
        }
        last_pull = {
            row["connection"]: row["at"]
            for row in self.sql.query(
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
        for chunk in batched(uids, SQL_VARIABLES):
            where, args = self.sql.in_list("src_uid", chunk)
            self.sql.execute(f"delete from links where stream = ? and {where}", [tag, *args])
        if links:
            self.sql.upsert("links", link_rows(links, tag), ("id",))

    def _quarantine(self, connection: str, stream: str, payload: dict[str, Any], reason: str) -> None:
        row = {
            "id": digest([connection, stream, payload]),
            "connection": connection,
            "stream": stream,
            "payload": json.dumps(payload, default=str),
            "reason": reason,
            "at": now_iso(),
        }
        self.sql.upsert("quarantine", [row], ("id",))

    def link_targets(self) -> Iterator[tuple[str, str, str, str, str, str | None, int]]:
        """What link resolution needs of every stored item (:mod:`sync.references`): ``(uid, connection,
        source, native_id, key, url, deleted)`` tuples, read without building a dict per row (a store holds
        a hundred thousand items and this runs after every pull)."""
        sql = "select uid, connection, source, native_id, key, url, deleted from items"
        yield from self.sql.rows(sql)

    def referencing_links(self) -> list[tuple[str, str, str, str | None, str]]:
        """``(id, src_uid, dst_ref, dst_uid, type)`` of every link that names its target by a reference."""
        sql = "select id, src_uid, dst_ref, dst_uid, type from links where dst_ref is not null"
        return self.sql.rows(sql)

    def set_link_targets(
        self, updates: list[tuple[str | None, str]], parents: list[tuple[str, str]] | None = None
    ) -> None:
        """Set ``dst_uid`` of links by id (``(uid or None, link id)`` pairs), and the parent of items whose
        payload named it only by key (``(parent uid, item uid)``, where none is set), in one transaction."""
        if not updates and not parents:
            return
        with self._writing():
            self.sql.executemany("update links set dst_uid = ? where id = ?", updates)
            sql = "update items set parent_uid = ? where uid = ? and parent_uid is null"
            self.sql.executemany(sql, parents or [])

    def quarantine(self) -> list[dict[str, Any]]:
        return list(self.sql.query("select * from quarantine order by at"))

    # --- reading ---------------------------------------------------------------------------------------
    def items(self, connection: str | None = None, include_deleted: bool = False) -> list[Item]:
        sql = "select * from items where (cast(? as text) is null or connection = ?)"
        if not include_deleted:
            sql += " and deleted = 0"
        return [item_from_row(r) for r in self.sql.query(sql + " order by uid", [connection, connection])]

    def item_headlines(self) -> list[Item]:
        """Every item (deleted ones too) with only what a list shows: key, title, URL, status, container,
        organisation; body, labels and fields are left empty (reading them is most of the cost)."""
        sql = (
            "select uid, connection, source, native_id, key, kind, title, url, status, status_category, "
            "container, organization, updated_at, deleted from items order by uid"
        )
        return [
            Item(
                uid=r[0],
                connection=r[1],
                source=r[2],
                native_id=r[3],
                key=r[4],
                kind=r[5],
                title=r[6],
                url=r[7],
                status=r[8],
                status_category=r[9],
                container=r[10],
                organization=r[11],
                updated_at=r[12],
                deleted=bool(r[13]),
            )
            for r in self.sql.rows(sql)
        ]

    def item(self, ref: str) -> Item | None:
        """An item by uid, or by a key only one item has (never a guess between two trackers' ENG-16; a
        reference a person typed goes through :func:`sync.refs.resolve`, which says what is ambiguous)."""
        rows = list(self.sql.query("select * from items where uid = ? or key = ? limit 2", [ref, ref]))
        exact = [r for r in rows if r["uid"] == ref]
        return item_from_row(exact[0]) if exact else item_from_row(rows[0]) if len(rows) == 1 else None

    def items_named(
        self,
        keys: list[str],
        connection: str | None = None,
        uids: list[str] | None = None,
        urls: list[str] | None = None,
    ) -> list[Item]:
        """Items (deleted ones too) with one of ``keys``, ``uids`` or ``urls``, of ``connection`` if given."""
        wanted = [("key", keys), ("uid", uids or []), ("url", urls or [])]
        where = " or ".join(f"{column} in ({','.join('?' * len(v))})" for column, v in wanted if v)
        if not where:
            return []
        args = [value for _, values in wanted for value in values]
        either = "(cast(? as text) is null or connection = ?)"
        sql = f"select * from items where ({where}) and {either} order by uid"
        return [item_from_row(r) for r in self.sql.query(sql, [*args, connection, connection])]

    def connection_names(self) -> list[str]:
        return [r["connection"] for r in self.sql.query("select distinct connection from items")]

    def shared_keys(self) -> frozenset[str]:
        """Keys that items of more than one connection have."""
        sql = "select key from items group by key having count(distinct connection) > 1"
        return frozenset(r["key"] for r in self.sql.query(sql))

    def raw(self, uid: str) -> dict[str, Any] | None:
        rows = list(self.sql.query("select payload from raw where uid = ?", [uid]))
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
            for r in self.sql.query("select * from links order by id")
        ]

    def customers(self) -> list[Customer]:
        return [customer_from_row(r) for r in self.sql.query("select * from customers order by uid")]

    def snapshot(self) -> Snapshot:
        return Snapshot(items=self.items(), links=self.links(), customers=self.customers())

    def teams(self) -> list[Team]:
        rows = self.sql.query("select * from teams order by connection, container")
        columns = ("uid", "connection", "container", "name", "cycle_weeks")
        return [
            Team(
                **{k: r[k] for k in columns}, states=tuple(tuple(s) for s in json.loads(r["states"] or "[]"))
            )
            for r in rows
        ]

    def cycles(self) -> list[Cycle]:
        """Every stored cycle, by connection, team and start."""
        rows = self.sql.query("select * from cycles order by connection, container, starts_at")
        return [Cycle(**{**r, "deleted": bool(r["deleted"])}) for r in rows]

    def counts(self) -> dict[str, int]:
        return {
            name: self.sql.count(name) for name in ("items", "links", "customers", "quarantine", "outbox")
        }

    def cursors(self) -> list[dict[str, Any]]:
        return list(self.sql.query("select * from cursors order by connection, stream"))

    def recent_journal(self, limit: int) -> list[dict[str, Any]]:
        """The ``limit`` latest journal entries (what pushes wrote), newest first."""
        return list(self.sql.query("select * from journal order by id desc limit ?", [limit]))

    def iter_table(self, name: str) -> Iterator[dict[str, Any]]:
        yield from self.sql.query(f'select * from "{name}"')
