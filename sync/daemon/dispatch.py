"""The daemon's dispatcher: the main thread's loop that starts each due connection's job.

It reads the shared schedule (``connection_schedule``), takes the lease of each due connection it can
(without waiting: a lease held by another daemon is that daemon's work), and hands the job to a worker, at
most ``[daemon] max_parallel_pulls`` at a time. When a plan is owed to a connection read since our last
write to it, it starts a stages pass. Then it sleeps until the next due time, the end of a job, or a
wake-up (PostgreSQL ``NOTIFY``: ``sync --now``, stages due), at most :data:`TICK` seconds.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from sync.daemon.lease import LeaseKey
from sync.store import Store

if TYPE_CHECKING:
    from sync.daemon.scheduler import Daemon

TICK = 0.5  # seconds between two looks at the schedule when nothing wakes the dispatcher


class Dispatcher:
    def __init__(self, daemon: Daemon, workers: ThreadPoolExecutor) -> None:
        self.daemon = daemon
        self.workers = workers
        self.limit = daemon.config.daemon.max_parallel_pulls
        self._state = threading.Lock()
        self.inflight: set[str] = set()  # connections whose job was started here and has not ended

    def run(self) -> None:
        """Until the daemon's stop event is set."""
        daemon = self.daemon
        store = Store(daemon.config.store.location)
        if daemon.publish is not None:  # the report is written once at start-up, even with nothing due
            threading.Thread(target=self._stages_job, name="rankbridge-stages", daemon=True).start()
        try:
            while not daemon.stop.is_set():
                daemon.leases.wake.clear()
                for name in store.due_connections():
                    self._start_job(name)
                if self._stages_owed(store):
                    threading.Thread(target=self._stages_job, name="rankbridge-stages", daemon=True).start()
                due_in = store.next_due_in()
                daemon.leases.wake.wait(TICK if due_in is None else min(TICK, max(0.05, due_in)))
        finally:
            store.close()

    def _start_job(self, name: str) -> None:
        key = self.daemon.lease_of[name]
        with self._state:
            if name in self.inflight or len(self.inflight) >= self.limit:
                return
            self.inflight.add(name)
        self.daemon.work_started()  # counted from now, so that a stop waits for it
        if not self.daemon.take(key):
            self._job_ended(name, ran=False)
            return
        self.workers.submit(self._job, name, key)

    def _job(self, name: str, key: LeaseKey) -> None:
        """One connection's job in a worker (its lease taken by the dispatcher), then the stages."""
        ran = False
        try:
            try:
                self.daemon.cycle(name, key, push=True)
                ran = True
            finally:
                self.daemon.give_back(key)
            self.daemon.stages_soon()
        finally:
            self._job_ended(name, ran)

    def _job_ended(self, name: str, ran: bool) -> None:
        with self._state:
            self.inflight.discard(name)
        self.daemon.work_ended()
        if ran:
            self.daemon.leases.wake.set()  # a worker is free: look at the schedule again now

    def _stages_owed(self, store: Store) -> bool:
        """A plan is owed to a connection read since our last write to it (by a pull of any daemon), and
        no stages pass runs here."""
        daemon = self.daemon
        if daemon.stages_lock.locked() or daemon.stop.is_set() or not daemon.all_read(store):
            return False
        return any(store.fresh(name) for name in store.plans_owed())

    def _stages_job(self) -> None:
        self.daemon.work_started()
        try:
            self.daemon.stages_soon()
        finally:
            self.daemon.work_ended()
