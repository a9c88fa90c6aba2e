"""Manual overrides: a position or a field a person changed since our last push is kept and reported in
the plan and in ``rankbridge status``; ``respect_manual = false`` overrides them."""

from __future__ import annotations

from tests.writeback.conftest import World, write_config


def person_edits(world: World) -> tuple[str, str, str]:
    """After two syncs, a person moves the top Jira item to the bottom and types a score into another.
    Returns (moved native id, its key, the key whose score was typed)."""
    world.cli("sync")
    world.cli("sync")
    ranked = world.ranked_members("jira", world.tracker_orders("jira")[""])
    moved, last, typed = ranked[0], ranked[-1], ranked[1]
    key = world.key_of("jira", moved)
    world.box.edit("jira", {"key": key, "move": {"after": world.key_of("jira", last)}})
    typed_key = world.key_of("jira", typed)
    world.box.edit("jira", {"key": typed_key, "set": {"Priority score": 42.0}})
    return moved, key, typed_key


def shown(world: World, key: str) -> str:
    """How a note names a Jira item: qualified where Linear has the same key."""
    return f"jira:{key}" if key in {i["key"] for i in world.box.state("linear")["items"]} else key


def test_a_person_s_move_and_score_are_kept_and_reported(world: World) -> None:
    moved, key, typed_key = person_edits(world)
    report = world.json("sync")
    kept = report["plan"]["kept"]
    key, typed_key = shown(world, key), shown(world, typed_key)
    assert f"kept {key} where it was moved by hand" in " ".join(kept), kept
    assert any(note.startswith(f"kept {typed_key} score = 42.0") for note in kept), kept
    jira_ops = [o for o in report["plan"]["ops"] if o["connection"] == "jira"]
    assert not any(moved in o["payload"].get("items", []) for o in jira_ops)
    assert not any(o["payload"].get("field") == "score" for o in jira_ops), jira_ops
    assert world.tracker_orders("jira")[""][-1] == moved  # still where the person put it
    world.assert_unified("jira", pinned={moved})  # the others are in the unified order around it

    status = world.json("status")
    jira = next(c for c in status["connections"] if c["name"] == "jira")
    assert jira["manual_overrides"] == kept
    assert all(not c["manual_overrides"] for c in status["connections"] if c["name"] != "jira")
    text = world.cli("status").output
    assert f"manual override: kept {key} where it was moved by hand" in text

    again = world.json("sync")  # still respected, still reported, nothing written
    assert again["plan"]["ops"] == [] and sorted(again["plan"]["kept"]) == sorted(kept)
    assert world.tracker_orders("jira")[""][-1] == moved


def test_respect_manual_false_puts_things_back(world: World) -> None:
    world.config = write_config(
        world.box, world.config.parent, connections={"jira": {"respect_manual": False}}
    )
    moved, _, typed_key = person_edits(world)
    report = world.json("sync")
    assert report["plan"]["kept"] == []
    jira_ops = [o for o in report["plan"]["ops"] if o["connection"] == "jira"]
    assert any(moved in o["payload"].get("items", []) for o in jira_ops), jira_ops
    assert any(o["payload"].get("field") == "score" for o in jira_ops), jira_ops
    world.assert_unified("jira")
    typed = next(i for i in world.box.state("jira")["items"] if i["key"] == typed_key)
    assert typed["fields"]["Priority score"] != 42.0
