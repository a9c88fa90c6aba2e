"""PostgreSQL leases between real sessions (a throwaway server): one holder per lease, released with its
session (closed, or ended by the server), a guard that refuses once the session is gone, the holders listed
from pg_locks, the store's writer lock held shared by daemons, and NOTIFY waking every daemon."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from sync.daemon.advisory import AdvisoryStoreLock
from sync.daemon.lease import LeaseKey, LeaseLost
from sync.daemon.lock import LockHeld
from sync.daemon.pglease import PgLeases, lease_holders, notify
from sync.store import Store

JIRA = LeaseKey.of("connection:jira", "jira-site-and-token")
STAGES = LeaseKey.of("stages", "stages")


def eventually(check: Callable[[], bool], within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def url(postgres_url: str) -> str:
    Store(postgres_url).close()  # the tables, as a daemon's store makes them
    return postgres_url


@pytest.fixture
def two(url: str) -> Iterator[tuple[PgLeases, PgLeases]]:
    first, second = PgLeases(url, timeout=2.0).start(), PgLeases(url, timeout=2.0).start()
    yield first, second
    first.close()
    second.close()


def test_a_lease_has_one_holder_until_released(two: tuple[PgLeases, PgLeases], url: str) -> None:
    first, second = two
    assert first.take(JIRA, ["jira"]) and first.take(STAGES)
    assert not second.take(JIRA) and not second.take(STAGES)
    first.guard(JIRA)
    holders = {row["lease"]: row for row in lease_holders(url)}
    assert set(holders) == {"connection:jira", "stages"}
    assert holders["connection:jira"]["connections"] == ["jira"] and holders["stages"]["heartbeat"]
    first.release(JIRA)
    with pytest.raises(LeaseLost):
        first.guard(JIRA)
    assert second.take(JIRA)
    assert [row["lease"] for row in lease_holders(url)] == ["connection:jira", "stages"]


def test_a_session_the_server_ends_loses_every_lease_and_the_guard_refuses(
    two: tuple[PgLeases, PgLeases], url: str
) -> None:
    first, second = two
    assert first.take(JIRA)
    with psycopg.connect(url, autocommit=True) as admin:  # what the server does after idle_session_timeout
        admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where pid in "
            "(select session_pid from leases where name = 'connection:jira')"
        )
    assert eventually(lambda: second.take(JIRA))  # the lock went with the session
    first._answered -= 10  # as after a freeze: the last answer is older than the window
    with pytest.raises(LeaseLost):
        first.guard(JIRA)
    assert len(lease_holders(url)) == 1  # the dead session's row is not shown


def test_an_idle_session_ends_after_the_lease_timeout(url: str) -> None:
    frozen = PgLeases(url, timeout=1.0).start()
    try:
        assert frozen.take(JIRA)
        frozen._closing.set()  # no more heartbeats: the session sits idle, as in a frozen process
        other = PgLeases(url, timeout=1.0).start()
        try:
            assert eventually(lambda: other.take(JIRA), within=6), "taken once the server ended the session"
            other.guard(JIRA)
        finally:
            other.close()
    finally:
        frozen.close()


def test_daemons_hold_the_writer_lock_shared(url: str) -> None:
    daemon = PgLeases(url).start()
    try:
        with pytest.raises(LockHeld, match="daemon"):
            AdvisoryStoreLock(url, "sync").acquire()  # a writing command waits for the daemons
        PgLeases(url).start().close()  # another daemon starts beside it
    finally:
        daemon.close()
    # (the closed sessions' backends end a moment later: the command waits that long)
    with AdvisoryStoreLock(url, "sync", wait=5), pytest.raises(LockHeld, match="sync"):
        PgLeases(url).start()  # and a daemon does not start while a command writes


def test_notify_wakes_every_daemon(url: str) -> None:
    daemons = [PgLeases(url).start(), PgLeases(url).start()]
    try:
        time.sleep(0.5)  # their listeners are listening
        for daemon in daemons:
            daemon.wake.clear()
        notify(url, "run")
        assert all(daemon.wake.wait(3) for daemon in daemons)
    finally:
        for daemon in daemons:
            daemon.close()
