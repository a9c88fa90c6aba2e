"""Output for people: ``log`` in the tracker's terms with failure reasons, ``status`` with ages in human
units, why each op waits and runs cut short shown as interrupted, ``explain`` of a feedback ticket."""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from sandbox.launcher import Sandbox
from sync.store import Store
from tests.operator.conftest import cli

WRITES_FAIL = {"only_writes": True, "error_rate": 1.0, "error_status": 400}


@pytest.fixture
def synced(box: Sandbox, token: str, tmp_path: Path) -> str:
    config = str(box.write_config(tmp_path / "rankbridge.toml", "store.db"))
    failing = "zendesk"  # its reads are GETs: only its writes fail
    box.faults(failing, WRITES_FAIL)
    try:
        assert cli("--config", config, "sync").exit_code == 1  # the failing tracker's ops fail
    finally:
        box.faults(failing, {"error_rate": 0.0})
    return config


def test_log_names_items_changes_and_why_an_op_failed(synced: str) -> None:
    runs = json.loads(cli("--config", synced, "log", "--json").output)
    ops = [op for run in runs for op in run["ops"]]
    assert ops and all(op["described"]["change"] for op in ops)
    failed = [op for op in ops if op["result"] == "failed"]
    assert failed and all("injected" in op["described"]["reason"] for op in failed)
    assert all(ref.count(":") >= 1 for op in ops for ref in op["described"]["refs"])
    priorities = [op["described"]["change"] for op in ops if op["payload"].get("field") == "priority"]
    assert not [c for c in priorities if re.search(r"priority \d|→ \d", c)]  # labels such as "Low"
    text = cli("--config", synced, "log", "--limit", "50").output
    assert "✗" in text and "failed: " in text and "{'" not in text  # no raw dicts
    assert re.search(r"“[^”]+”", text)  # titles


def test_status_says_ages_why_ops_wait_and_which_runs_were_cut(synced: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    cut = store.start_run(
        "pull",
        next(iter(json.loads(cli("--config", synced, "status", "--json").output)["connections"]))["name"],
    )
    store.close()  # a run left "running" by a process that was killed: no one holds the store
    data = json.loads(cli("--config", synced, "status", "--json").output)
    assert [run["id"] for run in data["interrupted"]] == [cut]
    waiting = [p for row in data["connections"] for p in row["pending"]]
    assert waiting and all(p["why"] for p in waiting)
    assert any("tried again on the next push" in p["why"] for p in waiting)
    text = cli("--config", synced, "status").output
    assert "None" not in text and "lag" not in text
    assert re.search(r"last good pull \d+ (s|min) ago", text)
    assert f"interrupted: pull run {cut}" in text and "pending: " in text


def test_explain_a_feedback_ticket_shows_what_it_asks_and_the_rank_it_carries(
    synced: str, tmp_path: Path
) -> None:
    with closing(sqlite3.connect(tmp_path / "store.db")) as db:
        ticket = db.execute(
            "select i.connection || ':' || i.key from items i join links l on l.src_uid = i.uid "
            "join scores s on s.uid = l.dst_uid where i.kind = 'feedback' and l.type = 'requests' "
            "order by s.rank limit 1"
        ).fetchone()[0]
    shown = json.loads(cli("--config", synced, "explain", ticket, "--json").output)
    assert shown["linked"] and shown["rank"] == min(e["rank"] for e in shown["linked"] if e["rank"])
    text = cli("--config", synced, "explain", ticket).output
    assert "asks:" in text and f"carries rank {shown['rank']}" in text
    assert all(entry["ref"] in text for entry in shown["linked"])
