"""The command line's shared context: which config, which store, who may write, and which secrets a
command needs. Every failure a user can cause is a :class:`sync.errors.RankbridgeError`, which the command
group prints as one line and turns into its exit code.

Readers (``log``, ``roadmap``, ``explain``, ``status``, ``rank --no-save``, ``rules check``, ``doctor``)
open the store without the writer lock: SQLite in WAL mode, like PostgreSQL, lets them read the last
committed state while the daemon writes. Writers take the lock (a file lock beside an SQLite store, an
advisory lock in a PostgreSQL one), and ``--wait SECONDS`` lets them queue behind it.
A command resolves only the secrets of the connections it contacts (``contacts``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click
from rich.console import Console

from sync.config import Config, config_path, load
from sync.daemon.advisory import AdvisoryStoreLock, writer_lock
from sync.daemon.lock import StoreLock
from sync.engine import Engine
from sync.errors import CommandFailed
from sync.model import Item
from sync.presentation.commands.common import ALL
from sync.refs import resolve
from sync.store.backend import StoreUnavailable


class Context:
    def __init__(self, config: str | None, out: Console, err: Console, json: bool = False) -> None:
        self.path = config_path(config)
        self.out = out  # command output (rich text, or JSON lines)
        self.err = err  # messages and errors
        self.wait = 0.0  # --wait SECONDS of the writing commands
        self.json = json  # --log-format json: commands print their JSON result (one line), never tables

    def fail(self, message: str, code: int) -> CommandFailed:
        """The error for a failure the command states itself; the CLI prints it and exits with ``code``."""
        return CommandFailed(message, code)

    @contextmanager
    def store_lock(self, config: Config) -> Iterator[StoreLock | AdvisoryStoreLock]:
        """Hold the store's lock (one writer per store: the daemon or one writing command)."""
        command = click.get_current_context().info_name or "rankbridge"
        try:
            lock = writer_lock(config.store, command, wait=self.wait).acquire()
        except OSError as exc:
            raise self.fail(store_problem(config.store.path, exc), 2) from None
        try:
            yield lock
        finally:
            lock.release()

    def config(self) -> Config:
        return load(self.path)

    def runnable_config(self) -> Config:
        """The config of a command that ranks, plans or writes (`rank`, `plan`, `sync`, the daemon): a status
        rule whose writes a tracker cannot take is refused here, as `rules check` refuses it (exit 2)."""
        from sync.rulecheck import refuse_unfit

        config = self.config()
        refuse_unfit(config)
        return config

    def require_secrets(self, config: Config, names: Iterable[str] | None) -> None:
        config.require_secrets(names)

    @contextmanager
    def engine(
        self, lock: bool = True, contacts: Iterable[str] | None = (), config: Config | None = None
    ) -> Iterator[Engine]:
        """The engine, holding the store's lock unless ``lock=False`` (commands that only read), with the
        secrets of ``contacts`` checked (``ALL``: every connection; the default, none)."""
        config = config or self.config()
        if contacts is ALL or list(contacts):
            self.require_secrets(config, contacts)
        with self.store_lock(config) if lock else nullcontext(), self._engine(config) as engine:
            yield engine

    @contextmanager
    def _engine(self, config: Config) -> Iterator[Engine]:
        try:
            engine = Engine(config)
        except StoreUnavailable:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise self.fail(store_problem(config.store.path, exc), 2) from None
        try:
            yield engine
        finally:
            engine.close()

    def resolve(self, engine: Engine, text: str) -> Item:
        """The item a KEY argument names; :class:`UnknownRef` (exit 1) when none does, :class:`AmbiguousRef`
        (exit 2) when several do."""
        return resolve(engine.store, text, engine.config.connections)


def store_problem(path: str | Path, exc: BaseException) -> str:
    """One line for a store that cannot be opened: the file, the reason, and what to do."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = Path(path)
    return (
        f"cannot use the store {where}: {reason}; make its folder {where.parent} writable, "
        "or set [store] path in the config to a folder you can write"
    )
