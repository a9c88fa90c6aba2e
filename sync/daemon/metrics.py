"""What the daemon knows about itself: per-connection counters for ``/metrics`` (exposed by
``prometheus_client`` through a custom collector, in the text format 0.0.4) and the freshness verdict of
``/healthz``.

Everything here is recorded by the scheduler's job threads and read by the HTTP thread, under one lock.
Nothing secret is kept: errors are stored redacted by the same filter the logs use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import prometheus_client.registry
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from sync.redaction import redact

DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass
class Histogram:
    buckets: tuple[float, ...] = DURATION_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1
        self.total += value
        self.count += 1


@dataclass
class ConnectionMetrics:
    interval: int
    staleness: int
    last_success: float | None = None  # epoch seconds of the last pull that ended without error
    last_attempt: float | None = None
    in_progress_since: float | None = None  # epoch seconds its job (push, pull) in flight began
    last_error: str | None = None
    consecutive_failures: int = 0
    cycles: int = 0
    items_pulled: int = 0
    items_changed: int = 0
    ops_applied: int = 0
    ops_failed: int = 0
    outbox_depth: int = 0
    durations: Histogram = field(default_factory=Histogram)


@dataclass(frozen=True)
class Live:
    """Values read from the connectors at scrape time."""

    requests: int
    rate_limit_remaining: float | None


class Metrics:
    def __init__(self, connections: Mapping[str, tuple[int, int]], clock: Callable[[], float] = time.time):
        """``connections``: name -> (interval, staleness) in seconds."""
        self.clock = clock
        self.lock = threading.Lock()
        self.started = clock()
        self.cycles = 0
        self.connections = {
            name: ConnectionMetrics(interval, staleness)
            for name, (interval, staleness) in connections.items()
        }

    def seed_last_success(self, name: str, epoch: float | None) -> None:
        """The store's last successful pull, so a restarted daemon is healthy from its first request."""
        with self.lock:
            if epoch is not None:
                self.connections[name].last_success = epoch

    def record_start(self, name: str) -> None:
        with self.lock:
            self.connections[name].in_progress_since = self.clock()

    def record_cycle(
        self, name: str, *, ok: bool, error: str | None, pulled: int, changed: int, duration: float
    ) -> None:
        now = self.clock()
        with self.lock:
            entry = self.connections[name]
            entry.last_attempt, entry.in_progress_since = now, None
            entry.cycles += 1
            entry.items_pulled += pulled
            entry.items_changed += changed
            entry.durations.observe(duration)
            if ok:
                entry.last_success, entry.last_error, entry.consecutive_failures = now, None, 0
            else:
                entry.consecutive_failures += 1
                entry.last_error = redact(error or "failed")
            self.cycles += 1

    def record_push(self, by_connection: Mapping[str, Mapping[str, int]]) -> None:
        with self.lock:
            for name, stats in by_connection.items():
                if name in self.connections:
                    self.connections[name].ops_applied += stats.get("applied", 0)
                    self.connections[name].ops_failed += stats.get("failed", 0)

    def record_outbox(self, depths: Mapping[str, int]) -> None:
        with self.lock:
            for name, entry in self.connections.items():
                entry.outbox_depth = depths.get(name, 0)

    def cycles_of(self, name: str) -> int:
        with self.lock:
            return self.connections[name].cycles

    # --- /healthz ------------------------------------------------------------------------------------
    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy when every connection had a successful pull within its allowed staleness; the reasons
        name only the connections that are not. Each connection's row says its ``state`` (``ok``,
        ``in_progress``: fresh, its push or pull in flight; ``stale``; ``never``), its last good pull, its
        last error and since when its job in flight runs, so a slow tracker is named while the others stay
        ok."""
        now = self.clock()
        reasons: list[str] = []
        rows: dict[str, Any] = {}
        with self.lock:
            for name, entry in self.connections.items():
                age = None if entry.last_success is None else max(0.0, now - entry.last_success)
                fresh = age is not None and age <= entry.staleness
                if age is None:
                    reasons.append(f"{name}: never synced")
                elif not fresh:
                    reasons.append(
                        f"{name}: last successful sync {age:.0f}s ago (allowed {entry.staleness}s)"
                    )
                if not fresh and entry.last_error:
                    reasons.append(f"{name}: last error: {entry.last_error}")
                rows[name] = {
                    "ok": fresh,
                    "state": state(fresh, age, entry.in_progress_since),
                    "last_success": iso(entry.last_success),
                    "in_progress_since": iso(entry.in_progress_since),
                    "in_progress_seconds": (
                        None if entry.in_progress_since is None else round(now - entry.in_progress_since, 3)
                    ),
                    "age_seconds": None if age is None else round(age, 3),
                    "staleness_seconds": entry.staleness,
                    "consecutive_failures": entry.consecutive_failures,
                    "last_error": entry.last_error,
                }
        ok = not reasons
        return ok, {"status": "ok" if ok else "unhealthy", "reasons": reasons, "connections": rows}

    # --- /metrics ------------------------------------------------------------------------------------
    def render(self, live: Mapping[str, Live]) -> str:
        """The Prometheus text exposition of every family, read under the lock at scrape time."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(Collector(self, live))
        return generate_latest(registry).decode()


