"""A sandbox with all four trackers, a config file and a store, driven through the CLI (CliRunner).

The config adds what write-back needs beyond the sandbox defaults: mirror links stated in descriptions
("Mirror of <url>", "Mirrors <url>", which the sandbox generator writes into a few issues) and a status
rule that closes an item's mirrors once it is done.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click.testing
import pytest
from click.testing import CliRunner

from cli import main
from connectors.registry import service_types
from sandbox.launcher import Sandbox
from tests.postgres import read_store
from tests.worlds import start_sandbox, write_world_config

SERVICES = service_types()
ORDERED = service_types(ranks=True)  # the services with rank scopes
ITEMS = 16
SEED = 21

RULES: dict[str, Any] = {
    "links": {"mirrors": [{"name": "stated in the description"}]},
    "status": {
        "rules": [
            {
                "name": "mirrors follow done",
                "when": "status_category == 'done' and mirrors > 0 and not mirrors_closed",
                "set_category": "done",
                "target": "mirrors",
            },
            {
                "name": "mirrors follow canceled",
                "when": "status_category == 'canceled' and 'todo' in mirror_categories",
                "set_category": "canceled",
                "target": "mirrors",
            },
        ]
    },
}


@dataclass
class World:
    box: Sandbox
    config: Path
    store: Path | str  # an SQLite file, or a PostgreSQL URL (``any_world``)
    last_stderr: str = ""

    def cli(self, *args: str, code: int | None = 0) -> click.testing.Result:
        result = CliRunner().invoke(main, ["--config", str(self.config), *args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output
        return result

    def json(self, *args: str, code: int | None = 0) -> Any:
        result = self.cli(*args, "--json", code=code)
        self.last_stderr = result.stderr  # log lines, kept apart from the JSON document
        return json.loads(result.stdout)

    def sql(self, query: str, *params: Any) -> list[dict[str, Any]]:
        """Read the store as any client of its database would (a connection of our own)."""
        return read_store(self.store, query, params)

    def writes(self, service: str) -> list[dict[str, Any]]:
        return [r for r in self.box.requests(service) if r["mutating"]]

    def tracker_orders(self, service: str) -> dict[str, list[str]]:
        """Per rank scope, the open items' native ids in the order the tracker shows (``/_sandbox/state``;
        a closed GitHub issue stays on the board, but it has left the ranking)."""
        scopes: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for item in self.box.state(service)["items"]:
            if item.get("order") is not None and item["status_category"] not in ("done", "canceled"):
                scope = str(item["fields"].get("team", "")) if service == "linear" else ""
                scopes[scope].append((item["order"], item["native_id"]))
        return {scope: [nid for _, nid in sorted(pairs)] for scope, pairs in scopes.items()}

    def store_order(self, service: str, members: list[str]) -> list[str]:
        """``members`` (native ids) in the store's unified ranking; unranked ones are left out."""
        rows = self.sql(
            "select i.native_id from scores s join items i on i.uid = s.uid "
            "where i.connection = ? order by s.rank, i.native_id",
            service,
        )
        wanted = set(members)
        return [r["native_id"] for r in rows if r["native_id"] in wanted]

    def ranked_members(self, service: str, order: list[str]) -> list[str]:
        ranked = {
            r["native_id"] for r in self.sql("select i.native_id from scores s join items i using (uid)")
        }
        return [nid for nid in order if nid in ranked]

    def assert_unified(self, service: str, pinned: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        for scope, order in self.tracker_orders(service).items():
            shown = [n for n in self.ranked_members(service, order) if n not in pinned]
            assert shown == self.store_order(service, shown), f"{service} {scope}"

    def key_of(self, service: str, native_id: str) -> str:
        return next(i["key"] for i in self.box.state(service)["items"] if i["native_id"] == native_id)


def write_config(
    box: Sandbox,
    tmp_path: Path,
    extra: dict[str, Any] | None = None,
    connections: dict[str, dict[str, Any]] | None = None,
    store: str | None = None,
) -> Path:
    """The sandbox's config with :data:`RULES`, ``extra`` tables and per-connection ``connections`` keys
    (and ``store``: a path or PostgreSQL URL instead of ``store.db`` beside it)."""
    return write_world_config(box, tmp_path, RULES | (extra or {}), connections, store=store)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    box = start_sandbox(monkeypatch, SERVICES, items=ITEMS, seed=SEED)
    yield World(box, write_config(box, tmp_path), tmp_path / "store.db")
    box.stop()


@pytest.fixture
def any_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_location: str) -> Iterator[World]:
    """:func:`world` once per store backend (SQLite, PostgreSQL)."""
    box = start_sandbox(monkeypatch, SERVICES, items=ITEMS, seed=SEED)
    yield World(box, write_config(box, tmp_path, store=store_location), store_location)
    box.stop()
