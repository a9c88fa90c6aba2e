"""The Jira connector against its emulator over real HTTP: pulls (Cloud and Data Center), cursors, the
one-request no-op re-pull, writes and their verification, retries, auth and malformed payloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import Page
from connectors.errors import AuthError, SkippableError
from connectors.jira import JiraConnector
from sandbox.jira.data import Issue
from sandbox.serving import Served
from sync.model import Op
from tests.jira.conftest import ITEMS, TOKEN, control, emulator_of

ZONE = "America/Los_Angeles"  # the emulated API user's zone by default
LEARNED = f"[{ZONE}][epic-link=customfield_10014]"  # what the first pull learns of the site
EARLY = f"2000-01-01T00:00:00.000Z{LEARNED}"  # a cursor before every issue: searches only
Make = Callable[..., JiraConnector]


def pull(connector: JiraConnector, cursor: str | None = None, started: datetime | None = None) -> list[Page]:
    return list(connector.pull("issues", cursor, started or datetime.now(UTC)))


def api_log(served: Served) -> list[dict[str, Any]]:
    return list(control(served, "GET", "/_sandbox/requests"))


def op(kind: str, payload: dict[str, Any], key: str = "op-1") -> Op:
    return Op("jira", kind, "jql", payload, {}, "test", key)


def open_in_rank_order(served: Served) -> list[Issue]:
    return [i for i in emulator_of(served).store.ordered() if i.status not in ("Done", "Won't Do")]


def test_first_pull_reads_everything_in_few_requests(served: Served, make_connector: Make) -> None:
    connector = make_connector(served, max_results=10)
    pages = pull(connector)
    keys = [p["key"] for page in pages for p in page.payloads]
    assert len(keys) == len(set(keys)) == ITEMS
    read = [page for page in pages if page.payloads]
    assert connector.request_count() == len(read) + 2 == ITEMS // 10 + 2  # the searches, myself, field
    cursors = [page.cursor for page in read]
    assert cursors == sorted(cursors)  # type: ignore[type-var]
    newest = max(
        connector.normalize("issues", p).items[0].updated_at for page in pages for p in page.payloads
    )
    assert cursors[-1] == f"{newest}{LEARNED}"  # the user's zone and the Epic Link field, learned once
    # the generated issues were last updated long ago: the cursor then leaves their minute
    assert pages[-1].payloads == [] and pages[-1].cursor is not None and pages[-1].cursor > newest
    version = "3" if emulator_of(served).cloud else "2"
    search = "/rest/api/3/search/jql" if emulator_of(served).cloud else "/rest/api/2/search"
    paths = [entry["path"] for entry in api_log(served)]
    assert paths[:2] == [f"/rest/api/{version}/myself", f"/rest/api/{version}/field"]
    assert set(paths[2:]) == {search}


def test_noop_re_pull_costs_one_request_construction_included(served: Served, make_connector: Make) -> None:
    cursor = pull(make_connector(served))[-1].cursor
    control(served, "POST", "/_sandbox/reset", {})
    fresh = make_connector(served)  # a new run builds a new connector: no serverInfo, no /field
    pages = pull(fresh, cursor)
    assert len(api_log(served)) == fresh.request_count() == 1
    assert pages[0].cursor is None  # nothing newer read: no cursor from the data
    assert all(p.cursor is None or p.cursor > (cursor or "") for p in pages)  # at most a later minute
    assert pages[0].payloads == []  # the last read settled past the issues' minute: nothing re-read


def test_boundary_minute_is_read_again_until_it_settles(served: Served, make_connector: Make) -> None:
    """Without the settled cursor (an index lag longer than the data's age) the closed start re-reads
    the newest issue's minute on every pull; with it, the same no-op pull reads nothing."""
    unsettled = pull(make_connector(served, index_lag=10**9))
    assert unsettled[-1].payloads  # no empty settling page: the cursor stays at the newest update
    control(served, "POST", "/_sandbox/reset", {})
    again = pull(make_connector(served, index_lag=10**9), unsettled[-1].cursor)
    assert len(api_log(served)) == 1 and again[0].payloads  # the newest issue's minute, read again
    settled = pull(make_connector(served))[-1].cursor
    control(served, "POST", "/_sandbox/reset", {})
    quiet = pull(make_connector(served), settled)
    assert len(api_log(served)) == 1 and not any(p.payloads for p in quiet)


def test_incremental_pull_sees_an_edit(served: Served, make_connector: Make) -> None:
    connector = make_connector(served)
    cursor = pull(connector)[-1].cursor
    key = control(served, "GET", "/_sandbox/state")["items"][3]["key"]
    control(served, "POST", "/_sandbox/edit", {"key": key, "set": {"title": "Edited by a person"}})
    pages = pull(connector, cursor)
    titles = {p["key"]: p["fields"]["summary"] for page in pages for p in page.payloads}
    assert titles[key] == "Edited by a person"
    assert pages[-1].cursor is not None and pages[-1].cursor > (cursor or "")


def test_cursor_never_passes_the_run_start(cloud: Served, make_connector: Make) -> None:
    items = sorted(emulator_of(cloud).store.all(), key=lambda i: i.updated)
    started = datetime.fromtimestamp(items[len(items) // 2].updated, UTC)
    pages = pull(make_connector(cloud), None, started)
    stamp = started.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert pages[-1].cursor == f"{stamp}{LEARNED}"


def test_rank_write_then_verify_and_current_order(served: Served, make_connector: Make) -> None:
    connector = make_connector(served)
    ordered = open_in_rank_order(served)
    anchor, moving = ordered[1], [str(ordered[-1].id), str(ordered[-2].id)]
    rank = op("rank", {"items": moving, "after": str(anchor.id), "before": None, "ranks": {}})
    assert connector.verify([rank]) == {"op-1": False}
    result = connector.apply(rank)
    assert result.ok and not result.failed
    assert connector.verify([rank]) == {"op-1": True}
    live = connector.current_order("jql")
    assert live[:4] == [str(ordered[0].id), str(anchor.id), *moving]
    assert [e["path"] for e in api_log(served)].count("/rest/agile/1.0/issue/rank") == 1
    with pytest.raises(KeyError):
        connector.current_order("board-7")


def test_rank_207_reports_per_issue_failures(cloud: Served, make_connector: Make) -> None:
    connector = make_connector(cloud)
    ordered = open_in_rank_order(cloud)
    anchor = str(ordered[0].id)
    result = connector.apply(
        op(
            "rank",
            {"items": [str(ordered[3].id), anchor, "99999"], "after": anchor, "before": None, "ranks": {}},
        )
    )
    assert not result.ok
    assert set(result.failed) == {anchor, "99999"}
    assert "relative to itself" in result.failed[anchor]


def test_rank_field_is_looked_up_once_for_reads_and_writes(cloud: Served, make_connector: Make) -> None:
    """Without rank_field the Rank field is found (by its type) before the first search, so pulled issues
    carry their rank: otherwise every sync would see no order and send the same moves again."""
    connector = make_connector(cloud, rank_field=None)
    pages = pull(connector)
    items = [i for page in pages for p in page.payloads for i in connector.normalize("issues", p).items]
    assert items and all(i.native_rank for i in items)
    ordered = open_in_rank_order(cloud)
    for n in range(2):
        moved = op(
            "rank",
            {"items": [str(ordered[-1 - n].id)], "before": str(ordered[0].id), "after": None, "ranks": {}},
            key=f"op-{n}",
        )
        assert connector.apply(moved).ok
    paths = [e["path"] for e in api_log(cloud)]
    assert paths.count("/rest/api/3/field") == 1
    assert paths.index("/rest/api/3/field") < paths.index("/rest/api/3/search/jql")


def test_a_field_given_by_name_is_read_and_written_by_its_id(cloud: Served, make_connector: Make) -> None:
    connector = make_connector(cloud, score_field="Priority score", fields={"Points": "story points"})
    pages = pull(connector)
    assert connector.config.score_field == "customfield_10050"
    assert connector.config.fields == {"Points": "customfield_10016"}
    issue = next(p for page in pages for p in page.payloads)
    result = connector.apply(op("field", {"item": str(issue["id"]), "field": "score", "value": 2.5}))
    assert result.ok, result.detail
    shown = op("field", {"item": str(issue["id"]), "field": "score", "value": 2.5}, key="shown")
    assert connector.verify([shown]) == {"shown": True}


def test_score_field_write_and_verify(served: Served, make_connector: Make) -> None:
    connector = make_connector(served)
    target = open_in_rank_order(served)[0]
    write = op("field", {"item": str(target.id), "field": "score", "value": 73.25})
    assert connector.verify([write]) == {"op-1": False}
    result = connector.apply(write)
    assert result.ok and result.after == {"score": 73.25}
    assert target.custom["customfield_10050"] == 73.25
    assert connector.verify([write]) == {"op-1": True}
    puts = [e for e in api_log(served) if e["method"] == "PUT"]
    assert puts[0]["query"] == {"notifyUsers": ["false"]}
    missing = connector.apply(op("field", {"item": "99999", "field": "score", "value": 1}))
    assert not missing.ok and "404" in missing.detail


@pytest.mark.parametrize(
    ("category", "status", "hops"),
    [("done", "Done", 2), ("canceled", "Won't Do", 1), ("in_progress", "In Progress", 1)],
)
def test_status_write_follows_transitions(
    cloud: Served, make_connector: Make, category: str, status: str, hops: int
) -> None:
    connector = make_connector(cloud)
    target = next(i for i in emulator_of(cloud).store.ordered() if i.status == "To Do")
    write = op("status", {"item": target.key, "category": category})
    result = connector.apply(write)
    assert result.ok, result.detail
    assert target.status == status and result.after["status"] == status
    posts = [e for e in api_log(cloud) if e["method"] == "POST" and e["path"].endswith("/transitions")]
    assert len(posts) == hops
    assert connector.verify([write]) == {"op-1": True}


def test_comment_and_tags(cloud: Served, make_connector: Make) -> None:
    connector = make_connector(cloud)
    target = open_in_rank_order(cloud)[0]
    assert connector.apply(op("comment", {"item": str(target.id), "body": "Ranked #1", "public": False})).ok
    tags = op("tags", {"items": [str(target.id)], "tags": ["rankbridge"]})
    assert connector.apply(tags).ok and "rankbridge" in target.labels
    assert connector.verify([tags]) == {"op-1": True}
    assert target.comments[0]["body"]["type"] == "doc"


def test_rate_limits_and_server_errors_are_retried(cloud: Served, make_connector: Make) -> None:
    served = cloud
    control(
        served,
        "POST",
        "/_sandbox/faults",
        {"rate_limit_rate": 0.5, "error_rate": 0.5, "retry_after": 1, "remaining": 3, "seed": 4},
    )
    connector = make_connector(served, max_results=20)
    pages = pull(connector, EARLY)
    assert sum(len(p.payloads) for p in pages) == ITEMS
    statuses = [e["status"] for e in api_log(served)]
    assert statuses.count(200) == 2 and len(statuses) == 5
    assert connector.policy.retries == 3


def test_malformed_json_body_is_retried(cloud: Served, make_connector: Make) -> None:
    control(cloud, "POST", "/_sandbox/faults", {"malformed_rate": 0.5, "seed": 4})
    connector = make_connector(cloud)
    assert sum(len(p.payloads) for p in pull(connector, EARLY)) == ITEMS
    assert connector.request_count() == connector.policy.retries + 1 >= 2


def test_bad_token_is_an_auth_error_without_the_secret(served: Served, make_connector: Make) -> None:
    connector = make_connector(served, token="wrong-secret-4242")
    with pytest.raises(AuthError) as caught:
        pull(connector)
    assert "401" in str(caught.value) and "wrong-secret-4242" not in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert connector.request_count() == 1  # auth failures are not retried


def test_malformed_payload_is_skippable_and_the_pull_goes_on(cloud: Served, make_connector: Make) -> None:
    key = control(cloud, "GET", "/_sandbox/state")["items"][0]["key"]
    control(cloud, "POST", "/_sandbox/edit", {"key": key, "raw": {"fields": {"status": "broken"}}})
    connector = make_connector(cloud)
    payloads = [p for page in pull(connector) for p in page.payloads]
    assert len(payloads) == ITEMS
    bad = next(p for p in payloads if p["key"] == key)
    with pytest.raises(SkippableError, match=key):
        connector.normalize("issues", bad)
    good = [connector.normalize("issues", p) for p in payloads if p["key"] != key]
    assert len(good) == ITEMS - 1


def test_classic_priorities_and_a_word_for_an_estimate(
    cloud: Served, make_connector: Make, caplog: pytest.LogCaptureFixture
) -> None:
    """Real values: the classic priority names map to levels by default; a non-number in the estimate
    field leaves the estimate empty, is reported, and the issue is kept."""
    items = control(cloud, "GET", "/_sandbox/state")["items"]
    classic = {
        items[0]["key"]: ("Blocker", 1),
        items[1]["key"]: ("Major", 3),
        items[2]["key"]: ("Trivial", 4),
    }
    for key, (name, _) in classic.items():
        control(
            cloud, "POST", "/_sandbox/edit", {"key": key, "raw": {"fields": {"priority": {"name": name}}}}
        )
    worded = items[3]["key"]
    control(
        cloud, "POST", "/_sandbox/edit", {"key": worded, "raw": {"fields": {"customfield_10016": "three"}}}
    )
    connector = make_connector(cloud)
    normalised = {
        p["key"]: connector.normalize("issues", p).items[0] for page in pull(connector) for p in page.payloads
    }
    assert len(normalised) == ITEMS  # nothing quarantined
    for key, (name, level) in classic.items():
        assert (normalised[key].priority, normalised[key].priority_level) == (name, level)
    assert normalised[worded].estimate is None
    assert f"jira issue {worded}: estimate 'three' is not a number" in caplog.text


def test_check_reports_user_deployment_and_budget(served: Served, make_connector: Make) -> None:
    report = make_connector(served).check()
    assert report["auth"] is True and report["user"] == "RankBridge Bot"
    assert report["deployment"] == ("Cloud" if emulator_of(served).cloud else "Server")
    assert report["rate_limit_remaining"] is not None


def test_scope_and_order_key(cloud: Served, make_connector: Make) -> None:
    connector = make_connector(cloud)
    items = [connector.normalize("issues", p).items[0] for page in pull(connector) for p in page.payloads]
    assert [s.name for s in connector.scopes()] == ["jql"] and connector.scopes()[0].max_batch == 50
    in_scope = [i for i in items if connector.scope_of(i) == "jql"]
    assert {i.status_category for i in in_scope} <= {"backlog", "todo", "in_progress"}
    by_rank = [i.native_id for i in sorted(in_scope, key=connector.order_key)]
    assert by_rank == connector.current_order("jql")
    assert datetime.fromisoformat(items[0].updated_at.replace("Z", "+00:00")) < datetime.now(UTC) + timedelta(
        1
    )


def test_datacenter_paging_misses_nothing_when_a_read_issue_is_edited_mid_pull(
    datacenter: Served, make_connector: Make
) -> None:
    # Editing an issue already read moves it to the end of the `updated` order and every later issue up
    # one place: plain startAt paging would skip the issue that crossed the page boundary.
    connector = make_connector(datacenter, max_results=10)
    pages = connector.pull("issues", None, datetime.now(UTC) + timedelta(minutes=5))
    first = next(pages)
    read = [p["key"] for p in first.payloads]
    control(datacenter, "POST", "/_sandbox/edit", {"key": read[2], "set": {"title": "Edited mid-pull"}})
    read += [p["key"] for page in pages for p in page.payloads]
    assert set(read) == {i.key for i in emulator_of(datacenter).store.all()}
    assert len(set(read)) == ITEMS
    searches = [e for e in api_log(datacenter) if e["path"] == "/rest/api/2/search"]
    assert len(searches) <= ITEMS // 10 + 2  # the shift costs one search again from the cursor


def test_datacenter_pages_overlap_by_one_issue_without_extra_requests(
    datacenter: Served, make_connector: Make
) -> None:
    connector = make_connector(datacenter, max_results=10)
    keys = [p["key"] for page in pull(connector) for p in page.payloads]
    assert len(keys) == len(set(keys)) == ITEMS
    starts = [int(e["query"]["startAt"][0]) for e in api_log(datacenter) if e["path"] == "/rest/api/2/search"]
    assert starts == [0, 9, 19, 29]
