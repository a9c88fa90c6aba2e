"""``rankbridge daemon``: pull each connection when the shared schedule says it is due, rank/plan/push after
a pull changed something, serve ``/healthz`` and ``/metrics``, stop cleanly on SIGTERM/SIGINT.

* **Leases** (:mod:`sync.daemon.lease`). A connection is synced by the daemon holding its lease (shared by
  connections that share a rate budget), the global stages (rank → plan) by the one holding the stages
  lease. Several daemons can share a PostgreSQL store this way; an SQLite store's file lock makes
  its daemon the holder of everything. Within a daemon, a lock per lease keeps its own threads apart.
* **The schedule** (``connection_schedule``, :mod:`sync.store.schedule`). The dispatcher (the main
  thread) starts a job for each due connection whose lease it can take, up to ``[daemon]
  max_parallel_pulls`` at a time, each in a worker thread: a slow or stuck tracker delays only its own
  cycles. A job claims the next run (``interval`` ahead) as it starts and schedules it again when it ends:
  an interval later, or ``interval * 2**(n-1)`` after ``n`` failures in a row (at most an hour). The
  dispatcher wakes at the next due time, when a job ends, and on a wake-up (PostgreSQL ``NOTIFY``:
  ``sync --now``, stages due).
* **A job** takes over its lease (runs its connections left ``running`` by a holder that died are marked
  ``abandoned``), pushes the ops staged for its connection, then pulls it (so its next plan reads our writes
  back); a pull that changed something makes every connection owe a plan (``plan_owed``), then the job asks
  for the stages. The stages run one pass at a time in the daemon that takes their lease, over the
  connections whose leases they can take (the others are in a job: not planned, not pushed), and plan
  only connections read since our last write to them (``Store.fresh``).
* **Guarded writes.** Every store commit and tracker write of a job or of the stages first checks that the
  leases it works under are still held (``store.guard``): a daemon that froze or was cut off and lost them
  meanwhile writes nothing more.
* On SIGTERM/SIGINT the stop event is set: the engine ends after the page or op in flight (pages are atomic
  in the store, an op is settled in the journal before the next starts), and the process exits within
  :data:`GRACE` seconds; a restart resumes from the committed cursors and the outbox. SIGHUP (or ``daemon
  --reload``) also sets :attr:`Daemon.reload`: the command then starts again on the re-read config.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from connectors.base import Connector
from connectors.registry import build
from sync.config import Config
from sync.daemon.dispatch import Dispatcher
from sync.daemon.lease import STAGES, LeaseKey, Leases, connection_leases, open_leases
from sync.daemon.metrics import Live, Metrics
from sync.daemon.process import handle_signals
from sync.daemon.status import StatusServer
from sync.daemon.web import REPORT_PREFIX, require_credential
from sync.engine import Engine, StalePlan
from sync.model import parse_utc
from sync.store import Store
from sync.store.base import now_iso

log = logging.getLogger(__name__)

GRACE = 8.0  # seconds to let the page/op in flight finish after a stop signal (systemd waits 15)


@dataclass
class CycleResult:
    ok: bool  # the pull ended without error (or did not run: its lease is held elsewhere)
    stages_ok: bool = True  # rank/plan/push (when run) reported no failed op
    ran: bool = True  # False: another daemon (or thread) holds the connection's lease


class Daemon:
    def __init__(
        self,
        config: Config,
        stop: threading.Event | None = None,
        grace: float = GRACE,
        publish: Callable[[Store], object] | None = None,
        leases: Leases | None = None,
    ) -> None:
        self.config = config
        self.publish = publish  # called with the store after each rank/plan/push (writes the HTML report)
        self.published = False  # publish once after start-up even when nothing changed
        self.stop = stop or threading.Event()
        self.reload = threading.Event()  # set with stop: the caller starts again on the re-read config
        self.grace = grace
        self.leases = leases or open_leases(config)
        self.leases.on_reload = self.request_reload
        self.lease_of: dict[str, LeaseKey] = connection_leases(config.connections)
        self.members: dict[LeaseKey, list[str]] = {}
        for name, key in self.lease_of.items():
            self.members.setdefault(key, []).append(name)
        # This daemon's own threads: one job per lease at a time, one stages pass at a time.
        self.local: dict[LeaseKey, threading.Lock] = {key: threading.Lock() for key in self.members}
        self.stages_lock = threading.Lock()
        self.stages_wanted = threading.Event()  # a pull ended while the stages ran: run them again
        self._state = threading.Lock()  # guards closing, changed by several threads
        self.connectors: dict[str, Connector] = {n: build(n, c) for n, c in config.connections.items()}
        for connector in self.connectors.values():
            # A wait for a rate budget or a Retry-After (Zendesk's export allows 10 reads a minute) ends
            # when a stop is asked for, so that shutdown never waits out a minute-long pause.
            connector.policy.interrupt = self.stop
        self.metrics = Metrics({n: (c.interval, c.staleness) for n, c in config.connections.items()})
        # Connections we changed a status in: reading that back moves the global ranking (a closed item
        # leaves it), though the pull counts it as our echo, not a change.
        self.closing: set[str] = set()
        self.started_at = now_iso()  # nothing is planned before every connection was read since then
        self._all_read = False
        self._active = 0
        self._idle = threading.Condition()
        self._seed_from_store()

    def _seed_from_store(self) -> None:
        store = Store(self.config.store.location)
        try:
            store.schedule_connections({n: c.interval for n, c in self.config.connections.items()})
            for name in self.connectors:
                run = store.last_success("pull", name)
                finished = run["finished_at"] if run else None
                self.metrics.seed_last_success(name, parse_utc(finished).timestamp() if finished else None)
            self._record_outbox(store)
        finally:
            store.close()

    def request_reload(self) -> None:
        """SIGHUP or `rankbridge daemon --reload`: stop as for SIGTERM, then the caller starts again."""
        self.reload.set()
        self.stop.set()

    def close(self) -> None:
        for connector in self.connectors.values():
            connector.close()
        self.leases.close()

    # --- leases ----------------------------------------------------------------------------------------
    def take(self, key: LeaseKey) -> bool:
        """This daemon's lock of ``key``, then the lease itself; both or neither, without waiting."""
        lock = self.local[key]
        if not lock.acquire(blocking=False):
            return False
        if self.leases.take(key, self.members[key]):
            return True
        lock.release()
        return False

    def give_back(self, key: LeaseKey) -> None:
        self.leases.release(key)
        self.local[key].release()

    def _guarded_store(self, *keys: LeaseKey) -> Store:
        """A store whose every commit first checks that ``keys`` are still this daemon's."""
        store = Store(self.config.store.location)

        def guard() -> None:
            for key in keys:
                self.leases.guard(key)

        store.guard = guard
        return store

    def _take_over(self, store: Store, key: LeaseKey) -> None:
        """Runs of ``key``'s connections left ``running`` were cut short with their holder (we hold the
        lease now, and a holder that let it go ended its runs): marked abandoned."""
        connections: list[str | None] = [None] if key == STAGES else list(self.members[key])
        found = store.abandon_runs(connections, f"abandoned: its holder lost the {key.name} lease")
        if found:
            log.warning("%s: took over; run(s) %s of a lost holder marked abandoned", key.name, found)

    # --- one connection's cycle ----------------------------------------------------------------------
    def run_connection(self, name: str, stages: bool = True) -> CycleResult:
        """Take the connection's lease and run its cycle (push, pull); then rank/plan/push if the pull (or
        an earlier one) changed something or ops wait in the outbox. Never raises: a failure is logged,
        counted and backed off in the schedule. Does nothing when another daemon holds the lease."""
        if self.stop.is_set():
            return CycleResult(ok=True, ran=False)
        key = self.lease_of[name]
        with self._tracking():
            if not self.take(key):
                return CycleResult(ok=True, ran=False)
            try:
                result = self.cycle(name, key, push=stages, scheduled=False)
            finally:
                self.give_back(key)
            if stages:
                result.stages_ok = self.stages_soon() and result.stages_ok
            return result

    def cycle(self, name: str, key: LeaseKey, push: bool, scheduled: bool = True) -> CycleResult:
        """Push and pull ``name`` under its lease (held by the caller); a ``scheduled`` run claims its
        next run as it starts and sets it when it ends (``daemon --once`` leaves the schedule alone)."""
        if self.stop.is_set():
            return CycleResult(ok=True, ran=False)
        store: Store | None = None
        try:
            store = self._guarded_store(key)
            self._take_over(store, key)
            if scheduled:
                store.claim(name)
            self.metrics.record_start(name)
            pushed_ok = self._push_own(store, name) if push else True
            result = self._pull(store, name, scheduled)
            result.stages_ok = pushed_ok
            return result
        except Exception as exc:  # the lease was lost, or the store failed: the next holder goes on
            log.error("%s: cycle failed: %s: %s", name, type(exc).__name__, exc)
            return CycleResult(ok=False)
        finally:
            if store is not None:
                store.close()

    def _push_own(self, store: Store, name: str) -> bool:
        """Send the ops staged for ``name`` (the caller holds its lease); False when one failed."""
        if self.stop.is_set() or not any(op.connection == name for op, _ in store.outbox()):
            return True
        try:
            return self._push(self._engine(store), name)
        except Exception as exc:  # the ops stay staged; the next cycle tries again
            log.error("%s: push failed: %s: %s", name, type(exc).__name__, exc)
            return False

    def _pull(self, store: Store, name: str, scheduled: bool) -> CycleResult:
        started = time.monotonic()
        result, error, pulled, changed = CycleResult(ok=False), None, 0, 0
        try:
            report = self._engine(store).pull(only=[name], link=False)  # linking is a global stage
            pulled = sum(s.payloads for s in report.streams)
            changed = report.changed
            error = "; ".join(s.error for s in report.failed if s.error) or None
            result.ok = error is None
            with self._state:
                closing = result.ok and name in self.closing
                if closing:
                    self.closing.discard(name)
            if changed > 0 or closing:
                store.owe_plan(self.connectors)
                self.leases.notify("stages")  # whichever daemon can take the stages lease plans it
            self._record_outbox(store)
        except Exception as exc:  # one connection's failure must never stop the others
            error = f"{type(exc).__name__}: {exc}"
            log.error("%s: cycle failed: %s", name, error, exc_info=log.isEnabledFor(logging.DEBUG))
        duration = time.monotonic() - started
        self.metrics.record_cycle(
            name, ok=result.ok, error=error, pulled=pulled, changed=changed, duration=duration
        )
        if result.ok:
            log.info("%s: cycle done in %.2fs: %d pulled, %d changed", name, duration, pulled, changed)
        if scheduled:
            jitter = self.config.daemon.jitter
            delay = store.ran(name, None if result.ok else (error or "failed"), jitter)
            if not result.ok:
                log.warning("%s: cycle failed (%s); next attempt in %.0fs", name, error, delay)
        elif not result.ok:
            log.warning("%s: cycle failed (%s)", name, error)
        return result

    # --- the global stages ---------------------------------------------------------------------------
    def stages_soon(self, passes: int = 3) -> bool:
        """Rank → plan in this thread, unless another thread runs them now: then that one runs
        them again when done (at most ``passes`` in a row; a later cycle picks up what is left), and
        this job ends at once instead of waiting for it. Another daemon holding the stages lease runs
        them instead (what is owed is in the schedule table)."""
        ok = True
        self.stages_wanted.set()
        while passes > 0 and self.stages_wanted.is_set() and self.stages_lock.acquire(blocking=False):
            passes -= 1
            try:
                self.stages_wanted.clear()
                if not self.leases.take(STAGES):
                    break
                try:
                    ok = self._stages_now() and ok
                finally:
                    self.leases.release(STAGES)
            finally:
                self.stages_lock.release()
        return ok

    def _stages_now(self, push: bool = False) -> bool:
        """One run of the stages over the connections whose leases are free (the caller holds
        :attr:`stages_lock` and the stages lease), with a push of every planned connection when ``push``;
        False when it failed or an op failed."""
        store: Store | None = None
        try:
            store = self._guarded_store(STAGES)
            self._take_over(store, STAGES)
            if not self.needs_stages(store):  # (nor with some connections busy): no connection lease taken
                if not self.published:
                    self._publish(store)
                self._record_outbox(store)
                return True
            store.close()
            store = None
            with self._idle_connections() as held:
                store = self._guarded_store(STAGES, *held)
                for key in held:
                    self._take_over(store, key)
                busy = frozenset(self.connectors) - {n for key in held for n in self.members[key]}
                engine = self._engine(store)
                engine.busy = busy
                ok = self.run_stages(engine, push) if self.needs_stages(store, busy) else True
                self._record_outbox(store)
                return ok
        except Exception as exc:  # a failed plan or push is retried by the next cycle
            log.error("rank/plan/push failed: %s: %s", type(exc).__name__, exc)
            return False
        finally:
            if store is not None:
                store.close()

    @contextmanager
    def _idle_connections(self) -> Iterator[list[LeaseKey]]:
        """Hold the lease of every connection not in a job now (here or in another daemon); yield them."""
        held = [key for key in self.members if self.take(key)]
        try:
            yield held
        finally:
            for key in held:
                self.give_back(key)

    def _engine(self, store: Store) -> Engine:
        engine = Engine(self.config, store, self.connectors)
        engine.stop_event = self.stop
        return engine

    def needs_stages(self, store: Store, busy: frozenset[str] = frozenset()) -> bool:
        if self.stop.is_set() or not self.all_read(store):
            return False
        owed = store.plans_owed() - busy
        return any(store.fresh(name) for name in owed) or bool(store.outbox())

    def all_read(self, store: Store) -> bool:
        """Every connection was read (or tried) since this daemon started, by any daemon: the ranking is
        global, so nothing is planned before every tracker's evidence is in. Once true, it stays so."""
        if not self._all_read:
            self._all_read = store.read_since(self.started_at) >= set(self.connectors)
        return self._all_read

    def run_stages(self, engine: Engine, push: bool = False) -> bool:
        """Rank → plan (→ push when ``push``) for every connection not in ``engine.busy``, then
        :attr:`publish` (the caller holds the stages lease). A report that cannot be written is logged;
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
        engine.link()
        engine.rank()
        plan, _ = engine.plan(strict=False)
        engine.store.plan_paid(set(self.connectors) - plan.skipped.keys())
        log.info("ranked and planned: %d op(s)", len(plan.ops))
        return True

    def _push(self, engine: Engine, connection: str | None = None) -> bool:
        """Push the staged ops of ``connection`` (None: of every connection not in ``engine.busy``);
        False when one failed."""
        if self.stop.is_set():
            return True
        try:
            push = engine.push(strict=False, connection=connection)
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

    def work_started(self) -> None:
        with self._idle:
            self._active += 1

    def work_ended(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    @contextmanager
    def _tracking(self) -> Iterator[None]:
        self.work_started()
        try:
            yield
        finally:
            self.work_ended()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    # --- running ---------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """One cycle over every connection (pulls, then one rank/plan/push); 1 if anything failed."""
        with handle_signals(self.stop):
            results = [self.run_connection(name, stages=False) for name in self.connectors]
            stages_ok = True
            with self.stages_lock:
                if self.leases.take(STAGES):
                    try:
                        stages_ok = self._stages_now(push=True)
                    finally:
                        self.leases.release(STAGES)
        self.close()
        return 0 if all(r.ok for r in results) and stages_ok else 1

    def run_forever(self, announce: Callable[[str], None]) -> bool:
        """Serve until SIGTERM/SIGINT. False when work in flight did not finish within the grace time
        (the caller then exits at once: pages are atomic and ops are re-verified on the next push)."""
        daemon = self.config.daemon
        require_credential(daemon.host, daemon.port, daemon.credential())
        with handle_signals(self.stop, self.request_reload):
            server = StatusServer(daemon.host, daemon.port, self)
            announce(f"rankbridge daemon: health and metrics on {server.url}")
            if self.config.report.dir:
                announce(f"rankbridge daemon: HTML report on {server.url}{REPORT_PREFIX}")
            log.info("daemon started: %d connection(s), status on %s", len(self.connectors), server.url)
            workers = ThreadPoolExecutor(daemon.max_parallel_pulls, thread_name_prefix="rankbridge-pull")
            try:
                Dispatcher(self, workers).run()
                log.info("stop requested: finishing the page or op in flight")
            finally:
                workers.shutdown(wait=False, cancel_futures=True)
                finished = self.wait_idle(self.grace)
                server.stop()
        if finished:
            self.close()
            log.info("daemon stopped")
        else:
            log.error("work in flight did not finish within %.0fs; exiting anyway", self.grace)
        return finished

    def live(self) -> dict[str, Live]:
        return {
            name: Live(connector.request_count(), connector.policy.pacer.state.remaining)
            for name, connector in self.connectors.items()
        }
