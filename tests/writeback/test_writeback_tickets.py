"""Zendesk ticket fields tell one story, written in bulk, through the CLI on the sandbox with all four
trackers: the linked issue, its status, rank and score come from the one issue the rule chooses; every field
of every ticket travels in one Update Many request (its batch form); closed tickets are never written and a
solved ticket is not rewritten for a rank shift alone."""

from __future__ import annotations

import json
from typing import Any

from tests.writeback.conftest import World

OPEN = ("triage", "backlog", "todo", "in_progress")


def issues_by_ref(world: World) -> dict[str, dict[str, Any]]:
    rows = world.sql(
        "select i.connection, i.key, i.status_category, s.rank, s.score from items i "
        "left join scores s using (uid) where i.kind != 'feedback'"
    )
    return {f"{r['connection']}:{r['key'].removeprefix('#')}": r for r in rows}


def linked_refs(world: World) -> dict[str, set[str]]:
    """Per ticket (native id), the qualified references of the issues it asks for."""
    rows = world.sql(
        "select t.native_id as ticket, i.connection, i.key from links l join items t on t.uid = l.src_uid "
        "join items i on i.uid = l.dst_uid where l.type = 'requests' and t.connection = 'zendesk'"
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["ticket"], set()).add(f"{r['connection']}:{r['key'].removeprefix('#')}")
    return out


def test_each_ticket_shows_one_linked_issue_with_its_own_status_rank_and_score(world: World) -> None:
    before = {t["native_id"]: t for t in world.box.state("zendesk")["items"]}
    world.box.reset()
    world.cli("sync", code=None)
    issues, asked = issues_by_ref(world), linked_refs(world)
    told = 0
    for ticket in world.box.state("zendesk")["items"]:
        fields = ticket["fields"]
        if before[ticket["native_id"]]["status"] == "closed":
            assert ticket["fields"] == before[ticket["native_id"]]["fields"], "a closed ticket was written"
            continue
        if "linked_key" not in fields:
            continue
        told += 1
        chosen = issues[fields["linked_key"]]
        assert fields["linked_key"] in asked[ticket["native_id"]]
        assert fields["linked_status"] == chosen["status_category"]
        open_ranked = [issues[r] for r in asked[ticket["native_id"]] if issues[r]["rank"] is not None]
        if chosen["status_category"] in OPEN:
            # The highest-ranked open issue; rank and score are that issue's (Zendesk answers strings).
            assert chosen["rank"] == min(i["rank"] for i in open_ranked)
            assert int(fields["rank"]) == chosen["rank"]
            assert abs(float(fields["score"]) - chosen["score"]) < 0.006
        else:  # all of its work is closed: no rank, no score
            assert not open_ranked
            assert "rank" not in fields and "score" not in fields
    assert told >= 5, "too few tickets with linked work: the test proves little"

    writes = world.writes("zendesk")
    field_writes = [w for w in writes if "custom_fields" in (w["body"] or "")]
    assert [w["path"] for w in field_writes] == ["/api/v2/tickets/update_many"]
    batch = json.loads(field_writes[0]["body"])["tickets"]
    assert len(batch) == told and len({t["id"] for t in batch}) == told  # one ticket object per ticket

    world.cli("sync", code=None)  # the mirrors the first push closed change some stories once
    quiet = world.json("sync")
    assert [op for op in quiet["plan"]["ops"] if op["connection"] == "zendesk"] == []


def test_a_solved_ticket_is_not_rewritten_for_a_rank_shift_alone(world: World) -> None:
    world.cli("sync", code=None)  # closes some mirrors: the next plan shifts the ranks of other work
    preview = world.json("sync", "--dry-run")["plan"]["ops"]
    shifts = [
        tid
        for op in preview
        if op["kind"] == "fields"
        for tid, values in op["payload"]["items"].items()
        if set(values) <= {"rank", "score"}
    ]
    assert shifts, "no rank shift to test with"
    solved = shifts[0]
    world.box.edit("zendesk", {"key": f"#{solved}", "set": {"status": "solved"}})
    plan = world.json("sync")["plan"]["ops"]
    written = {tid for op in plan if op["kind"] == "fields" for tid in op["payload"]["items"]}
    assert solved not in written
    assert set(shifts[1:]) <= written
    assert world.json("sync")["plan"]["ops"] == []  # and it stays unwritten
