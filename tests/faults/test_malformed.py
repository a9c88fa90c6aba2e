"""Malformed payloads: every normaliser, fed real emulator payloads mutated by hypothesis (keys dropped, wrong
types, nulls, huge and odd unicode strings), returns records or raises SkippableError, never anything else;
and a pull over malformed records quarantines them and completes."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import Connector
from connectors.errors import SkippableError
from connectors.registry import build
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.config import load
from sync.model import Records
from sync.store import Store
from tests.faults.conftest import SERVICES, make_fault_world

Payloads = dict[str, list[tuple[str, dict[str, Any]]]]


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Connector], Payloads]]:
    """Real payloads of every stream of every connector, read from the emulators over HTTP."""
    box = Sandbox.start(list(SERVICES), items=8, seed=17)
    previous = os.environ.get(TOKEN_ENV)
    os.environ[TOKEN_ENV] = box.token
    try:
        config = load(box.write_config(tmp_path_factory.mktemp("m") / "rb.toml", "unused.db"))
        connectors = {name: build(name, c) for name, c in config.connections.items()}
        payloads: Payloads = {}
        for name, connector in connectors.items():
            found = payloads.setdefault(name, [])
            for stream in connector.streams():
                for page in connector.pull(stream, None, datetime.now(UTC)):
                    found.extend((stream, p) for p in page.payloads[:4])
            assert found, name
        yield connectors, payloads
    finally:
        for connector in locals().get("connectors", {}).values():
            connector.close()
        box.stop()
        if previous is not None:
            os.environ[TOKEN_ENV] = previous


ODD_TEXT = st.sampled_from(
    ["", "\x00", "\u202eevil\u202c", "💥🦄" * 50, "x" * 20_000, "\ud7ff\ufffe", "null", "-1", "1e309", "ENG-"]
)
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.lists(st.none(), min_size=1, max_size=2),
    st.builds(dict),
)


def containers(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every dict and list inside ``value`` (itself included)."""
    if isinstance(value, dict):
        yield path
        for key, child in value.items():
            yield from containers(child, (*path, key))
    elif isinstance(value, list):
        yield path
        for index, child in enumerate(value):
            yield from containers(child, (*path, index))


def at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


@st.composite
def mutated(draw: st.DrawFn, payload: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(payload)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        paths = list(containers(result))
        target = at(result, draw(st.sampled_from(paths)))
        keys = list(target.keys()) if isinstance(target, dict) else list(range(len(target)))
        if not keys:
            continue
        key = draw(st.sampled_from(keys))
        if isinstance(target, dict) and draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(WRONG)
    return result


@pytest.mark.parametrize("service", SERVICES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_normalize_returns_records_or_skippable(
    captured: tuple[dict[str, Connector], Payloads], service: str, data: st.DataObject
) -> None:
    connectors, payloads = captured
    stream, payload = data.draw(st.sampled_from(payloads[service]))
    bad = data.draw(mutated(payload))
    try:
        result = connectors[service].normalize(stream, bad)
    except SkippableError:
        return
    assert isinstance(result, Records)


@pytest.mark.parametrize("service", SERVICES)
def test_not_a_mapping_at_all_is_skippable(
    captured: tuple[dict[str, Connector], Payloads], service: str
) -> None:
    connectors, payloads = captured
    stream = payloads[service][0][0]
    for junk in (None, [], "issue", 42, [{"id": 1}]):
        with pytest.raises(SkippableError):
            connectors[service].normalize(stream, junk)  # type: ignore[arg-type]


def test_a_pull_over_malformed_records_quarantines_them_and_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_fault_world(tmp_path, monkeypatch, list(SERVICES), items=8)
    try:
        broken: dict[str, str] = {}
        for service in world.services:
            key = world.box.state(service)["items"][0]["key"]
            world.box.edit(service, {"key": key, "raw": world.box.emulator(service).BROKEN_RAW})
            broken[service] = key
        with world.engine() as engine:
            report = engine.pull()
        assert not report.failed, [s.error for s in report.failed]
        store = Store(world.store_path)
        try:
            reasons = store.quarantine()
            quarantined = {q["connection"] for q in reasons}
        finally:
            store.close()
        assert quarantined == set(world.services), reasons
    finally:
        world.box.stop()
