"""A sandbox world per connector for the contract suite: one emulator, a config file, a store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.config import Config, load
from sync.engine import Engine

SERVICES = ["jira", "github", "linear", "zendesk"]
ORDERED = ["jira", "github", "linear"]

RULES: dict[str, Any] = {
    "scoring": {"framework": "rice"},
    "status": {"rules": [{"name": "contract close", "when": "'rb-close' in labels", "set_category": "done"}]},
}


@dataclass
class World:
    service: str
    box: Sandbox
    config_path: Path
    store_path: Path

    def config(self) -> Config:
        return load(self.config_path)

    def engine(self) -> Engine:
        return Engine(self.config())

    def requests(self) -> list[dict[str, Any]]:
        return self.box.requests(self.service)

    def state_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.box.state(self.service)["items"]
        return items


def make_world(service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, items: int = 30) -> World:
    box = Sandbox.start([service], items=items, seed=11)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    store = tmp_path / "store.db"
    config = box.write_config(tmp_path / "rankbridge.toml", store, RULES)
    return World(service, box, config, store)


@pytest.fixture(params=SERVICES)
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = make_world(request.param, tmp_path, monkeypatch)
    yield w
    w.box.stop()


@pytest.fixture(params=SERVICES)
def big_world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    w = make_world(request.param, tmp_path, monkeypatch, items=250)
    yield w
    w.box.stop()


@pytest.fixture(params=ORDERED)
def ordered_world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    w = make_world(request.param, tmp_path, monkeypatch)
    yield w
    w.box.stop()
