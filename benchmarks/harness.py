"""Shared setup of the benchmarks: a sandbox, a config and an engine in a temporary folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.control import TOKEN_ENV, Sandbox
from sync.config import load
from sync.engine import Engine

ITEMS = int(os.environ.get("RANKBRIDGE_BENCH_ITEMS", "1000"))


@dataclass
class Bench:
    box: Sandbox
    config_path: Path

    def engine(self) -> Engine:
        return Engine(load(self.config_path))

    def requests(self, service: str) -> list[dict[str, Any]]:
        return self.box.requests(service)


@contextmanager
def bench(
    services: list[str], items: int = ITEMS, seed: int = 5, extra: dict[str, Any] | None = None
) -> Iterator[Bench]:
    box = Sandbox.start(services, items=items, seed=seed)
    os.environ[TOKEN_ENV] = box.token
    with tempfile.TemporaryDirectory() as tmp:
        path = box.write_config(Path(tmp) / "rankbridge.toml", Path(tmp) / "store.db", extra)
        try:
            yield Bench(box, path)
        finally:
            box.stop()
