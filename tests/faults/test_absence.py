"""Gone by absence, through the CLI on all four emulators: an item deleted in the tracker (permanently,
where the service deletes softly first) is marked deleted by the next *whole* read of its stream (a
stream's first pull, `pull --full`, or the periodic re-read after ``full_read_hours``), leaves the ranking,
and its pending ops are dropped with a note. An incremental pull, a read that stops midway (the page cap)
and a read that quarantined a payload mark nothing; an item listed again is undeleted."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import service_types
from tests.faults.conftest import FAST_POLICY, RULES, FaultWorld
from tests.worlds import start_sandbox, write_world_config

# Pages of three records, so that an item stream takes several pages and a cap of one stops it midway.
SMALL_PAGES: dict[str, dict[str, Any]] = {
    "jira": {"max_results": 3},
    "github": {"page_size": 3},
    "linear": {"page_size": 3},
    "zendesk": {"page_size": 3},
}


def configure(world: FaultWorld, **extra: Any) -> None:
    tables = {name: SMALL_PAGES[name] | extra for name in world.box.served}
    write_world_config(world.box, world.config_path.parent, RULES, connections=tables, policy=FAST_POLICY)


def pull(world: FaultWorld, *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = world.cli("pull", "--json", *args)
    return done.returncode, json.loads(done.stdout)


def rows(world: FaultWorld, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(world.store_path)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def uid_of(world: FaultWorld, service: str, key: str) -> str:
    return str(rows(world, "select uid from items where connection = ? and key = ?", [service, key])[0][0])


def ranked(world: FaultWorld) -> set[str]:
    """The uids `rank` ranks (and saves as the current ranking)."""
    done = world.cli("rank", "--json", "--limit", "0")
    assert done.returncode == 0, done.stderr
    return {row["uid"] for row in json.loads(done.stdout)["ranking"]}


def stream_of(world: FaultWorld, uid: str) -> str:
    """The item stream that lists ``uid`` (GitHub: one per repository)."""
    connection, container = rows(world, "select connection, container from items where uid = ?", [uid])[0]
    return {"github": f"issues:{container}", "zendesk": "tickets"}.get(connection, "issues")


def deleted(world: FaultWorld, uids: list[str]) -> dict[str, int]:
    marks = ",".join("?" * len(uids))
    return dict(rows(world, f"select uid, deleted from items where uid in ({marks})", uids))  # type: ignore[arg-type]


def open_items(world: FaultWorld, service: str) -> list[dict[str, Any]]:
    return [
        i
        for i in world.box.state(service)["items"]
        if i["status_category"] not in ("done", "canceled") and not i.get("deleted")
    ]


def start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, services: list[str]) -> FaultWorld:
    box = start_sandbox(monkeypatch, services, items=9, seed=11)
    made = FaultWorld(box, tmp_path / "rankbridge.toml", tmp_path / "store.db")
    if "zendesk" in services:  # pages of three: more than 10 exports a minute
        box.faults("zendesk", {"export_per_minute": 10_000})
    configure(made)
    return made


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    made = start(tmp_path, monkeypatch, getattr(request, "param", service_types()))
    yield made
    made.box.stop()


def test_an_item_no_longer_listed_by_a_whole_read_is_deleted_and_its_ops_dropped(world: FaultWorld) -> None:
    assert world.cli("sync").returncode == 0
    doomed: dict[str, str] = {}  # service -> uid
    for service in world.services:
        target = open_items(world, service)[0]
        labels = sorted({*target["labels"], "rb-close"})  # the close rule: a status op for it
        world.box.edit(service, {"key": target["key"], "set": {"labels": labels}})
        doomed[service] = uid_of(world, service, target["key"])
    assert world.cli("pull").returncode == 0
    uids = list(doomed.values())
    issues = {uid for service, uid in doomed.items() if service != "zendesk"}  # tickets are not ranked
    assert issues <= ranked(world)
    assert world.cli("plan").returncode == 0
    marks = ",".join("?" * len(uids))
    pending_sql = f"select scope, state, error from outbox where scope in ({marks}) and state = ?"
    assert {r[0] for r in rows(world, pending_sql, [*uids, "pending"])} == set(uids)
    for service, uid in doomed.items():
        key = rows(world, "select key from items where uid = ?", [uid])[0][0]
        world.box.edit(service, {"key": key, "delete": "permanent"})

    # An incremental pull, and a whole read stopped midway by the page cap, mark nothing.
    code, report = pull(world)
    assert code == 0 and not any(s["gone"] for s in report)
    configure(world, max_pages=1)
    code, report = pull(world, "--full")
    stopped = {(s["connection"], s["stream"]) for s in report if s["whole"] and s["error"]}
    assert code == 1 and {(c, stream_of(world, uid)) for c, uid in doomed.items()} <= stopped, report
    assert not any(s["gone"] for s in report)
    assert set(deleted(world, uids).values()) == {0}

    # A whole read that completes marks them deleted, drops their ops with a note, and they leave the
    # ranking; the rest stays.
    configure(world)
    code, report = pull(world, "--full")
    assert code == 0, [(s["stream"], s["error"]) for s in report if s["error"]]
    assert sorted(u for s in report for u in s["gone"]) == sorted(uids)
    assert set(deleted(world, uids).values()) == {1}
    dropped = rows(world, pending_sql, [*uids, "gone"])
    assert {r[0] for r in dropped} == set(uids)
    assert all("no longer listed by a whole read" in r[2] for r in dropped)
    still = ranked(world)
    assert still and not still & set(uids)  # the others are still ranked
    assert rows(world, f"select uid from scores where uid in ({marks})", uids) == []
    plan = json.loads(world.cli("plan", "--json").stdout)
    assert not {op["scope"] for op in plan["ops"]} & set(uids)


@pytest.mark.parametrize("world", [["jira", "github"]], indirect=True)
def test_a_listed_item_is_undeleted_and_the_periodic_whole_read_finds_deletions(world: FaultWorld) -> None:
    assert world.cli("pull").returncode == 0
    # An item marked deleted (as a 404 would) that the tracker lists again comes back.
    back = uid_of(world, "github", open_items(world, "github")[0]["key"])
    connection = sqlite3.connect(world.store_path)
    connection.execute("update items set deleted = 1 where uid = ?", [back])
    connection.commit()
    connection.close()
    code, report = pull(world, "--full")
    assert code == 0 and deleted(world, [back]) == {back: 0}

    # The periodic re-read: with full_read_hours short, a plain pull reads the item streams whole.
    target = open_items(world, "jira")[0]
    uid = uid_of(world, "jira", target["key"])
    world.box.edit("jira", {"key": target["key"], "delete": True})  # Jira deletes for good
    configure(world, full_read_hours=0.0001)  # 0.36 s
    time.sleep(0.5)
    code, report = pull(world, "jira")
    assert code == 0 and [s["whole"] for s in report] == [True]
    assert report[0]["gone"] == [uid] and deleted(world, [uid]) == {uid: 1}
    configure(world)  # 24 h: the next pull reads from its cursor again
    code, report = pull(world, "jira")
    assert code == 0 and [s["whole"] for s in report] == [False]


@pytest.mark.parametrize("world", [["zendesk"]], indirect=True)
def test_a_whole_read_that_quarantined_a_payload_marks_nothing(world: FaultWorld) -> None:
    assert world.cli("pull", "zendesk").returncode == 0
    tickets = [i for i in world.box.state("zendesk")["items"] if not i.get("deleted")]
    gone, broken = tickets[0], tickets[1]
    world.box.edit("zendesk", {"key": gone["key"], "delete": "permanent"})
    world.box.edit("zendesk", {"key": broken["key"], "raw": world.box.emulator("zendesk").BROKEN_RAW})
    _, report = pull(world, "zendesk", "--full")
    assert sum(s["quarantined"] for s in report) >= 1, report
    assert not any(s["gone"] for s in report)
    uid = uid_of(world, "zendesk", gone["key"])
    assert deleted(world, [uid]) == {uid: 0}
