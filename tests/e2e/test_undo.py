"""Audit and undo through the CLI: `log` lists a push, `undo` restores the order from before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.contract.conftest import ORDERED, make_world


def order(world_state: dict[str, object]) -> list[str]:
    items = [i for i in world_state["items"] if i.get("order") is not None]  # type: ignore[union-attr]
    return [i["key"] for i in sorted(items, key=lambda i: i["order"])]


@pytest.mark.parametrize("service", ORDERED)
def test_undo_restores_the_order_before_the_push(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(service, tmp_path, monkeypatch, items=25)
    try:
        runner = CliRunner()
        before = order(world.box.state(service))
        assert runner.invoke(main, ["--config", str(world.config_path), "sync"]).exit_code == 0
        assert order(world.box.state(service)) != before, "the sync moved nothing; the test proves nothing"
        log = json.loads(runner.invoke(main, ["--config", str(world.config_path), "log", "--json"]).output)
        push_run = log[0]["run"]
        assert any(op["kind"] == "rank" and op["result"] == "ok" for op in log[0]["ops"])
        assert runner.invoke(main, ["--config", str(world.config_path), "pull"]).exit_code == 0
        result = runner.invoke(main, ["--config", str(world.config_path), "undo", str(push_run), "--yes"])
        assert result.exit_code == 0, result.output
        # Issues the sync added to a GitHub project stay on it; the others are back in their old order.
        assert [key for key in order(world.box.state(service)) if key in before] == before
    finally:
        world.box.stop()
