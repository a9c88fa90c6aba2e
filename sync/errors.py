"""One error root for everything outside the connectors, each kind with its exit code, so that ``cli.py``
maps errors to exit codes in one place.

::

    RankbridgeError              exit 1: something asked for does not exist (an unknown reference)
    ├── UsageError               exit 2: the config, the rules or an argument cannot be used as given
    │   ├── ConfigError          (sync.config) the file is missing, unreadable or invalid
    │   ├── RulesInvalid         (rules.engine) rule expressions that do not compile or type-check
    │   ├── AmbiguousRef         (sync.refs) a key two connections share, not qualified
    │   ├── NotAPush             (sync.push.undo) ``undo RUN`` names no push
    │   ├── RefusedBinding       (sync.daemon.web) an endpoint beyond loopback without a credential
    │   ├── PortUnavailable      (sync.daemon.status) the [daemon] port is taken or cannot be used
    │   ├── NotAReportDirectory  (sync.presentation.report.site) a folder no report wrote
    │   ├── StoreUnavailable     (sync.store.backend) a store that cannot be opened or reached
    │   └── NotOurFolder         (sync.presentation.demo) a demo folder with files the demo did not make
    ├── StaleState               exit 3: StalePlan (sync.engine), a plan older than the latest pull
    └── StoreBusy                exit 4: LockHeld (sync.daemon.lock), another process holds the store

The connectors have a tree of their own (``connectors.errors``): the pull and the push report those per
connection and go on, and a command whose tracker or op failed exits 1.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a tracker or an op failed, or what was asked for does not exist
    USAGE = 2  # bad config, rules or arguments; a file or folder that cannot be used
    STALE_PLAN = 3
    STORE_BUSY = 4


class RankbridgeError(Exception):
    """Base of every error rankbridge raises outside the connectors; ``exit_code`` is what the CLI exits
    with, ``label`` what its message starts with."""

    exit_code = ExitCode.FAILED
    label = ""

    def for_people(self) -> str:
        return f"{self.label}{self}"


class UsageError(RankbridgeError):
    exit_code = ExitCode.USAGE


class StaleState(RankbridgeError):
    exit_code = ExitCode.STALE_PLAN
    label = "refusing: "


class StoreBusy(RankbridgeError):
    exit_code = ExitCode.STORE_BUSY
    label = "refusing: "


class CommandFailed(RankbridgeError):
    """A failure a command states itself, with the exit code it chooses."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = ExitCode(code)
