"""At most once, always asking first: random SIGKILLs during ``push``, ``sync`` and the daemon, with every op
kind every tracker writes (moves, score fields, statuses, comments, tags; Linear's priority by rank in the
daemon variant) in flight. After each kill, settling syncs; then every intended write is on the tracker
exactly once: the emulators' request logs hold no mutating request twice (duplicates = 0), and nothing
intended is left unwritten (lost = 0: the settled sync plans no op, and no op is left ``sending`` or
``unverifiable`` in the outbox). Each run prints its figures (``make soak`` shows them)."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import connector_class, service_types
from sync.model import OpKind
from tests.faults.conftest import FAST_POLICY, RULES, FaultWorld, write_target
from tests.worlds import start_sandbox, write_world_config

LATENCY = 0.05
# With the fault rules (close: status; note: comment on feedback), every op kind: a note and a tag on
# issues a person labels (Linear takes neither comments nor tags, so its issues get none).
KIND_RULES: list[dict[str, Any]] = [
    {
        "name": "crash note",
        "when": "'rb-note' in labels and source != 'linear'",
        "comment": "Looked at {key}",
    },
    {"name": "crash tag", "when": "'rb-tag' in labels and source != 'linear'", "tag": "rb-tagged"},
]
COMMANDS = ("push", "sync", "daemon")
# The op kinds a sync or the daemon writes (undo's untag and unplace aside); Zendesk's bulk update of
# several tickets' fields counts as its field writes.
UNDO_KINDS = frozenset({OpKind.UNTAG.value, OpKind.UNPLACE.value})
SAME_KIND = {OpKind.FIELDS.value: OpKind.FIELD.value}


@dataclass
class Tally:
    trials: int = 0
    kills: int = 0
    kinds: set[tuple[str, str]] = field(default_factory=set)
    ops: int = 0
    lost: int = 0  # ops still planned after settling, or left sending/unverifiable
    by_command: Counter[str] = field(default_factory=Counter)  # kills per command

    def line(self, duplicates: int) -> str:
        return (
            f"trials={self.trials} kills={self.kills} ({dict(self.by_command)}) ops={self.ops} "
            f"duplicates={duplicates} lost={self.lost} op kinds={len(self.kinds)}: {sorted(self.kinds)}"
        )


def crash_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    items: int,
    seed: int,
    services: list[str] | None = None,
    connections: dict[str, dict[str, Any]] | None = None,
) -> FaultWorld:
    box = start_sandbox(monkeypatch, services or service_types(), items=items, seed=seed)
    tables = RULES | {
        "daemon": {"port": 0, "jitter": 0.1},
        "status": {"rules": [*RULES["status"]["rules"], *KIND_RULES]},
    }
    every_second = {name: {"interval": 1, **(connections or {}).get(name, {})} for name in box.served}
    path = write_world_config(box, tmp_path, tables, connections=every_second, policy=FAST_POLICY)
    if "zendesk" in box.served:  # one-second daemon cycles need more than 10 exports a minute
        box.faults("zendesk", {"export_per_minute": 10_000})
    return FaultWorld(box, path, tmp_path / "store.db")


def person_edits(world: FaultWorld, rng: random.Random) -> None:
    """A person labels a few open items: notes, tags and closes follow, and titles change the ranking."""
    for service in world.services:
        items = [
            i
            for i in world.box.state(service)["items"]
            if i["status_category"] not in ("done", "canceled") and not i.get("deleted")
        ]
        for item in rng.sample(items, min(2, len(items))):
            label = rng.choice(["rb-note", "rb-tag", "rb-close", "rb-tag"])
            labels = sorted({*item.get("labels", []), label})
            change = {"labels": labels, "title": f"{item['title']} +"}
            world.box.edit(service, {"key": item["key"], "set": change})


def kill_during(world: FaultWorld, command: str, delay: float) -> bool:
    """Run ``command`` (the daemon for ``daemon``), SIGKILL it after ``delay`` s; True if it was running."""
    args = {"push": ("push", "--yes"), "sync": ("sync",), "daemon": ("daemon",)}[command]
    return world.kill_after(args, delay)


def settle(world: FaultWorld) -> dict[str, Any]:
    """Syncs after a kill until one plans nothing (at most five: a status we set moves the ranking, and the
    fields that show it follow one sync later); the last sync's report."""
    report: dict[str, Any] = {}
    for _ in range(5):
        done = world.cli("sync", "--json")
        assert done.returncode in (0, 1), done.stderr
        report = json.loads(done.stdout)
        if not report["plan"]["ops"]:
            break
    return report


def duplicates(world: FaultWorld) -> dict[str, dict[str, int]]:
    out = {}
    for service in world.services:
        # the query names the target too (Zendesk's update_many takes its ticket ids there)
        writes = Counter(
            write_target(r) + json.dumps(r.get("query"), sort_keys=True)
            for r in world.requests(service)
            if r["mutating"]
        )
        twice = {target: n for target, n in writes.items() if n > 1}
        if twice:
            out[service] = twice
    return out


