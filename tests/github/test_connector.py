"""The GitHub connector against its emulator over real HTTP: pulls, cursors, writes, verify, errors."""

from __future__ import annotations

import itertools
import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import AuthError, RateLimited, SkippableError
from connectors.github import GithubConfig, GithubConnector
from connectors.github.write import shows_order
from sandbox.github import GithubEmulator
from sync.model import Op, OpKind

GithubFactory = Callable[..., GithubConnector]


def pull_all(
    connector: GithubConnector, cursors: dict[str, str | None] | None = None
) -> dict[str, list[dict]]:
    cursors = cursors if cursors is not None else {}
    out: dict[str, list[dict]] = {}
    started = datetime.now(UTC)
    for stream in connector.streams():
        out[stream] = []
        for page in connector.pull(stream, cursors.get(stream), started):
            out[stream].extend(page.payloads)
            if page.cursor is not None:
                cursors[stream] = page.cursor
    return out


def faults(emulator: GithubEmulator, spec: dict) -> None:
    """Set faults through the emulator's control endpoint, as a test or a person would."""
    request = urllib.request.Request(
        emulator.base_url + "/_sandbox/faults", data=json.dumps(spec).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).close()


def op(kind: str, payload: dict, key: str = "k") -> Op:
    return Op("gh", kind, "scope", payload, {}, "test", key)


def test_construction_sends_nothing(connector: GithubConnector, emulator: GithubEmulator) -> None:
    assert connector.request_count() == 0 and emulator.log == []
    assert connector.streams() == ["issues:acme/api", "issues:acme/app", "project"]


