"""Leases on PostgreSQL: session-level advisory locks on one dedicated session per daemon.

* **The session.** Its own psycopg connection (never from a pool: a pooled or transaction-pooled session
  would carry the locks to whoever borrows it next), in autocommit, with ``idle_session_timeout`` and
  ``tcp_user_timeout`` set to the lease timeout (``[daemon] lease_timeout``, default 10 s): when the
  daemon freezes, dies or is cut off, the server ends the session within that time, which releases every
  advisory lock it held, and another daemon's next try takes them. One session holds all of a daemon's
  leases: a freeze, a crash or a cut network loses them all at once anyway.
* **The heartbeat.** A thread touches the session every ``timeout / 4`` seconds (it also stamps the
  ``leases`` rows, which ``rankbridge status`` shows); each answer is the session's latest proof of life.
* **The guard.** :meth:`PgLeases.guard` passes when the session answered within ``timeout / 2`` seconds,
  else asks it once more; a session that does not answer is lost, with every lease on it. A frozen daemon
  whose session the server ended meanwhile finds out on its first guard after it wakes, before it sends or
  commits anything.
* **Waking up.** A second connection LISTENs on :data:`CHANNEL`; a ``NOTIFY`` (``sync --now``, stages due
  after a pull, ...) sets :attr:`Leases.wake`, so daemons react at once rather than at their next tick.

``rankbridge status`` lists the holders from the ``leases`` table joined with ``pg_locks``, so a row left
by a dead session (its lock gone with it) is not shown.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg.rows import dict_row

from sync.daemon.advisory import WRITER_KEY, application_name, holder_on
from sync.daemon.lease import LeaseKey, LeaseLost, Leases, holder_identity
from sync.daemon.lock import LockHeld
from sync.store.backend import redact_url
from sync.store.base import now_iso

log = logging.getLogger(__name__)

CHANNEL = "rankbridge_wake"
RELOAD = "reload"  # the payload of `rankbridge daemon --reload`: every daemon re-reads its config
CONNECT_TIMEOUT = 10  # seconds

HOLDERS_SQL = """
select l.lease, l.name, l.connections, l.host, l.pid, l.since, l.heartbeat_at
from leases l join pg_locks k
  on k.locktype = 'advisory' and k.granted and k.pid = l.session_pid and k.objsubid = 1
  and k.database = (select oid from pg_database where datname = current_database())
  and k.classid::bigint = (l.lease >> 32) and k.objid::bigint = (l.lease & 4294967295)
order by l.name
"""


def lease_session(url: str, timeout: float) -> psycopg.Connection[Any]:
    """A dedicated autocommit session whose server ends it after ``timeout`` seconds of silence, named as
    the store's writers name themselves (so that a refused ``sync`` names the daemon)."""
    millis = max(1, int(timeout * 1000))
    return psycopg.connect(
        url,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT,
        application_name=application_name("daemon"),
        options=f"-c idle_session_timeout={millis} -c tcp_user_timeout={millis}",
        tcp_user_timeout=millis,  # the client's side of the same bound, for a network that goes silent
    )


def lease_holders(url: str) -> list[dict[str, Any]]:
    """Who holds which lease now (for ``rankbridge status``)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as session:
        rows = session.cursor(row_factory=dict_row).execute(HOLDERS_SQL).fetchall()
    return [
        {
            "lease": row["name"],
            "connections": [c for c in (row["connections"] or "").split(",") if c],
            "host": row["host"],
            "pid": row["pid"],
            "since": row["since"],
            "heartbeat": row["heartbeat_at"],
        }
        for row in rows
    ]


def notify(url: str, what: str) -> None:
    """Wake every daemon of the store at ``url`` (from a command, e.g. ``sync --now``)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as session:
        session.execute("select pg_notify(%s, %s)", [CHANNEL, what])


