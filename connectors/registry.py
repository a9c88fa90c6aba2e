"""Which connector serves which ``type`` of connection. Imports are lazy: nothing loads at import time."""

from __future__ import annotations

import importlib
from typing import Any

from connectors.base import ConnectionConfig, Connector

# type -> (module, config class, connector class); each service is one folder under connectors/.
CONNECTORS: dict[str, tuple[str, str, str]] = {
    "jira": ("connectors.jira", "JiraConfig", "JiraConnector"),
    "github": ("connectors.github", "GithubConfig", "GithubConnector"),
    "linear": ("connectors.linear", "LinearConfig", "LinearConnector"),
    "zendesk": ("connectors.zendesk", "ZendeskConfig", "ZendeskConnector"),
}


def _load(type_: str, index: int) -> Any:
    if type_ not in CONNECTORS:
        known = ", ".join(sorted(CONNECTORS))
        raise KeyError(f"unknown connection type {type_!r} (known: {known})")
    module_name, *names = CONNECTORS[type_]
    module = importlib.import_module(module_name)
    return getattr(module, names[index])


def config_model(type_: str) -> type[ConnectionConfig]:
    model: type[ConnectionConfig] = _load(type_, 0)
    return model


def build(name: str, config: ConnectionConfig) -> Connector:
    cls: type[Connector] = _load(config.type, 1)
    return cls(name, config)
