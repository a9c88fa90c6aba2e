"""One plan, pushed exactly, through the CLI on the sandbox with all four trackers: the trackers then show
the unified order, our echoes come back as our own and trigger nothing, and a third sync plans nothing."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sandbox.launcher import TOKEN_ENV
from sync.config import load
from sync.daemon.scheduler import Daemon
from tests.writeback.conftest import ORDERED, SERVICES, World

ROOT = Path(__file__).resolve().parents[2]


def canonical(op: dict[str, Any]) -> str:
    return json.dumps([op["connection"], op["kind"], op["payload"]], sort_keys=True)


def test_plan_push_gives_the_unified_order_and_the_next_syncs_plan_nothing(any_world: World) -> None:
    """Over both store backends."""
    world = any_world
    world.cli("pull")
    world.cli("rank")
    plan = world.json("plan")
    ops = plan["ops"]
    by_tracker = Counter(op["connection"] for op in ops)
    assert set(by_tracker) == set(SERVICES), by_tracker
    for op in ops:  # every op says what it changes from and to, and why
        assert op["reason"] and op["key"]
        if op["kind"] == "field":
            assert op["payload"]["field"] in op["before"] and "value" in op["payload"]
            assert repr(op["payload"]["value"]) in op["reason"]
        if op["kind"] == "rank":
            assert set(op["before"]["positions"]) == set(op["payload"]["items"])
            assert op["connection"] != "github" or len(op["payload"]["items"]) == 1  # one op per moved item
    table = world.cli("plan").output
    assert all(tracker in table for tracker in SERVICES)

    world.box.reset()
    pushed = world.cli("push", "--yes")
    assert "failed" in pushed.output
    log = world.json("log")[0]
    assert sorted(map(canonical, log["ops"])) == sorted(map(canonical, ops))  # exactly the plan
    assert {o["result"] for o in log["ops"]} == {"ok"}
    for service in ORDERED:
        world.assert_unified(service)

    second = world.json("sync")
    # Everything that came back was our own; the only consequence: the mirrors we closed left the
    # ranking, so the feedback asking for work gets new ranks and linked statuses (never a re-order).
    assert sum(s["changed"] for s in second["pull"]) == 0
    assert sum(s["echoes"] for s in second["pull"]) > 0
    consequences = second["plan"]["ops"]
    assert {(o["connection"], o["kind"]) for o in consequences} <= {("zendesk", "fields")}, consequences
    world.box.reset()
    third = world.json("sync")
    assert third["plan"]["ops"] == [] and third["push"] is None
    assert sum(s["changed"] for s in third["pull"]) == 0  # only the echoes of the second sync's writes
    assert all(not world.writes(s) for s in SERVICES)


def test_push_refuses_a_plan_older_than_the_last_pull(world: World) -> None:
    world.cli("pull")
    world.cli("plan")
    world.cli("pull")
    refused = world.cli("push", "--yes", code=3)
    assert "older than the last pull" in refused.output
    assert all(not world.writes(s) for s in SERVICES)


def test_push_asks_on_a_terminal(world: World) -> None:
    world.cli("pull")
    world.cli("rank")
    planned = len(world.json("plan")["ops"])
    env = os.environ | {TOKEN_ENV: world.box.token}
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "cli", "--config", str(world.config), "push"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 30
    while b"[y/N]" not in shown and time.monotonic() < deadline:
        shown += os.read(master, 4096)
    assert f"apply {planned} op(s) to the trackers?".encode() in shown, shown
    os.write(master, b"n\n")
    assert process.wait(timeout=30) != 0
    os.close(master)
    assert all(not world.writes(s) for s in SERVICES)
    assert len(world.sql("select * from outbox where state = 'pending'")) == planned


def test_the_daemon_takes_our_echoes_for_our_own(world: World) -> None:
    world.cli("sync")
    plans = len(world.sql("select id from runs where kind = 'plan'"))
    daemon = Daemon(load(world.config))
    try:
        for name in SERVICES:
            assert daemon.run_connection(name).ok
        # nothing changed that a plan has not seen: no rank, plan or push
        assert world.sql("select connection from connection_schedule where plan_owed = 1") == []
    finally:
        daemon.close()
    assert len(world.sql("select id from runs where kind = 'plan'")) == plans
    pulls = world.sql("select stats from runs where kind = 'pull' order by id desc limit 4")
    assert all('"changed": 0' in p["stats"] for p in pulls)
