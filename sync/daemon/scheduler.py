"""``rankbridge daemon``: pull each connection on its own interval, rank/plan/push after a pull changed
something, serve ``/healthz`` and ``/metrics``, stop cleanly on SIGTERM/SIGINT.

* One APScheduler job per connection (``IntervalTrigger`` with jitter, ``max_instances=1``, ``coalesce``),
  each in its own worker thread: a connection's runs never overlap, and its pull runs alongside the
  others', so a slow or stuck tracker (a body trickled for the whole request deadline) never delays
  another connection's pull. SQLite writes stay one at a time through the store's own write transactions
  (``BEGIN IMMEDIATE``; a pull commits its open page batch while it waits on a slow page).
* A connection's job pushes that connection's staged ops, then pulls it (so its next plan reads our writes
  back); the global stages (rank → plan) run after a pull, one run at a time: a job that finds them running
  asks for another run and goes on (never waits). Each connection has a lock held by its push and pull;
  the stages take the locks that are free and do not plan the connections whose job is in flight (a plan
  never crosses a read of the same tracker, and settling an uncertain op asks a tracker nobody else
  uses), and plan only connections read since our last write to them (``Store.fresh``). So only the slow
  tracker's own job waits on it.
* A failing connection is isolated (its exception ends its own job only) and backs off exponentially:
  after ``n`` failures in a row its next attempt waits ``interval * 2**(n-1)`` (at most
  :data:`MAX_BACKOFF`), other connections go on at their pace.
* On SIGTERM/SIGINT the stop event is set: the engine ends after the page or op in flight (pages are atomic
  in the store, an op is settled in the journal before the next starts), and the process exits within
  :data:`GRACE` seconds; a restart resumes from the committed cursors and the outbox.
"""

from __future__ import annotations

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
from types import FrameType
from typing import NoReturn

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from connectors.base import Connector
from connectors.registry import build
from sync.config import Config
from sync.daemon.backoff import Backoff
from sync.daemon.metrics import Live, Metrics
from sync.daemon.status import StatusServer
from sync.daemon.web import REPORT_PREFIX, require_credential
from sync.engine import Engine, StalePlan
from sync.store import Store

log = logging.getLogger(__name__)

