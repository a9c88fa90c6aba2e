"""Leases with an SQLite store: connections that share a rate budget share a lease; a daemon killed in the
middle of a pull leaves its run ``running``, and the next daemon to take that connection's lease marks it
abandoned before it pulls again; ``rankbridge status`` names the lease holder."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.config import load
from sync.daemon.lease import STAGES, connection_leases
from sync.store import Store
from tests.daemon.test_daemon_run import ROOT, Running, wait_for, write_config


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = Sandbox.start(["jira", "zendesk"], items=8, seed=3)
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    yield sandbox
    sandbox.stop()


def runs(store: Path, connection: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        sql = "select * from runs where connection = ? order by id"
        return [dict(r) for r in db.execute(sql, [connection])]
    finally:
        db.close()


def run(store: Path, run_id: int) -> dict[str, Any]:
    return next(r for r in runs(store, "jira") if r["id"] == run_id)


def test_connections_sharing_a_budget_share_a_lease(box: Sandbox, tmp_path: Path) -> None:
    data = box.config(tmp_path / "store.db")
    twin = dict(data["connections"]["jira"])  # the same site and token: the same budget
    other_user = dict(data["connections"]["zendesk"]) | {"email": "someone.else@example.com"}
    data["connections"] |= {"jira_ops": twin, "zendesk_b": other_user}
    path = tmp_path / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    leases = connection_leases(load(path).connections)
    assert leases["jira"] == leases["jira_ops"]
    assert leases["zendesk"] != leases["zendesk_b"]  # another identity has a budget of its own
    assert len({leases["jira"], leases["zendesk"], leases["zendesk_b"], STAGES}) == 4
    assert all(0 < key.number < 2**63 for key in leases.values())


def test_a_killed_holders_pull_is_marked_abandoned_by_the_next_holder(box: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    config = write_config(box, tmp_path, jira={"policy": {"deadline": 60}})
    first = Running(config)
    try:
        wait_for("a first pull of jira", lambda: any(r["status"] == "ok" for r in runs(store, "jira")))
        box.faults("jira", {"trickle": 20})  # the next pull of jira hangs on its first page
        wait_for(
            "a run of jira (push or pull) in flight", lambda: runs(store, "jira")[-1]["status"] == "running"
        )
        cut = runs(store, "jira")[-1]["id"]
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
    box.faults("jira", {"trickle": 0})
    second = Running(config)
    try:
        wait_for("the cut run marked abandoned", lambda: run(store, cut)["status"] == "abandoned")
        wait_for(
            "jira pulled again",
            lambda: any(
                r["id"] > cut and r["kind"] == "pull" and r["status"] == "ok" for r in runs(store, "jira")
            ),
        )
        status = subprocess.run(
            [sys.executable, "-m", "cli", "--config", str(config), "status", "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    finally:
        second.stop()
    abandoned = run(store, cut)
    assert abandoned["finished_at"] and "lost the connection:jira lease" in abandoned["error"], abandoned
    report = json.loads(status.stdout)
    jira = next(row for row in report["connections"] if row["name"] == "jira")
    assert jira["last_status"] == "ok"  # its last pull
    assert [lease["pid"] for lease in report["leases"]] == [second.process.pid], report["leases"]


def test_sync_now_makes_every_connection_due_for_the_daemons(box: Sandbox, tmp_path: Path) -> None:
    config = write_config(box, tmp_path, interval=3600)
    store = Store(tmp_path / "store.db")
    try:
        store.schedule_connections({name: 3600 for name in box.served})
        for name in box.served:
            store.claim(name)  # as a daemon does when it takes one: due again in an hour
        assert store.due_connections() == []
    finally:
        store.close()
    asked = CliRunner().invoke(main, ["--config", str(config), "sync", "--now", "--json"])
    assert asked.exit_code == 0, asked.output
    assert sorted(json.loads(asked.stdout)["due_now"]) == sorted(box.served)
    store = Store(tmp_path / "store.db")
    try:
        assert sorted(store.due_connections()) == sorted(box.served)
        assert store.runs("pull") == []  # nothing was synced here: the daemons will
    finally:
        store.close()
