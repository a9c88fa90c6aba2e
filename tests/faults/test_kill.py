"""SIGKILL at random points of pull, push and sync; a rerun must end with the store equal to the trackers and
with no write applied twice (counted per target from the emulators' request logs)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.faults.conftest import (
    SERVICES,
    FaultWorld,
    assert_no_write_sent_twice,
    assert_store_matches_trackers,
    make_fault_world,
)

LATENCY = 0.08  # per request, so that a run lasts long enough to be killed in the middle


class KillTimes:
    """Random kill times from a seeded RNG, over a span per command that adapts to how long runs last here
    (a kill that came after the run ended shortens the span, one that hit lengthens it)."""

    STARTUP = 0.35  # the CLI's imports: a kill before them tests nothing

    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)
        self.spans = {"pull": 1.0, "push": 1.0, "sync": 2.0}

    def draw(self, command: str) -> float:
        return self.STARTUP + self.rng.uniform(0.05, self.spans[command])

    def landed(self, command: str, hit: bool) -> None:
        self.spans[command] = max(0.2, self.spans[command] * (1.1 if hit else 0.6))


def killed_run(world: FaultWorld, command: str, times: KillTimes) -> bool:
    """One kill of ``command`` at a random time, then the rerun; returns whether the kill hit mid-run."""
    world.faults({"latency": LATENCY})
    if command == "push":
        for stage in (("pull",), ("plan",)):
            done = world.cli(*stage)
            assert done.returncode == 0, done.stderr
    args = ("push", "--yes") if command == "push" else (command,)
    hit = world.kill_after(args, times.draw(command))
    times.landed(command, hit)
    world.faults({})
    rerun = world.cli(*args)
    # exit 3: the plan of a killed push is stale once the rerun pulled; the sync below plans again
    assert rerun.returncode in (0, 3), rerun.stderr
    for stage in (("sync",), ("pull",)):
        done = world.cli(*stage)
        assert done.returncode == 0, done.stderr
    assert_store_matches_trackers(world)
    assert_no_write_sent_twice(world)
    return hit


def edit_some(world: FaultWorld, rng: random.Random) -> None:
    """A person's edits between runs, so that every run has writes to make."""
    for service in world.services:
        items = [
            i for i in world.box.state(service)["items"] if i["status_category"] not in ("done", "canceled")
        ]
        for item in rng.sample(items, min(2, len(items))):
            labels = [*item.get("labels", []), "rb-close"] if rng.random() < 0.5 else item.get("labels", [])
            world.box.edit(
                service, {"key": item["key"], "set": {"title": f"{item['title']} *", "labels": labels}}
            )


@pytest.mark.parametrize(
    ("service", "command", "seed"),
    [("jira", "sync", 1), ("github", "push", 2), ("linear", "pull", 3), ("zendesk", "sync", 4)],
)
def test_killed_run_then_rerun_converges(
    service: str, command: str, seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_fault_world(tmp_path, monkeypatch, [service], items=14, seed=seed)
    try:
        times = KillTimes(seed)
        edit_some(world, times.rng)
        assert killed_run(world, command, times), "the kill came after the run had ended"
    finally:
        world.box.stop()


@pytest.mark.soak
@pytest.mark.parametrize("service", SERVICES)
def test_twenty_kills_per_connector(service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_fault_world(tmp_path, monkeypatch, [service], items=40, seed=99)
    times = KillTimes(f"soak-{service}")
    hits = 0
    try:
        for run in range(20):
            edit_some(world, times.rng)
            hits += killed_run(world, ("pull", "push", "sync")[run % 3], times)
    finally:
        world.box.stop()
    assert hits >= 10, f"only {hits} of 20 kills landed mid-run"
