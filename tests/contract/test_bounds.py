"""The contract's bounds against hostile and broken servers (issue 14 items 4 and 5), for every connector,
through its emulator's fault injector over real HTTP: pagination that loops or never ends, a body trickled
a byte at a time, record lists that are null, a redirect or an empty answer instead of a page, a value
nested thousands deep."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import Connector
from connectors.errors import DeadlineExceeded, PageCapReached, PaginationLoop, UnknownStream
from connectors.registry import build
from sync.store import Store
from tests.contract.conftest import World

# Page-size settings by name: whichever a service's config has is made small, so that a few dozen records
# take several pages.
SMALL_PAGES = {"max_results": 5, "page_size": 5, "small_page_size": 5}


def connector(world: World, policy: dict[str, Any] | None = None, **settings: Any) -> Connector:
    section = world.config().connections[world.service]
    fields = type(section).model_fields
    update = {k: v for k, v in {**SMALL_PAGES, **settings}.items() if k in fields}
    if policy:
        update["policy"] = section.policy.model_copy(update=policy)
    return build(world.service, section.model_copy(update=update))


def busiest_stream(world: World, conn: Connector) -> tuple[str, int]:
    """The stream that takes the most pages, and how many (read once, without faults)."""
    now = datetime.now(UTC)
    pages = {s: sum(1 for page in conn.pull(s, None, now) if page.payloads) for s in conn.streams()}
    stream = max(pages, key=lambda s: pages[s])
    return stream, pages[stream]


def stored(world: World) -> tuple[set[str], list[dict[str, Any]], list[dict[str, Any]]]:
    store = Store(world.store_path)
    try:
        keys = {i.key for i in store.items(world.service)}
        return keys, store.cursors(), store.quarantine()
    finally:
        store.close()


def test_a_repeated_earlier_cursor_stops_the_stream(world: World) -> None:
    conn = connector(world)
    stream, pages = busiest_stream(world, conn)
    assert pages >= 3, f"{stream} reads in {pages} page(s): too few to loop"
    world.box.reset(world.service)
    # From the third answer on, each page of the endpoint is its first page again: the server sends the
    # client back to the second page's cursor, token or link, which is not the last one it sent.
    world.box.faults(world.service, {"loop_after": 2})
    with pytest.raises(PaginationLoop, match="repeat an earlier request"):
        list(conn.pull(stream, None, datetime.now(UTC)))
    assert len(world.requests()) <= 4, "the loop was not stopped at the first repeated request"
    conn.close()


def test_a_stream_stops_at_its_page_cap(world: World) -> None:
    probe = connector(world)
    stream, _ = busiest_stream(world, probe)
    probe.close()
    conn = connector(world, stream_max_pages={stream: 2})
    world.box.reset(world.service)
    with pytest.raises(PageCapReached, match="more than 2 pages"):
        list(conn.pull(stream, None, datetime.now(UTC)))
    # A first Jira pull asks its user's zone (myself) and its Epic Link field (field) first
    assert len(world.requests()) == 2 + 2 * (world.service == "jira")
    conn.close()


def test_a_trickled_body_hits_the_request_deadline(world: World) -> None:
    conn = connector(world, policy={"deadline": 1.0, "attempts": 1, "timeout": 5.0})
    world.box.faults(world.service, {"trickle": 40})
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        list(conn.pull(conn.streams()[0], None, datetime.now(UTC)))
    assert time.monotonic() - started < 4.0
    conn.close()


def test_null_record_lists_fail_the_stream_and_keep_the_cursor(world: World) -> None:
    world.box.faults(world.service, {"null_records": True})
    with world.engine() as engine:
        report = engine.pull()
    assert report.failed and all("WrongShape" in (s.error or "") for s in report.failed), report.failed
    keys, cursors, _ = stored(world)
    assert not keys and not cursors  # nothing stored, no cursor moved: the next pull reads it all
    world.box.faults(world.service, {})
    with world.engine() as engine:
        assert not engine.pull().failed
    expected = {i["key"] for i in world.state_items() if not i.get("deleted")}
    assert expected <= stored(world)[0]


@pytest.mark.parametrize("shape", ["redirect", "empty"])
def test_a_redirect_or_an_empty_answer_fails_the_pull(world: World, shape: str) -> None:
    world.box.faults(world.service, {"shape": shape})
    with world.engine() as engine:
        report = engine.pull()
    assert report.failed and all(s.error for s in report.failed)
    if shape == "redirect":
        assert any("redirect" in (s.error or "") for s in report.failed), report.failed
        assert not any(r["path"].startswith("/moved") for r in world.requests())
    keys, cursors, _ = stored(world)
    assert not keys and not cursors


def test_a_record_nested_thousands_deep_is_quarantined(world: World) -> None:
    marker = "rankbridge-deep-title"
    target = next(i for i in world.state_items() if not i.get("deleted"))
    world.box.edit(world.service, {"key": target["key"], "set": {"title": marker}})
    world.box.faults(world.service, {"deep_marker": marker, "deep_depth": 3000})
    with world.engine() as engine:
        report = engine.pull()
    assert not report.failed, report.failed
    keys, _, quarantine = stored(world)
    assert quarantine, "the deep record was not quarantined"
    # Records that embed the deep title (a linked issue's summary) are quarantined with it; every other
    # record is stored, and none is lost without a quarantine row.
    expected = {i["key"] for i in world.state_items() if not i.get("deleted")}
    missing = expected - keys
    assert target["key"] in missing and len(missing) <= len(quarantine) and len(keys) >= len(expected) // 2


def test_an_unknown_stream_is_the_same_error_everywhere(world: World) -> None:
    conn = connector(world)
    with pytest.raises(UnknownStream, match="no stream 'no-such-stream'"):
        list(conn.pull("no-such-stream", None, datetime.now(UTC)))
    with pytest.raises(UnknownStream, match="no stream 'no-such-stream'"):
        conn.normalize("no-such-stream", {"id": 1})
    conn.close()
