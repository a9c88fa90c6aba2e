"""Four connections under a Zendesk-like budget, pulled in parallel by one daemon, against one after another.

Four Zendesk emulators, each with its own export budget of 10 requests a minute (Zendesk's incremental
export limit, the sandbox's default), each holding a first pull that needs a dozen export pages (so each
pull waits out one budget window). The real ``rankbridge daemon`` pulls them twice from a fresh store: with
``[daemon] max_parallel_pulls = 4`` and with ``1``. Figures: the wall time from the first pull's start to
the last pull's end, and each pull's own time (from the store's runs). In parallel the whole should take
about as long as the slowest pull; one after another, about their sum.

``python -m benchmarks.parallel_pulls`` runs it alone (about five minutes: four minute-long pulls one after
another, then together); ``RANKBRIDGE_BENCH_EXPORT_WINDOW=6`` shrinks the budget's window for a quick look.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.store import Store

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = 4
TICKETS = 60
PAGE_SIZE = 5  # 12 export pages of tickets a pull: more than the 10 a window allows
WINDOW = float(os.environ.get("RANKBRIDGE_BENCH_EXPORT_WINDOW", "60"))
TOKEN = "sbx-bench-parallel-pulls"


def moment(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def write_config(boxes: list[Sandbox], folder: Path, parallel: int) -> Path:
    connections = {}
    for n, box in enumerate(boxes, start=1):
        table = box.emulator("zendesk").connection_config()
        table["policy"] = {**table.get("policy", {}), "max_wait": WINDOW * 2}
        connections[f"zendesk_{n}"] = table | {
            "interval": 3600,
            "page_size": PAGE_SIZE,
            "export_per_minute": 10,
            "export_window": WINDOW,
        }
    data = {
        "store": {"path": str(folder / "store.db")},
        "connections": connections,
        "daemon": {"port": 0, "jitter": 0, "max_parallel_pulls": parallel},
    }
    path = folder / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def pulls_done(store_path: Path) -> list[dict[str, Any]]:
    if not store_path.exists():
        return []
    store = Store(store_path)
    try:
        return [r for r in store.runs("pull", limit=100) if r["finished_at"]]
    finally:
        store.close()


def one_variant(parallel: int, folder: Path) -> dict[str, Any]:
    """First pulls of the four connections by a daemon pulling ``parallel`` at a time."""
    folder.mkdir(parents=True)
    settings = {"zendesk": {"export_per_minute": 10, "export_window": WINDOW}}
    boxes = [
        Sandbox.start(["zendesk"], items=TICKETS, seed=n, token=TOKEN, settings=settings)
        for n in range(CONNECTIONS)
    ]
    config = write_config(boxes, folder, parallel)
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{TOKEN_ENV: TOKEN})
    command = [sys.executable, "-m", "cli", "--config", str(config), "daemon"]
    daemon = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + CONNECTIONS * WINDOW * 3 + 60
        while len(pulls_done(folder / "store.db")) < CONNECTIONS and time.monotonic() < deadline:
            time.sleep(0.5)
        runs = pulls_done(folder / "store.db")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        for box in boxes:
            box.stop()
    assert len(runs) == CONNECTIONS and all(r["status"] == "ok" for r in runs), runs
    requests = [json.loads(r["stats"])["requests"] for r in runs]
    durations = [moment(r["finished_at"]) - moment(r["started_at"]) for r in runs]
    first = min(moment(r["started_at"]) for r in runs)
    wall = max(moment(r["finished_at"]) for r in runs) - first
    return {
        "max_parallel_pulls": parallel,
        "wall_seconds": round(wall, 1),
        "slowest_pull_seconds": round(max(durations), 1),
        "sum_of_pulls_seconds": round(sum(durations), 1),
        "requests_per_pull": requests,
        "starts_seconds": sorted(round(moment(r["started_at"]) - first, 1) for r in runs),
    }


def run(folder: Path, say: Callable[[str], None]) -> dict[str, Any]:
    say(f"[parallel] {CONNECTIONS} Zendesk connections, 10 exports per {WINDOW:g}s each, 12 pages a pull")
    together = one_variant(CONNECTIONS, folder / "parallel")
    say(
        f"[parallel] max_parallel_pulls={CONNECTIONS}: {together['wall_seconds']}s "
        f"(slowest pull {together['slowest_pull_seconds']}s)"
    )
    apart = one_variant(1, folder / "sequential")
    say(
        f"[parallel] max_parallel_pulls=1: {apart['wall_seconds']}s "
        f"(sum of the pulls {apart['sum_of_pulls_seconds']}s)"
    )
    return {
        "parallel": together,
        "sequential": apart,
        "parallel_over_slowest": round(together["wall_seconds"] / together["slowest_pull_seconds"], 2),
        "sequential_over_parallel": round(apart["wall_seconds"] / together["wall_seconds"], 2),
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="rankbridge-bench-") as tmp:
        figures = run(Path(tmp), lambda line: print(line, flush=True))
    print(json.dumps(figures))
