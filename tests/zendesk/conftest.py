"""A Zendesk emulator over real HTTP and connectors pointed at it, with small waits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.zendesk import ZendeskConfig, ZendeskConnector
from sandbox.serving import Served, serve
from sandbox.zendesk import ZendeskEmulator

TOKEN = "zd-test-token-9f8e7d"


def fake_references(count: int = 6) -> list[dict[str, str]]:
    """Issues of the other trackers as their emulators describe them (for tests that start only Zendesk)."""
    refs = []
    for n in range(1, count + 1):
        refs.append(
            {
                "service": "jira",
                "key": f"PLAT-{n}",
                "url": f"http://jira.test/browse/PLAT-{n}",
                "native_id": str(10_000 + n),
            }
        )
        refs.append(
            {
                "service": "github",
                "key": f"acme/app#{n}",
                "url": f"http://gh.test/acme/app/issues/{n}",
                "native_id": f"acme/app#{n}",
            }
        )
        refs.append(
            {
                "service": "linear",
                "key": f"DES-{n}",
                "url": f"https://linear.app/acme/issue/DES-{n}",
                "native_id": f"lin-{n}",
            }
        )
    return refs


def stop_soon(running: Served) -> None:
    """Shut a server down in the background: ``shutdown`` waits out the serve loop's 0.5 s poll."""
    threading.Thread(target=running.stop, daemon=True).start()


@pytest.fixture
def served() -> Iterator[Served]:
    emulator = ZendeskEmulator(TOKEN, export_per_minute=1000)
    emulator.generate(24, 3, fake_references())
    running = serve(emulator)
    yield running
    stop_soon(running)


@pytest.fixture
def emulator(served: Served) -> ZendeskEmulator:
    assert isinstance(served.emulator, ZendeskEmulator)
    return served.emulator


@pytest.fixture
def make_connector(emulator: ZendeskEmulator) -> Iterator[Callable[..., ZendeskConnector]]:
    made: list[ZendeskConnector] = []

    def make(**overrides: Any) -> ZendeskConnector:
        table = {
            **emulator.connection_config(),
            "token": TOKEN,
            "export_per_minute": 1000,
            "policy": {"base_wait": 0.01, "max_wait": 5.0, "timeout": 5.0},
        }
        table.update(overrides)
        connector = ZendeskConnector("zd", ZendeskConfig.model_validate(table))
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Callable[..., ZendeskConnector]) -> ZendeskConnector:
    return make_connector()
