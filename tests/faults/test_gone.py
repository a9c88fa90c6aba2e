"""Gone is a state: an issue deleted in the tracker is marked deleted in the store when a write to it
answers 404 (kept for history, out of the ranking), its ops are dropped with a note, and the rest of the
push goes on; the next sync writes normally again."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.faults.test_at_most_once import crash_world


def test_a_deleted_github_issue_is_dropped_and_write_back_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = crash_world(tmp_path, monkeypatch, items=12, seed=4, services=["github"])
    try:
        assert world.cli("sync").returncode == 0
        items = [
            i for i in world.box.state("github")["items"] if i["status_category"] not in ("done", "canceled")
        ]
        doomed, others = items[0], items[1:4]
        world.box.edit("github", {"key": doomed["key"], "delete": True})
        for item in others:  # a person's edits that our next push acts on (close, tag)
            labels = [*item["labels"], "rb-close", "rb-tag"]
            world.box.edit("github", {"key": item["key"], "set": {"labels": labels}})
        # The deleted issue still has an op: the tag rule fires for it from the store's stale copy.
        store = sqlite3.connect(world.store_path)
        uid = next(r[0] for r in store.execute("select uid from items where key = ?", [doomed["key"]]))
        store.execute("update items set labels = ? where uid = ?", [json.dumps(["rb-tag"]), uid])
        store.commit()
        first = world.cli("sync", "--json")
        report = json.loads(first.stdout)
        assert uid in report["push"]["gone"], report["push"]["errors"]
        assert report["push"]["applied"] > 0  # the rest of the push went on
        states = {i["key"]: i for i in world.box.state("github")["items"]}
        assert all(states[i["key"]]["status_category"] == "done" for i in others)
        deleted = store.execute("select deleted from items where uid = ?", [uid]).fetchone()[0]
        store.close()
        assert deleted == 1
        again = json.loads(world.cli("sync", "--json").stdout)
        assert again["push"] is None or not again["push"]["errors"], again["push"]
        assert all(op["scope"] != uid for op in again["plan"]["ops"])
        store = sqlite3.connect(world.store_path)
        ranked = store.execute("select count(*) from scores where uid = ?", [uid]).fetchone()[0]
        store.close()
        assert ranked == 0  # out of the ranking
    finally:
        world.box.stop()
