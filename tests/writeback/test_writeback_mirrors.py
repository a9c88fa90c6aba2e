"""Cross-tracker status rules on mirrors the sandbox states in descriptions ("Mirror of <url>"): a status
decision on one item becomes the native write in the other tracker (Jira: a transition by status
category; Linear: the team's state of that type; GitHub: close with the reason the category implies)."""

from __future__ import annotations

from typing import Any

from tests.writeback.conftest import World


def state(world: World, service: str, key: str) -> dict[str, Any]:
    return next(i for i in world.box.state(service)["items"] if i["key"] == key)


def pairs(world: World) -> set[tuple[str, str]]:
    rows = world.sql(
        "select a.key as a, b.key as b, a.source as sa, b.source as sb from links l "
        "join items a on a.uid = l.src_uid join items b on b.uid = l.dst_uid "
        "where l.type = 'mirrors' and l.origin = 'rule'"
    )
    return {(f"{r['sa']}:{r['a']}", f"{r['sb']}:{r['b']}") for r in rows}


def test_status_decisions_reach_the_mirrors_in_the_other_trackers(world: World) -> None:
    first = world.json("sync")
    found = pairs(world)
    assert {("github:acme/app#3", "jira:ENG-4"), ("github:acme/app#6", "linear:ENG-2")} <= found, found
    assert {s.split(":")[0] for pair in found for s in pair} == {"jira", "github", "linear"}
    reasons = [o["reason"] for o in first["plan"]["ops"] if o["kind"] == "status"]
    # Already done in the generated world: Jira ENG-2 and ENG-6 close their GitHub mirrors as completed,
    # and GitHub acme/api#1 moves its Linear mirror to the team's "completed" state.
    assert any(
        "ENG-2 is done, so its mirror acme/app#2 todo → done (closed as completed)" in r for r in reasons
    )
    assert state(world, "github", "acme/app#2")["status"] == "closed"
    assert state(world, "github", "acme/app#2")["status_category"] == "done"
    assert state(world, "linear", "ENG-1")["status_category"] == "done"

    # A person closes GitHub acme/app#3: its Jira mirror transitions to done, its Linear mirror too.
    world.box.edit("github", {"key": "acme/app#3", "set": {"status_category": "done"}})
    world.json("sync")
    assert state(world, "jira", "ENG-4")["status_category"] == "done"
    assert state(world, "linear", "DES-1")["status_category"] == "done"

    # A person cancels Linear ENG-2: its GitHub mirror is closed as not planned.
    world.box.edit("linear", {"key": "ENG-2", "set": {"status_category": "canceled"}})
    report = world.json("sync")
    ops = [o for o in report["plan"]["ops"] if o["kind"] == "status"]
    assert [(o["connection"], o["payload"]) for o in ops] == [
        ("github", {"item": "acme/app#6", "category": "canceled", "reason": "not_planned"})
    ]
    assert state(world, "github", "acme/app#6")["status_category"] == "canceled"
    settled = world.json("sync")["plan"]["ops"]  # the mirrors agree now: no status write is left
    assert not [o for o in settled if o["kind"] == "status"], settled


def test_a_status_a_person_set_after_us_is_kept(world: World) -> None:
    world.cli("sync")
    world.box.edit("github", {"key": "acme/app#2", "set": {"status_category": "todo"}})  # reopened by hand
    report = world.json("sync")
    assert not [o for o in report["plan"]["ops"] if o["kind"] == "status"]
    assert "kept acme/app#2 status 'todo': changed by hand after we set 'done'" in report["plan"]["kept"]
    assert state(world, "github", "acme/app#2")["status"] == "open"
