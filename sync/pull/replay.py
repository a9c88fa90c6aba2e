"""``rankbridge import``: normalise saved API payloads from a file into the store, without the network."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import ConnectionConfig, UnrecognisedFile
from connectors.registry import build, config_model, service_types
from sync.config import Config
from sync.pull.streams import normalize_page
from sync.references import resolve_links
from sync.store import Store


def connection_for(config: Config, source: str) -> tuple[str, ConnectionConfig]:
    """The configured connection named ``source``, or one of that service type (configured or default)."""
    if source in config.connections:
        return source, config.connections[source]
    for name, connection in config.connections.items():
        if connection.type == source:
            return name, connection
    if source not in service_types():
        raise ValueError(
            f"{source!r} is neither a configured connection nor a service ({', '.join(service_types())})"
        )
    return source, offline_config(config_model(source), source)


def offline_config(model: type[ConnectionConfig], service: str) -> ConnectionConfig:
    """A connection that is never contacted: its required settings get inert placeholders, so that the
    connector can be built and its (pure) normaliser replay payloads."""
    values: dict[str, Any] = {"type": service, "url": f"https://{service}.invalid", **model.offline}
    if "email" in model.model_fields:
        values["email"] = "replay@example.invalid"
    for name, setting in model.model_fields.items():
        if name in values or not setting.is_required():
            continue
        annotation = str(setting.annotation)
        values[name] = (
            [] if "list" in annotation else "offline" if "Secret" not in annotation else "offline-import"
        )
    return model.model_validate(values)


@dataclass
class Imported:
    """What one import kept: records by kind (teams and cycles: a tracker's planning calendar), quarantined
    payloads, and the payloads read per stream."""

    items: int = 0
    customers: int = 0
    links: int = 0
    teams: int = 0
    cycles: int = 0
    quarantined: int = 0
    read: dict[str, int] = field(default_factory=dict)


def import_file(config: Config, source: str, path: Path) -> Imported:
    """Route the saved response in ``path`` to the stream its shape belongs to, then normalise and store
    it as a pull would."""
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from None
    name, connection = connection_for(config, source)
    connector = build(name, connection)
    by_stream: dict[str, list[dict[str, Any]]] = {}
    try:
        for stream, payload in connector.replay(document):
            by_stream.setdefault(stream, []).append(payload)
    except UnrecognisedFile as exc:
        raise ValueError(f"{path}: {exc}") from None
    if not by_stream:
        raise ValueError(f"{path}: no {connection.type} records found in it")
    done = Imported(read={stream: len(payloads) for stream, payloads in by_stream.items()})
    store = Store(config.store.location)
    try:
        for stream, payloads in by_stream.items():
            records, raw, quarantined = normalize_page(connector, stream, payloads)
            store.write_page(name, stream, records, raw, None, quarantined)
            done.items += len(records.items)
            done.customers += len(records.customers)
            done.links += len(records.links)
            done.teams += len(records.teams)
            done.cycles += len(records.cycles)
            done.quarantined += len(quarantined)
        resolve_links(store)
    finally:
        store.close()
    return done
