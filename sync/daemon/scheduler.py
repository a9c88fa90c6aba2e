"""``rankbridge daemon``: pull each connection on its own interval, rank/plan/push after a pull changed
something, serve ``/healthz`` and ``/metrics``, stop cleanly on SIGTERM/SIGINT.

* One APScheduler job per connection (``IntervalTrigger`` with jitter, ``max_instances=1``, ``coalesce``):
  a connection's runs never overlap, and a slow one never delays the others.
* Never two engine stages at once in this process: a job's pull and its rank → plan → push run under one
  lock (SQLite has one writer at a time, and a page transaction that reads before it writes fails with
  "database is locked" rather than wait when another connection committed in between). A job waiting for
  the lock delays, never skips, another connection's pull.
* A failing connection is isolated (its exception ends its own job only) and backs off exponentially:
  after ``n`` failures in a row its next attempt waits ``interval * 2**(n-1)`` (at most
  :data:`MAX_BACKOFF`), other connections go on at their pace.
* On SIGTERM/SIGINT the stop event is set: the engine ends after the page or op in flight (pages are atomic
  in the store, an op is settled in the journal before the next starts), and the process exits within
  :data:`GRACE` seconds; a restart resumes from the committed cursors and the outbox.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from connectors.base import Connector
from connectors.registry import build
from sync.config import Config
from sync.daemon.metrics import Live, Metrics
from sync.daemon.web import (
    CONTENT_TYPES,
    REPORT_HEADERS,
    REPORT_PREFIX,
    ReportFiles,
    require_credential,
)
from sync.engine import Engine, StalePlan
from sync.store import Store

log = logging.getLogger(__name__)

MAX_BACKOFF = 3600.0
GRACE = 8.0  # seconds to let the page/op in flight finish after a stop signal (systemd waits 15)


def backoff_delay(failures: int, interval: float, cap: float = MAX_BACKOFF) -> float:
    """Seconds before the next attempt after ``failures`` failed cycles in a row (0: on schedule)."""
    if failures <= 0:
        return 0.0
    return float(min(max(cap, interval), interval * 2 ** (failures - 1)))


class Backoff:
    """When each connection may run again; a connection that keeps failing is tried ever less often."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures: dict[str, int] = {}
        self.not_before: dict[str, float] = {}

    def due(self, name: str) -> bool:
        return self.clock() >= self.not_before.get(name, 0.0)

    def failed(self, name: str, interval: float) -> float:
        self.failures[name] = self.failures.get(name, 0) + 1
        delay = backoff_delay(self.failures[name], interval)
        # The scheduler fires every ``interval``: allow the attempt that lands at ``delay`` after this one.
        self.not_before[name] = self.clock() + delay - min(interval, delay) / 2
        return delay

    def succeeded(self, name: str) -> None:
        self.failures.pop(name, None)
        self.not_before.pop(name, None)


@dataclass
class CycleResult:
    ok: bool  # the pull ended without error
    stages_ok: bool = True  # rank/plan/push (when run) reported no failed op


def epoch(stamp: str | None) -> float | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).timestamp()


