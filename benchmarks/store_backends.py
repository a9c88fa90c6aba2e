"""The store's two backends side by side: SQLite (a file, WAL) against PostgreSQL (a throwaway server
started as the tests start theirs, :mod:`sandbox.postgres`, but with ``fsync=on`` and synchronous commits,
its defaults), over the same emulators and data.

* **Full pull**: per tracker, the same ``RANKBRIDGE_BENCH_ITEMS``-item pull into an empty SQLite store and
  into an empty PostgreSQL database, each in a child process (:mod:`benchmarks.child`), ``RUNS`` times
  each, alternating; the better time of each counts. Target: PostgreSQL within 2× SQLite per tracker.
* **Steady no-op sync**: per tracker, ``RANKBRIDGE_BENCH_SYNC_ITEMS`` items synced until nothing is left
  to write, then, once the cursors have left the last change behind, a sync with nothing changed
  anywhere (pull, rank, plan, nothing pushed), best of ``NOOP_RUNS``; each backend on emulators of its
  own (the same seed), so one store's writes are never the other's input. Target: within 1.5×.

Alone: ``python -m benchmarks.store_backends`` (sizes from the same variables as ``make bench``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import tomli_w

from benchmarks.emulators import Remote, emulators
from benchmarks.full_pull import measure
from benchmarks.harness import PULL_ITEMS, SERVICES, SYNC_ITEMS, engine_on, service_config
from benchmarks.sync_figures import SETTLE, converge, noop, settle_wait
from sandbox.postgres import ThrowawayPostgres
from sync.engine import Engine

RUNS = 2
NOOP_RUNS = 3
BACKENDS = ("sqlite", "postgres")
PULL_TARGET, NOOP_TARGET = 2.0, 1.5
Say = Callable[[str], None]


class Stores:
    """A fresh store of either backend for one tracker's config: the SQLite file the harness names, or a
    new PostgreSQL database on the server."""

    def __init__(self, server: ThrowawayPostgres) -> None:
        self.server = server
        self.databases = 0

    def config(self, remote: Remote, service: str, backend: str, **options: Any) -> Path:
        path = service_config(remote, service, **options)  # also removes the service's SQLite files
        if backend == "sqlite":
            return path
        data = tomllib.loads(path.read_text())
        self.databases += 1
        name = f"bench_{service}_{self.databases}"
        self.server.drop_database(name)
        data["store"] = {"url": self.server.create_database(name)}
        target = path.with_name(f"{service}-postgres.toml")
        target.write_text(tomli_w.dumps(data))
        return target


def pulls(stores: Stores, items: int, workdir: Path, say: Say) -> list[dict[str, Any]]:
    results = []
    say(f"[backends] starting the emulators with {items:,} items per tracker (in a child process)")
    with emulators(list(SERVICES), items, seed=5, workdir=workdir) as remote:
        for service in SERVICES:
            seconds: dict[str, list[float]] = {b: [] for b in BACKENDS}
            payloads = 0
            for run in range(RUNS):
                for backend in BACKENDS if run % 2 == 0 else reversed(BACKENDS):
                    config = stores.config(remote, service, backend, lift_limits=True)
                    remote.reset(service)
                    pulled = measure(remote, "pull", config, service)
                    seconds[backend].append(float(pulled["seconds"]))
                    payloads = int(pulled["payloads"])
            best = {b: min(s) for b, s in seconds.items()}
            entry = {
                "service": service,
                "payloads": payloads,
                "sqlite_seconds": best["sqlite"],
                "postgres_seconds": best["postgres"],
                "ratio": round(best["postgres"] / max(best["sqlite"], 1e-9), 2),
            }
            results.append(entry)
            say(
                f"[backends] {service} full pull, {payloads:,} payloads: SQLite {entry['sqlite_seconds']}s, "
                f"PostgreSQL {entry['postgres_seconds']}s → {entry['ratio']}×"
            )
    return results


def steady_noops(stores: Stores, backend: str, items: int, workdir: Path, say: Say) -> dict[str, float]:
    """Per tracker, the best time of a steady no-op sync on ``backend``."""
    say(f"[backends] {backend}: converging {items:,} items per tracker, then no-op syncs")
    best: dict[str, float] = {}
    with emulators(list(SERVICES), items, seed=5, workdir=workdir) as remote, ExitStack() as stack:
        engines: dict[str, Engine] = {}
        for service in SERVICES:
            config = stores.config(remote, service, backend)
            engines[service] = engine = stack.enter_context(engine_on(remote, config))
            converge(engine, remote, service)
            if service != "jira":
                time.sleep(SETTLE.get(service, 0.0))
                best[service] = _steady(engine, remote, service)
        time.sleep(settle_wait(remote, "jira"))
        best["jira"] = _steady(engines["jira"], remote, "jira")
    return best


def _steady(engine: Engine, remote: Remote, service: str) -> float:
    engine.sync()  # the quiet read that lets the cursors leave the last change behind
    runs = [noop(engine, remote, service) for _ in range(NOOP_RUNS)]
    if any(r["writes"] or r["planned_ops"] for r in runs):
        raise RuntimeError(f"{service}: a no-op sync planned or wrote something: {runs}")
    return min(float(r["seconds"]) for r in runs)


def run(pull_items: int, sync_items: int, workdir: Path, say: Say) -> dict[str, Any]:
    with ThrowawayPostgres(fsync=True) as server:
        stores = Stores(server)
        pull = pulls(stores, pull_items, workdir / "pull", say)
        steady = {b: steady_noops(stores, b, sync_items, workdir / f"sync-{b}", say) for b in BACKENDS}
    noops = [
        {
            "service": service,
            "sqlite_seconds": steady["sqlite"][service],
            "postgres_seconds": steady["postgres"][service],
            "ratio": round(steady["postgres"][service] / max(steady["sqlite"][service], 1e-9), 2),
        }
        for service in SERVICES
    ]
    for entry in noops:
        say(
            f"[backends] {entry['service']} steady no-op sync: SQLite {entry['sqlite_seconds']}s, "
            f"PostgreSQL {entry['postgres_seconds']}s → {entry['ratio']}×"
        )
    worst_pull = max(e["ratio"] for e in pull)
    worst_noop = max(e["ratio"] for e in noops)
    return {
        "pull": pull,
        "noop_sync": noops,
        "pull_ratio_max": worst_pull,
        "noop_ratio_max": worst_noop,
        "pull_within_2x": worst_pull <= PULL_TARGET,
        "noop_within_1_5x": worst_noop <= NOOP_TARGET,
    }


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="rankbridge-bench-backends-") as tmp:
        yield Path(tmp)


def main() -> int:
    started = time.perf_counter()

    def say(line: str) -> None:
        sys.stdout.write(f"[{time.perf_counter() - started:6.0f}s] {line}\n")
        sys.stdout.flush()

    with _workdir() as folder:
        figures = run(PULL_ITEMS, SYNC_ITEMS, folder, say)
    sys.stdout.write(json.dumps(figures, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
