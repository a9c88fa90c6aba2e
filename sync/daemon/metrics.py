"""What the daemon knows about itself: per-connection counters for ``/metrics`` (Prometheus text exposition
format 0.0.4) and the freshness verdict of ``/healthz``.

Everything here is recorded by the scheduler's job threads and read by the HTTP thread, under one lock.
Nothing secret is kept: errors are stored redacted by the same filter the logs use.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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

    def record_cycle(
        self, name: str, *, ok: bool, error: str | None, pulled: int, changed: int, duration: float
    ) -> None:
        now = self.clock()
        with self.lock:
            entry = self.connections[name]
            entry.last_attempt = now
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
        """Healthy when every connection had a successful pull within its allowed staleness."""
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
                    "age_seconds": None if age is None else round(age, 3),
                    "staleness_seconds": entry.staleness,
                    "consecutive_failures": entry.consecutive_failures,
                    "last_error": entry.last_error,
                }
        ok = not reasons
        return ok, {"status": "ok" if ok else "unhealthy", "reasons": reasons, "connections": rows}

    # --- /metrics ------------------------------------------------------------------------------------
    def render(self, live: Mapping[str, Live]) -> str:
        with self.lock:
            return render_prometheus(self.started, self.cycles, self.connections, live)


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Exposition:
    """Builds the text format: one ``# HELP``/``# TYPE`` header per family, then its samples."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: Iterable[tuple[str, str, float]]) -> None:
        """``samples``: (suffix, labels already rendered, value)."""
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for suffix, labels, value in samples:
            self.lines.append(f"{name}{suffix}{labels} {number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def labels(**values: str) -> str:
    return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in values.items()) + "}"


def render_prometheus(
    started: float,
    cycles: int,
    connections: Mapping[str, ConnectionMetrics],
    live: Mapping[str, Live],
) -> str:
    out = Exposition()
    out.family(
        "rankbridge_daemon_start_time_seconds",
        "gauge",
        "When the daemon started (epoch).",
        [("", "", started)],
    )
    out.family(
        "rankbridge_cycles_total",
        "counter",
        "Connection cycles completed (a pull, then rank/plan/push when something changed).",
        [("", "", cycles)],
    )

    def per(attribute: str) -> list[tuple[str, str, float]]:
        return [("", labels(connection=n), float(getattr(c, attribute))) for n, c in connections.items()]

    out.family(
        "rankbridge_connection_cycles_total", "counter", "Cycles completed per connection.", per("cycles")
    )
    out.family(
        "rankbridge_last_success_timestamp_seconds",
        "gauge",
        "End of the last successful pull (epoch; 0 = never).",
        [("", labels(connection=n), c.last_success or 0.0) for n, c in connections.items()],
    )
    out.family(
        "rankbridge_consecutive_failures", "gauge", "Failed cycles in a row.", per("consecutive_failures")
    )
    out.family("rankbridge_items_pulled_total", "counter", "Payloads pulled.", per("items_pulled"))
    out.family(
        "rankbridge_items_changed_total", "counter", "Pulled items that changed.", per("items_changed")
    )
    out.family(
        "rankbridge_requests_total",
        "counter",
        "HTTP requests sent to the tracker.",
        [("", labels(connection=n), float(live[n].requests)) for n in connections if n in live],
    )
    out.family(
        "rankbridge_rate_limit_remaining",
        "gauge",
        "Requests left in the tracker's rate-limit window, as its last response said.",
        [
            ("", labels(connection=n), float(value))
            for n in connections
            if n in live and (value := live[n].rate_limit_remaining) is not None
        ],
    )
    out.family("rankbridge_ops_applied_total", "counter", "Write ops applied.", per("ops_applied"))
    out.family("rankbridge_ops_failed_total", "counter", "Write ops that failed.", per("ops_failed"))
    out.family("rankbridge_outbox_depth", "gauge", "Ops waiting in the outbox.", per("outbox_depth"))
    out.family(
        "rankbridge_run_duration_seconds",
        "histogram",
        "Duration of one connection cycle.",
        [sample for n, c in connections.items() for sample in histogram_samples(n, c.durations)],
    )
    return out.text()


def histogram_samples(name: str, histogram: Histogram) -> list[tuple[str, str, float]]:
    samples = [
        ("_bucket", labels(connection=name, le=number(bound)), float(count))
        for bound, count in zip(histogram.buckets, histogram.counts, strict=True)
    ]
    samples.append(("_bucket", labels(connection=name, le="+Inf"), float(histogram.count)))
    samples.append(("_sum", labels(connection=name), histogram.total))
    samples.append(("_count", labels(connection=name), float(histogram.count)))
    return samples
