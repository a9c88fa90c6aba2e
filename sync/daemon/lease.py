"""Leases: which daemon syncs which connection, and which one runs the global stages.

A lease is held by one daemon at a time. Connections that share a rate budget (the same service host and
the same credential) share one lease, so two daemons never spend one budget at once; the global stages
(rank and plan; the push of the plan a single ``daemon --once`` makes) have one more lease (:data:`STAGES`).
A daemon pushes a connection's staged ops under that connection's lease, in the connection's own job, so
that a slow tracker's writes hold up nobody else's.

Two implementations behind :class:`Leases`:

* :class:`FileLeases` (an SQLite store): the daemon holds the store's file lock (:mod:`sync.daemon.lock`)
  for as long as it runs, so it holds every lease and no second daemon starts; the kernel releases the lock
  when the process dies, and a frozen holder keeps it (nobody else could take over anyway).
* :class:`sync.daemon.pglease.PgLeases` (a PostgreSQL store): session-level advisory locks on a
  dedicated session with a heartbeat, so a daemon that dies, freezes or is cut off loses its leases within
  the lease timeout and another takes over.

Before each tracker write, and each store commit of a push, the holder calls :meth:`Leases.guard`: it
raises :class:`LeaseLost` unless the lease session answered recently, so a daemon that froze (SIGSTOP, a
long pause) and lost its lease meanwhile writes nothing after it wakes up.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from sync.config import Config
from sync.daemon.lock import current_holder
from sync.errors import StoreBusy


class LeaseLost(StoreBusy):
    """This daemon's lease session stopped answering (or was cut): it may no longer hold its leases, so it
    must not write to a tracker or commit the outcome of a push."""


@dataclass(frozen=True)
class LeaseKey:
    """One lease: a readable ``name`` and the 63-bit ``number`` of its advisory lock."""

    name: str
    number: int

    @classmethod
    def of(cls, name: str, identity: str) -> LeaseKey:
        digest = hashlib.sha256(f"rankbridge-lease\0{identity}".encode()).digest()
        return cls(name, int.from_bytes(digest[:8], "big") >> 1)  # positive: pg_locks shows it plainly


STAGES = LeaseKey.of("stages", "stages")


def budget_identity(connection: BaseModel) -> str:
    """What a connection's rate budget belongs to: its type, its service's host and its credential (the
    secrets digested, never kept; the e-mail or user it authenticates as)."""
    data = dict(connection)
    url = urlsplit(str(data.get("url", "")))
    parts = [str(data.get("type", "")), url.scheme.lower(), url.netloc.lower()]
    for name, value in sorted(data.items()):
        if isinstance(value, SecretStr):
            secret = value.get_secret_value().encode()
            parts.append(f"{name}={hashlib.sha256(secret).hexdigest()}")
        elif name in ("email", "user", "username") and value:
            parts.append(f"{name}={str(value).lower()}")
    return "\0".join(parts)


def connection_leases(connections: Mapping[str, BaseModel]) -> dict[str, LeaseKey]:
    """Each connection's lease; connections sharing a budget share one, named after the first of them."""
    by_identity: dict[str, LeaseKey] = {}
    leases: dict[str, LeaseKey] = {}
    for name in sorted(connections):
        identity = budget_identity(connections[name])
        key = by_identity.setdefault(identity, LeaseKey.of(f"connection:{name}", identity))
        leases[name] = key
    return leases


def holder_identity() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


class Leases(ABC):
    """The leases of one daemon. Thread-safe; a lease is taken without waiting (a daemon that cannot take
    one leaves it to its holder and goes on with other work)."""

    #: seconds a holder may go without answering before it loses its leases (PostgreSQL only)
    timeout: float = 0.0

    def __init__(self) -> None:
        self.wake = threading.Event()  # set to wake the daemon's dispatcher (a run asked for, stages due)
        self.on_reload: Callable[[], None] | None = None  # called when a config reload is asked for

    @abstractmethod
    def take(self, key: LeaseKey, connections: Iterable[str] = ()) -> bool:
        """Take ``key`` if nobody holds it; True when this daemon holds it now."""

    @abstractmethod
    def release(self, key: LeaseKey) -> None:
        """Give ``key`` back (nothing when not held)."""

    @abstractmethod
    def guard(self, key: LeaseKey) -> None:
        """Raise :class:`LeaseLost` unless ``key`` is certainly still this daemon's."""

    @abstractmethod
    def holders(self) -> list[dict[str, Any]]:
        """Who holds which lease: ``lease``, ``connections``, ``host``, ``pid``, ``since``, ``heartbeat``."""

    def notify(self, what: str) -> None:
        """Wake every daemon of this store (``what``: ``run``, ``stages``, ``config``)."""
        self.wake.set()

    def close(self) -> None:  # noqa: B027 - an SQLite store's lease ends with its file lock
        """Release every lease and end the sessions."""


class FileLeases(Leases):
    """An SQLite store's leases: the store's file lock, held by the one daemon for as long as it runs."""

    def __init__(self, store_path: str) -> None:
        super().__init__()
        self.store_path = store_path

    def take(self, key: LeaseKey, connections: Iterable[str] = ()) -> bool:
        return True

    def release(self, key: LeaseKey) -> None:
        return None

    def guard(self, key: LeaseKey) -> None:
        return None  # the kernel keeps a flock for as long as its process lives, frozen or not

    def holders(self) -> list[dict[str, Any]]:
        holder = current_holder(self.store_path)
        if holder is None:
            return []
        return [
            {
                "lease": "store (every connection and the stages)",
                "connections": [],
                "host": socket.gethostname(),
                "pid": holder.pid,
                "since": holder.started_at,
                "heartbeat": None,
            }
        ]


def open_leases(config: Config, wait: float = 0.0) -> Leases:
    """The leases of the configured store: advisory locks on a PostgreSQL store (started here, waiting up
    to ``wait`` seconds for a writing command to let go), the file lock of an SQLite store (held by the
    daemon command itself)."""
    if config.store.url is not None:
        from sync.daemon.pglease import PgLeases

        return PgLeases(config.store.location, config.daemon.lease_timeout).start(wait)
    return FileLeases(config.store.path)


def lease_holders(config: Config) -> list[dict[str, Any]]:
    """Who holds which lease of the configured store now (``rankbridge status``), without taking any."""
    if config.store.url is not None:
        from sync.daemon.pglease import lease_holders as on_postgres

        return on_postgres(config.store.location)
    return FileLeases(config.store.path).holders()


def request_run(config: Config) -> list[str]:
    """``rankbridge sync --now``: make every connection due in the shared schedule and wake the daemons
    (PostgreSQL: ``NOTIFY``; an SQLite store's daemon sees it at its next look, within half a second). The
    connections made due (none before a daemon first ran on the store)."""
    from sync.store import Store

    store = Store(config.store.location)
    try:
        names = store.run_now()
    finally:
        store.close()
    if config.store.url is not None:
        from sync.daemon.pglease import notify

        notify(config.store.location, "run")
    return names
