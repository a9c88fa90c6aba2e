"""Full pull (wall time, requests per item) and a no-op sync (requests, writes) per tracker."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.harness import ITEMS, bench


def run(service: str, items: int = ITEMS) -> dict[str, Any]:
    with bench([service], items) as b, b.engine() as engine:
        started = time.perf_counter()
        report = engine.pull()
        pull_seconds = time.perf_counter() - started
        pulled = sum(s.payloads for s in report.streams)
        requests = len(b.requests(service))
        engine.sync()
        engine.sync()
        b.box.reset(service)
        started = time.perf_counter()
        quiet = engine.sync()
        noop_seconds = time.perf_counter() - started
        log = b.requests(service)
    return {
        "service": service,
        "items": items,
        "full_pull_seconds": round(pull_seconds, 3),
        "full_pull_requests": requests,
        "payloads": pulled,
        "requests_per_item": round(requests / max(pulled, 1), 4),
        "noop_requests": len(log),
        "noop_streams": len(quiet.pull.streams),
        "noop_writes": sum(1 for r in log if r["mutating"]),
        "noop_seconds": round(noop_seconds, 3),
    }
