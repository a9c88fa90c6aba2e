"""The HTML report at scale, against the pull of the same items: every tracker pulled into one store
(``PULL_ITEMS`` items per tracker, the providers' budgets lifted as in :mod:`benchmarks.full_pull`), ranked
with the demo's rules (themes, capacity), then the whole site written (a ranking page per 1,000 items, one
page per ranked item, changes, roadmap). The report must take less time than the pull it reports on.

``python -m benchmarks.report_site`` runs it alone (``RANKBRIDGE_BENCH_ITEMS`` sets the size)."""

from __future__ import annotations

import logging
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from benchmarks.emulators import Remote, emulators
from benchmarks.harness import PULL_ITEMS, SERVICES, engine_on, service_config
from sync.presentation.demo import DEMO_RULES
from sync.presentation.report.site import write_site


def all_trackers_config(remote: Remote) -> Path:
    """One config with every tracker's connection (budgets lifted) and one fresh store."""
    connections = {}
    for service in SERVICES:
        single = tomllib.loads(service_config(remote, service, lift_limits=True).read_text())
        connections.update(single["connections"])
    for leftover in remote.workdir.glob("all.db*"):
        leftover.unlink()
    data = {"store": {"path": str(remote.workdir / "all.db")}, "connections": connections} | DEMO_RULES
    path = remote.workdir / "all.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def run(items: int, workdir: Path, say: Any) -> dict[str, Any]:
    say(f"[report] starting the emulators with {items:,} items per tracker (in a child process)")
    with emulators(list(SERVICES), items, seed=5, workdir=workdir) as remote:
        config = all_trackers_config(remote)
        with engine_on(remote, config) as engine:
            say("[report] pulling every tracker into one store …")
            started = time.perf_counter()
            pulled = engine.pull()
            pull_seconds = time.perf_counter() - started
            if pulled.failed:
                raise RuntimeError(f"the pull failed: {[s.error for s in pulled.failed]}")
            started = time.perf_counter()
            ranked = engine.rank()
            rank_seconds = time.perf_counter() - started
            say(
                f"[report] pulled in {pull_seconds:.1f}s, "
                f"ranked {len(ranked.result.scores):,} in {rank_seconds:.1f}s"
            )
            started = time.perf_counter()
            written = write_site(engine.store, workdir / "site")
            report_seconds = time.perf_counter() - started
    figures = {
        "items_per_tracker": items,
        "payloads": sum(s.payloads for s in pulled.streams),
        "item_pages": written.items,
        "pages": written.pages,
        "pull_seconds": round(pull_seconds, 2),
        "rank_seconds": round(rank_seconds, 2),
        "report_seconds": round(report_seconds, 2),
        "report_to_pull": round(report_seconds / max(pull_seconds, 1e-9), 2),
    }
    figures["target_met"] = figures["report_to_pull"] < 1
    say(
        f"[report] {written.pages:,} pages ({written.items:,} item pages) in {report_seconds:.1f}s "
        f"against a full pull of {pull_seconds:.1f}s: ratio {figures['report_to_pull']} (target < 1)"
    )
    return figures


def main() -> int:
    import json
    import tempfile

    logging.basicConfig(level=logging.ERROR)
    started = time.perf_counter()

    def say(line: str) -> None:
        sys.stdout.write(f"[{time.perf_counter() - started:6.0f}s] {line}\n")
        sys.stdout.flush()

    with tempfile.TemporaryDirectory(prefix="rankbridge-bench-report-") as tmp:
        figures = run(PULL_ITEMS, Path(tmp), say)
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