class Daemon:
    def __init__(
        self,
        config: Config,
        stop: threading.Event | None = None,
        grace: float = GRACE,
        publish: Callable[[Store], object] | None = None,
    ) -> None:
        self.config = config
        self.publish = publish  # called with the store after each rank/plan/push (writes the HTML report)
        self.published = False  # publish once after start-up even when nothing changed
        self.stop = stop or threading.Event()
        self.grace = grace
        self.work_lock = threading.Lock()
        self.backoff = Backoff()
        self.connectors: dict[str, Connector] = {n: build(n, c) for n, c in config.connections.items()}
        for connector in self.connectors.values():
            # A wait for a rate budget or a Retry-After (Zendesk's export allows 10 reads a minute) ends
            # when a stop is asked for, so that shutdown never waits out a minute-long pause.
            connector.policy.interrupt = self.stop
        self.metrics = Metrics({n: (c.interval, c.staleness) for n, c in config.connections.items()})
        # Connections owed a plan: a pull changed something (the global ranking may move every
        # tracker's order and fields) and no plan of that connection has seen it yet. A connection not
        # read since our last write to it stays owed until its own next pull makes it fresh.
        self.owed: set[str] = set()
        # Connections we changed a status in: reading that back moves the global ranking (a closed item
        # leaves it), though the pull counts it as our echo, not a change.
        self.closing: set[str] = set()
        # Connections read at least once (or tried) since the start: the ranking is global, so nothing is
        # planned before every tracker's evidence is in (a plan from one tracker's items is re-done later).
        self.attempted: set[str] = set()
        self._active = 0
        self._idle = threading.Condition()
        self._seed_from_store()

    def _seed_from_store(self) -> None:
        store = Store(self.config.store.path)
        try:
            for name in self.connectors:
                run = store.last_success("pull", name)
                self.metrics.seed_last_success(name, epoch(run["finished_at"]) if run else None)
            self._record_outbox(store)
        finally:
            store.close()

    def close(self) -> None:
        for connector in self.connectors.values():
            connector.close()

    # --- one connection's cycle ----------------------------------------------------------------------
    def run_connection(self, name: str, stages: bool = True) -> CycleResult:
        """Pull one connection; then rank/plan/push everything if the pull (or an earlier one) changed
        something or ops wait in the outbox. Never raises: a failure is logged, counted and backed off."""
        if self.stop.is_set():
            return CycleResult(ok=True)
        if not self.backoff.due(name):
            log.debug("%s: backing off after %d failure(s)", name, self.backoff.failures.get(name, 0))
            return CycleResult(ok=True)
        with self._tracking(), self.work_lock:
            if self.stop.is_set():
                return CycleResult(ok=True)
            return self._cycle(name, stages)

    def _cycle(self, name: str, stages: bool) -> CycleResult:
        started = time.monotonic()
        self.attempted.add(name)
        result, error, pulled, changed = CycleResult(ok=False), None, 0, 0
        store: Store | None = None
        try:
            store = Store(self.config.store.path)
            engine = self._engine(store)
            report = engine.pull(only=[name])
            pulled = sum(s.payloads for s in report.streams)
            changed = report.changed
            error = "; ".join(s.error for s in report.failed if s.error) or None
            result.ok = error is None
            if changed > 0 or (result.ok and name in self.closing):
                self.owed |= set(self.connectors)
                self.closing.discard(name)
            if stages and self.needs_stages(store):
                result.stages_ok = self.run_stages(engine)
            elif stages and not self.published:
                self._publish(store)
            self._record_outbox(store)
        except Exception as exc:  # one connection's failure must never stop the others
            error = f"{type(exc).__name__}: {exc}"
            log.error("%s: cycle failed: %s", name, error, exc_info=log.isEnabledFor(logging.DEBUG))
        finally:
            if store is not None:
                store.close()
        duration = time.monotonic() - started
        self.metrics.record_cycle(
            name, ok=result.ok, error=error, pulled=pulled, changed=changed, duration=duration
        )
        if result.ok:
            self.backoff.succeeded(name)
            log.info("%s: cycle done in %.2fs: %d pulled, %d changed", name, duration, pulled, changed)
        else:
            delay = self.backoff.failed(name, self.config.connections[name].interval)
            log.warning("%s: cycle failed (%s); next attempt in %.0fs", name, error, delay)
        return result

    def _engine(self, store: Store) -> Engine:
        engine = Engine(self.config, store, self.connectors)
        engine.stop_event = self.stop
        return engine

    def needs_stages(self, store: Store) -> bool:
        if self.stop.is_set() or not self.attempted >= set(self.connectors):
            return False
        return any(store.fresh(name) for name in self.owed) or bool(store.outbox())

    def run_stages(self, engine: Engine) -> bool:
        """Rank → plan → push for every connection, then :attr:`publish` (the caller holds
        :attr:`work_lock`). A report that cannot be written is logged; the sync's result stands."""
        if self.stop.is_set():
            return True
        ok = self._rank_plan_push(engine)
        self._publish(engine.store)
        return ok

    def _publish(self, store: Store) -> None:
        if self.publish is None or self.stop.is_set():
            return
        try:
            self.publish(store)
            self.published = True
        except Exception as exc:
            log.error("report not written: %s: %s", type(exc).__name__, exc)

    def _rank_plan_push(self, engine: Engine) -> bool:
        try:
            engine.rank()
            plan, _ = engine.plan(strict=False)
            self.owed -= set(self.connectors) - plan.skipped.keys()
            push = engine.push(strict=False) if engine.store.outbox() and not self.stop.is_set() else None
        except StalePlan as exc:
            log.info("rank/plan/push deferred to the next cycle: %s", exc)
            return True
        if push is None:
            log.info("ranked and planned: %d op(s), nothing to push", len(plan.ops))
            return True
        self.closing |= push.statuses_in
        self.metrics.record_push(push.by_connection)
        log.info(
            "pushed: %d applied, %d already there, %d failed (%d planned)",
            push.applied,
            push.already,
            push.failed,
            len(plan.ops),
        )
        for message in push.errors:
            log.warning("push: %s", message)
        return not push.errors

    def _record_outbox(self, store: Store) -> None:
        self.metrics.record_outbox(Counter(op.connection for op, _ in store.outbox()))

    @contextmanager
    def _tracking(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    # --- running ---------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """One cycle over every connection (pulls, then one rank/plan/push); 1 if anything failed."""
        with handle_signals(self.stop):
            results = [self.run_connection(name, stages=False) for name in self.connectors]
            stages_ok = True
            store = Store(self.config.store.path)
            try:
                with self.work_lock:
                    if self.needs_stages(store):
                        stages_ok = self.run_stages(self._engine(store))
                    elif not self.published:
                        self._publish(store)
            finally:
                store.close()
        self.close()
        return 0 if all(r.ok for r in results) and stages_ok else 1

    def run_forever(self, announce: Callable[[str], None]) -> bool:
        """Serve until SIGTERM/SIGINT. False when work in flight did not finish within the grace time
        (the caller then exits at once: pages are atomic and ops are re-verified on the next push)."""
        daemon = self.config.daemon
        require_credential(daemon.host, daemon.port, daemon.credential())
        with handle_signals(self.stop):
            server = StatusServer(daemon.host, daemon.port, self)
            announce(f"rankbridge daemon: health and metrics on {server.url}")
            if self.config.report.dir:
                announce(f"rankbridge daemon: HTML report on {server.url}{REPORT_PREFIX}")
            log.info("daemon started: %d connection(s), status on %s", len(self.connectors), server.url)
            scheduler = self._scheduler()
            scheduler.start()
            try:
                while not self.stop.wait(0.5):
                    pass
                log.info("stop requested: finishing the page or op in flight")
            finally:
                scheduler.shutdown(wait=False)
                finished = self.wait_idle(self.grace)
                server.stop()
        if finished:
            self.close()
            log.info("daemon stopped")
        else:
            log.error("work in flight did not finish within %.0fs; exiting anyway", self.grace)
        return finished

    def _scheduler(self) -> BackgroundScheduler:
        workers = max(1, len(self.connectors))
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        now = datetime.now(UTC)
        for name, connection in self.config.connections.items():
            jitter = min(self.config.daemon.jitter, connection.interval / 2)
            scheduler.add_job(
                self.run_connection,
                IntervalTrigger(seconds=connection.interval, jitter=jitter or None, timezone=UTC),
                args=[name],
                id=name,
                name=f"sync {name}",
                next_run_time=now,
            )
        return scheduler

    def live(self) -> dict[str, Live]:
        return {
            name: Live(connector.request_count(), connector.policy.pacer.state.remaining)
            for name, connector in self.connectors.items()
        }


def daemon_logging() -> None:
    """A daemon logs one line per cycle: INFO at least (-vv still gives DEBUG); APScheduler's own chatter
    (job added, job executed) only from -vv on."""
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))


