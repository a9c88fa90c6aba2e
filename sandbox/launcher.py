"""Start the emulators together, seed them, and write a ready ``rankbridge.toml`` pointing at them."""

from __future__ import annotations

import json
import os
import secrets
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from sandbox.framework import Emulator
from sandbox.registry import available, emulator_class, seeding_order
from sandbox.serving import Served, serve

TOKEN_ENV = "RANKBRIDGE_SANDBOX_TOKEN"


class SandboxControl:
    """The ``/_sandbox/`` endpoints of running emulators, called over real HTTP as a test or a person
    would. Subclasses say where each service's emulator is (``url``) and which services run."""

    control_timeout = 30.0

    def url(self, service: str) -> str:
        raise NotImplementedError

    def services(self) -> list[str]:
        raise NotImplementedError

    def requests(self, service: str) -> list[dict[str, Any]]:
        return self._control(service, "GET", "/_sandbox/requests")  # type: ignore[no-any-return]

    def reset(self, service: str | None = None) -> None:
        for name in [service] if service else self.services():
            self._control(name, "POST", "/_sandbox/reset", {})

    def state(self, service: str) -> Any:
        return self._control(service, "GET", "/_sandbox/state")

    def edit(self, service: str, change: dict[str, Any]) -> Any:
        return self._control(service, "POST", "/_sandbox/edit", change)

    def faults(self, service: str, spec: dict[str, Any]) -> Any:
        return self._control(service, "POST", "/_sandbox/faults", spec)

    def _control(self, service: str, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url(service) + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=self.control_timeout) as response:
            return json.loads(response.read() or b"null")


@dataclass
class Sandbox(SandboxControl):
    token: str
    served: dict[str, Served] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        services: list[str] | None = None,
        items: int = 50,
        seed: int = 1,
        token: str | None = None,
        settings: dict[str, dict[str, Any]] | None = None,
    ) -> Sandbox:
        """Start, seed and serve the emulators; ``settings`` holds keyword arguments per service, e.g.
        ``{"jira": {"timezone": "Asia/Kolkata"}}``."""
        box = cls(token=token or f"sbx-{secrets.token_hex(12)}")
        references: list[dict[str, str]] = []
        for service in seeding_order(services or available()):
            emulator = emulator_class(service)(box.token, **(settings or {}).get(service, {}))
            box.served[service] = serve(emulator)
            read = emulator.reads_references_of
            emulator.generate(items, seed, [r for r in references if r.get("service") in read])
            references.extend(emulator.references())
        return box

    def emulator(self, service: str) -> Emulator:
        return self.served[service].emulator

    def url(self, service: str) -> str:
        return self.served[service].url

    def services(self) -> list[str]:
        return list(self.served)

    def config(self, store_path: str | Path) -> dict[str, Any]:
        connections = {name: s.emulator.connection_config() for name, s in self.served.items()}
        return {"store": {"path": str(store_path)}, "connections": connections}

    def write_config(
        self, path: str | Path, store_path: str | Path, extra: dict[str, Any] | None = None
    ) -> Path:
        data = self.config(store_path)
        for key, value in (extra or {}).items():
            data[key] = value
        target = Path(path)
        target.write_text(tomli_w.dumps(data))
        return target

    def export_token(self) -> None:
        """Put the sandbox token where the written config's ``${...}`` references find it."""
        os.environ[TOKEN_ENV] = self.token

    def stop(self) -> None:
        for served in self.served.values():
            served.stop()