def run_trials(world: FaultWorld, trials: int, seed: int, commands: tuple[str, ...] = COMMANDS) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    assert world.cli("sync").returncode in (0, 1)  # a first sync: the order and fields are written once
    for trial in range(trials):
        person_edits(world, rng)
        command = commands[trial % len(commands)]
        world.faults({"latency": LATENCY})
        if command == "push":
            for stage in ("pull", "rank", "plan"):
                assert world.cli(stage).returncode in (0, 1)
        killed = kill_during(world, command, 0.5 + rng.uniform(0.1, 1.5))
        tally.kills += killed
        tally.by_command[command] += killed
        world.faults({})
        report = settle(world)
        tally.trials += 1
        tally.lost += len(report["plan"]["ops"])  # still wanted after settling: never written
    connection = sqlite3.connect(world.store_path)
    try:
        rows = connection.execute("select connection, kind, result from journal").fetchall()
        stuck = connection.execute(
            "select count(*) from outbox where state in ('sending', 'unverifiable')"
        ).fetchone()[0]
    finally:
        connection.close()
    tally.lost += stuck
    tally.ops = sum(1 for _, _, result in rows if result in ("ok", "already"))
    tally.kinds = {(c, SAME_KIND.get(k, k)) for c, k, result in rows if result in ("ok", "already")}
    return tally


def every_kind(world: FaultWorld) -> set[tuple[str, str]]:
    """(connection, op kind) for every kind each connection's connector takes from a sync."""
    config = world.config()
    return {
        (name, SAME_KIND.get(kind, kind))
        for name, connection in config.connections.items()
        for kind in connector_class(connection.type).op_kinds - UNDO_KINDS
    }


def check(world: FaultWorld, tally: Tally, kinds: set[tuple[str, str]] | None = None) -> None:
    twice = duplicates(world)
    print(tally.line(sum(sum(n - 1 for n in t.values()) for t in twice.values())))
    assert twice == {}
    assert tally.lost == 0, tally
    assert tally.kills >= max(1, tally.trials // 2), tally
    for kind in ("rank", "status", "comment", "tags"):
        assert any(k == kind for _, k in tally.kinds), (kind, tally.kinds)
    if kinds is not None:
        assert kinds <= tally.kinds, sorted(kinds - tally.kinds)


def test_kills_during_push_sync_and_daemon_never_write_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = crash_world(tmp_path, monkeypatch, items=8, seed=21)
    try:
        # the quick variant: a kill in the daemon and one in a push (make soak adds sync and many more)
        check(world, run_trials(world, trials=2, seed=21, commands=("daemon", "push")))
    finally:
        world.box.stop()


@pytest.mark.soak
def test_many_kills_never_write_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 trials, a kill in a push, a sync or the daemon in turn."""
    world = crash_world(tmp_path, monkeypatch, items=20, seed=5)
    try:
        check(world, run_trials(world, trials=40, seed=5))
    finally:
        world.box.stop()


@pytest.mark.soak
def test_many_daemon_kills_never_write_twice_for_every_op_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kills in the daemon only, until every op kind of every tracker was written (Linear's priority by
    rank included): each written once."""
    # Counts, not shares: a band's size then stays as items close, so an issue's priority only rises and
    # writing a value it had before would be a write sent twice (with shares, a band shrinks with the
    # ranked count and a priority can legitimately go back and forth).
    linear_priority = {"linear": {"priority_by_rank": [2, 3, 4]}}
    world = crash_world(tmp_path, monkeypatch, items=20, seed=9, connections=linear_priority)
    try:
        check(world, run_trials(world, trials=20, seed=9, commands=("daemon",)), every_kind(world))
    finally:
        world.box.stop()


def test_a_comment_is_confirmed_by_its_marker_and_posted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A posted comment is found again by the marker it carries: it is confirmed (not failed), and the
    syncs after it post nothing (Jira's used to be re-posted by every push)."""
    services = ["jira", "github", "zendesk"]
    world = crash_world(tmp_path, monkeypatch, items=6, seed=3, services=services)
    try:
        for service in services:
            target = next(
                i
                for i in world.box.state(service)["items"]
                if i["status_category"] not in ("done", "canceled")
            )
            labels = [*target["labels"], "rb-note"]
            world.box.edit(service, {"key": target["key"], "set": {"labels": labels}})
        for _ in range(3):
            assert world.cli("sync").returncode == 0
        for service in services:
            posts = [
                r for r in world.requests(service) if r["mutating"] and "Looked at" in (r.get("body") or "")
            ]
            assert len(posts) == 1, (service, posts)
            assert "rankbridge:" in posts[0]["body"]
    finally:
        world.box.stop()
