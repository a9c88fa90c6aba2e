"""Jira emulators (Cloud and Data Center mode) over real HTTP, and connectors pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from connectors.jira import JiraConfig, JiraConnector
from sandbox.jira import JiraEmulator
from sandbox.serving import Served, serve

TOKEN = "jira-test-token-5c1d9e"
ITEMS = 40
FAST_POLICY = {"base_wait": 0.01, "max_wait": 5.0, "timeout": 5.0}


def start(deployment: str, items: int = ITEMS, seed: int = 5) -> Served:
    emulator = JiraEmulator(TOKEN, deployment=deployment)
    running = serve(emulator)
    emulator.generate(items, seed, [])
    return running


@pytest.fixture(params=["cloud", "datacenter"])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    """Both deployments: every test using it runs once against Cloud and once against Data Center."""
    running = start(request.param)
    yield running
    running.stop()


@pytest.fixture
def cloud() -> Iterator[Served]:
    running = start("cloud")
    yield running
    running.stop()


@pytest.fixture
def datacenter() -> Iterator[Served]:
    running = start("datacenter")
    yield running
    running.stop()


def emulator_of(served: Served) -> JiraEmulator:
    assert isinstance(served.emulator, JiraEmulator)
    return served.emulator


def connector_for(served: Served, **overrides: Any) -> JiraConnector:
    table = {**emulator_of(served).connection_config(), "token": TOKEN, "policy": FAST_POLICY}
    table.update(overrides)
    return JiraConnector("jira", JiraConfig.model_validate(table))


@pytest.fixture
def make_connector() -> Iterator[Callable[..., JiraConnector]]:
    made: list[JiraConnector] = []

    def make(served: Served, **overrides: Any) -> JiraConnector:
        connector = connector_for(served, **overrides)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


def control(served: Served, method: str, path: str, body: Any = None) -> Any:
    """A ``/_sandbox/`` call over HTTP, as a test or a person makes it."""
    response = httpx.request(method, served.url + path, json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def api_client(served: Served, auth: bool = True) -> httpx.Client:
    """A raw HTTP client with the emulator's own auth scheme (basic on Cloud, bearer PAT on DC)."""
    emulator = emulator_of(served)
    headers: dict[str, str] = {}
    basic: tuple[str, str] | None = None
    if auth and emulator.cloud:
        basic = (emulator.email, TOKEN)
    elif auth:
        headers["Authorization"] = f"Bearer {TOKEN}"
    return httpx.Client(base_url=served.url, auth=basic, headers=headers, timeout=10)
