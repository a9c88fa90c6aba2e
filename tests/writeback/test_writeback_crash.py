"""A SIGKILL at each step of ``rankbridge push`` (a subprocess), then a rerun: no op reaches a tracker
twice, counted from the emulator's request log, and the trackers end as the plan says.

No hooks in product code: the emulator holds the first write where we want the kill to land.

* before send: the push has marked the op ``sending`` in the outbox and ``latency`` holds its request
  before it is handled; we kill; the emulator then finds the client gone and never applies the write
  (499), or the kill lands before the request left at all.
* after send: ``response_delay`` holds the answer after the write is applied and logged; we kill.
* before journal: the write is applied and answered, and the push waits for the store's write lock (held
  by this test, as any other client of the store's database could) to journal it; we kill. This step runs
  over both store backends (SQLite, PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.writeback.conftest import ORDERED, World

ROOT = Path(__file__).resolve().parents[2]
HOLD = {"before_send": {"latency": 1.5}, "after_send": {"response_delay": 1.5}}


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def push(world: World) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli", "--config", str(world.config), "push", "--yes"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def sending(world: World, service: str) -> list[dict[str, Any]]:
    return world.sql("select key from outbox where connection = ? and state = 'sending'", service)


@contextmanager
def journal_held(world: World) -> Iterator[None]:
    """Hold the journal against writers, as any client of the store's database could: SQLite's write lock,
    or PostgreSQL's table lock (reads go on, an insert into the journal waits)."""
    if str(world.store).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(world.store)) as conn:  # one transaction, rolled back on leaving
            conn.execute("LOCK TABLE journal IN EXCLUSIVE MODE")
            yield
            conn.rollback()
        return
    lock = sqlite3.connect(world.store, timeout=30, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        lock.rollback()
        lock.close()


def kill_at(world: World, service: str, step: str) -> str:
    """Run a push, kill it at ``step`` of the first write to ``service``; returns the op key in flight."""
    world.box.faults(service, {**HOLD.get(step, {"response_delay": 0.5}), "only_writes": True})
    process = push(world)
    try:
        key = wait_for("an op marked sending", lambda: sending(world, service))[0]["key"]
        if step == "before_journal":
            with journal_held(world):  # the push can send and hear back, but not journal
                wait_for("the write to land", lambda: world.writes(service))
                time.sleep(0.8)  # past the response delay: the answer is in, the journal waits
                process.send_signal(signal.SIGKILL)
                assert process.wait(timeout=10) == -signal.SIGKILL
        else:
            if step == "after_send":
                wait_for("the write to land", lambda: world.writes(service))
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    world.box.faults(service, {})
    return str(key)


@pytest.mark.parametrize("step", ["before_send", "after_send"])
def test_a_kill_at_any_step_of_push_never_sends_an_op_twice(world: World, step: str) -> None:
    check_kill(world, "jira", step)


def test_a_kill_before_the_journal_never_sends_an_op_twice(any_world: World) -> None:
    """The third step, over both store backends."""
    check_kill(any_world, "jira", "before_journal")


@pytest.mark.soak
@pytest.mark.parametrize("service", ["github", "linear"])
@pytest.mark.parametrize("step", ["before_send", "after_send", "before_journal"])
def test_a_kill_in_every_ordered_tracker(world: World, service: str, step: str) -> None:
    check_kill(world, service, step)


def check_kill(world: World, service: str, step: str) -> None:
    world.cli("pull")
    world.cli("rank")
    planned = world.json("plan")["ops"]
    mine = [o for o in planned if o["connection"] == service]
    assert mine, f"nothing planned for {service}"
    world.box.reset()

    in_flight = kill_at(world, service, step)
    states = {r["key"]: r["state"] for r in world.sql("select key, state from outbox")}
    assert states[in_flight] == "sending"
    log = world.box.requests(service)
    landed = [r for r in log if r["mutating"]]
    # Before send: the write never landed (held and dropped as 499, or not even sent); after: it did.
    assert len(landed) == (0 if step == "before_send" else 1), log[-5:]

    rerun = subprocess.run(
        [sys.executable, "-m", "cli", "--config", str(world.config), "push", "--yes"],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env=os.environ,
    )
    assert rerun.returncode == 0, rerun.stderr.decode()

    # Each write reached the tracker at most once across both runs, and every planned op exactly once.
    writes = world.writes(service)
    per_target = Counter((r["method"], r["path"], r["digest"]) for r in writes)
    assert max(per_target.values()) == 1, per_target
    journal = world.sql("select op_key, result from journal where connection = ?", service)
    settled = Counter(r["op_key"] for r in journal if r["result"] in ("ok", "already"))
    assert settled == Counter(o["key"] for o in mine)
    in_flight_result = next(r["result"] for r in journal if r["op_key"] == in_flight)
    assert in_flight_result == ("ok" if step == "before_send" else "already")
    if service == "jira":  # one request per op
        assert len(writes) == len(mine)
    assert {r["state"] for r in world.sql("select state from outbox")} == {"done"}

    # The trackers show what the plan says: the unified order, and nothing left to write for them.
    world.cli("pull")
    for ordered in ORDERED:
        world.assert_unified(ordered)
    world.cli("rank")
    assert not [o for o in world.json("plan")["ops"] if o["connection"] in ORDERED]
