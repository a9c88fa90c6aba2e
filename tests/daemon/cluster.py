"""Several ``rankbridge daemon`` processes on one throwaway PostgreSQL store and the sandbox emulators: the
world of the exclusivity, failover and no-write-twice tests.

Eight connections come from two sandboxes (the four services twice, on their own ports, so each has a
budget and a lease of its own); their names are the service's, and the service's with ``_b``. Each daemon
is a real subprocess (:class:`tests.daemon.test_daemon_run.Running`); the store's ``runs`` table, read
afterwards, says who ran what when, and the emulators' request logs what reached the trackers.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from sandbox.launcher import Sandbox
from sandbox.registry import available
from sync.store import Store
from tests.daemon.test_daemon_run import RULES, Running

# The sandbox's Zendesk answers its export 10 times a minute, as Zendesk does; connections pulled every
# second or two need more (a daemon would otherwise wait out the budget, which is not what is tested).
FAST_EXPORTS = {"zendesk": {"export_per_minute": 1000}}
# A long request timeout: on a loaded machine an emulator may take seconds to get to a write, and a write
# that timed out before the tracker applied it is, rightly, sent again after a re-read that did not show it
# (not what these tests are about).
FAST_POLICY = {"attempts": 4, "base_wait": 0.02, "max_wait": 1.0, "timeout": 30.0}


@dataclass
class Cluster:
    boxes: list[Sandbox]
    url: str
    config: Path
    intervals: dict[str, int]
    daemons: list[Running] = field(default_factory=list)

    def box_of(self, connection: str) -> tuple[Sandbox, str]:
        """The sandbox and service of a connection."""
        service, _, suffix = connection.partition("_")
        return self.boxes[1 if suffix == "b" else 0], service

    def start(self, count: int = 1) -> list[Running]:
        started = [Running(self.config) for _ in range(count)]
        self.daemons.extend(started)
        return started

    def stop_all(self) -> None:
        for daemon in self.daemons:
            if daemon.process.poll() is None:
                daemon.process.send_signal(signal.SIGCONT)  # a frozen one must be able to stop
                daemon.process.send_signal(signal.SIGTERM)
        for daemon in self.daemons:
            try:
                daemon.process.wait(timeout=15)
            except Exception:
                daemon.process.kill()
                daemon.process.wait(timeout=5)

    def runs(self) -> list[dict[str, Any]]:
        store = Store(self.url)
        try:
            return sorted(store.runs(limit=100_000), key=lambda r: r["id"])
        finally:
            store.close()

    def leases(self) -> list[dict[str, Any]]:
        from sync.daemon.pglease import lease_holders

        return lease_holders(self.url)

    def holder_of(self, lease: str) -> Running | None:
        pids = {row["pid"] for row in self.leases() if row["lease"] == lease}
        return next((d for d in self.daemons if d.process.pid in pids), None)


def make_cluster(tmp_path: Path, url: str, token: str, seed: int = 11, items: int = 10) -> Cluster:
    boxes = [
        Sandbox.start(available(), items=items, seed=seed + n, token=token, settings=FAST_EXPORTS)
        for n in range(2)
    ]
    connections: dict[str, Any] = {}
    intervals: dict[str, int] = {}
    for n, box in enumerate(boxes):
        for service, served in box.served.items():
            name = service if n == 0 else f"{service}_b"
            interval = 1 + len(intervals) % 2  # 1 and 2 seconds, alternately
            table = served.emulator.connection_config()
            table["policy"] = {**table.get("policy", {}), **FAST_POLICY}
            connections[name] = table | {"interval": interval, "staleness": 60}
            intervals[name] = interval
    data = {
        "store": {"url": url},
        "connections": connections,
        "daemon": {"port": 0, "jitter": 0.2, "lease_timeout": 4, "max_parallel_pulls": 4},
    } | RULES
    path = tmp_path / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return Cluster(boxes, url, path, intervals)


def moment(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def overlaps(runs: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Pairs of runs (ids) whose spans overlap; a run still open counts as open for ever."""
    never = "9999-01-01T00:00:00Z"
    spans = sorted((moment(r["started_at"]), moment(r["finished_at"] or never), r["id"]) for r in runs)
    found: list[tuple[int, int]] = []
    latest_end, latest = float("-inf"), 0
    for start, end, run_id in spans:
        if start < latest_end:
            found.append((latest, run_id))
        if end > latest_end:
            latest_end, latest = end, run_id
    return found
