"""Push: apply the staged ops of the outbox, journal each with before/after, confirm by re-read.

Safety, in order of the steps of one op:
1. the op is in the outbox (``pending``) before anything is sent;
2. it is marked ``sending`` (committed) just before the request; in a daemon, that commit and the request
   each need the lease of the op's connection still held (``store.guard``), so a daemon that lost it while
   frozen or cut off neither commits nor sends after it wakes;
3. the result is journalled and the op settled (``done``/``failed``) in one transaction.

After a crash between 2 and 3 the op is still ``sending``: the next push asks the tracker (``verify``)
whether it already shows the op's intended state, and only sends it again if it does not (rank ops are
asked one by one when their turn comes, since each is placed relative to the moves before it). Failed ops stay
in the outbox with their error and are retried on the next push. One tracker failing never blocks the others.
A write that got no answer (a timeout, a dropped connection) may have taken effect: the tracker is asked
(``verify``) before it is sent again, so it lands once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Connector
from connectors.errors import ConnectorError, FatalError, Unanswered
from sync.events import emit, since
from sync.model import Op, OpKind, OpResult
from sync.store import Store

log = logging.getLogger(__name__)

UNCERTAIN = ("sending", "failed")  # may have reached the tracker: re-read before sending again


@dataclass
class PushReport:
    applied: int = 0
    already: int = 0
    failed: int = 0
    unconfirmed: int = 0
    by_connection: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    statuses_in: set[str] = field(default_factory=set)  # connections where a status op was applied
    gone: list[str] = field(default_factory=list)  # items found deleted (404/410), out of the ranking now

    def count(self, connection: str, what: str) -> None:
        stats = self.by_connection.setdefault(connection, {"applied": 0, "already": 0, "failed": 0})
        stats[what] = stats.get(what, 0) + 1


def pushed_values(op: Op, connector: Connector) -> list[tuple[str, str, Any, Any]]:
    """What we remember having written (with the value it replaced), to tell our echoes from a person's
    edits later and to keep our own output out of the rules' inputs."""
    payload, before = op.payload, op.before
    if op.kind == OpKind.FIELD:
        name = payload["field"]
        return [(connector.uid(payload["item"]), name, payload["value"], before.get(name))]
    if op.kind == OpKind.STATUS:
        return [
            (connector.uid(payload["item"]), "status_category", payload["category"], before.get("category"))
        ]
    if op.kind == OpKind.FIELDS:
        return [
            (connector.uid(item), name, value, (before.get(item) or {}).get(name))
            for item, values in payload["items"].items()
            for name, value in values.items()
        ]
    if op.kind == OpKind.COMMENT:
        return [(connector.uid(payload["item"]), f"comment:{payload.get('rule', '')}", payload["body"], None)]
    if op.kind == OpKind.TAGS:
        return [(connector.uid(i), "tags", payload["tags"], None) for i in payload["items"]]
    if op.kind == OpKind.RANK:
        return [(connector.uid(i), "rank_after", payload["after"], None) for i in payload["items"]]
    return []


