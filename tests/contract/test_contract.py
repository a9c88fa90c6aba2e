"""The contract every connector passes against its emulator (DESIGN §9.2): first sync, no-op re-sync,
resume after a kill, rank/field/status writes, rate limits and faults, auth failures."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from sync.model import Op, OpKind
from sync.store import Store
from tests.contract.conftest import World


def store_keys(world: World) -> dict[str, dict[str, object]]:
    store = Store(world.store_path)
    try:
        return {
            i.key: {"title": i.title, "status_category": i.status_category}
            for i in store.items(world.service)
            if i.kind != "feedback" or world.service == "zendesk"
        }
    finally:
        store.close()


def emulator_keys(world: World) -> dict[str, dict[str, object]]:
    return {
        i["key"]: {"title": i["title"], "status_category": i["status_category"]}
        for i in world.state_items()
        if not i.get("deleted")
    }


def test_first_sync_stores_what_the_tracker_has(store_world: World) -> None:
    world = store_world
    with world.engine() as engine:
        report = engine.pull()
    assert not report.failed, report.failed
    expected = emulator_keys(world)
    stored = store_keys(world)
    assert expected, "the emulator generated no items"
    for key, values in expected.items():
        assert stored.get(key) == values, key


def test_noop_resync_costs_one_request_per_stream_and_no_writes(store_world: World) -> None:
    world = store_world
    with world.engine() as engine:
        engine.sync()
        engine.sync()  # our own writes come back once
        world.box.reset()
        report = engine.sync()
        streams = len(report.pull.streams)
    log = world.requests()
    assert not [r for r in log if r["mutating"]], "a no-op sync wrote to the tracker"
    assert len(log) == streams, f"expected one request per stream ({streams}), got {len(log)}: {log}"
    assert report.pull.changed == 0
    assert report.plan is not None and report.plan.ops == []


def test_rank_write_makes_tracker_order_equal_the_unified_ranking(ordered_world: World) -> None:
    world = ordered_world
    with world.engine() as engine:
        report = engine.sync()
        assert report.push is not None and not report.push.errors, report.push
        scores = {row["uid"]: row["rank"] for row in engine.store.scores()}
        connector = engine.connectors[world.service]
        for scope in connector.scopes():
            live = connector.current_order(scope.name)
            ranked = [n for n in live if f"{world.service}:{n}" in scores]
            assert ranked == sorted(ranked, key=lambda n: scores[f"{world.service}:{n}"]), scope
        rank_ops = [o for o in report.plan.ops if o.kind == "rank"] if report.plan else []
        assert (
            sum(len(o.payload["items"]) for o in rank_ops) <= report.plan.naive_rank_writes
            if report.plan
            else True
        )


def test_status_rule_write_reaches_the_tracker(world: World) -> None:
    target = next(i for i in world.state_items() if i["status_category"] not in ("done", "canceled"))
    world.box.edit(
        world.service, {"key": target["key"], "set": {"labels": [*target.get("labels", []), "rb-close"]}}
    )
    with world.engine() as engine:
        report = engine.sync()
    assert report.push is not None and not report.push.errors, report.push.errors if report.push else None
    after = {i["key"]: i for i in world.state_items()}
    assert after[target["key"]]["status_category"] == "done"


def test_score_field_written_then_stable(world: World) -> None:
    with world.engine() as engine:
        first = engine.sync()
        field_ops = [o for o in first.plan.ops if o.kind == "field"] if first.plan else []
        # Linear has no score field, and its priority is a person's field unless the connection asks for
        # priority_by_rank (tests/e2e/test_priority_is_a_persons_field.py writes it and checks it settles).
        if world.service not in ("zendesk", "linear"):
            assert field_ops, "no score field writes were planned"
        second = engine.sync()
        third = engine.sync()
    assert third.plan is not None and [o for o in third.plan.ops if o.kind == "field"] == [], third.plan.ops
    assert second.push is None or not second.push.errors


def test_rate_limits_and_server_errors_are_retried(world: World) -> None:
    world.box.faults(
        world.service,
        {"rate_limit_rate": 0.5, "error_rate": 0.5, "retry_after": 1, "remaining": 3, "seed": 4},
    )
    with world.engine() as engine:
        report = engine.pull()
    assert not report.failed, report.failed
    statuses = Counter(r["status"] for r in world.requests())
    assert statuses[200] >= 1 and (statuses[429] + statuses[500] + statuses[400]) >= 2, statuses
    assert emulator_keys(world).keys() <= store_keys(world).keys()


def test_bad_token_is_a_clear_auth_error_without_the_secret(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANKBRIDGE_SANDBOX_TOKEN", "wrong-token-value-123")
    with world.engine() as engine:
        report = engine.pull()
    assert report.failed
    message = report.failed[0].error or ""
    assert "wrong-token-value-123" not in message
    assert "Auth" in message or "401" in message or "auth" in message.lower(), message


def test_pull_killed_midway_resumes_to_the_same_state(big_store_world: World) -> None:
    world = big_store_world
    world.box.faults(world.service, {"latency": 0.15})
    env = {**os.environ, "RANKBRIDGE_CONFIG": str(world.config_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "pull"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 20
    while time.time() < deadline and not _has_cursor(world):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    world.box.faults(world.service, {})
    with world.engine() as engine:
        report = engine.pull()
    assert not report.failed
    assert emulator_keys(world).items() <= store_keys(world).items()
    duplicates = world.store_rows(
        "select key, count(*) as n from items where connection = ? group by key having count(*) > 1",
        world.service,
    )
    assert duplicates == []


def _has_cursor(world: World) -> bool:
    if isinstance(world.store_path, Path) and not world.store_path.exists():
        return False
    try:
        return bool(world.store_rows("select count(*) as n from cursors")[0]["n"])
    except (sqlite3.Error, psycopg.Error):  # no store yet, or its tables not yet made
        return False


def test_an_op_kind_the_connector_does_not_declare_is_refused_without_a_request(world: World) -> None:
    """`rules check` trusts each connector's ``op_kinds``: a kind left out is one it really cannot take."""
    item = next(i for i in world.state_items() if not i.get("deleted"))
    with world.engine() as engine:
        engine.pull()
        connector = engine.connectors[world.service]
        native = next(i.native_id for i in engine.store.items(world.service) if i.key == item["key"])
        world.box.reset()
        for kind in sorted({k.value for k in OpKind} - connector.op_kinds):
            payload = {"item": native, "items": [native], "tags": ["x"], "field": "score", "value": 1}
            op = Op(world.service, kind, native, payload, {}, "contract", f"undeclared-{kind}")
            assert not connector.apply(op).ok, kind
    assert not [r for r in world.requests() if r["mutating"]]
