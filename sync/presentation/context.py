"""The command line's shared context: which config, which store, who may write, and which secrets a
command needs. Every failure a user can cause ends here as one line and a documented exit code.

Readers (``log``, ``roadmap``, ``explain``, ``status``, ``rank --no-save``, ``rules check``, ``doctor``)
open the store without the writer lock: the store is SQLite in WAL mode, so they read the last committed
state while the daemon writes. Writers take the lock, and ``--wait SECONDS`` lets them queue behind it.
A command resolves only the secrets of the connections it contacts (``contacts``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from rules.engine import RulesInvalid
from sync.config import Config, ConfigError, config_path, load
from sync.daemon.lock import LockHeld, StoreLock
from sync.engine import Engine, StalePlan
from sync.model import Item
from sync.refs import AmbiguousRef, UnknownRef, resolve

ALL = None  # ``contacts=ALL``: the command talks to every configured connection


class Context:
    def __init__(self, config: str | None, err: Console) -> None:
        self.path = config_path(config)
        self.err = err
        self.wait = 0.0  # --wait SECONDS of the writing commands
        self.json = False  # --log-format json: commands print their JSON result (one line), never tables

    def fail(self, message: str, code: int) -> SystemExit:
        self.err.print(message, markup=False, highlight=False)
        return SystemExit(code)

    @contextmanager
    def store_lock(self, config: Config) -> Iterator[StoreLock]:
        """Hold the store's lock (one writer per store: the daemon or one writing command)."""
        command = click.get_current_context().info_name or "rankbridge"
        try:
            lock = StoreLock(config.store.path, command, wait=self.wait).acquire()
        except LockHeld as exc:
            raise self.fail(f"refusing: {exc}", 4) from None
        except OSError as exc:
            raise self.fail(store_problem(config.store.path, exc), 2) from None
        try:
            yield lock
        finally:
            lock.release()

    def config(self) -> Config:
        try:
            return load(self.path)
        except ConfigError as exc:
            # escaped: the message names sections as [connections.jira], which rich would eat as markup
            self.err.print(f"[red]config error:[/] {escape(str(exc))}", markup=True, highlight=False)
            raise SystemExit(2) from None

    def require_secrets(self, config: Config, names: Iterable[str] | None) -> None:
        try:
            config.require_secrets(names)
        except ConfigError as exc:
            self.err.print(f"[red]config error:[/] {escape(str(exc))}", markup=True, highlight=False)
            raise SystemExit(2) from None

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
        except RulesInvalid as exc:
            raise self.fail(str(exc), 2) from None
        except (OSError, sqlite3.Error) as exc:
            raise self.fail(store_problem(config.store.path, exc), 2) from None
        try:
            yield engine
        except (RulesInvalid, ConfigError) as exc:
            raise self.fail(str(exc), 2) from None
        except StalePlan as exc:
            raise self.fail(f"refusing: {exc}", 3) from None
        finally:
            engine.close()

    def resolve(self, engine: Engine, text: str) -> Item:
        """The item a KEY argument names; exit 1 when none does, 2 when it is ambiguous."""
        try:
            return resolve(engine.store, text, engine.config.connections)
        except AmbiguousRef as exc:
            raise self.fail(str(exc), 2) from None
        except UnknownRef as exc:
            raise self.fail(str(exc), 1) from None


def store_problem(path: str | Path, exc: BaseException) -> str:
    """One line for a store that cannot be opened: the file, the reason, and what to do."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = Path(path)
    return (
        f"cannot use the store {where}: {reason}; make its folder {where.parent} writable, "
        "or set [store] path in the config to a folder you can write"
    )
