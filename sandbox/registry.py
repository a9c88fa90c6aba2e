"""The emulators `rankbridge sandbox serve` starts, by service. Imports are lazy."""

from __future__ import annotations

import importlib
import importlib.util

from sandbox.framework import Emulator

# service -> (module, emulator class); each emulator module also holds its generator.
EMULATORS: dict[str, tuple[str, str]] = {
    "jira": ("sandbox.jira", "JiraEmulator"),
    "github": ("sandbox.github", "GithubEmulator"),
    "linear": ("sandbox.linear", "LinearEmulator"),
    "zendesk": ("sandbox.zendesk", "ZendeskEmulator"),
}


def emulator_class(service: str) -> type[Emulator]:
    module_name, class_name = EMULATORS[service]
    cls: type[Emulator] = getattr(importlib.import_module(module_name), class_name)
    return cls


def available() -> list[str]:
    """Services whose emulator module exists in this checkout."""
    out = []
    for service, (module_name, _) in EMULATORS.items():
        if importlib.util.find_spec(module_name) is not None:
            out.append(service)
    return out
