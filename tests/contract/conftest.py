"""A sandbox world per connector for the contract suite: one emulator, a config file, a store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import service_types
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


def make_world(service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, items: int = 30) -> World:
    box = start_sandbox(monkeypatch, [service], items=items, seed=11)
    return World(box, write_world_config(box, tmp_path, RULES), tmp_path / "store.db", service)


def world_fixture(services: list[str], items: int = 30) -> Any:
    """A fixture giving each test a :class:`World` per service in ``services`` (one emulator each)."""

    @pytest.fixture(params=services)
    def fixture(
        request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[World]:
        w = make_world(request.param, tmp_path, monkeypatch, items=items)
        yield w
        w.box.stop()

    return fixture


world = world_fixture(SERVICES)
big_world = world_fixture(SERVICES, items=250)
ordered_world = world_fixture(ORDERED)
