"""Fault worlds: the sandbox emulators, a config with a small retry policy, a store, the CLI as a subprocess,
and the two checks every fault test ends with (store = tracker state, no write sent twice)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import service_types
from sync.store import Store
from tests.worlds import SandboxWorld, start_sandbox, write_world_config

ROOT = Path(__file__).resolve().parents[2]
SERVICES = tuple(service_types())
RULES: dict[str, Any] = {
    "scoring": {"framework": "rice"},
    "status": {
        "rules": [
            {"name": "fault close", "when": "'rb-close' in labels", "set_category": "done"},
            {  # Linear's customer needs are feedback too, but Linear takes no comments
                "name": "fault note",
                "when": "kind == 'feedback' and linked_all_done and source != 'linear'",
                "comment": "Shipped {linked_keys}",
            },
        ]
    },
}
# Small waits so that retries cost little time; many attempts so that a fault storm cannot exhaust them.
FAST_POLICY: dict[str, Any] = {"attempts": 15, "base_wait": 0.02, "max_wait": 5.0, "timeout": 5.0}


@dataclass
class FaultWorld(SandboxWorld):
    """A world of several services whose CLI runs as a subprocess (so it can be killed mid-run)."""

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", "--config", str(self.config_path), *args],
            cwd=ROOT,
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "--config", str(self.config_path), *args],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_after(self, args: tuple[str, ...], delay: float) -> bool:
        """Start the CLI and SIGKILL it after ``delay`` seconds; True if it was still running then."""
        process = self.spawn(*args)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        alive = process.poll() is None
        if alive:
            process.send_signal(signal.SIGKILL)
        process.wait()
        return alive

    def faults(self, spec: dict[str, Any]) -> None:
        for service in self.services:
            self.box.faults(service, dict(spec))


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def make_fault_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    services: list[str],
    items: int = 12,
    seed: int = 7,
    policy: dict[str, Any] | None = None,
) -> FaultWorld:
    box = start_sandbox(monkeypatch, services, items=items, seed=seed)
    path = write_world_config(box, tmp_path, RULES, policy=FAST_POLICY | (policy or {}))
    return FaultWorld(box, path, tmp_path / "store.db")


@pytest.fixture
def all_four(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultWorld]:
    world = make_fault_world(tmp_path, monkeypatch, list(SERVICES), items=10)
    yield world
    world.box.stop()


# --- the checks --------------------------------------------------------------------------------------------
def stored(world: FaultWorld, service: str) -> dict[str, dict[str, Any]]:
    store = Store(world.store_path)
    try:
        return {
            i.key: {"title": i.title, "status_category": i.status_category}
            for i in store.items(service)
            if not i.deleted and (i.kind != "feedback" or service == "zendesk")
        }
    finally:
        store.close()


def tracked(world: FaultWorld, service: str) -> dict[str, dict[str, Any]]:
    return {
        i["key"]: {"title": i["title"], "status_category": i["status_category"]}
        for i in world.box.state(service)["items"]
        if not i.get("deleted")
    }


def assert_store_matches_trackers(world: FaultWorld) -> None:
    """Same items, same titles and status categories, and no item stored twice."""
    for service in world.services:
        expected, got = tracked(world, service), stored(world, service)
        assert expected, f"{service}: the emulator has no items"
        missing = {k: v for k, v in expected.items() if got.get(k) != v}
        assert not missing, f"{service}: store differs from the tracker for {sorted(missing)[:10]}"
    connection = sqlite3.connect(world.store_path)
    try:
        duplicates = connection.execute(
            "select connection, key, count(*) from items group by connection, key having count(*) > 1"
        ).fetchall()
    finally:
        connection.close()
    assert duplicates == [], duplicates


def write_target(entry: dict[str, Any]) -> str:
    """What one write request does and to what: method, path and body (GraphQL: operation and variables)."""
    body = entry.get("body") or ""
    try:
        document = json.loads(body) if body else None
    except ValueError:
        document = body
    if isinstance(document, dict) and "query" in document:
        document = {"operation": document.get("operationName"), "variables": document.get("variables")}
    return json.dumps([entry["method"], entry["path"], document], sort_keys=True)


def assert_no_write_sent_twice(world: FaultWorld) -> None:
    """Every write that took effect at a tracker took effect once (the request logs span all runs)."""
    for service in world.services:
        writes = Counter(write_target(r) for r in world.requests(service) if r["mutating"])
        twice = {target: n for target, n in writes.items() if n > 1}
        assert not twice, f"{service}: writes applied more than once: {twice}"