class Pusher:
    def __init__(
        self,
        store: Store,
        connectors: Mapping[str, Connector],
        run_id: int,
        stop: threading.Event | None = None,
        only: set[str] | None = None,
    ) -> None:
        self.store = store
        self.connectors = connectors
        self.run_id = run_id
        self.gone_uids: set[str] = set()
        self.only = only  # the connections whose staged ops are pushed (None: all)
        self.report = PushReport()
        self.stop = stop  # set on shutdown: the op in flight is settled, the rest stay pending

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def push(self) -> PushReport:
        grouped: dict[str, list[tuple[Op, dict[str, Any]]]] = defaultdict(list)
        for op, row in self.store.outbox():
            if self.only is None or op.connection in self.only:
                grouped[op.connection].append((op, row))
        for name, entries in grouped.items():
            if self._stopping():
                break
            connector = self.connectors.get(name)
            if connector is None:
                self.report.errors.append(f"{name}: not configured; {len(entries)} op(s) left in the outbox")
                continue
            self._push_connection(connector, entries)
        return self.report

    def _push_connection(self, connector: Connector, entries: list[tuple[Op, dict[str, Any]]]) -> None:
        try:
            entries = self._settle_inflight(connector, entries)
            sent = []
            for op, row in entries:
                if self._stopping():
                    log.info(
                        "%s: stopping the push (shutdown); the other ops stay in the outbox", connector.name
                    )
                    break
                if op.scope in self.gone_uids:
                    continue  # its item was found deleted earlier in this push: dropped with it
                if row["state"] in UNCERTAIN and self._already(connector, op):
                    continue
                if self._send(connector, op):
                    sent.append(op)
            self._confirm(connector, sent)
        except FatalError as exc:
            message = f"{connector.name}: stopped pushing: {exc}"
            log.error(message)
            self.report.errors.append(message)

    def settle(self, connector: Connector, entries: list[tuple[Op, dict[str, Any]]]) -> list[Op]:
        """Before a plan: ask the tracker about every op that may have reached it (sent, not journalled,
        or failed after an attempt). One it shows is journalled as ``already`` (so our write is never read
        as a person's); one it does not show is settled as not applied (``superseded``): the plan, made
        from a pull after it, wants it again or no longer. Rank ops included: no move of this connection
        is sent between. Returns the ops found applied."""
        uncertain = [op for op, row in entries if row["state"] in UNCERTAIN and row["attempts"]]
        if not uncertain:
            return []
        shown = connector.verify(uncertain)
        found = []
        for op in uncertain:
            if op.key not in shown:
                self._unverifiable(connector, op)
            elif shown[op.key]:
                self._journal_already(connector, op)
                found.append(op)
            else:
                self.store.mark_op(op.key, "superseded", "not shown by the tracker when re-planned")
        return found

    def _settle_inflight(
        self, connector: Connector, entries: list[tuple[Op, dict[str, Any]]]
    ) -> list[tuple[Op, dict[str, Any]]]:
        """Ops that may have reached the tracker already (crash after send, or a failed attempt) are checked
        against the tracker's current state before anything is sent again."""
        uncertain = [op for op, row in entries if row["state"] in UNCERTAIN and op.kind != OpKind.RANK]
        if not uncertain:
            return entries
        shown = connector.verify(uncertain)
        remaining = []
        for op, row in entries:
            if op.key in {o.key for o in uncertain} and op.key not in shown:
                self._unverifiable(connector, op)
            elif shown.get(op.key):
                self._journal_already(connector, op)
            else:
                remaining.append((op, row))
        return remaining

    def _already(self, connector: Connector, op: Op) -> bool:
        """A rank op is placed relative to where the ops before it put things, so an uncertain one is
        checked when its turn comes (after those ops), never up front: an anchor that holds by chance
        before the earlier moves would otherwise skip a move the order needs."""
        if op.kind != OpKind.RANK:
            return False
        shown = connector.verify([op])
        if op.key not in shown:
            self._unverifiable(connector, op)
            return True
        if not shown[op.key]:
            return False
        self._journal_already(connector, op)
        return True

    def _unverifiable(self, connector: Connector, op: Op) -> None:
        """An op that may have reached the tracker, which the tracker cannot tell us about: never sent
        again automatically (it stays in the outbox, reported, for a person to decide)."""
        message = f"{connector.name}: {op.reason}: may have been applied and cannot be checked; not re-sent"
        self.store.mark_op(op.key, "unverifiable", message)
        self.report.errors.append(message)

    def _journal_already(self, connector: Connector, op: Op) -> None:
        self.store.journal(
            self.run_id, op, "already", {}, "already applied (found on re-read)", pushed_values(op, connector)
        )
        self.report.already += 1
        self.report.count(connector.name, "already")

    def _send(self, connector: Connector, op: Op) -> bool:
        self.store.mark_sending(op)
        started = time.monotonic()
        try:
            result = self._apply_once(connector, op)
        except FatalError:
            self.store.mark_op(op.key, "failed", "connection stopped by a fatal error")
            raise
        except ConnectorError as exc:
            result = OpResult(ok=False, detail=f"{type(exc).__name__}: {exc}")
        detail = result.detail or ("; ".join(f"{k}: {v}" for k, v in result.failed.items()))
        if result.gone:
            self._mark_gone(connector, result.gone, detail)
            rest = {k: v for k, v in result.failed.items() if k not in result.gone}
            if not rest and (op.scope in self.gone_uids or "items" not in op.payload):
                self.store.journal(self.run_id, op, "gone", {}, f"dropped: its item was deleted ({detail})")
                return False
            result = OpResult(not rest, detail, failed=rest, after=result.after)
        outcome = "ok" if result.ok and not result.failed else "failed"
        self.store.journal(
            self.run_id,
            op,
            outcome,
            result.after,
            detail,
            pushed_values(op, connector) if outcome == "ok" else (),
        )
        emit(
            "op_applied" if outcome == "ok" else "op_failed",
            f"{connector.name} {op.kind} {outcome}: {op.reason}" + ("" if outcome == "ok" else f": {detail}"),
            connection=connector.name,
            kind=op.kind,
            scope=op.scope,
            result=outcome,
            reason=op.reason,
            detail=detail or None,
            duration_ms=since(started),
        )
        if outcome == "ok":
            if op.kind == OpKind.STATUS:
                self.report.statuses_in.add(connector.name)
            self.report.applied += 1
            self.report.count(connector.name, "applied")
            return True
        self.report.failed += 1
        self.report.count(connector.name, "failed")
        self.report.errors.append(f"{connector.name}: {op.reason}: {detail}")
        return False

    def _mark_gone(self, connector: Connector, native_ids: list[str], detail: str) -> None:
        """The tracker says items no longer exist: they are marked deleted (kept, out of the ranking), their
        other ops are dropped with a note, and the push goes on."""
        uids = [connector.uid(i) for i in native_ids]
        self.gone_uids.update(uids)
        note = f"deleted in {connector.name} ({detail}); its ops are dropped and it leaves the ranking"
        self.store.mark_gone(uids, note)
        for uid in uids:
            self.report.gone.append(uid)
            log.warning("%s: %s", uid, note)

    def _apply_once(self, connector: Connector, op: Op) -> OpResult:
        """Apply ``op``; after a write that got no answer, re-read before sending it again."""
        for _ in range(connector.policy.settings.attempts - 1):
            self._guard()
            try:
                return connector.apply(op)
            except Unanswered as exc:
                log.warning(
                    "%s: no answer to %s (%s); re-reading before any resend", connector.name, op.kind, exc
                )
                if connector.verify([op]).get(op.key):
                    return OpResult(ok=True, detail="no answer; found applied on re-read")
        self._guard()
        return connector.apply(op)

    def _guard(self) -> None:
        """Right before a request that writes: the store's guard (a daemon's lease still held, its session
        answering) raises :class:`~sync.daemon.lease.LeaseLost` otherwise, and nothing is sent."""
        if self.store.guard is not None:
            self.store.guard()

    def _confirm(self, connector: Connector, sent: list[Op]) -> None:
        if not sent:
            return
        try:
            shown = connector.verify(sent)
        except ConnectorError as exc:
            log.warning("%s: could not confirm %d op(s) by re-read: %s", connector.name, len(sent), exc)
            return
        for op in sent:
            if not shown.get(op.key, False):
                self.report.unconfirmed += 1
                self.store.mark_op(op.key, "failed", "not confirmed by re-read")
                self.report.errors.append(f"{connector.name}: not confirmed by re-read: {op.reason}")
