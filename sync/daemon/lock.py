"""One writer per store: an exclusive ``flock`` on ``<store>.lock`` held by the daemon or a writing command.

The lock file holds the holder's pid, command and start time, so that a refused command can name who
holds it. The kernel releases a ``flock`` when its process dies, so a lock can never outlive a crash; a
file that still names a holder when we get the lock is the trace of such a crash (reported as *stale*,
then overwritten). On a clean release the file is emptied (never deleted: deleting a lock file races with a
process that has just opened it).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sync.errors import StoreBusy
from sync.store.base import now_iso, private_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockInfo:
    pid: int
    command: str
    started_at: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command}, since {self.started_at})"


class LockHeld(StoreBusy):
    """Another process holds the store's lock (``holder`` says who, when the file could be read)."""

    def __init__(self, path: Path | str, holder: LockInfo | None, waited: float) -> None:
        who = holder.describe() if holder else "another process"
        waited_text = f" after waiting {waited:g}s" if waited else ""
        super().__init__(
            f"the store is in use by {who}{waited_text} (lock {path}); "
            "stop it, or pass --wait SECONDS to wait for it"
        )
        self.path = path
        self.holder = holder


def lock_path(store_path: str | Path) -> Path:
    """The lock file of a store, by the store's real path (a symlinked store shares its target's lock)."""
    return Path(f"{os.path.realpath(store_path)}.lock")


def parse_info(text: str) -> LockInfo | None:
    try:
        data: dict[str, Any] = json.loads(text)
        return LockInfo(int(data["pid"]), str(data.get("command", "?")), str(data.get("started_at", "?")))
    except (ValueError, KeyError, TypeError):
        return None


class StoreLock:
    """``with StoreLock(store_path, "sync", wait=10):`` — raises :class:`LockHeld` if not obtained in time."""

    def __init__(self, store_path: str | Path, command: str, wait: float = 0.0, poll: float = 0.1) -> None:
        self.path = lock_path(store_path)
        self.store = Path(os.path.realpath(store_path))
        self.command = command
        self.wait = wait
        self.poll = poll
        self.stale: LockInfo | None = None  # a holder left behind by a crashed process, found on acquire
        self._file: IO[str] | None = None
        self._guard: int | None = None  # a second flock, on the store file itself

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> StoreLock:
        """The lock file's flock, then one on the store file itself: a removed lock file lets a second
        process lock a new one, never the store (flock is per open file, so SQLite's own locks are not
        touched by it)."""
        private_file(self.path)
        private_file(self.store)
        handle = open(self.path, "a+")  # noqa: SIM115 - kept open for as long as the lock is held
        guard = os.open(self.store, os.O_RDONLY)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                try:
                    fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                    raise
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    handle.close()
                    os.close(guard)
                    raise LockHeld(self.path, holder, self.wait) from None
                time.sleep(self.poll)
        self._guard = guard
        handle.seek(0)
        previous = parse_info(handle.read())
        if previous is not None and previous.pid != os.getpid():
            self.stale = previous
            log.warning(
                "stale store lock %s: %s ended without releasing it (crashed or killed); taking it over",
                self.path,
                previous.describe(),
            )
        handle.seek(0)
        handle.truncate()
        info = {"pid": os.getpid(), "command": self.command, "started_at": now_iso()}
        handle.write(json.dumps(info))
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
        guard, self._guard = self._guard, None
        if guard is not None:
            fcntl.flock(guard, fcntl.LOCK_UN)
            os.close(guard)

    def holder(self) -> LockInfo | None:
        """Who the lock file names (None when empty or unreadable)."""
        try:
            return parse_info(self.path.read_text())
        except OSError:
            return None

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def current_holder(store_path: str | Path) -> LockInfo | None:
    """Who holds the store's lock right now (None when nobody does; a crashed holder's trace is ignored)."""
    path = lock_path(store_path)
    if not path.exists():
        return None
    with open(path) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return parse_info(handle.read()) or LockInfo(0, "unknown", "?")
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None