def state(fresh: bool, age: float | None, in_progress_since: float | None) -> str:
    if age is None:
        return "never"
    if not fresh:
        return "stale"
    return "ok" if in_progress_since is None else "in_progress"


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Collector(prometheus_client.registry.Collector):
    """A custom collector: the families are built from :class:`Metrics` when scraped, so the daemon keeps
    its counters in plain fields (recorded under one lock) and prometheus_client writes the format."""

    def __init__(self, metrics: Metrics, live: Mapping[str, Live]) -> None:
        self.metrics = metrics
        self.live = live

    def collect(self) -> Iterator[Metric]:
        with self.metrics.lock:
            yield GaugeMetricFamily(
                "rankbridge_daemon_start_time_seconds",
                "When the daemon started (epoch).",
                self.metrics.started,
            )
            yield CounterMetricFamily(
                "rankbridge_cycles_total",
                "Connection cycles completed (a pull, then rank/plan/push when something changed).",
                self.metrics.cycles,
            )
            yield from per_connection(self.metrics.connections, self.live)


FAMILIES: tuple[tuple[str, type[CounterMetricFamily | GaugeMetricFamily], str, str], ...] = (
    ("rankbridge_connection_cycles_total", CounterMetricFamily, "Cycles completed per connection.", "cycles"),
    ("rankbridge_consecutive_failures", GaugeMetricFamily, "Failed cycles in a row.", "consecutive_failures"),
    ("rankbridge_items_pulled_total", CounterMetricFamily, "Payloads pulled.", "items_pulled"),
    ("rankbridge_items_changed_total", CounterMetricFamily, "Pulled items that changed.", "items_changed"),
    ("rankbridge_ops_applied_total", CounterMetricFamily, "Write ops applied.", "ops_applied"),
    ("rankbridge_ops_failed_total", CounterMetricFamily, "Write ops that failed.", "ops_failed"),
    ("rankbridge_outbox_depth", GaugeMetricFamily, "Ops waiting in the outbox.", "outbox_depth"),
)


def per_connection(
    connections: Mapping[str, ConnectionMetrics], live: Mapping[str, Live]
) -> Iterator[Metric]:
    label = ["connection"]
    for name, kind, help_text, attribute in FAMILIES:
        family = kind(name, help_text, labels=label)
        for connection, entry in connections.items():
            family.add_metric([connection], float(getattr(entry, attribute)))
        yield family
    last = GaugeMetricFamily(
        "rankbridge_last_success_timestamp_seconds",
        "End of the last successful pull (epoch; 0 = never).",
        labels=label,
    )
    requests = CounterMetricFamily(
        "rankbridge_requests_total", "HTTP requests sent to the tracker.", labels=label
    )
    remaining = GaugeMetricFamily(
        "rankbridge_rate_limit_remaining",
        "Requests left in the tracker's rate-limit window, as its last response said.",
        labels=label,
    )
    durations = HistogramMetricFamily(
        "rankbridge_run_duration_seconds", "Duration of one connection cycle.", labels=label
    )
    for connection, entry in connections.items():
        last.add_metric([connection], entry.last_success or 0.0)
        histogram = entry.durations
        buckets = [(str(float(b)), c) for b, c in zip(histogram.buckets, histogram.counts, strict=True)]
        durations.add_metric([connection], [*buckets, ("+Inf", histogram.count)], histogram.total)
        if connection in live:
            requests.add_metric([connection], float(live[connection].requests))
            if live[connection].rate_limit_remaining is not None:
                remaining.add_metric([connection], float(live[connection].rate_limit_remaining or 0.0))
    yield from (last, requests, remaining, durations)
