"""Transient faults across a whole sync of all four trackers: 429 storms with ``Retry-After``, 5xx, dropped
connections and timeouts are retried, nothing is lost, no write lands twice, and no request leaves before the
time a 429 asked for (proved from the emulators' request logs)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import (
    SERVICES,
    FaultWorld,
    assert_no_write_sent_twice,
    assert_store_matches_trackers,
    make_fault_world,
)

RETRY_AFTER = 0.1


def finish_and_check(world: FaultWorld, report: Any) -> None:
    assert not report.pull.failed, [s.error for s in report.pull.failed]
    assert report.push is not None and not report.push.errors, report.push.errors if report.push else None
    world.faults({})
    with world.engine() as engine:
        engine.pull()
    assert_store_matches_trackers(world)
    assert_no_write_sent_twice(world)


def assert_waits_honoured(world: FaultWorld, service: str) -> int:
    """After each throttled answer, the next request to that emulator arrived no sooner than it asked."""
    log = sorted(world.requests(service), key=lambda r: r["received"])
    throttled = 0
    for entry, following in itertools.pairwise(log):
        if entry["status"] == 429 and entry["retry_after"]:
            wait, slack = float(entry["retry_after"]), 0.0
        elif service == "linear" and entry["status"] == 400 and not entry["mutating"]:
            wait, slack = RETRY_AFTER, 0.005  # Linear's reset header is whole milliseconds
        else:
            continue
        throttled += 1
        gap = following["received"] - entry["time"]
        assert gap >= wait - slack, (
            f"{service}: request {following['seq']} came {gap:.3f}s after a {wait}s wait"
        )
    return throttled


def test_429_storm_and_5xx_across_a_whole_sync(all_four: FaultWorld) -> None:
    world = all_four
    for n, service in enumerate(world.services):
        world.box.faults(
            service,
            {
                "rate_limit_rate": 0.3,
                "error_rate": 0.1,
                "error_status": 503 if n % 2 else 500,
                "retry_after": RETRY_AFTER,
                "subsecond": True,
                "seed": 40 + n,
            },
        )
    with world.engine() as engine:
        report = engine.sync()
    throttled = {service: assert_waits_honoured(world, service) for service in world.services}
    assert all(throttled.values()), throttled
    finish_and_check(world, report)


def test_dropped_connections_are_retried(all_four: FaultWorld) -> None:
    world = all_four
    world.faults({"drop_rate": 0.2, "seed": 3})
    with world.engine() as engine:
        report = engine.sync()
    for service in world.services:
        assert any(r["status"] == 0 for r in world.requests(service)), f"{service}: no connection was dropped"
    finish_and_check(world, report)


def timeouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writes_at: set[str]) -> None:
    """A response slower than ``policy.timeout`` (0.5 s here; PyGithub rounds it up to 1 s) is a timeout:
    reads are retried, and a write that timed out (it may have reached the tracker) lands once. Faults
    "only_writes" hit the first non-GET request (for Jira, GitHub and Linear: maybe a search or a query)."""
    world = make_fault_world(tmp_path, monkeypatch, list(SERVICES), items=10, policy={"timeout": 0.5})
    try:
        for service in world.services:
            world.box.faults(service, {"latency": 1.1, "remaining": 1, "only_writes": service in writes_at})
        with world.engine() as engine:
            report = engine.sync()
        for service in world.services:
            slow = [r for r in world.requests(service) if r["time"] - r["received"] >= 1.0]
            assert slow, f"{service}: no request timed out"
        # Zendesk reads with GET, so there the first non-GET request is a write: a write timed out.
        zendesk = [r for r in world.requests("zendesk") if r["time"] - r["received"] >= 1.0]
        assert (zendesk[0]["method"] != "GET") == ("zendesk" in writes_at), zendesk[0]
        finish_and_check(world, report)
    finally:
        world.box.stop()


def test_timeouts_on_reads_and_writes_are_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    timeouts(tmp_path, monkeypatch, writes_at={"github", "zendesk"})


@pytest.mark.soak
def test_timeouts_swapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    timeouts(tmp_path, monkeypatch, writes_at={"jira", "linear"})
