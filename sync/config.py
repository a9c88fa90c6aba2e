"""The one TOML config file: pydantic models, frozen, unknown keys rejected, ``${VAR}`` secrets.

Errors name the file, the section and the key, e.g.
``rankbridge.toml [connections.jira] token <- Field required``.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.base import ConnectionConfig
from connectors.registry import config_model
from rules.config import CapacityConfig, RoadmapConfig, ScoringConfig, StatusConfig
from sync.linking import LinksConfig

DEFAULT_PATH = "rankbridge.toml"
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; the message says where and why."""


class StoreConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str = ".rankbridge/rankbridge.db"


class DaemonConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(8787, ge=0, le=65535)
    jitter: float = Field(5.0, ge=0)


class Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store: StoreConfig = StoreConfig()
    connections: dict[str, ConnectionConfig] = Field(default_factory=dict)
    scoring: ScoringConfig = ScoringConfig()
    roadmap: RoadmapConfig = RoadmapConfig()
    status: StatusConfig = StatusConfig()
    capacity: CapacityConfig = CapacityConfig()
    links: LinksConfig = LinksConfig()
    daemon: DaemonConfig = DaemonConfig()
    source: str = Field(DEFAULT_PATH, exclude=True)


def config_path(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("RANKBRIDGE_CONFIG") or DEFAULT_PATH)


def load(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file (create one with `rankbridge init`)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse(raw, str(path))


def parse(raw: dict[str, Any], source: str = DEFAULT_PATH) -> Config:
    expanded = _expand(raw, source, [])
    connections_raw = expanded.pop("connections", {})
    if not isinstance(connections_raw, dict):
        raise ConfigError(f"{source} [connections] must be a table of tables")
    errors: list[str] = []
    connections = {name: c for name, c in _connections(connections_raw, source, errors)}
    try:
        config = Config.model_validate({**expanded, "source": source})
    except ValidationError as exc:
        errors.extend(_describe(exc, source, ""))
        config = None
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors))
    assert config is not None
    return config.model_copy(update={"connections": connections})


def _connections(raw: dict[str, Any], source: str, errors: list[str]) -> list[tuple[str, ConnectionConfig]]:
    out = []
    for name, table in raw.items():
        section = f"connections.{toml_key(name)}"
        if not isinstance(table, dict):
            errors.append(f"{source} [{section}] must be a table")
            continue
        kind = table.get("type")
        try:
            model = config_model(str(kind))
        except (KeyError, ImportError) as exc:
            errors.append(f"{source} [{section}] type <- {exc}")
            continue
        try:
            out.append((name, model.model_validate(table)))
        except ValidationError as exc:
            errors.extend(_describe(exc, source, section))
    return out


def _describe(exc: ValidationError, source: str, section: str) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = [toml_key(part) for part in error["loc"]]
        if not section and loc:
            where, key = loc[0], ".".join(loc[1:])
            if not key:
                where, key = "top level", loc[0]
        else:
            where, key = section, ".".join(loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{source} [{where}] {key or '(table)'} <- {message}")
    return lines


def _expand(value: Any, source: str, path: list[str]) -> Any:
    """Replace ``${VAR}`` in every string by the environment variable's value."""
    if isinstance(value, dict):
        return {k: _expand(v, source, [*path, k]) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, source, path) for v in value]
    if isinstance(value, str):
        return ENV_REFERENCE.sub(lambda m: _env(m.group(1), source, path), value)
    return value


def toml_key(part: Any) -> str:
    """One key of a path as TOML writes it: bare when it can be, else quoted (so that a key holding a
    newline or a bracket cannot break the one-line message that names it)."""
    text = str(part)
    return text if BARE_KEY.fullmatch(text) else json.dumps(text)


def _env(name: str, source: str, path: list[str]) -> str:
    value = os.environ.get(name)
    if value is None:
        section = ".".join(toml_key(p) for p in path[:-1]) or "top level"
        key = toml_key(path[-1]) if path else "?"
        raise ConfigError(f"{source} [{section}] {key} <- environment variable {name} is not set")
    return value
