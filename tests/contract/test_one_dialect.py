"""The cases that showed the connectors speaking four dialects, now part of the contract every service
passes against its emulator: a rejected token fails ``doctor``; one failing op fails alone while the rest of
the push applies; an unknown stream is the same error everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from cli import main
from connectors.errors import UnknownStream
from connectors.registry import build
from sandbox.launcher import TOKEN_ENV
from sync.model import Item, OpKind, StatusCategory
from sync.plan.planner import make_op
from sync.push.pusher import Pusher
from sync.store import Store
from tests.contract.conftest import World

REJECTED = "rejected-token-4b1d9c0e7a"
OPEN = {StatusCategory.TRIAGE, StatusCategory.BACKLOG, StatusCategory.TO_DO, StatusCategory.IN_PROGRESS}


def test_doctor_with_a_rejected_token_exits_1_without_the_token(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, REJECTED)
    result = CliRunner().invoke(main, ["--config", str(world.config_path), "doctor"])
    assert result.exit_code == 1, result.output
    assert f"failed {world.service}" in result.output, result.output
    assert REJECTED not in result.output


def test_doctor_with_the_right_token_exits_0(world: World) -> None:
    result = CliRunner().invoke(main, ["--config", str(world.config_path), "doctor"])
    assert result.exit_code == 0, result.output
    assert f"ok {world.service}" in result.output


def open_items(store: Store, service: str) -> list[Item]:
    wanted = "feedback" if service == "zendesk" else "issue"
    return [
        i
        for i in store.items(service)
        if i.kind == wanted and i.status_category in OPEN and not i.deleted and i.native_rank is None
    ] or [i for i in store.items(service) if i.kind == wanted and i.status_category in OPEN and not i.deleted]


def test_one_failing_op_fails_alone_and_the_rest_of_the_push_applies(world: World) -> None:
    """The first op names an item the tracker no longer has (deleted since the plan): its result is a
    failure, and the status writes planned after it still reach the tracker."""
    with world.engine() as engine:
        assert not engine.pull().failed
        store = engine.store
        targets = open_items(store, world.service)[:2]
        assert len(targets) == 2
        gone = targets[0].native_id + "0000"
        ops = [
            make_op(world.service, OpKind.STATUS, gone, {"item": gone, "category": "done"}, {}, "gone"),
            *(
                make_op(
                    world.service,
                    OpKind.STATUS,
                    t.uid,
                    {"item": t.native_id, "category": "done", "reason": "completed"},
                    {"category": t.status_category},
                    f"close {t.key}",
                )
                for t in targets
            ),
        ]
        plan_run = store.start_run("plan")
        store.stage_ops(plan_run, ops)
        report = Pusher(store, engine.connectors, store.start_run("push")).push()
    # A 404 makes it gone (dropped with a note, out of the ranking); any other answer fails it alone.
    assert report.failed + len(report.gone) == 1 and report.applied == 2, report
    assert not any("stopped pushing" in e for e in report.errors), report.errors
    shown = {i["key"]: i["status_category"] for i in world.state_items()}
    assert all(shown[t.key] == "done" for t in targets), {t.key: shown[t.key] for t in targets}


def test_an_unknown_stream_is_the_same_error_everywhere(world: World) -> None:
    config = world.config()
    connector = build(world.service, config.connections[world.service])
    try:
        with pytest.raises(UnknownStream, match="has no stream 'no-such-stream'"):
            for _ in connector.pull("no-such-stream", None, datetime.now(UTC)):
                pass
    finally:
        connector.close()
