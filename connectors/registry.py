"""The services rankbridge connects to: the one list. Imports are lazy: nothing loads at import time.

A service is one folder under ``connectors/`` (its connector and config), one folder of the same name
under ``sandbox/`` (its emulator) and one :data:`SERVICES` entry here. Everything else that needs the
list (config validation, ``rankbridge import``, the sandbox commands, the tests' fixtures and contract
suite, the benchmarks) derives it from :func:`service_types`.

The order of :data:`SERVICES` is the order people read them in (tables, help text); nothing depends on it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from connectors.base import ConnectionConfig, Connector


@dataclass(frozen=True)
class Service:
    """One service: its connection ``type`` (also the folder name) and what it can do."""

    type: str
    config_class: str
    connector_class: str
    ranks: bool  # has rank scopes: an order rankbridge writes (a board, a project, a team)
    feedback: bool  # holds customer feedback that links to the trackers' issues

    @property
    def module(self) -> str:
        return f"connectors.{self.type}"


SERVICES: tuple[Service, ...] = (
    Service("jira", "JiraConfig", "JiraConnector", ranks=True, feedback=False),
    Service("github", "GithubConfig", "GithubConnector", ranks=True, feedback=False),
    Service("linear", "LinearConfig", "LinearConnector", ranks=True, feedback=False),
    Service("zendesk", "ZendeskConfig", "ZendeskConnector", ranks=False, feedback=True),
)


def service_types(ranks: bool | None = None, feedback: bool | None = None) -> list[str]:
    """The connection types, optionally only those with (or without) a capability."""
    return [
        s.type
        for s in SERVICES
        if (ranks is None or s.ranks == ranks) and (feedback is None or s.feedback == feedback)
    ]


def service(type_: str) -> Service:
    for candidate in SERVICES:
        if candidate.type == type_:
            return candidate
    raise KeyError(f"unknown connection type {type_!r} (known: {', '.join(service_types())})")


def config_model(type_: str) -> type[ConnectionConfig]:
    entry = service(type_)
    model: type[ConnectionConfig] = getattr(importlib.import_module(entry.module), entry.config_class)
    return model


def connector_class(type_: str) -> type[Connector]:
    """The connector class of a connection type (its declared capabilities, without a connection)."""
    entry = service(type_)
    cls: type[Connector] = getattr(importlib.import_module(entry.module), entry.connector_class)
    return cls


def build(name: str, config: ConnectionConfig) -> Connector:
    return connector_class(config.type)(name, config)
