"""`make bench`: every benchmark, with progress lines, then one JSON line of all figures (the last line).

Sizes: ``RANKBRIDGE_BENCH_ITEMS`` items per tracker for the full pull (default 25,000) and
``RANKBRIDGE_BENCH_SYNC_ITEMS`` for the sync figures (default 1,000). See ``benchmarks/README.md``.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import (
    commit_batching,
    full_pull,
    linking,
    parallel_pulls,
    report_site,
    scoring,
    startup,
    store_backends,
    sync_figures,
)
from benchmarks.github_costs import full_pull_cost, rerank_cost
from benchmarks.harness import PULL_ITEMS, SYNC_ITEMS

STARTED = time.perf_counter()


def say(line: str) -> None:
    sys.stdout.write(f"[{time.perf_counter() - STARTED:6.0f}s] {line}\n")
    sys.stdout.flush()


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    figures: dict[str, Any] = {"pull_items": PULL_ITEMS, "sync_items": SYNC_ITEMS}
    with tempfile.TemporaryDirectory(prefix="rankbridge-bench-") as tmp:
        figures["startup"] = startup.run(Path(tmp) / "startup", say)
        figures["pull"] = full_pull.run(PULL_ITEMS, Path(tmp) / "pull", say)
        figures["pull_targets"] = full_pull.targets(figures["pull"])
        say(f"[pull] targets (≤ 2× the floor, < 300 MB): {figures['pull_targets']}")
        figures.update(sync_figures.run(SYNC_ITEMS, Path(tmp) / "sync", say))
        figures["commit_batching"] = commit_batching.run(PULL_ITEMS, Path(tmp) / "batching", say)
        figures["linking"] = linking.run(PULL_ITEMS, Path(tmp) / "linking", say)
        figures["report"] = report_site.run(PULL_ITEMS, Path(tmp) / "report", say)
        figures["parallel_pulls"] = parallel_pulls.run(Path(tmp) / "parallel", say)
        figures["store_backends"] = store_backends.run(PULL_ITEMS, SYNC_ITEMS, Path(tmp) / "backends", say)
    say("[github] request counts: a 5,000-issue first pull; a 300-item project with 10 moved")
    github = {"full_pull_5000": full_pull_cost(5000), "reorder_300_move_10": rerank_cost(300, 10)}
    figures["github"] = github
    say(
        f"[github] 5,000 issues: {github['full_pull_5000']['list_pages']} list pages "
        f"(ideal {github['full_pull_5000']['ideal_pages']}); 300-item project, 10 moved: "
        f"{github['reorder_300_move_10']['position_mutations']} position mutations"
    )
    say(f"[scoring] {scoring.ITEMS:,} items, rules engine vs hand-written Python …")
    s = scoring.run_isolated()
    figures["scoring"] = s
    say(
        f"[scoring] engine {s['engine_seconds']}s vs hand-written {s['hand_written_seconds']}s: "
        f"ratio {s['ratio']} (target ≤ {s['target_ratio']})"
    )
    figures["seconds"] = round(time.perf_counter() - STARTED, 1)
    sys.stdout.write(json.dumps(figures, separators=(",", ":"), default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
