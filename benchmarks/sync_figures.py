"""Sync figures per tracker on one set of emulators (in a child process), ``SYNC_ITEMS`` items each:

* convergence: syncs until the planner finds nothing to write (the first sync writes the whole order);
* the no-op sync: right after convergence, and in the steady state (after one sync whose read found
  nothing changed within the connector's margin, which lets the cursors leave the last change behind):
  requests, writes and wall time;
* re-rank writes (:mod:`benchmarks.rerank`), on the converged store.

Jira's JQL reads dates to the minute, so a pull re-reads the minute of the newest change until that
minute has settled (``index_lag`` after its end; see :mod:`connectors.jira.streams`). Jira is synced
first and measured last, so the wait for its steady state mostly passes while the others run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import rerank
from benchmarks.emulators import Remote, emulators
from benchmarks.harness import SERVICES, engine_on, service_config
from sync.engine import Engine

MAX_ROUNDS = 5
JIRA_INDEX_LAG = 60.0  # the connection's default ``index_lag``
SETTLE = {"linear": 1.2}  # seconds: the Linear connection's default ``index_lag``, and a margin
Say = Callable[[str], None]


def converge(engine: Engine, remote: Remote, service: str) -> dict[str, Any]:
    """Sync until a sync plans nothing; the rounds, the writes they sent and their time."""
    remote.reset(service)
    started = time.perf_counter()
    rounds, pending = 0, True
    while pending and rounds < MAX_ROUNDS:
        rounds += 1
        report = engine.sync()
        pending = bool(report.plan and report.plan.ops)
    log = remote.requests(service)
    return {
        "rounds": rounds,
        "converged": not pending,
        "writes": sum(1 for r in log if r["mutating"]),
        "requests": len(log),
        "seconds": round(time.perf_counter() - started, 2),
    }


def noop(engine: Engine, remote: Remote, service: str) -> dict[str, Any]:
    """One sync with nothing changed anywhere: what it costs."""
    remote.reset(service)
    started = time.perf_counter()
    report = engine.sync()
    seconds = time.perf_counter() - started
    log = remote.requests(service)
    return {
        "requests": len(log),
        "writes": sum(1 for r in log if r["mutating"]),
        "planned_ops": len(report.plan.ops) if report.plan else 0,
        "payloads_read": sum(s.payloads for s in report.pull.streams),
        "streams": len(report.pull.streams),
        "seconds": round(seconds, 3),
    }


def settle_wait(remote: Remote, service: str) -> float:
    """Seconds until the minute of Jira's newest change has settled (its end plus the index lag)."""
    stamps = [i.get("updated") for i in remote.state(service)["items"] if i.get("updated")]
    newest = max(_epoch(s) for s in stamps)
    settled_at = newest - newest % 60 + 60 + JIRA_INDEX_LAG + 1
    return max(0.0, settled_at - time.time())


def _epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # Jira's +0000
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text).timestamp()


def run(items: int, workdir: Path, say: Say) -> dict[str, list[dict[str, Any]]]:
    figures: dict[str, list[dict[str, Any]]] = {"noop": [], "rerank": []}
    say(f"[sync] starting the emulators with {items:,} items per tracker (in a child process)")
    with emulators(list(SERVICES), items, seed=5, workdir=workdir) as remote, ExitStack() as stack:
        engines: dict[str, Engine] = {}
        for service in SERVICES:
            config = service_config(remote, service, extra=rerank.RULES)
            engines[service] = engine = stack.enter_context(engine_on(remote, config))
            result = converge(engine, remote, service)
            state = "converged in" if result["converged"] else "NOT converged after"
            say(
                f"[sync] {service}: {state} {result['rounds']} sync(s), {result['writes']} writes, "
                f"{result['seconds']}s"
            )
            entry: dict[str, Any] = {"service": service, "items": items, "converge": result}
            entry["right_after_push"] = noop(engine, remote, service)
            figures["noop"].append(entry)
            if service != "jira":
                time.sleep(SETTLE.get(service, 0.0))
                engine.sync()  # a pull whose complete, quiet read settles its cursors
                _steady(entry, noop(engine, remote, service), say)
                _rerank(figures, engine, remote, service, items, say)
        wait = settle_wait(remote, "jira")
        say(f"[sync] jira: waiting {wait:.0f}s for the minute of its last change to settle")
        time.sleep(wait)
        engines["jira"].sync()  # the pull whose complete read settles the cursor past that minute
        _steady(figures["noop"][0], noop(engines["jira"], remote, "jira"), say)
        _rerank(figures, engines["jira"], remote, "jira", items, say)
    figures["rerank"].sort(key=lambda r: SERVICES.index(r["service"]))
    return figures


def _steady(entry: dict[str, Any], steady: dict[str, Any], say: Say) -> None:
    entry["steady"] = steady
    after = entry["right_after_push"]
    say(
        f"[noop] {entry['service']}: {steady['requests']} requests over {steady['streams']} stream(s), "
        f"{steady['writes']} writes, {steady['seconds']}s (right after the push: {after['requests']} "
        f"requests, {after['payloads_read']} payloads re-read)"
    )


def _rerank(
    figures: dict[str, list[dict[str, Any]]],
    engine: Engine,
    remote: Remote,
    service: str,
    items: int,
    say: Say,
) -> None:
    if service not in rerank.ORDERED:
        return
    r = rerank.run(engine, remote, service, items)
    figures["rerank"].append(r)
    say(
        f"[rerank] {service}: {r['changed_inputs']} inputs changed in {r['items']} → {r['planned_rank_ops']} "
        f"rank op(s) moving {r['moved_items']} item(s): {r['rank_write_calls']} write call(s) sent; "
        f"naive one-call-per-misplaced-item: {r['naive_calls']}"
    )
