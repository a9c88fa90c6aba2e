"""Storing pulled pages one transaction each against a few whole pages per transaction (PageBatch).

The same Jira pages (25,000 issues in pages of 100 by default) are fetched once from the emulator, then
normalised and stored into two fresh stores, alternating, best of two each: committing after every page,
and as ``sync/pull/streams.py`` does (a :class:`sync.store.base.PageBatch` of up to 5,000 records or
2 seconds).
Also the write-ahead log each writes, counted with checkpoints off: the same index pages rewritten by
every commit are what the batches save.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.emulators import emulators
from benchmarks.harness import engine_on, service_config
from connectors.base import Connector, Page
from sync.pull.streams import store_page
from sync.store import Store

RUNS = 2
PER_PAGE = 0  # a batch that commits after every page: the plain one-transaction-per-page store
BATCHED = 5000  # the records a batch of sync/pull/streams.py holds


def write_all(store: Store, connector: Connector, pages: list[Page], max_records: int) -> None:
    """Normalise and store ``pages`` as a pull does, in batches of ``max_records`` (0: every page)."""
    with store.page_batch(max_records=max_records) as batch:
        for page in pages:
            store_page(store, batch, connector, "issues", page)


def store_seconds(connector: Connector, pages: list[Page], path: Path, max_records: int) -> float:
    store = Store(path)
    try:
        started = time.perf_counter()
        write_all(store, connector, pages, max_records)
        return time.perf_counter() - started
    finally:
        store.close()


def log_mb(connector: Connector, pages: list[Page], path: Path, max_records: int) -> float:
    """MB of write-ahead log the same writes produce with checkpoints off (read before the store closes,
    which copies the log back and removes it)."""
    store = Store(path)
    try:
        store.sql.execute("PRAGMA wal_autocheckpoint = 0")
        write_all(store, connector, pages, max_records)
        return round(Path(f"{path}-wal").stat().st_size / 1e6, 1)
    finally:
        store.close()


def run(items: int, workdir: Path, say: Any) -> dict[str, Any]:
    say(f"[batching] {items:,} Jira issues stored one transaction a page vs in page batches …")
    with emulators(["jira"], items, seed=5, workdir=workdir) as remote:
        config = service_config(remote, "jira", lift_limits=True)
        with engine_on(remote, config) as engine:
            connector = engine.connectors["jira"]
            pages = list(connector.pull("issues", None, datetime.now(UTC)))
    times: dict[int, list[float]] = {PER_PAGE: [], BATCHED: []}
    for run_index in range(RUNS):
        for size in times:
            times[size].append(store_seconds(connector, pages, workdir / f"s{run_index}-{size}.db", size))
    per_page, batched = min(times[PER_PAGE]), min(times[BATCHED])
    result = {
        "issues": sum(len(p.payloads) for p in pages),
        "pages": len(pages),
        "per_page_seconds": round(per_page, 3),
        "batched_seconds": round(batched, 3),
        "ratio": round(per_page / batched, 2),
        "per_page_log_mb": log_mb(connector, pages, workdir / "log-per-page.db", PER_PAGE),
        "batched_log_mb": log_mb(connector, pages, workdir / "log-batched.db", BATCHED),
        "store_mb": round((workdir / "log-batched.db").stat().st_size / 1e6, 1),
    }
    say(
        f"[batching] normalise + store: {result['per_page_seconds']}s a page per transaction vs "
        f"{result['batched_seconds']}s in batches ({result['ratio']}×); write-ahead log "
        f"{result['per_page_log_mb']} MB vs {result['batched_log_mb']} MB"
    )
    return result
