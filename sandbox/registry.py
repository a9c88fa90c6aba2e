"""The emulators, found by folder: ``sandbox/<service>/`` names its emulator class ``EMULATOR``.

The sandbox imports no product code, so it does not read the connectors' registry; a service's emulator
folder carries the same name as its connection type, which is all the two sides share. Imports are lazy.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from sandbox.framework import Emulator

HERE = Path(__file__).resolve().parent


def emulator_class(service: str) -> type[Emulator]:
    if service not in available():
        raise KeyError(f"no emulator for {service!r} (emulators: {', '.join(available())})")
    cls: type[Emulator] = importlib.import_module(f"sandbox.{service}").EMULATOR
    return cls


def available() -> list[str]:
    """Services whose emulator folder exists in this checkout, by name."""
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.ispkg)


def seeding_order(services: list[str]) -> list[str]:
    """``services`` so that each emulator is seeded after the ones whose issues its generator points at
    (:attr:`Emulator.reads_references_of`); otherwise in the order given."""
    pending = list(dict.fromkeys(services))
    done: list[str] = []
    while pending:
        ready = next(
            (s for s in pending if all(d in done or d not in pending for d in reads_of(s))),
            pending[0],  # a cycle of declarations: seed in the order given rather than not at all
        )
        pending.remove(ready)
        done.append(ready)
    return done


def reads_of(service: str) -> tuple[str, ...]:
    return emulator_class(service).reads_references_of
