"""Shared setup of the benchmarks: sizes, per-tracker configs over emulators that run in a child process
(:mod:`benchmarks.emulators`), and engines on them."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomli_w

from benchmarks.emulators import Remote
from connectors.registry import service_types
from sandbox.launcher import TOKEN_ENV
from sync.config import load
from sync.engine import Engine

# Items per tracker of the full-pull figures, and of the sync figures (no-op sync, re-rank writes), whose
# first sync writes every tracker's whole order (GitHub and Linear: one mutation an item).
PULL_ITEMS = int(os.environ.get("RANKBRIDGE_BENCH_ITEMS", "25000"))
SYNC_ITEMS = int(os.environ.get("RANKBRIDGE_BENCH_SYNC_ITEMS", "1000"))
SERVICES = tuple(service_types())
EXPORT_BUDGET = 100_000


def service_config(
    remote: Remote, service: str, extra: dict[str, Any] | None = None, lift_limits: bool = False
) -> Path:
    """A config holding ``service``'s connection alone, with a fresh store of its own. ``lift_limits``
    lifts the providers' budgets (Zendesk's 10 exports a minute, Linear's complexity window) in the
    emulator and the connection, so that a figure measures the pipeline and not waiting on a limit."""
    data = tomllib.loads(remote.config_path.read_text())
    connection = dict(data["connections"][service])
    if lift_limits and service == "zendesk":
        connection["export_per_minute"] = EXPORT_BUDGET
        remote.faults(service, {"export_per_minute": EXPORT_BUDGET})
    if lift_limits and service == "linear":
        remote.faults(service, {"budget": 100_000, "window": 1.0})
    for leftover in remote.workdir.glob(f"{service}.db*"):
        leftover.unlink()
    config = {"store": {"path": str(remote.workdir / f"{service}.db")}, "connections": {service: connection}}
    path = remote.workdir / f"{service}.toml"
    path.write_text(tomli_w.dumps(config | (extra or {})))
    return path


@contextmanager
def engine_on(remote: Remote, config: Path) -> Iterator[Engine]:
    """An engine in this process over ``config`` (the sandbox token where its ``${...}`` finds it)."""
    os.environ[TOKEN_ENV] = remote.token
    with Engine(load(config)) as engine:
        yield engine
