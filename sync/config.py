"""The one TOML config file: pydantic models, frozen, unknown keys rejected, ``${VAR}`` secrets.

Errors name the file, the section and the key, e.g.
``rankbridge.toml [connections.jira] token <- Field required``.

``${VAR}`` is expanded in the connection tables and in ``[store]``, ``[daemon]`` and ``[report]`` (settings
and secrets) only: rule expressions, notes and templates keep the text as written.

A relative path in the file (the store's) is relative to the file's folder, not to the current directory,
so ``--config other/rankbridge.toml`` finds the same store from anywhere. A ``${VAR}`` a connection needs
but the environment lacks is an error only for a command that contacts that connection
(:meth:`Config.require_secrets`): ``rules check``, ``status`` or ``log`` need no secret at all.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from connectors.base import ConnectionConfig
from connectors.registry import config_model
from rules.config import CapacityConfig, CustomersConfig, RoadmapConfig, ScoringConfig, StatusConfig
from sync.daemon.web import Credential, parse_hash
from sync.errors import UsageError
from sync.linking import LinksConfig
from sync.store.backend import is_url, redact_url

DEFAULT_PATH = "rankbridge.toml"
SETTING_SECTIONS = frozenset({"store", "daemon", "report"})  # besides [connections.*]
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ConfigError(UsageError):
    """The config file is missing, unreadable or invalid; the message says where and why."""

    label = "config error: "


class StoreConfig(BaseModel):
    """``[store]``: an SQLite file (``path``, the default) or a PostgreSQL database (``url``, a
    ``postgresql://`` URL whose password comes through ``${ENV}``), shared by several daemons."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str = ".rankbridge/rankbridge.db"
    url: SecretStr | None = Field(None, description="postgresql://user:${PASSWORD}@host/database")

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not is_url(value.get_secret_value()):
            raise ValueError("must be a postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _one_place(self) -> StoreConfig:
        if self.url is not None and "path" in self.model_fields_set:
            raise ValueError("path and url name two stores: give one")
        return self

    @property
    def location(self) -> str:
        """What :class:`sync.store.Store` opens: the URL (with its password), else the file's path."""
        return self.url.get_secret_value() if self.url is not None else self.path

    def describe(self) -> str:
        """Where the store is, fit to show: the file's path, or the URL with its password replaced."""
        return redact_url(self.url.get_secret_value()) if self.url is not None else self.path


class DaemonConfig(BaseModel):
    """``[daemon]``: where its HTTP endpoint listens and the credential requests must carry (required to
    listen beyond the loopback interface; see :mod:`sync.daemon.web`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(8787, ge=0, le=65535)
    jitter: float = Field(5.0, ge=0)
    max_parallel_pulls: int = Field(4, ge=1, description="connections one daemon pulls at the same time")
    lease_timeout: float = Field(
        10.0,
        ge=1,
        description="PostgreSQL: seconds of silence (idle_session_timeout, tcp_user_timeout) after which "
        "a daemon's leases pass to another",
    )
    auth_token: SecretStr | None = Field(None, description="bearer token every request must carry")
    basic_user: str | None = None
    basic_password_hash: str | None = Field(None, description="from `rankbridge hash-password`")

    @field_validator("basic_password_hash")
    @classmethod
    def _readable_hash(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hash(value)
        return value

    @model_validator(mode="after")
    def _basic_pair(self) -> DaemonConfig:
        if (self.basic_user is None) != (self.basic_password_hash is None):
            raise ValueError("basic_user and basic_password_hash go together")
        return self

    def credential(self) -> Credential:
        token = self.auth_token.get_secret_value() if self.auth_token else None
        return Credential(token or None, self.basic_user, self.basic_password_hash)


class ReportConfig(BaseModel):
    """``[report]``: the directory the daemon writes the HTML report into after each sync (and serves under
    ``/report/``), and ``rankbridge report`` by default; relative to the config file. ``report_url``: where
    that directory is published; the score written to each tracker then carries a link to the item's page
    (in the field each connection names for ``report``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    dir: str | None = None
    report_url: str | None = Field(None, pattern=r"^https?://[^\s]+$")


class Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store: StoreConfig = StoreConfig()
    connections: dict[str, ConnectionConfig] = Field(default_factory=dict)
    scoring: ScoringConfig = ScoringConfig()
    roadmap: RoadmapConfig = RoadmapConfig()
    status: StatusConfig = StatusConfig()
    capacity: CapacityConfig = CapacityConfig()
    customers: CustomersConfig = CustomersConfig()
    links: LinksConfig = LinksConfig()
    daemon: DaemonConfig = DaemonConfig()
    report: ReportConfig = ReportConfig()
    source: str = Field(DEFAULT_PATH, exclude=True)
    # connection name -> what its unset ${VAR} references are (checked only when a command contacts it)
    _unresolved: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    def require_secrets(self, names: Iterable[str] | None = None) -> None:
        """Raise :class:`ConfigError` if a connection in ``names`` (default: all) references an unset
        environment variable; call it before contacting those connections."""
        wanted = list(self.connections) if names is None else list(names)
        problems = [problem for name in wanted for problem in self._unresolved.get(name, [])]
        if problems:
            raise ConfigError("missing secrets:\n  " + "\n  ".join(problems))

    def unresolved(self, name: str) -> list[str]:
        """The unset ``${VAR}`` references of connection ``name`` (as error messages)."""
        return list(self._unresolved.get(name, []))


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
    except UnicodeDecodeError as exc:
        where = f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        raise ConfigError(f"{path}: not UTF-8 text ({where}); save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({_reason(exc)})") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    try:
        config = parse(raw, str(path))
    except RecursionError:
        raise ConfigError(f"{path}: values nested too deeply") from None
    return _relative_to(config, path.parent)


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


def _relative_to(config: Config, folder: Path) -> Config:
    """Resolve the config's relative paths against ``folder`` (the config file's)."""
    store = Path(config.store.path).expanduser()
    if not store.is_absolute():
        store = Path(os.path.normpath(folder.absolute() / store))
    update: dict[str, Any] = {"store": config.store.model_copy(update={"path": str(store)})}
    if config.report.dir:
        report = Path(config.report.dir).expanduser()
        if not report.is_absolute():
            report = Path(os.path.normpath(folder.absolute() / report))
        update["report"] = config.report.model_copy(update={"dir": str(report)})
    resolved = config.model_copy(update=update)
    resolved._unresolved = config._unresolved
    return resolved


def parse(raw: dict[str, Any], source: str = DEFAULT_PATH) -> Config:
    rest = dict(raw)
    connections_raw = rest.pop("connections", {})
    # ${VAR} is expanded only where settings and secrets live; rules, notes and templates keep it as
    # written, so a note can never post a secret of another service into a tracker.
    expanded = {k: _expand(v, source, [k]) if k in SETTING_SECTIONS else v for k, v in rest.items()}
    if not isinstance(connections_raw, dict):
        raise ConfigError(f"{source} [connections] must be a table of tables")
    errors: list[str] = []
    unresolved: dict[str, list[str]] = {}
    connections = {name: c for name, c in _connections(connections_raw, source, errors, unresolved)}
    try:
        config = Config.model_validate({**expanded, "source": source})
    except ValidationError as exc:
        errors.extend(_describe(exc, source, ""))
        config = None
    if len(errors) == 1:
        raise ConfigError(errors[0])  # one line
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors))
    assert config is not None
    config = config.model_copy(update={"connections": connections})
    config._unresolved = unresolved
    return config


def _connections(
    raw: dict[str, Any], source: str, errors: list[str], unresolved: dict[str, list[str]]
) -> list[tuple[str, ConnectionConfig]]:
    out = []
    for name, table in raw.items():
        section = f"connections.{toml_key(name)}"
        if not isinstance(table, dict):
            errors.append(f"{source} [{section}] must be a table")
            continue
        missing: list[str] = []
        table = _expand(table, source, ["connections", name], missing)
        if missing:
            unresolved[name] = missing
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


def _expand(value: Any, source: str, path: list[str], missing: list[str] | None = None) -> Any:
    """Replace ``${VAR}`` in every string by the environment variable's value. An unset variable raises
    :class:`ConfigError`, or, when ``missing`` is given, is left as written and described there."""
    if isinstance(value, dict):
        return {k: _expand(v, source, [*path, k], missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, source, path, missing) for v in value]
    if isinstance(value, str):
        return ENV_REFERENCE.sub(lambda m: _env(m, source, path, missing), value)
    return value


def toml_key(part: Any) -> str:
    """One key of a path as TOML writes it: bare when it can be, else quoted (so that a key holding a
    newline or a bracket cannot break the one-line message that names it)."""
    text = str(part)
    return text if BARE_KEY.fullmatch(text) else json.dumps(text)


def expand_environment(text: str, where: str) -> str:
    """``text`` with each ``${VAR}`` replaced by the environment variable's value (a command-line value
    that may hold a secret, e.g. ``store copy --to``); an unset one raises :class:`ConfigError`."""
    return str(_expand(text, where, [where]))


def _env(match: re.Match[str], source: str, path: list[str], missing: list[str] | None) -> str:
    name = match.group(1)
    value = os.environ.get(name)
    if value is None:
        section = ".".join(toml_key(p) for p in path[:-1]) or "top level"
        key = toml_key(path[-1]) if path else "?"
        problem = f"{source} [{section}] {key} <- environment variable {name} is not set"
        if missing is None:
            raise ConfigError(problem)
        missing.append(problem)
        return match.group(0)
    return value