GRACE = 8.0  # seconds to let the page/op in flight finish after a stop signal (systemd waits 15)


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
        self.stages_lock = threading.Lock()  # one rank → plan → push at a time
        self.stages_wanted = threading.Event()  # a pull ended while the stages ran: run them again
        # Held by a connection's pull, and by the stages while they may talk to that tracker.
        self.using: dict[str, threading.Lock] = {name: threading.Lock() for name in config.connections}
        self._state = threading.Lock()  # guards owed/closing, changed by several job threads
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
        store = Store(self.config.store.location)
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
        """Pull one connection; then rank/plan/push if the pull (or an earlier one) changed something or
        ops wait in the outbox. Never raises: a failure is logged, counted and backed off."""
        if self.stop.is_set():
            return CycleResult(ok=True)
        if not self.backoff.due(name):
            log.debug("%s: backing off after %d failure(s)", name, self.backoff.failures.get(name, 0))
            return CycleResult(ok=True)
        with self._tracking():
            with self.using[name]:
                if self.stop.is_set():
                    return CycleResult(ok=True)
                self.metrics.record_start(name)
                pushed_ok = self._push_own(name) if stages else True
                result = self._pull(name)
                result.stages_ok = pushed_ok
            if stages:
                result.stages_ok = self.stages_soon() and result.stages_ok
            return result

    def _push_own(self, name: str) -> bool:
        """Send the ops staged for ``name`` (the caller holds its lock); False when one failed."""
        if self.stop.is_set():
            return True
        store = Store(self.config.store.location)
        try:
            if not any(op.connection == name for op, _ in store.outbox()):
                return True
            engine = self._engine(store)
            engine.busy = frozenset(self.connectors) - {name}
            return self._push(engine)
        except Exception as exc:  # the ops stay staged; the next cycle tries again
            log.error("%s: push failed: %s: %s", name, type(exc).__name__, exc)
            return False
        finally:
            store.close()

    def _pull(self, name: str) -> CycleResult:
        started = time.monotonic()
        self.attempted.add(name)
        result, error, pulled, changed = CycleResult(ok=False), None, 0, 0
        store: Store | None = None
        try:
            store = Store(self.config.store.location)
            report = self._engine(store).pull(only=[name])
            pulled = sum(s.payloads for s in report.streams)
            changed = report.changed
            error = "; ".join(s.error for s in report.failed if s.error) or None
            result.ok = error is None
            with self._state:
                if changed > 0 or (result.ok and name in self.closing):
                    self.owed |= set(self.connectors)
                    self.closing.discard(name)
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

    # --- the global stages ---------------------------------------------------------------------------
    def stages_soon(self, passes: int = 3) -> bool:
        """Rank → plan → push in this thread, unless another thread runs them now: then that one runs
        them again when done (at most ``passes`` in a row; a later cycle picks up what is left), and
        this job ends at once instead of waiting for it."""
        ok = True
        self.stages_wanted.set()
        while passes > 0 and self.stages_wanted.is_set() and self.stages_lock.acquire(blocking=False):
            passes -= 1
            try:
                self.stages_wanted.clear()
                ok = self._stages_now() and ok
            finally:
                self.stages_lock.release()
        return ok

    def _stages_now(self, push: bool = False) -> bool:
        """One run of the stages over the connections whose job is not in flight (the caller holds
        :attr:`stages_lock`), with a push of every planned connection when ``push``; False when it failed
        or an op failed."""
        store: Store | None = None
        try:
            store = Store(self.config.store.location)
            with self._idle_connections() as busy:
                engine = self._engine(store)
                engine.busy = busy
                ok = True
                if self.needs_stages(store, busy):
                    ok = self.run_stages(engine, push)
                elif not self.published:
                    self._publish(store)
                self._record_outbox(store)
                return ok
        except Exception as exc:  # a failed plan or push is retried by the next cycle
            log.error("rank/plan/push failed: %s: %s", type(exc).__name__, exc)
            return False
        finally:
            if store is not None:
                store.close()

    @contextmanager
    def _idle_connections(self) -> Iterator[frozenset[str]]:
        """Hold the lock of every connection not being pulled now; yield the names being pulled."""
        held = [name for name, lock in self.using.items() if lock.acquire(blocking=False)]
        try:
            yield frozenset(self.using.keys() - set(held))
        finally:
            for name in held:
                self.using[name].release()

    def _engine(self, store: Store) -> Engine:
        engine = Engine(self.config, store, self.connectors)
        engine.stop_event = self.stop
        return engine

    def needs_stages(self, store: Store, busy: frozenset[str] = frozenset()) -> bool:
        if self.stop.is_set() or not self.attempted >= set(self.connectors):
            return False
        with self._state:
            owed = self.owed - busy
        return any(store.fresh(name) for name in owed) or bool(store.outbox())

    def run_stages(self, engine: Engine, push: bool = False) -> bool:
        """Rank → plan (→ push when ``push``) for every connection not in ``engine.busy``, then
        :attr:`publish` (the caller holds :attr:`stages_lock`). A report that cannot be written is logged;
        the sync's result stands."""
        if self.stop.is_set():
            return True
        ok = self._rank_plan(engine)
        if push and ok and engine.store.outbox():
            ok = self._push(engine)
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

    def _rank_plan(self, engine: Engine) -> bool:
        engine.rank()
        plan, _ = engine.plan(strict=False)
        with self._state:
            self.owed -= set(self.connectors) - plan.skipped.keys()
        log.info("ranked and planned: %d op(s)", len(plan.ops))
        return True

    def _push(self, engine: Engine) -> bool:
        """Push the staged ops of the connections not in ``engine.busy``; False when one failed."""
        if self.stop.is_set():
            return True
        try:
            push = engine.push(strict=False)
        except StalePlan as exc:
            log.info("push deferred to the next cycle: %s", exc)
            return True
        with self._state:
            self.closing |= push.statuses_in
        self.metrics.record_push(push.by_connection)
        log.info("pushed: %d applied, %d already there, %d failed", push.applied, push.already, push.failed)
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
            with self.stages_lock:
                stages_ok = self._stages_now(push=True)
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
