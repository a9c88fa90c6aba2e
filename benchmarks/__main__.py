"""`make bench`: every benchmark, human-readable lines, then one JSON line of all figures."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from benchmarks import pull_and_noop, rerank
from sandbox.registry import available


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    figures: dict[str, Any] = {"pull": [], "rerank": []}
    services = available()
    for service in services:
        result = pull_and_noop.run(service)
        figures["pull"].append(result)
        print(f"[pull] {service}: {result['payloads']} payloads in {result['full_pull_seconds']}s, "
              f"{result['full_pull_requests']} requests ({result['requests_per_item']} per item); no-op sync: "
              f"{result['noop_requests']} requests over {result['noop_streams']} streams, "
              f"{result['noop_writes']} writes")
    for service in [s for s in services if s in rerank.RANK_WRITE]:
        result = rerank.run(service)
        figures["rerank"].append(result)
        print(f"[rerank] {service}: {result['changed_inputs']} inputs changed → {result['planned_rank_ops']} rank "
              f"op(s) moving {result['moved_items']} item(s), {result['rank_write_calls']} rank call(s) sent; "
              f"naive one-call-per-item: {result['naive_calls']}")
    print(json.dumps(figures, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
