"""`make bench`: every benchmark, human-readable lines, then one JSON line of all figures."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from benchmarks import pull_and_noop, rerank, scoring
from sandbox.github.measure import full_pull_cost, rerank_cost
from sandbox.registry import available


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    figures: dict[str, Any] = {"pull": [], "rerank": []}
    services = available()
    for service in services:
        r = pull_and_noop.run(service)
        figures["pull"].append(r)
        say(
            f"[pull] {service}: {r['payloads']} payloads in {r['full_pull_seconds']}s, "
            f"{r['full_pull_requests']} "
            f"requests ({r['requests_per_item']} per item); no-op sync: {r['noop_requests']} requests over "
            f"{r['noop_streams']} streams, {r['noop_writes']} writes"
        )
    for service in [s for s in services if s in rerank.ORDERED]:
        r = rerank.run(service)
        figures["rerank"].append(r)
        say(
            f"[rerank] {service}: {r['changed_inputs']} inputs changed in {r['items']} → "
            f"{r['planned_rank_ops']} "
            f"rank op(s) moving {r['moved_items']} item(s): {r['rank_write_calls']} write call(s) sent; "
            f"naive one-call-per-misplaced-item: {r['naive_calls']}"
        )
    github = {"full_pull_5000": full_pull_cost(5000), "reorder_300_move_10": rerank_cost(300, 10)}
    figures["github"] = github
    say(
        f"[github] 5,000 issues: {github['full_pull_5000']['list_pages']} list pages "
        f"(ideal {github['full_pull_5000']['ideal_pages']}); 300-item project, 10 moved: "
        f"{github['reorder_300_move_10']['position_mutations']} position mutations"
    )
    s = scoring.run()
    figures["scoring"] = s
    say(
        f"[scoring] {s.get('items')} items: engine {s.get('engine_seconds')}s vs hand-written "
        f"{s.get('hand_written_seconds')}s, ratio {s.get('ratio')}"
    )
    say(json.dumps(figures, separators=(",", ":"), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
