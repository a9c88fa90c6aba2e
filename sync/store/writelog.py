"""The store's write log: the outbox (ops staged before they are sent), the journal (what each push did,
with before and after), what we last pushed per item and field (for echoes and manual overrides) and the
order each plan saw per scope."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sync.model import Link, Op, batched
from sync.store.base import SQL_VARIABLES, StoreBase, link_rows, now_iso


class WriteLog(StoreBase):
    # --- outbox and journal ----------------------------------------------------------------------------
    def stage_ops(self, plan_id: int, ops: list[Op], connections: Iterable[str] | None = None) -> None:
        """Replace the not-yet-sent or failed ops of ``connections`` (all when None) with this plan's ops: a
        newer plan re-derives every intent from the latest state, so an older op is either in it again or
        no longer wanted. An op that may have reached the tracker (``sending`` after a crash, or ``failed``
        after an attempt) keeps its state when the plan has it again, so the push asks the tracker before
        sending it; ``sending`` rows are never superseded here (the plan settles them first)."""
        stamp = now_iso()
        names = None if connections is None else sorted(set(connections))
        with self._writing():
            scope_sql, scope_args = "", []
            if names is not None:
                scope_sql = f" and connection in ({','.join('?' * len(names))})"
                scope_args = names
            uncertain = {
                r["key"]: r
                for r in self.sql.query(
                    "select key, state, attempts, error from outbox where state = 'sending' "
                    "or (state = 'failed' and attempts > 0)"
                )
            }
            self.sql.execute(
                "update outbox set state = 'superseded', updated_at = ? "
                "where state in ('pending', 'failed')" + scope_sql,
                [stamp, *scope_args],
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
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                | _kept_state(uncertain.get(op.key))
                for seq, op in enumerate(ops)
            ]
            self.sql.upsert("outbox", rows, ("key",))

    def outbox(
        self, states: tuple[str, ...] = ("pending", "sending", "failed")
    ) -> list[tuple[Op, dict[str, Any]]]:
        marks = ",".join("?" * len(states))
        rows = self.sql.query(
            f"select * from outbox where state in ({marks}) order by plan_id, seq", list(states)
        )
        return [(op_from_row(r), r) for r in rows]

    def mark_op(self, key: str, state: str, error: str | None = None, attempt: bool = False) -> None:
        sql = "update outbox set state = ?, error = ?, updated_at = ?"
        if attempt:
            sql += ", attempts = attempts + 1"
        with self._writing():
            self.sql.execute(sql + " where key = ?", [state, error, now_iso(), key])

    def mark_sending(self, op: Op) -> None:
        """Just before ``op`` is sent: it may reach the tracker from now on, and the connection's store is
        no longer a fresh read of it (committed together, before any byte leaves)."""
        stamp = now_iso()
        with self._writing():
            self.sql.execute(
                "update outbox set state = 'sending', error = null, updated_at = ?, attempts = attempts + 1 "
                "where key = ?",
                [stamp, op.key],
            )
            row = {"connection": op.connection, "sent_at": stamp}
            self.sql.upsert("connection_writes", [row], ("connection",))

    def mark_gone(self, uids: list[str], why: str) -> None:
        """Items the tracker says no longer exist (404/410): kept for history, out of the ranking
        (``deleted``), and their not-yet-sent ops dropped with the reason."""
        if not uids:
            return
        with self._writing():
            self._mark_gone(uids, why)

    def _mark_gone(self, uids: list[str], why: str) -> None:
        """:meth:`mark_gone` inside the caller's write transaction."""
        for chunk in batched(uids, SQL_VARIABLES):
            marks = ",".join("?" * len(chunk))
            self.sql.execute(f"update items set deleted = 1 where uid in ({marks})", chunk)
            self.sql.execute(
                f"update outbox set state = 'gone', error = ?, updated_at = ? "
                f"where state in ('pending', 'failed') and scope in ({marks})",
                [why, now_iso(), *chunk],
            )

    # --- freshness: plan only from what was read after our last write ----------------------------------
    def last_sent(self, connection: str) -> str | None:
        rows = list(
            self.sql.query("select sent_at from connection_writes where connection = ?", [connection])
        )
        return rows[0]["sent_at"] if rows else None

    def fresh(self, connection: str) -> bool:
        """Whether a complete pull of ``connection`` started after the last write we sent it: only then
        does the store show the tracker with every write of ours (and no one else's edit is hidden
        behind one of our writes still in flight)."""
        sql = (
            "select max(started_at) as at from runs where kind = 'pull' and connection = ? "
            "and status = 'ok' and finished_at is not null"
        )
        pulled = next(iter(self.sql.query(sql, [connection])))["at"]
        if pulled is None:
            return False
        sent = self.last_sent(connection)
        return sent is None or pulled > sent

    def pulled_since(self, connection: str, run_id: int) -> bool:
        """Whether ``connection`` was pulled (a run begun) after run ``run_id`` began (run ids only grow)."""
        sql = "select 1 from runs where kind = 'pull' and connection = ? and id > ? limit 1"
        return bool(list(self.sql.query(sql, [connection, run_id])))

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
            self.sql.insert(
                "journal",
                [
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
                ],
            )
            state = "done" if result in ("ok", "already") else "gone" if result == "gone" else "failed"
            self.sql.execute(
                "update outbox set state = ?, error = ?, updated_at = ? where key = ?",
                [state, None if state == "done" else detail, now_iso(), op.key],
            )
            for uid, name, value, before in pushed:
                self._remember_push(uid, name, value, before)

    def _remember_push(self, uid: str, name: str, value: Any, before: Any) -> None:
        """Keep our latest value and the person's value we first overwrote (``original``): while the
        tracker still shows our value, rules read the original, so our output never feeds our input."""
        rows = list(
            self.sql.query("select value, original from pushed where uid = ? and field = ?", [uid, name])
        )
        still_ours = bool(rows) and json.loads(rows[0]["value"]) == before
        original = rows[0]["original"] if still_ours else json.dumps(before)
        row = {"uid": uid, "field": name, "value": json.dumps(value), "original": original, "at": now_iso()}
        self.sql.upsert("pushed", [row], ("uid", "field"))

    def journal_entries(self, run_id: int | None = None) -> list[dict[str, Any]]:
        sql = "select * from journal where (cast(? as bigint) is null or run_id = ?) order by id"
        return list(self.sql.query(sql, [run_id, run_id]))

    def pushed(self) -> dict[tuple[str, str], Any]:
        return {
            (r["uid"], r["field"]): json.loads(r["value"]) for r in self.sql.query("select * from pushed")
        }

    def originals(self) -> dict[tuple[str, str], tuple[Any, Any]]:
        """(our pushed value, the value it replaced) per item and field."""
        rows = self.sql.query("select * from pushed where original is not null")
        return {(r["uid"], r["field"]): (json.loads(r["value"]), json.loads(r["original"])) for r in rows}

    def journal_since(self, connection: str, at: str, kind: str) -> list[dict[str, Any]]:
        """Journal entries of one connection and op kind recorded after ``at``, oldest first."""
        sql = "select * from journal where connection = ? and kind = ? and at > ? order by id"
        return list(self.sql.query(sql, [connection, kind, at]))

    # --- pauses after an undo ----------------------------------------------------------------------------
    def pause(self, connections: Iterable[str], undo_of: int, rules: str) -> None:
        rows = [{"connection": c, "undo_of": undo_of, "rules": rules, "at": now_iso()} for c in connections]
        with self._writing():
            self.sql.upsert("pauses", rows, ("connection",))

    def pauses(self) -> dict[str, dict[str, Any]]:
        """Paused connections: the undo that paused each (``undo_of``), the rules digest then, and when."""
        return {r["connection"]: r for r in self.sql.query("select * from pauses")}

    def resume(self, connections: Iterable[str] | None = None) -> list[str]:
        """Lift the pause of ``connections`` (all when None); the names lifted."""
        paused = self.pauses()
        names = [c for c in (paused if connections is None else connections) if c in paused]
        with self._writing():
            for name in names:
                self.sql.execute("delete from pauses where connection = ?", [name])
        return names

    # --- scope orders (manual position overrides) --------------------------------------------------
    def scope_order(self, connection: str, scope: str) -> dict[str, Any] | None:
        """The order the latest plan observed in one rank scope: ``items``, ``ranks``, ``pins``, ``at``."""
        sql = "select * from scope_orders where connection = ? and scope = ?"
        rows = list(self.sql.query(sql, [connection, scope]))
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
            self.sql.upsert(
                "scope_orders",
                [
                    {
                        "connection": connection,
                        "scope": scope,
                        "items": json.dumps(items),
                        "ranks": json.dumps(ranks),
                        "pins": json.dumps(pins, sort_keys=True),
                        "at": now_iso(),
                    }
                ],
                ("connection", "scope"),
            )

    def replace_rule_links(self, tag: str, links: list[Link]) -> None:
        """Replace every link a rule (not a connector) made under ``tag`` (e.g. ``rule:mirrors``)."""
        with self._writing():
            self.sql.execute("delete from links where stream = ?", [tag])
            self.sql.upsert("links", link_rows(links, tag), ("id",))


def _kept_state(previous: dict[str, Any] | None) -> dict[str, Any]:
    """A re-staged op's state: an op that may have reached the tracker stays uncertain (asked first)."""
    if previous is None:
        return {"state": "pending", "attempts": 0, "error": None}
    return {k: previous[k] for k in ("state", "attempts", "error")}


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
