"""The cases that exposed four dialects of one contract (issue 13), run against every connector: a failing
op fails alone and the push goes on; ``doctor`` with a rejected token exits 1; ``check()`` raises."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cli import main
from connectors.errors import AuthError
from connectors.registry import build
from sandbox.launcher import TOKEN_ENV
from sync.model import Op
from sync.store import Store
from tests.contract.conftest import World

WRONG = "wrong-token-value-123"


def missing_id(native_id: str) -> str:
    """An id of the same form as ``native_id`` that names nothing (its trailing number replaced)."""
    return re.sub(r"\d+$", "987654", native_id) if re.search(r"\d$", native_id) else native_id + "987654"


def status_op(connection: str, native_id: str) -> Op:
    payload = {"item": native_id, "category": "done"}
    return Op(connection, "status", "", payload, {}, f"close {native_id}", f"close-{native_id}")


def test_an_op_on_a_missing_item_fails_alone(world: World) -> None:
    with world.engine() as engine:
        engine.pull()
    store = Store(world.store_path)
    try:
        open_items = [i for i in store.items(world.service) if i.status_category not in ("done", "canceled")]
    finally:
        store.close()
    section = world.config().connections[world.service]
    connector = build(world.service, section)
    try:
        missing = connector.apply(status_op(world.service, missing_id(open_items[0].native_id)))
        present = connector.apply(status_op(world.service, open_items[1].native_id))
    finally:
        connector.close()
    assert not missing.ok and missing.detail, missing
    assert present.ok, present


def test_a_deleted_item_fails_its_op_and_the_push_goes_on(world: World) -> None:
    targets = [i for i in world.state_items() if i["status_category"] not in ("done", "canceled")][:2]
    for target in targets:
        labels = [*target.get("labels", []), "rb-close"]
        world.box.edit(world.service, {"key": target["key"], "set": {"labels": labels}})
    with world.engine() as engine:
        engine.pull()
        engine.rank()
        engine.plan()
        world.box.edit(world.service, {"key": targets[0]["key"], "delete": True})
        report = engine.push()
    assert not [e for e in report.errors if "stopped pushing" in e], report.errors
    after = {i["key"]: i for i in world.state_items()}
    assert after[targets[1]["key"]]["status_category"] == "done"


def test_doctor_with_a_rejected_token_exits_1(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, WRONG)
    result = CliRunner().invoke(main, ["--config", str(world.config_path), "doctor"])
    assert result.exit_code == 1, result.output
    assert "failed" in result.output and WRONG not in result.output


def test_check_raises_an_auth_error_for_a_rejected_token(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, WRONG)
    connector = build(world.service, world.config().connections[world.service])
    try:
        with pytest.raises(AuthError) as caught:
            connector.check()
    finally:
        connector.close()
    assert WRONG not in str(caught.value)