class PgLeases(Leases):
    """The leases of one daemon on a PostgreSQL store. Its session also holds the store's writer lock
    *shared* (the writing commands take it exclusive): daemons run side by side, and a ``sync`` or ``pull``
    by hand waits for them all to stop (exit 4), as with an SQLite store."""

    def __init__(self, url: str, timeout: float = 10.0, listen: bool = True) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout
        self.beat_every = timeout / 4
        self.window = timeout / 2
        self._lock = threading.RLock()  # one statement at a time on the session
        self._session: psycopg.Connection[Any] | None = None
        self._held: dict[int, LeaseKey] = {}
        self._answered = 0.0  # time.monotonic() of the session's last answer
        self._closing = threading.Event()
        self._threads = [threading.Thread(target=self._beat, name="rankbridge-lease-heartbeat", daemon=True)]
        if listen:
            self._threads.append(threading.Thread(target=self._listen, name="rankbridge-listen", daemon=True))
        for thread in self._threads:
            thread.start()

    # --- taking and giving back ----------------------------------------------------------------------
    def start(self, wait: float = 0.0, poll: float = 0.2) -> PgLeases:
        """Open the session, waiting up to ``wait`` seconds for a writing command to let go of the store;
        :class:`~sync.daemon.lock.LockHeld` (exit 4) naming it after that."""
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                try:
                    self._open()
                    return self
                except LockHeld:
                    if time.monotonic() >= deadline:
                        self.close()  # its heartbeat and listener end with it
                        raise
            time.sleep(poll)

    def take(self, key: LeaseKey, connections: Iterable[str] = ()) -> bool:
        with self._lock:
            if key.number in self._held:
                return True
            try:
                session = self._open()
            except LockHeld as exc:
                log.warning("not taking %s: %s", key.name, exc)
                return False
            try:
                taken = session.execute("select pg_try_advisory_lock(%s)", [key.number]).fetchone()
                if not (taken and taken[0]):
                    return False
                self._held[key.number] = key
                self._answered = time.monotonic()
                self._record(session, key, connections)
            except psycopg.Error as exc:
                self._lose(f"taking {key.name}: {exc}")
                return False
            return True

    def _record(self, session: psycopg.Connection[Any], key: LeaseKey, connections: Iterable[str]) -> None:
        who, stamp = holder_identity(), now_iso()
        session.execute(
            "insert into leases (lease, name, connections, host, pid, session_pid, since, heartbeat_at) "
            "values (%s, %s, %s, %s, %s, pg_backend_pid(), %s, %s) on conflict (lease) do update set "
            "name = excluded.name, connections = excluded.connections, host = excluded.host, "
            "pid = excluded.pid, session_pid = excluded.session_pid, since = excluded.since, "
            "heartbeat_at = excluded.heartbeat_at",
            [key.number, key.name, ",".join(sorted(connections)), who["host"], who["pid"], stamp, stamp],
        )

    def release(self, key: LeaseKey) -> None:
        with self._lock:
            if self._held.pop(key.number, None) is None or self._session is None:
                return
            try:
                self._session.execute(
                    "delete from leases where lease = %s and session_pid = pg_backend_pid()", [key.number]
                )
                self._session.execute("select pg_advisory_unlock(%s)", [key.number])
            except psycopg.Error as exc:
                self._lose(f"releasing {key.name}: {exc}")

    def guard(self, key: LeaseKey) -> None:
        with self._lock:
            if key.number not in self._held or self._session is None:
                raise LeaseLost(f"the {key.name} lease is no longer held by this daemon")
            if time.monotonic() - self._answered <= self.window:
                return
            try:
                self._session.execute("select 1")
            except psycopg.Error as exc:
                self._lose(str(exc))
                raise LeaseLost(f"the {key.name} lease was lost: its session did not answer") from None
            self._answered = time.monotonic()

    def holders(self) -> list[dict[str, Any]]:
        return lease_holders(self.url)

    def notify(self, what: str) -> None:
        """``NOTIFY`` on the lease session (every daemon's listener, this one's too, wakes up)."""
        with self._lock:
            try:
                self._open().execute("select pg_notify(%s, %s)", [CHANNEL, what])
            except (psycopg.Error, LockHeld) as exc:
                log.warning("could not wake the other daemons (%s): %s", what, exc)
        self.wake.set()

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            for key in list(self._held.values()):
                self.release(key)
            if self._session is not None:
                with contextlib.suppress(psycopg.Error):
                    self._session.close()
                self._session = None

    # --- the session -------------------------------------------------------------------------------
    def _open(self) -> psycopg.Connection[Any]:
        """The session, opened with the writer lock held shared (:class:`LockHeld` when a writing command
        holds it)."""
        if self._session is not None and not self._session.closed:
            return self._session
        session = lease_session(self.url, self.timeout)
        shared = session.execute("select pg_try_advisory_lock_shared(%s)", [WRITER_KEY]).fetchone()
        if not (shared and shared[0]):
            holder = holder_on(session)
            session.close()
            raise LockHeld(redact_url(self.url), holder, 0.0)
        self._session, self._answered = session, time.monotonic()
        return session

    def _lose(self, why: str) -> None:
        """The session failed: every lease on it is gone (the server released the locks with it)."""
        if self._held:
            names = ", ".join(k.name for k in self._held.values())
            log.error("lease session lost (%s); no longer holding: %s", why, names)
        self._held.clear()
        if self._session is not None:
            with contextlib.suppress(psycopg.Error):
                self._session.close()
        self._session = None

    def _beat(self) -> None:
        while not self._closing.wait(self.beat_every):
            with self._lock:
                if self._session is None:
                    continue
                try:
                    self._session.execute(
                        "update leases set heartbeat_at = %s where session_pid = pg_backend_pid()",
                        [now_iso()],
                    )
                    self._answered = time.monotonic()
                except psycopg.Error as exc:
                    self._lose(f"heartbeat: {exc}")

    def _listen(self) -> None:
        """LISTEN on :data:`CHANNEL` and set :attr:`wake` on each notification; reconnect after a failure."""
        while not self._closing.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as session:
                    session.execute(f"listen {CHANNEL}")
                    while not self._closing.is_set():
                        for notice in session.notifies(timeout=1.0):
                            if notice.payload == RELOAD and self.on_reload is not None:
                                self.on_reload()
                            self.wake.set()
            except psycopg.Error as exc:
                log.warning("listening for wake-ups failed (%s); retrying", exc)
                self._closing.wait(1.0)
