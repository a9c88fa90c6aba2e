"""The shared schedule (``connection_schedule``): when each connection is pulled next, its failures in a
row and last error, and whether it still owes a plan. Every daemon of a store reads it; only the daemon
holding a connection's lease writes that connection's row (so two never disagree about one), and anyone
may ask for an immediate run (``rankbridge sync --now``).

Times are stored as ISO text in UTC with milliseconds (``now_iso``), so that comparing them as text orders
them; a connection is due when its ``next_run_at`` is not after now.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.store.base import now_iso
from sync.store.runlog import RunLog

MAX_BACKOFF = 3600.0  # seconds: a connection that keeps failing is still tried once an hour


def iso_in(seconds: float) -> str:
    """``now_iso()`` shifted by ``seconds``."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def backoff_delay(failures: int, interval: float, cap: float = MAX_BACKOFF) -> float:
    """Seconds before the next attempt after ``failures`` failed runs in a row (the interval when none):
    ``interval * 2**(failures-1)``, at most ``cap`` (or the interval, when that is longer)."""
    if failures <= 0:
        return float(interval)
    return float(min(max(cap, interval), interval * 2 ** (failures - 1)))


class ScheduleLog(RunLog):
    def schedule_connections(self, intervals: Mapping[str, int]) -> None:
        """Add a row (due now) for each configured connection that has none; a changed interval is taken
        over, and a next run further away than the new interval is brought forward to it."""
        stamp = now_iso()
        with self._writing():
            rows = {r["connection"]: r for r in self.sql.query("select * from connection_schedule")}
            for name, interval in intervals.items():
                row = rows.get(name)
                if row is None:
                    self.sql.execute(
                        "insert into connection_schedule (connection, interval_seconds, next_run_at, "
                        "failures, plan_owed, updated_at) values (?, ?, ?, 0, 0, ?)",
                        [name, interval, stamp, stamp],
                    )
                elif row["interval_seconds"] != interval:
                    soonest = min(row["next_run_at"], iso_in(interval))
                    self.sql.execute(
                        "update connection_schedule set interval_seconds = ?, next_run_at = ?, "
                        "updated_at = ? where connection = ?",
                        [interval, soonest, stamp, name],
                    )

    def schedule(self) -> dict[str, dict[str, Any]]:
        """Every connection's row, by name."""
        return {r["connection"]: r for r in self.sql.query("select * from connection_schedule")}

    def due_connections(self) -> list[str]:
        """Connections whose next run is now or past, the longest overdue first."""
        sql = "select connection from connection_schedule where next_run_at <= ? order by next_run_at"
        return [r["connection"] for r in self.sql.query(sql, [now_iso()])]

    def next_due_in(self) -> float | None:
        """Seconds until the next connection is due (0 when one is overdue; None without rows)."""
        rows = self.sql.query("select min(next_run_at) as at from connection_schedule")
        at = rows[0]["at"] if rows else None
        if at is None:
            return None
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())

    def claim(self, connection: str) -> None:
        """A run of ``connection`` begins (its lease held): its next run moves an interval ahead, so that
        no other daemon sees it due meanwhile; :meth:`ran` sets it again when the run ends."""
        stamp = now_iso()
        with self._writing():
            rows = list(
                self.sql.query(
                    "select interval_seconds from connection_schedule where connection = ?", [connection]
                )
            )
            if rows:
                self.sql.execute(
                    "update connection_schedule set next_run_at = ?, updated_at = ? where connection = ?",
                    [iso_in(rows[0]["interval_seconds"]), stamp, connection],
                )

    def ran(self, connection: str, error: str | None, jitter: float = 0.0) -> float:
        """Record the end of a run of ``connection`` (by the holder of its lease) and schedule the next:
        an interval after a success, exponentially later after failures in a row, plus up to ``jitter``
        seconds (at most half the interval), so that connections drift apart. The delay in seconds."""
        with self._writing():
            rows = list(
                self.sql.query(
                    "select interval_seconds, failures from connection_schedule where connection = ?",
                    [connection],
                )
            )
            if not rows:
                return 0.0
            failures = 0 if error is None else rows[0]["failures"] + 1
            interval = rows[0]["interval_seconds"]
            delay = backoff_delay(failures, interval) + random.uniform(0, min(jitter, interval / 2))
            self.sql.execute(
                "update connection_schedule set next_run_at = ?, failures = ?, last_error = ?, "
                "updated_at = ? where connection = ?",
                [iso_in(delay), failures, error, now_iso(), connection],
            )
        return delay

    def run_now(self, connections: Iterable[str] | None = None) -> list[str]:
        """Make ``connections`` (all when None) due now, failures aside; the names made due."""
        names = sorted(self.schedule() if connections is None else set(connections))
        stamp = now_iso()
        with self._writing():
            for name in names:
                self.sql.execute(
                    "update connection_schedule set next_run_at = ?, updated_at = ? where connection = ?",
                    [stamp, stamp, name],
                )
        return names

    def read_since(self, stamp: str) -> set[str]:
        """Connections with a pull begun at ``stamp`` or after (by any daemon or command)."""
        sql = "select distinct connection from runs where kind = 'pull' and started_at >= ?"
        return {r["connection"] for r in self.sql.query(sql, [stamp])}

    # --- plans owed --------------------------------------------------------------------------------
    def owe_plan(self, connections: Iterable[str]) -> None:
        """A pull changed something (the global ranking may move every tracker): ``connections`` owe a
        plan, whichever daemon runs the stages next."""
        self._set_plan_owed(connections, 1)

    def plan_paid(self, connections: Iterable[str]) -> None:
        self._set_plan_owed(connections, 0)

    def _set_plan_owed(self, connections: Iterable[str], owed: int) -> None:
        names = sorted(set(connections))
        if not names:
            return
        marks = ",".join("?" * len(names))
        with self._writing():
            self.sql.execute(
                f"update connection_schedule set plan_owed = ? where connection in ({marks})", [owed, *names]
            )

    def plans_owed(self) -> set[str]:
        return {
            r["connection"]
            for r in self.sql.query("select connection from connection_schedule where plan_owed = 1")
        }

    # --- takeover ----------------------------------------------------------------------------------
    def abandon_runs(self, connections: Iterable[str | None], why: str) -> list[int]:
        """Runs of ``connections`` (None: the global stages') left ``running`` by a holder that died: marked
        ``abandoned`` with ``why``, by the daemon that just took their lease (nobody else can be running
        them). Their ids."""
        names = list(connections)
        found: list[int] = []
        with self._writing():
            for name in names:
                if name is None:
                    rows = self.sql.query(
                        "select id from runs where status = 'running' and connection is null"
                    )
                else:
                    sql = "select id from runs where status = 'running' and connection = ?"
                    rows = self.sql.query(sql, [name])
                found.extend(int(r["id"]) for r in rows)
            for run_id in found:
                self.sql.execute(
                    "update runs set status = 'abandoned', finished_at = ?, error = ? where id = ?",
                    [now_iso(), why, run_id],
                )
        return found
