"""Fixtures for the Linear tests: a served emulator (real HTTP) and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.linear import LinearConfig, LinearConnector
from sandbox.linear import LinearEmulator
from sandbox.serving import Served, serve

TOKEN = "lin_api_sandbox_test_key"
FAST_POLICY = {"base_wait": 0.01, "max_wait": 5.0, "timeout": 5.0, "attempts": 6}


@pytest.fixture
def served() -> Iterator[Served]:
    emulator = LinearEmulator(TOKEN)
    running = serve(emulator)
    emulator.generate(40, 3, [])
    yield running
    running.stop()


@pytest.fixture
def emulator(served: Served) -> LinearEmulator:
    assert isinstance(served.emulator, LinearEmulator)
    return served.emulator


@pytest.fixture
def make_connector(emulator: LinearEmulator) -> Iterator[Callable[..., LinearConnector]]:
    made: list[LinearConnector] = []

    def make(**overrides: Any) -> LinearConnector:
        settings = {**emulator.connection_config(), "api_key": TOKEN, "policy": FAST_POLICY, **overrides}
        connector = LinearConnector("lin", LinearConfig(**settings))
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Callable[..., LinearConnector]) -> LinearConnector:
    return make_connector()
