"""A full pull of every tracker at scale, against the floor of fetching the same pages raw.

The emulators run in one child process (:mod:`benchmarks.emulators`), each measurement in another
(:mod:`benchmarks.child`), so the peak memory reported is the rankbridge pull's alone. Per tracker, twice:
the raw floor, then the pull into an empty store; the better time of each counts (noise on this shared
machine only ever adds time), the peak memory is the larger of the two pulls'.

Rate budgets are lifted so that the figures measure the pipeline, not waiting on a provider's limits:
Zendesk allows 10 incremental-export requests a minute (a 25,000-ticket first pull is at least three
minutes of waiting on the real service, whatever the client does), so the emulator and the connection
both get a large export budget; Linear's complexity budget window is made one second long.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.emulators import ROOT, Remote, child_env, emulators
from benchmarks.floor import FETCHERS
from benchmarks.harness import SERVICES, service_config

RUNS = 2


def measure(remote: Remote, mode: str, config: Path, service: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.child", mode, str(config), service]
    done = subprocess.run(
        command, env=child_env(remote.token), cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} of {service} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_one(remote: Remote, service: str, items: int) -> dict[str, Any]:
    """Floor, pull, floor, pull (each pull into an empty store); the better run of each counts."""
    config = service_config(remote, service, lift_limits=True)
    floors, pulls, sent = [], [], 0
    for _ in range(RUNS):
        floors.append(measure(remote, "floor", config, service))
        for leftover in remote.workdir.glob(f"{service}.db*"):
            leftover.unlink()
        remote.reset(service)
        pulls.append(measure(remote, "pull", config, service))
        sent = len(remote.requests(service))
    floor = min(floors, key=lambda f: float(f["seconds"]))
    pulled = min(pulls, key=lambda f: float(f["seconds"]))
    return {
        "service": service,
        "items": items,
        "payloads": pulled["payloads"],
        "pages": pulled["pages"],
        "requests": sent,
        "requests_per_item": round(sent / max(pulled["payloads"], 1), 4),
        "pull_seconds": pulled["seconds"],
        "items_per_second": round(pulled["payloads"] / max(pulled["seconds"], 1e-9)),
        "peak_mb": max(p["peak_mb"] for p in pulls),
        "rss_at_start_mb": pulled["rss_before_mb"],
        "floor_seconds": floor["seconds"],
        "floor_requests": floor["pages"],
        "floor_payloads": floor["payloads"],
        "floor_peak_mb": floor["peak_mb"],
        "ratio_to_floor": round(pulled["seconds"] / max(floor["seconds"], 1e-9), 2),
        "response_mb": round(floor["bytes"] / 2**20, 1),
    }


def run(
    items: int,
    workdir: Path,
    say: Any,
    services: tuple[str, ...] = tuple(s for s in SERVICES if s in FETCHERS),
) -> list[dict[str, Any]]:
    """The full pull of ``services`` (by default every service with a raw floor fetcher to compare to)."""
    results = []
    say(f"[pull] starting the emulators with {items:,} items per tracker (in a child process)")
    with emulators(list(services), items, seed=5, workdir=workdir) as remote:
        for service in services:
            say(f"[pull] {service}: the raw floor and the full pull, {RUNS} times each …")
            r = run_one(remote, service, items)
            results.append(r)
            say(
                f"[pull] {service}: {r['payloads']:,} payloads in {r['pull_seconds']}s "
                f"({r['items_per_second']:,}/s), {r['requests']} requests ({r['requests_per_item']}/item), "
                f"peak {r['peak_mb']} MB; raw floor {r['floor_seconds']}s → {r['ratio_to_floor']}× the floor"
            )
    return results


def targets(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The targets: within 2× of the floor and under 300 MB peak, per tracker."""
    worst_ratio = max((r["ratio_to_floor"] for r in results), default=math.nan)
    worst_peak = max((r["peak_mb"] for r in results), default=math.nan)
    return {
        "ratio_to_floor_max": worst_ratio,
        "peak_mb_max": worst_peak,
        "within_2x_floor": worst_ratio <= 2.0,
        "under_300_mb": worst_peak < 300,
    }
