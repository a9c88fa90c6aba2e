"""The one way the tests start a sandbox world: the emulators of some services (registry names), the
sandbox token exported, and a config file pointing at them with a store beside it (:class:`SandboxWorld`).
The suites add only what each asks of a world (the contract suite: one service; the fault suite: the CLI
as a subprocess; write-back: the CLI in-process)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.config import Config, load
from sync.engine import Engine
from tests.postgres import read_store, store_table


@dataclass
class SandboxWorld:
    box: Sandbox
    config_path: Path
    store_path: Path | str  # an SQLite file, or a PostgreSQL URL

    def store_rows(self, query: str, *params: Any) -> list[dict[str, Any]]:
        """Rows of ``query`` read from the store as any client of its database would."""
        return read_store(self.store_path, query, params)

    @property
    def services(self) -> list[str]:
        return list(self.box.served)

    def config(self) -> Config:
        return load(self.config_path)

    def engine(self) -> Engine:
        return Engine(self.config())

    def requests(self, service: str) -> list[dict[str, Any]]:
        return self.box.requests(service)

    def state_items(self, service: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.box.state(service)["items"]
        return items


def start_sandbox(monkeypatch: pytest.MonkeyPatch, services: list[str], items: int, seed: int) -> Sandbox:
    box = Sandbox.start(services, items=items, seed=seed)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    return box


def write_world_config(
    box: Sandbox,
    folder: Path,
    tables: dict[str, Any] | None = None,
    connections: dict[str, dict[str, Any]] | None = None,
    policy: dict[str, Any] | None = None,
    store: str | None = None,
) -> Path:
    """``rankbridge.toml`` in ``folder`` (store ``store.db`` beside it, or ``store``: a path or a
    PostgreSQL URL): the sandbox's connections with ``connections[name]`` keys and ``policy`` settings
    added, and the top-level ``tables`` (rules …)."""
    data = box.config(folder / "store.db") | (tables or {})
    if store is not None:
        data["store"] = store_table(store)
    for name, table in data["connections"].items():
        table.update((connections or {}).get(name, {}))
        if policy:
            table["policy"] = {**table.get("policy", {}), **policy}
    path = folder / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path
