"""Config reloads of a running daemon: `rankbridge daemon --reload` asks for one, SIGHUP too.

A reload is a stop as for SIGTERM (the page or op in flight finishes) followed by a start on the re-read
config, in the same process: connectors, schedule intervals, rules and the report are all built anew, and
what was committed (cursors, outbox) carries over as it does across a restart. A config that cannot be
used (invalid, a rule a tracker cannot take, a missing secret) is refused with one logged line, and the
daemon starts again on the config it had. The store and the daemon's address cannot change on a reload
(the store's lock and the leases are tied to the store, a port may be taken): such a change is refused too,
naming what needs a restart.
"""

from __future__ import annotations

import logging
import os
import signal

from sync.config import Config
from sync.daemon.lock import current_holder
from sync.errors import RankbridgeError, UsageError
from sync.presentation.commands.common import ALL
from sync.presentation.context import Context

log = logging.getLogger(__name__)


def ask_for_reload(config: Config) -> str:
    """Ask the daemon(s) of this store to re-read their config; what was done, as a sentence."""
    if config.store.url is not None:
        from sync.daemon.pglease import RELOAD, notify

        notify(config.store.location, RELOAD)
        return "asked every daemon on this store to re-read its config"
    holder = current_holder(config.store.path)
    if holder is None or holder.command != "daemon":
        raise UsageError(f"no daemon holds the store {config.store.path}: nothing to reload")
    os.kill(holder.pid, signal.SIGHUP)
    return f"asked the daemon (pid {holder.pid}) to re-read its config"


def reloaded(ctx: Context, running: Config) -> Config:
    """The config to start again on: the file as it is now if it can be used, else ``running``."""
    try:
        config = usable_config(ctx)
        fixed = unchangeable(running, config)
        if fixed:
            raise UsageError(f"{', '.join(fixed)} cannot change on a reload: restart the daemon for that")
    except RankbridgeError as exc:
        log.error("config not reloaded, carrying on with the running one: %s", exc)
        return running
    log.info("config reloaded from %s: %d connection(s)", ctx.path, len(config.connections))
    return config


def usable_config(ctx: Context) -> Config:
    """The config file checked as the daemon checks it when it starts."""
    from rules.status import StatusRules
    from sync.rank import rules_engine

    config = ctx.runnable_config()
    ctx.require_secrets(config, ALL)
    rules_engine(config)
    StatusRules(config.status)
    return config


def unchangeable(running: Config, config: Config) -> list[str]:
    changed = []
    if config.store.location != running.store.location:
        changed.append("[store]")
    if (config.daemon.host, config.daemon.port) != (running.daemon.host, running.daemon.port):
        changed.append("[daemon] host and port")
    return changed
