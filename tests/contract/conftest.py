"""A sandbox world per connector for the contract suite: one emulator, a config file, a store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import service_types
from tests.postgres import BACKENDS
from tests.worlds import SandboxWorld, start_sandbox, write_world_config

SERVICES = service_types()
ORDERED = service_types(ranks=True)  # the services with rank scopes

RULES: dict[str, Any] = {
    "scoring": {"framework": "rice"},
    "status": {"rules": [{"name": "contract close", "when": "'rb-close' in labels", "set_category": "done"}]},
}


@dataclass
class World(SandboxWorld):
    """A world of one service: its requests and items unless another service is named."""

    service: str

    def requests(self, service: str | None = None) -> list[dict[str, Any]]:
        return super().requests(service or self.service)

    def state_items(self, service: str | None = None) -> list[dict[str, Any]]:
        return super().state_items(service or self.service)


def make_world(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, items: int = 30, store: str | None = None
) -> World:
    """``store``: an SQLite path or a PostgreSQL URL (default: ``store.db`` beside the config)."""
    box = start_sandbox(monkeypatch, [service], items=items, seed=11)
    config = write_world_config(box, tmp_path, RULES, store=store)
    return World(box, config, store or tmp_path / "store.db", service)


def world_fixture(services: list[str], items: int = 30, backends: tuple[str, ...] = ("sqlite",)) -> Any:
    """A fixture giving each test a :class:`World` per service in ``services`` (one emulator each), and per
    store backend in ``backends`` (the store-touching cases run over SQLite and PostgreSQL)."""
    params = [(s, b) for s in services for b in backends]
    ids = [s if backends == ("sqlite",) else f"{s}-{b}" for s, b in params]

    @pytest.fixture(params=params, ids=ids)
    def fixture(
        request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[World]:
        service, backend = request.param
        store = str(request.getfixturevalue("postgres_url")) if backend == "postgres" else None
        w = make_world(service, tmp_path, monkeypatch, items=items, store=store)
        yield w
        w.box.stop()

    return fixture


world = world_fixture(SERVICES)
ordered_world = world_fixture(ORDERED)
# The cases that read and write the store most (first sync, no-op re-sync, a killed pull resumed), over both
# store backends.
store_world = world_fixture(SERVICES, backends=BACKENDS)
big_store_world = world_fixture(SERVICES, items=250, backends=BACKENDS)