def exit_now(code: int) -> NoReturn:
    """Leave without joining worker threads still inside a request (after the grace time): the page in
    flight is rolled back by SQLite, and a sent op is verified against the tracker on the next push."""
    logging.shutdown()
    os._exit(code)


@contextmanager
def handle_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (only possible from the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class StatusServer:
    """``/healthz`` and ``/metrics`` over stdlib HTTP in a background thread."""

    def __init__(self, host: str, port: int, daemon: Daemon) -> None:
        self.httpd = ThreadingHTTPServer((host, port), _handler(daemon))
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="rankbridge-http", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(daemon: Daemon) -> type[BaseHTTPRequestHandler]:
    credential = daemon.config.daemon.credential()
    files = ReportFiles(Path(daemon.config.report.dir)) if daemon.config.report.dir else None

    class Handler(BaseHTTPRequestHandler):
        server_version = "rankbridge"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if not credential.allows(self.headers.get("Authorization")):
                refusal = json.dumps({"error": "authentication required"})
                self._send(401, "application/json", refusal, {"WWW-Authenticate": credential.challenge()})
            elif files is not None and (path == REPORT_PREFIX.rstrip("/") or path.startswith(REPORT_PREFIX)):
                self._report(files, path)
            elif path == "/healthz":
                ok, body = daemon.metrics.health()
                self._send(200 if ok else 503, "application/json", json.dumps(body, indent=1))
            elif path == "/metrics":
                text = daemon.metrics.render(daemon.live())
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", text)
            else:
                self._send(404, "application/json", json.dumps({"error": f"no such endpoint {path}"}))

        def _report(self, files: ReportFiles, path: str) -> None:
            if path == REPORT_PREFIX.rstrip("/"):
                self._send(301, "text/plain; charset=utf-8", "", {"Location": REPORT_PREFIX})
                return
            found = files.find(path)
            if found is None:
                self._send(404, "text/plain; charset=utf-8", "no such page\n", REPORT_HEADERS)
                return
            self._send(200, CONTENT_TYPES[found.suffix], found.read_bytes(), REPORT_HEADERS)

        def _send(
            self, status: int, content_type: str, text: str | bytes, headers: dict[str, str] | None = None
        ) -> None:
            data = text.encode() if isinstance(text, str) else text
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

    return Handler
