"""Fixtures for the GitHub tests: a served emulator (real HTTP) and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.github import GithubConfig, GithubConnector
from sandbox.github import GithubEmulator
from sandbox.serving import Served, serve

TOKEN = "ghp_sandbox_test_token_value"
FAST_POLICY = {"base_wait": 0.01, "max_wait": 5.0, "timeout": 5.0, "attempts": 6, "min_write_interval": 0.0}


@pytest.fixture
def served() -> Iterator[Served]:
    emulator = GithubEmulator(TOKEN)
    running = serve(emulator)
    emulator.generate(
        60,
        3,
        [
            {
                "service": "jira",
                "key": "ENG-7",
                "url": "https://acme.atlassian.net/browse/ENG-7",
                "native_id": "10007",
            }
        ],
    )
    yield running
    running.stop()


@pytest.fixture
def emulator(served: Served) -> GithubEmulator:
    assert isinstance(served.emulator, GithubEmulator)
    return served.emulator


@pytest.fixture
def make_connector(emulator: GithubEmulator) -> Iterator[Callable[..., GithubConnector]]:
    made: list[GithubConnector] = []

    def make(**overrides: Any) -> GithubConnector:
        settings = {**emulator.connection_config(), "token": TOKEN, "policy": FAST_POLICY, **overrides}
        connector = GithubConnector("gh", GithubConfig(**settings))
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Callable[..., GithubConnector]) -> GithubConnector:
    return make_connector()
