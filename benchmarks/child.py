"""One measurement in a process of its own, so that its peak memory is its own.

``python -m benchmarks.child pull CONFIG SERVICE``: a full pull of one connection into the config's store
through the engine (connectors, normalisers, store), as ``rankbridge pull`` runs it.
``python -m benchmarks.child floor CONFIG SERVICE``: the same pages fetched raw (:mod:`benchmarks.floor`).

Either prints one JSON line: wall seconds, pages, payloads, requests, and memory from ``/proc/self/status``:
``VmHWM`` (peak resident set) at the end, and ``VmRSS`` before the work started (interpreter and imports).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.floor import FETCHERS
from sync.config import load
from sync.engine import Engine


def memory_mb(field: str) -> float:
    """A ``/proc/self/status`` figure (kB there) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"/proc/self/status has no {field}")


def pull(config_path: str, service: str) -> dict[str, Any]:
    with Engine(load(config_path)) as engine:
        before = memory_mb("VmRSS")
        started = time.perf_counter()
        report = engine.pull(only=[service])
        seconds = time.perf_counter() - started
    failed = [f"{s.stream}: {s.error}" for s in report.failed]
    if failed:
        raise RuntimeError(f"the pull failed: {failed}")
    return {
        "seconds": round(seconds, 3),
        "pages": sum(s.pages for s in report.streams),
        "payloads": sum(s.payloads for s in report.streams),
        "changed": report.changed,
        "requests": sum(s.requests for s in report.streams),
        "streams": len(report.streams),
        "rss_before_mb": before,
        "peak_mb": memory_mb("VmHWM"),
    }


def floor(config_path: str, service: str) -> dict[str, Any]:
    connection = load(config_path).connections[service]
    before = memory_mb("VmRSS")
    started = time.perf_counter()
    pages = payloads = size = 0
    for count, length in FETCHERS[service](connection):
        pages += 1
        payloads += count
        size += length
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "pages": pages,
        "payloads": payloads,
        "bytes": size,
        "rss_before_mb": before,
        "peak_mb": memory_mb("VmHWM"),
    }


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.ERROR)
    mode, config_path, service = argv
    result = {"pull": pull, "floor": floor}[mode](config_path, service)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
