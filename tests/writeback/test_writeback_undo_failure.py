"""Audit and undo (later human edits are kept), and partial failure: one tracker answering 500 to every
request leaves the other three updated and its ops failed in the outbox, applied by the next push."""

from __future__ import annotations

from tests.writeback.conftest import ORDERED, World, write_config


def shown(world: World, service: str) -> dict[str, list[str]]:
    return world.tracker_orders(service)


def test_undo_restores_the_order_and_keeps_later_human_edits(world: World) -> None:
    before = {s: shown(world, s) for s in ORDERED}
    world.cli("sync")
    push_run = world.json("log")[0]["run"]
    assert any(shown(world, s) != before[s] for s in ORDERED)
    reopened = next(i for i in world.box.state("github")["items"] if i["key"] == "acme/app#2")
    assert reopened["status"] == "closed"  # closed by the mirror rule in that push
    # After the push a person types a score into a Jira issue and moves Linear's ENG-1 (which the push set
    # to done) back to in progress.
    typed = world.key_of("jira", world.ranked_members("jira", shown(world, "jira")[""])[0])
    world.box.edit("jira", {"key": typed, "set": {"Priority score": 7.0}})
    world.box.edit("linear", {"key": "ENG-1", "set": {"status_category": "in_progress"}})
    world.cli("pull")

    undone = world.cli("undo", str(push_run), "--yes")
    # notes name an item by its qualified reference where Jira and Linear share its key
    keys = {service: {i["key"] for i in world.box.state(service)["items"]} for service in ("jira", "linear")}
    score_of = f"jira:{typed}" if typed in keys["linear"] else typed
    status_of = "linear:ENG-1" if "ENG-1" in keys["jira"] else "ENG-1"
    assert f"kept score of {score_of} = 7.0: changed by hand after the push" in undone.output
    assert f"kept status of {status_of} = 'in_progress': changed by hand after the push" in undone.output
    for service in ORDERED:
        for scope, old in before[service].items():
            now = shown(world, service)[scope]
            common = [nid for nid in old if nid in now]
            assert [nid for nid in now if nid in common] == common, (service, scope)
    items = {i["key"]: i for i in world.box.state("github")["items"]}
    assert items["acme/app#2"]["status"] == "open"  # our close was undone
    jira = {i["key"]: i for i in world.box.state("jira")["items"]}
    assert jira[typed]["fields"]["Priority score"] == 7.0
    linear = {i["key"]: i for i in world.box.state("linear")["items"] if i["key"] == "ENG-1"}
    assert linear["ENG-1"]["status_category"] == "in_progress"


def test_one_tracker_failing_never_blocks_the_others(world: World) -> None:
    policy = {"attempts": 2, "base_wait": 0.01, "max_wait": 0.05, "timeout": 5.0}
    world.config = write_config(world.box, world.config.parent, connections={"github": {"policy": policy}})
    world.cli("pull")
    world.cli("rank")
    planned = world.json("plan")["ops"]
    github_ops = [o for o in planned if o["connection"] == "github"]
    assert github_ops
    world.box.faults("github", {"error_rate": 1.0})
    world.cli("push", "--yes", code=1)
    for service in ("jira", "linear"):
        world.assert_unified(service)
    assert world.writes("zendesk")
    assert not world.writes("github")
    rows = world.sql("select state, error from outbox where connection = 'github' and state != 'superseded'")
    assert len(rows) == len(github_ops)
    assert {r["state"] for r in rows} == {"failed"}
    assert all("500" in r["error"] or "server error" in r["error"] for r in rows), rows
    others = world.sql("select state from outbox where connection != 'github' and state != 'superseded'")
    assert {r["state"] for r in others} == {"done"}
    status = next(c for c in world.json("status")["connections"] if c["name"] == "github")
    assert status["pending_ops"] == len(github_ops) and status["failed_ops"]

    world.box.faults("github", {})
    world.box.reset()
    world.cli("push", "--yes")
    assert {r["state"] for r in world.sql("select state from outbox where connection = 'github'")} <= {
        "done",
        "superseded",
    }
    assert {
        r["connection"]
        for r in world.sql(
            "select connection from journal where run_id = (select max(id) from runs where kind = 'push')"
        )
    } == {"github"}
    assert len(world.writes("github")) >= len(github_ops)
    world.cli("pull")
    world.assert_unified("github")