def test_first_pull_skips_pull_requests_and_reads_the_board(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    pulled = pull_all(connector)
    issues = [p for s, rows in pulled.items() if s.startswith("issues:") for p in rows]
    assert len(issues) == sum(1 for i in emulator.world.issues.values() if not i.is_pull)
    assert not any("pull_request" in p for p in issues)
    pulls = sum(1 for i in emulator.world.issues.values() if i.is_pull)
    assert pulls >= len(issues) / 3  # a third of the pages or more were pull requests, all skipped
    blank = [p for p in issues if p["body"] is None]
    assert blank and all(
        connector.normalize(s, p).items[0].body == "" for p in blank for s in ["issues:acme/app"]
    )
    board = [connector.normalize("project", p).items[0] for p in pulled["project"]]
    assert [i.native_id for i in sorted(board, key=connector.order_key)] == [i.key for i in emulator.board()]
    assert all("project_item_id" in i.fields for i in board)
    assert connector.scope_of(board[0]) == "project:acme/1"
    lists = [r for r in emulator.log if r["path"].endswith("/issues")]
    assert all(r["query"]["since"][0].endswith("Z") for r in lists if "since" in r["query"])


def test_noop_repull_costs_one_request_per_stream_then_304s(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    cursors: dict[str, str | None] = {}
    pull_all(connector, cursors)
    for _ in range(2):
        emulator.log.clear()
        pull_all(connector, cursors)
        assert len(emulator.log) == len(connector.streams()), emulator.log
    statuses = sorted(r["status"] for r in emulator.log)
    assert statuses == [200, 304, 304]  # the board (GraphQL) and two unchanged repositories
    assert all(json.loads(c or "{}") for c in cursors.values())


def test_cursor_never_passes_run_start_and_changes_come_back(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    past = datetime(2025, 3, 1, tzinfo=UTC)
    pages = list(connector.pull("issues:acme/app", None, past))
    assert json.loads(pages[-1].cursor or "{}")["since"] <= "2025-03-01T00:00:00Z"
    cursors: dict[str, str | None] = {}
    pull_all(connector, cursors)
    emulator.edit({"key": "acme/app#2", "set": {"title": "Renamed by a person"}})
    again = pull_all(connector, cursors)
    assert [p["title"] for p in again["issues:acme/app"] if p["number"] == 2] == ["Renamed by a person"]


def test_rank_writes_one_mutation_per_moved_item(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    order = connector.current_order("project:acme/1")
    emulator.log.clear()
    last, first, second = order[-1], order[0], order[1]
    moved = op(OpKind.RANK, {"items": [last], "after": first, "before": None, "ranks": {}})
    top = op(OpKind.RANK, {"items": [second], "after": None, "before": first, "ranks": {}}, "k2")
    assert connector.apply(moved).ok and connector.apply(top).ok
    assert [i.key for i in emulator.board()][:3] == [second, first, last]
    names = [r["operation"]["name"] for r in emulator.log if r["mutating"]]
    assert names == ["UpdateItemPosition", "UpdateItemPosition"]
    assert connector.verify([moved, top]) == {"k": True, "k2": True}
    emulator.edit({"key": last, "move": {"after": None}})
    assert connector.verify([moved]) == {"k": False}


def test_score_field_and_status_writes_then_verify(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    target = connector.current_order("project:acme/1")[0]
    score = op(OpKind.FIELD, {"item": target, "field": "score", "value": 87.25}, "score")
    close = op(OpKind.STATUS, {"item": target, "category": "canceled"}, "close")
    assert connector.apply(score).ok and connector.apply(close).ok
    state = {i["key"]: i for i in emulator.state()["items"]}[target]
    assert state["fields"]["Priority score"] == 87.25 and state["status_category"] == "canceled"
    assert connector.verify([score, close]) == {"score": True, "close": True}
    reopen = op(OpKind.STATUS, {"item": target, "category": "todo"}, "reopen")
    assert connector.verify([reopen]) == {"reopen": False}
    assert connector.apply(reopen).ok and connector.verify([reopen]) == {"reopen": True}


def test_status_into_the_project_status_field(
    make_connector: GithubFactory, emulator: GithubEmulator
) -> None:
    connector = make_connector(status_field="Status")
    target = connector.current_order("project:acme/1")[0]
    started = op(OpKind.STATUS, {"item": target, "category": "in_progress"}, "s")
    assert connector.apply(started).ok and connector.verify([started]) == {"s": True}
    assert {i["key"]: i for i in emulator.state()["items"]}[target]["fields"]["Status"] == "In Progress"


def test_add_missing_puts_issues_on_the_board(
    make_connector: GithubFactory, emulator: GithubEmulator
) -> None:
    connector = make_connector(add_missing=True)
    outside = next(
        i for i in emulator.state()["items"] if i["order"] is None and i["status_category"] == "todo"
    )
    first = connector.current_order("project:acme/1")[0]
    placed = op(OpKind.RANK, {"items": [outside["key"]], "after": first, "before": None, "ranks": {}})
    assert connector.apply(placed).ok
    assert [i.key for i in emulator.board()][1] == outside["key"]


def test_comments_and_labels(connector: GithubConnector, emulator: GithubEmulator) -> None:
    note = op(OpKind.COMMENT, {"item": "acme/app#1", "body": "Linked work is done.", "public": False}, "c")
    tags = op(OpKind.TAGS, {"items": ["acme/app#1", "acme/app#2"], "tags": ["customer-request"]}, "t")
    assert connector.apply(note).ok and connector.apply(tags).ok
    assert connector.verify([note, tags]) == {"c": True, "t": True}
    assert "customer-request" in emulator.world.issue("acme/app", 2).labels  # type: ignore[union-attr]


def test_rate_limits_and_server_errors_are_retried(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    faults(emulator, {"rate_limit_rate": 0.5, "error_rate": 0.5, "retry_after": 1, "remaining": 3, "seed": 4})
    pulled = pull_all(connector)
    assert pulled["issues:acme/app"]
    assert {r["status"] for r in emulator.log[:3]} <= {429, 500} and connector.policy.retries >= 3


def test_a_long_retry_after_stops_with_rate_limited(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    faults(emulator, {"rate_limit_rate": 1.0, "retry_after": 30, "remaining": 1})
    with pytest.raises(RateLimited):
        list(connector.pull("issues:acme/app", None, datetime.now(UTC)))


def test_bad_token_is_an_auth_error_without_the_secret(make_connector: GithubFactory) -> None:
    connector = make_connector(token="ghp_wrong_secret_value")
    with pytest.raises(AuthError) as caught:
        list(connector.pull("issues:acme/app", None, datetime.now(UTC)))
    assert "401" in str(caught.value) and "ghp_wrong_secret_value" not in str(caught.value)
    with pytest.raises(AuthError) as checked:
        connector.check()
    assert "ghp_wrong_secret_value" not in str(checked.value)


def test_malformed_payload_is_skippable(connector: GithubConnector, emulator: GithubEmulator) -> None:
    emulator.edit({"key": "acme/app#3", "raw": {"updated_at": "not a time"}})
    payloads = pull_all(connector)["issues:acme/app"]
    bad = next(p for p in payloads if p["number"] == 3)
    with pytest.raises(SkippableError):
        connector.normalize("issues:acme/app", bad)


def test_check_reports_user_and_budget(connector: GithubConnector) -> None:
    report = connector.check()
    assert report["user"] == "octocat" and report["rate_limit_remaining"] > 0


def test_pacer_sees_rate_limit_headers(connector: GithubConnector) -> None:
    list(connector.pull("issues:acme/app", None, datetime.now(UTC) + timedelta(seconds=1)))
    state = connector.policy.pacer.state
    assert state.limit and state.remaining is not None and state.reset_at


def test_mutations_are_spaced_by_min_write_interval(
    make_connector: GithubFactory, emulator: GithubEmulator
) -> None:
    connector = make_connector(policy={"base_wait": 0.01, "max_wait": 5.0, "min_write_interval": 0.2})
    assert GithubConfig(url="http://x", token="t", repos=["a/b"]).policy.min_write_interval == 1.0
    order = connector.current_order("project:acme/1")
    moves = [
        op(OpKind.RANK, {"items": [n], "after": None, "before": None, "ranks": {}}, n) for n in order[3:6]
    ]
    for move in moves:
        assert connector.apply(move).ok
    times = [r["time"] for r in emulator.log if r["mutating"]]
    # Spacing is kept at the sender; arrival times at the emulator jitter by a few milliseconds on a loaded
    # machine, and without spacing the three mutations would arrive within a few milliseconds of each other.
    assert len(times) == 3 and all(b - a >= 0.15 for a, b in itertools.pairwise(times))


def test_verify_of_a_top_run_allows_its_chained_chunks() -> None:
    assert shows_order(["a", "b", "X", "c"], ["a"], None, "X")  # "b" was chained after "a" by the next op
    assert shows_order(["a", "b", "X"], ["b"], "a", None)
    assert not shows_order(["X", "a"], ["a"], None, "X")
    assert not shows_order(["a", "c", "b"], ["b"], "a", None)


def test_an_unchanged_board_is_still_read_whole_after_project_full_read_hours(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    # GitHub does not document that a reorder moves ProjectV2.updatedAt; a whole read every
    # project_full_read_hours (6 by default) bounds how long a person's reorder could go unseen.
    now = datetime.now(UTC) + timedelta(seconds=2)  # a second past the board's updatedAt: settled
    first = list(connector.pull("project", None, now))
    cursor = first[-1].cursor
    assert json.loads(cursor or "{}")["read_at"] <= now.strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator.log.clear()
    soon = list(connector.pull("project", cursor, now + timedelta(hours=5)))
    assert len(emulator.log) == 1 and [p.payloads for p in soon] == [[]] and soon[-1].cursor == cursor
    emulator.log.clear()
    later = list(connector.pull("project", cursor, now + timedelta(hours=7)))
    read = sum(len(p.payloads) for p in later)
    assert read == sum(len(p.payloads) for p in first) == len(emulator.board())
    assert json.loads(later[-1].cursor or "{}")["read_at"] > json.loads(cursor or "{}")["read_at"]


def test_an_edit_in_the_second_of_the_last_whole_read_is_not_missed(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    # updatedAt has whole seconds: after a read that began in the second the board last changed, a later
    # edit in that same second shows the same updatedAt, so the next pull must read the board whole.
    first = list(connector.pull("project", None, datetime.now(UTC)))
    state = json.loads(first[-1].cursor or "{}")
    changed = datetime.fromisoformat(state["updated_at"].replace("Z", "+00:00"))
    unsettled = json.dumps({**state, "read_at": changed.strftime("%Y-%m-%dT%H:%M:%SZ")})
    emulator.log.clear()
    again = list(connector.pull("project", unsettled, changed + timedelta(seconds=2)))
    assert sum(len(p.payloads) for p in again) == len(emulator.board())
    emulator.log.clear()
    quiet = list(connector.pull("project", again[-1].cursor, changed + timedelta(seconds=3)))
    assert len(emulator.log) == 1 and [p.payloads for p in quiet] == [[]]


def test_a_cursor_without_a_whole_read_time_reads_the_board(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    now = datetime.now(UTC)
    first = list(connector.pull("project", None, now))
    updated = json.loads(first[-1].cursor or "{}")["updated_at"]
    for old in ({"updated_at": updated}, {"updated_at": updated, "read_at": "garbage"}):
        pages = list(connector.pull("project", json.dumps(old), now))
        assert sum(len(p.payloads) for p in pages) == len(emulator.board())


def test_a_closed_issue_is_closed_again_with_the_other_reason(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    target = connector.current_order("project:acme/1")[0]
    done = op(OpKind.STATUS, {"item": target, "category": "done", "reason": "completed"}, "done")
    canceled = op(OpKind.STATUS, {"item": target, "category": "canceled", "reason": "not_planned"}, "no")
    emulator.log.clear()
    assert connector.apply(done).ok and connector.verify([done, canceled]) == {"done": True, "no": False}
    assert [r["method"] for r in emulator.log if r["mutating"]] == ["PATCH"]  # open → closed: one write
    emulator.log.clear()
    # GitHub ignores state_reason unless the state changes: closed again through a reopen
    assert connector.apply(canceled).ok
    bodies = [json.loads(r["body"]) for r in emulator.log if r["mutating"]]
    assert [b["state"] for b in bodies] == ["closed", "open", "closed"]
    state = {i["key"]: i for i in emulator.state()["items"]}[target]
    assert state["status_category"] == "canceled"
    assert connector.verify([done, canceled]) == {"done": False, "no": True}
