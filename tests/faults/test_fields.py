"""Unicode, empty and huge fields: titles with emoji, right-to-left text, NUL and lone surrogates, empty
titles and 1 MB bodies go through a sync and the CLI's views without a crash and are stored intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from sync.store import Store
from tests.faults.conftest import SERVICES, FaultWorld, make_fault_world

TITLES = [
    "🚀 Ship the thing 👩🏽‍💻 — naïve café",
    "\u202eRTL override\u202c עברית العربية",
    "nul\x00in the middle",
    "",
    "lone surrogate \ud800 here",
    "z̴̡͙a̷l̸g̵o" * 40,
    "x" * 5_000,
]
BODY = "Ünïcödé body 🧪 " + "lorem ipsum " * 90_000  # just over 1 MB


def raw_body(service: str, body: str) -> dict[str, Any]:
    if service == "jira":
        paragraph = {"type": "paragraph", "content": [{"type": "text", "text": body}]}
        return {"fields": {"description": {"type": "doc", "version": 1, "content": [paragraph]}}}
    return {"linear": {"description": body}, "zendesk": {"description": body}}[service]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultWorld]:
    w = make_fault_world(tmp_path, monkeypatch, list(SERVICES), items=len(TITLES) + 2, seed=5)
    yield w
    w.box.stop()


def cli(world: FaultWorld, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(world.config_path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_odd_and_huge_fields_round_trip_through_a_sync(world: FaultWorld) -> None:
    edited: dict[str, dict[str, str]] = {}
    for service in world.services:
        items = [i for i in world.box.state(service)["items"] if not i.get("deleted")]
        for item, title in zip(items, TITLES, strict=False):
            world.box.edit(service, {"key": item["key"], "set": {"title": title}})
            edited.setdefault(service, {})[item["key"]] = title
        target = items[len(TITLES)]["key"]
        if service == "github":  # a person edits the body (REST and Projects v2 then agree)
            world.box.edit(service, {"key": target, "set": {"body": BODY}})
        else:
            world.box.edit(service, {"key": target, "raw": raw_body(service, BODY)})
    cli(world, "sync")
    cli(world, "sync")
    for args in (("rank",), ("rank", "--json"), ("status",), ("status", "--json"), ("plan", "--json")):
        output = cli(world, *args)
        if "--json" in args:
            json.loads(output)
    store = Store(world.store_path)
    try:
        for service in world.services:
            items = {i.key: i for i in store.items(service)}
            for key, title in edited[service].items():
                # by design, a lone surrogate (valid JSON, not storable Unicode) becomes U+FFFD
                assert items[key].title == title.replace("\ud800", "\ufffd"), (service, key)
            bodies = [i.body for i in items.values() if BODY.strip() in i.body]
            assert bodies, f"{service}: the 1 MB body was not stored intact"
    finally:
        store.close()
