"""The Linear connector against its emulator over real HTTP: pulls, cursors, writes, verify, failures."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import AuthError, SkippableError
from connectors.linear import LinearConnector
from sandbox.linear import LinearEmulator
from sync.model import Op
from sync.model import parse_utc as parse_time
from sync.plan.moves import minimal_moves


def pull_all(
    connector: LinearConnector, cursors: dict[str, str | None], run_started: datetime
) -> dict[str, list]:
    out: dict[str, list] = {}
    for stream in connector.streams():
        payloads = []
        for page in connector.pull(stream, cursors.get(stream), run_started):
            payloads.extend(page.payloads)
            if page.cursor is not None:
                cursors[stream] = page.cursor
        out[stream] = payloads
    return out


def writes(emulator: LinearEmulator) -> list[dict]:
    return [e for e in emulator.log if e["operation"] and e["operation"]["name"] == "IssueUpdate"]


def op(kind: str, scope: str, payload: dict, key: str) -> Op:
    return Op("lin", kind, scope, payload, {}, "test", key)


def test_first_pull_then_noop_resync_costs_one_request_per_stream(
    make_connector: Callable[..., LinearConnector], emulator: LinearEmulator
) -> None:
    connector = make_connector(page_size=15, small_page_size=5)
    cursors: dict[str, str | None] = {}
    started = datetime.now(UTC)
    first = pull_all(connector, cursors, started)
    assert len(first["issues"]) == 40 and len(first["teams"]) == 2
    assert len(first["customer_needs"]) == len(emulator.data.needs)
    assert len({p["id"] for p in first["issues"]}) == 40
    assert all(parse_time(c) <= started for c in cursors.values() if c)
    for stream, payloads in first.items():
        for payload in payloads:
            connector.normalize(stream, payload)
    fresh = make_connector(page_size=15, small_page_size=5)  # construction included
    pull_all(fresh, dict(cursors), datetime.now(UTC))
    assert fresh.request_count() == len(fresh.streams()) == 6


def test_cursor_overlap_rereads_the_same_millisecond_and_never_passes_run_start(
    connector: LinearConnector, emulator: LinearEmulator
) -> None:
    pages = list(connector.pull("issues", None, datetime.now(UTC)))
    newest = max(emulator.data.issues.values(), key=lambda i: i["updatedAt"])
    read_cursor = [page.cursor for page in pages if page.payloads][-1]
    assert read_cursor == newest["updatedAt"]
    again = [p for page in connector.pull("issues", read_cursor, datetime.now(UTC)) for p in page.payloads]
    assert newest["id"] in {p["id"] for p in again}  # gt is open: the overlap re-reads the cursor's item
    # the generated issues were last updated long ago: the read settles past them, and then reads nothing
    settled = pages[-1].cursor
    assert pages[-1].payloads == [] and settled is not None and settled > read_cursor
    assert not [p for page in connector.pull("issues", settled, datetime.now(UTC)) for p in page.payloads]
    past = datetime.now(UTC) - timedelta(days=1000)
    pages = list(connector.pull("issues", None, past))
    assert pages[-1].cursor == past.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_an_edit_is_picked_up_incrementally(connector: LinearConnector, emulator: LinearEmulator) -> None:
    cursors: dict[str, str | None] = {}
    pull_all(connector, cursors, datetime.now(UTC))
    key = next(iter(emulator.data.by_identifier))
    emulator.edit({"key": key, "set": {"title": "Edited by a person"}})
    changed = [
        p for page in connector.pull("issues", cursors["issues"], datetime.now(UTC)) for p in page.payloads
    ]
    assert [p["title"] for p in changed if p["identifier"] == key] == ["Edited by a person"]


def scope_of_300(emulator: LinearEmulator) -> None:
    """Regenerate so that team ENG holds exactly 300 open issues (the rest are closed as a person would)."""
    emulator.data.__init__()  # type: ignore[misc]
    emulator.generate(900, 9, [])
    open_eng = emulator.state()["orders"]["ENG"]
    for issue_id in open_eng[300:]:
        emulator.edit(
            {"key": emulator.data.issues[issue_id]["identifier"], "set": {"status_category": "done"}}
        )


def ten_moves(current: list[str], seed: int) -> list[str]:
    """``current`` with ten issues moved: three to the top, three to the bottom, four into the middle."""
    rng = random.Random(seed)
    desired = list(current)
    for n, moved in enumerate(rng.sample(current, 10)):
        desired.remove(moved)
        desired.insert(0 if n < 3 else len(desired) if n < 6 else rng.randrange(1, len(desired)), moved)
    return desired


def test_reordering_300_issues_with_10_moves_sends_10_writes(
    make_connector: Callable[..., LinearConnector], emulator: LinearEmulator
) -> None:
    scope_of_300(emulator)
    connector = make_connector(teams=["ENG"])
    current = connector.current_order("ENG")
    desired = ten_moves(current, seed=2)
    moves = minimal_moves(current, desired, connector.scopes()[0].max_batch)
    ranks = {i: repr(emulator.data.issues[i]["sortOrder"]) for i in current}
    emulator.log.clear()
    for n, move in enumerate(moves):
        anchors = [a for a in (move.after, move.before) if a]
        payload = {
            "items": move.items,
            "after": move.after,
            "before": move.before,
            "ranks": {i: ranks[i] for i in [*move.items, *anchors]},
        }
        result = connector.apply(op("rank", "ENG", payload, f"r{n}"))
        assert result.ok, result
    sent = writes(emulator)
    reads = len(emulator.log) - len(sent)
    moved = sum(len(move.items) for move in moves)
    assert (len(current), moved, len(sent)) == (300, 10, 10)  # one issueUpdate per moved issue
    assert reads <= 2  # one read of the team's order (two pages of 250), reused across the ops
    assert emulator.state()["orders"]["ENG"] == desired
    assert connector.current_order("ENG") == desired
    print(
        f"\nLinear reorder: {len(current)} issues, {moved} moves, {len(sent)} issueUpdate calls, "
        f"{reads} reads"
    )


def test_rank_to_top_and_bottom_and_verify(connector: LinearConnector, emulator: LinearEmulator) -> None:
    order = connector.current_order("DES")
    top = op(
        "rank", "DES", {"items": [order[-1], order[-2]], "after": None, "before": order[0], "ranks": {}}, "t"
    )
    bottom = op("rank", "DES", {"items": [order[1]], "after": order[-3], "before": None, "ranks": {}}, "b")
    assert connector.verify([top, bottom]) == {"t": False, "b": False}
    assert connector.apply(top).ok and connector.apply(bottom).ok
    live = connector.current_order("DES")
    assert live[:3] == [order[-1], order[-2], order[0]] and live[-1] == order[1]
    assert connector.verify([top, bottom]) == {"t": True, "b": True}


def test_priority_and_status_writes_then_verify(connector: LinearConnector, emulator: LinearEmulator) -> None:
    issue = next(i for i in emulator.data.issues.values() if emulator.data.is_open(i) and i["priority"] != 1)
    priority = op("field", issue["id"], {"item": issue["id"], "field": "priority", "value": 1}, "p")
    status = op("status", issue["id"], {"item": issue["id"], "category": "done"}, "s")
    assert connector.verify([priority, status]) == {"p": False, "s": False}
    before = issue["updatedAt"]
    assert connector.apply(priority).ok and connector.apply(status).ok
    assert issue["priority"] == 1 and emulator.data.states[issue["_state"]]["type"] == "completed"
    assert issue["updatedAt"] > before
    assert connector.verify([priority, status]) == {"p": True, "s": True}
    unsupported = connector.apply(
        op("field", issue["id"], {"item": issue["id"], "field": "score", "value": 3}, "x")
    )
    assert not unsupported.ok and "priority" in unsupported.detail


def test_status_uses_team_states_from_the_teams_stream(
    connector: LinearConnector, emulator: LinearEmulator
) -> None:
    list(connector.pull("teams", None, datetime.now(UTC)))
    assert set(connector.writer.team_states) == {"ENG", "DES"}
    issue = next(i for i in emulator.data.issues.values() if emulator.data.is_open(i))
    result = connector.apply(op("status", issue["id"], {"item": issue["id"], "category": "canceled"}, "c"))
    assert result.ok and emulator.data.states[issue["_state"]]["name"] == "Canceled"


def test_rate_limits_and_server_errors_are_retried(
    connector: LinearConnector, emulator: LinearEmulator
) -> None:
    emulator.faults.__init__(rate_limit_rate=0.5, error_rate=0.5, retry_after=0.05, remaining=4, seed=3)  # type: ignore[misc]
    payloads = [p for page in connector.pull("issues", None, datetime.now(UTC)) for p in page.payloads]
    assert len(payloads) == 40
    statuses = Counter(e["status"] for e in emulator.log)
    assert statuses[400] >= 1 and statuses[500] >= 1 and statuses[200] >= 1, statuses
    assert connector.policy.retries >= 2


def test_ratelimited_waits_until_the_reset_header(
    connector: LinearConnector, emulator: LinearEmulator
) -> None:
    emulator.faults.__init__(rate_limit_rate=1.0, retry_after=0.4, remaining=1)  # type: ignore[misc]
    started = time.monotonic()
    assert connector.check()["user"]
    assert time.monotonic() - started >= 0.3  # X-RateLimit-Requests-Reset honoured, no Retry-After sent
    assert [e["status"] for e in emulator.log] == [400, 200]


def test_pacer_slows_down_before_the_budget_runs_out(
    connector: LinearConnector, emulator: LinearEmulator
) -> None:
    emulator.budget.__init__(limit=3, window=0.6)  # type: ignore[misc]
    for _ in range(5):
        assert connector.check()["user"]
    assert connector.policy.pacer.state.limit == 3


def test_wrong_key_is_an_auth_error_without_the_key(make_connector: Callable[..., LinearConnector]) -> None:
    connector = make_connector(api_key="lin_api_wrong_secret_value")
    with pytest.raises(AuthError) as caught:
        list(connector.pull("issues", None, datetime.now(UTC)))
    assert "lin_api_wrong_secret_value" not in str(caught.value)
    assert connector.request_count() == 1  # not retried


def test_malformed_payload_from_the_tracker_is_skippable(
    connector: LinearConnector, emulator: LinearEmulator
) -> None:
    key = next(iter(emulator.data.by_identifier))
    emulator.edit({"key": key, "raw": {"dueDate": "next tuesday"}})
    payloads = [p for page in connector.pull("issues", None, datetime.now(UTC)) for p in page.payloads]
    bad = next(p for p in payloads if p["identifier"] == key)
    with pytest.raises(SkippableError, match=key):
        connector.normalize("issues", bad)
    assert all(connector.normalize("issues", p).items for p in payloads if p["identifier"] != key)


def test_check_reports_user_and_budget(connector: LinearConnector) -> None:
    report = connector.check()
    assert report["user"] == "ada@example.com"
    assert report["rate_limit_remaining"] is not None and report["complexity"] is not None
