"""The daemon's own writes come back as its own: run against the sandbox with short intervals, it sends every
write once (the emulators' request logs hold no repeated mutating request), never reports its own moves as
a person's, and leaves the trackers so that a following ``sync`` plans nothing."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from sandbox.launcher import TOKEN_ENV, Sandbox
from sandbox.registry import available
from tests.daemon.test_daemon_run import ROOT, Running, cycles, wait_for
from tests.faults.conftest import RULES, write_target


def daemon_config(box: Sandbox, tmp_path: Path) -> Path:
    data = box.config(tmp_path / "store.db") | RULES | {"daemon": {"port": 0, "jitter": 0.3}}
    for table in data["connections"].values():
        table.update({"interval": 1, "staleness": 60})
    path = tmp_path / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, Path]]:
    box = Sandbox.start(available(), items=40, seed=11)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    if "zendesk" in box.served:  # one-second cycles need more than Zendesk's 10 exports a minute
        box.faults("zendesk", {"export_per_minute": 10_000})
    yield box, daemon_config(box, tmp_path)
    box.stop()


def person_edits(box: Sandbox, rng: random.Random) -> None:
    """A person labels a few open items so that status rules fire while the daemon runs."""
    for service in box.served:
        open_items = [
            i
            for i in box.state(service)["items"]
            if i["status_category"] not in ("done", "canceled") and not i.get("deleted")
        ]
        for item in rng.sample(open_items, min(2, len(open_items))):
            box.edit(service, {"key": item["key"], "set": {"labels": [*item.get("labels", []), "rb-close"]}})


def repeated_writes(box: Sandbox, fields_too: bool = True) -> dict[str, dict[str, int]]:
    """Mutating requests sent more than once. Without ``fields_too``, field values (rank and score fields,
    Linear priority by rank) are left out: a person's edits at different times move the ranking several
    times, and a field may come back to a value it had (moves, statuses and comments are never
    legitimately sent twice)."""
    out = {}
    for service in box.served:
        targets = [write_target(r) for r in box.requests(service) if r["mutating"]]
        if not fields_too:
            fields = ("custom_fields", "SetFieldValue", '"input": {"priority"', "update_many")
            targets = [t for t in targets if not any(f in t for f in fields)]
        writes = Counter(targets)
        out[service] = {target: n for target, n in writes.items() if n > 1}
    return {service: twice for service, twice in out.items() if twice}


def mutating(box: Sandbox) -> int:
    return sum(1 for service in box.served for r in box.requests(service) if r["mutating"])


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "--config", str(config), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_daemon(box: Sandbox, config: Path, seconds: float, edits: int) -> dict[str, Any]:
    """Run the daemon for about ``seconds`` with ``edits`` rounds of a person's edits, wait until it has
    been quiet (no write for a few cycles), stop it; its cycles and writes."""
    rng = random.Random(7)
    daemon = Running(config)
    try:
        wait_for("a first cycle of every connection", lambda: min(cycles(daemon.metrics()).values()) >= 1)
        deadline = time.monotonic() + seconds
        for _ in range(edits):
            person_edits(box, rng)
            time.sleep(max(0.0, (deadline - time.monotonic()) / max(1, edits)))
        quiet_since, seen = time.monotonic(), mutating(box)
        while time.monotonic() - quiet_since < 4 and time.monotonic() < deadline + 60:
            time.sleep(0.5)
            now = mutating(box)
            if now != seen:
                quiet_since, seen = time.monotonic(), now
        counted = cycles(daemon.metrics())
    finally:
        code, _ = daemon.stop()
    assert code == 0, daemon.logs[-10:]
    notes = [json.loads(line)["message"] for line in daemon.logs]
    return {"cycles": counted, "writes": mutating(box), "logs": notes}


def assert_converged(box: Sandbox, config: Path, outcome: dict[str, Any], edited: bool) -> None:
    assert outcome["writes"] > 0, "the daemon wrote nothing: the test proves nothing"
    assert min(outcome["cycles"].values()) >= 3, outcome["cycles"]
    assert not [m for m in outcome["logs"] if "failed" in m and "0 failed" not in m], outcome["logs"]
    store = sqlite3.connect(config.parent / "store.db")
    try:
        plans = [json.loads(row[0]) for row in store.execute("select stats from runs where kind = 'plan'")]
    finally:
        store.close()
    manual = [note for plan in plans for note in plan["manual_overrides"]]
    repeated = repeated_writes(box, fields_too=not edited)
    after = cli(config, "sync", "--json")
    assert after.returncode == 0, after.stderr
    report = json.loads(after.stdout)
    print(  # the figures make soak shows
        f"daemon echo: cycles={outcome['cycles']} writes={outcome['writes']} plans={len(plans)} "
        f"repeated={sum(n - 1 for t in repeated.values() for n in t.values())} "
        f"moved-by-hand notes={len(manual)} "
        f"following sync ops={len(report['plan']['ops'])}"
    )
    assert manual == []
    assert repeated == {}
    assert report["plan"]["ops"] == [], [op["reason"] for op in report["plan"]["ops"]]
    assert [n for n in report["plan"]["kept"] if "by hand" in n] == []


def test_daemon_from_a_fresh_store_sends_each_write_once_and_leaves_nothing_to_plan(
    world: tuple[Sandbox, Path],
) -> None:
    box, config = world
    outcome = run_daemon(box, config, seconds=8, edits=0)
    assert_converged(box, config, outcome, edited=False)


@pytest.mark.soak
def test_daemon_for_minutes_sends_each_write_once(world: tuple[Sandbox, Path]) -> None:
    box, config = world
    outcome = run_daemon(box, config, seconds=180, edits=12)
    assert_converged(box, config, outcome, edited=True)
