"""Jira Cloud's three rate limits in the emulator (developer.atlassian.com/cloud/jira/platform/rate-limiting/)
and the connector under them: the burst bucket per endpoint and method, the per-issue write limit, and an
app's hourly points quota; the connector waits out what it can and stops, without hammering, on what it
cannot (a quota spent until the top of the hour)."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from connectors.errors import RateLimited
from connectors.jira.client import points_quota
from sandbox.framework import Request, Response
from sandbox.jira import JiraEmulator
from sandbox.serving import Served
from tests.jira.conftest import FAST_POLICY, TOKEN, control, emulator_of
from tests.jira.test_jira_connector import Make, api_log, pull


def _emulator(**options: Any) -> JiraEmulator:
    emulator = JiraEmulator(TOKEN, **options)
    emulator.generate(12, 3, [])
    return emulator


def _send(emulator: JiraEmulator, method: str, path: str, body: Any = None) -> Response:
    auth = base64.b64encode(f"{emulator.email}:{TOKEN}".encode()).decode()
    headers = {"authorization": f"Basic {auth}", "content-type": "application/json"}
    data = json.dumps(body).encode() if body is not None else b""
    response = emulator.handle(Request(method, path, {}, headers, data))
    assert response is not None
    return response


def _retry_after(response: Response) -> int:
    return int(response.headers["Retry-After"])


def test_the_burst_bucket_is_per_endpoint_and_method_at_the_documented_rate() -> None:
    """GET 100 requests a second by default, ``GET /issue/{issueIdOrKey}`` 150 (its custom bucket); past
    them 429 ``jira-burst-based`` with ``Retry-After``, ``X-RateLimit-Reset``; other endpoints unaffected."""
    emulator = _emulator()
    answers = [_send(emulator, "GET", "/rest/api/3/myself") for _ in range(130)]
    refused = [a for a in answers if a.status == 429]
    assert 0 < len(refused) <= 30  # about 100 pass in the first second (a few more refill meanwhile)
    first = answers[0]
    assert first.headers["X-RateLimit-Limit"] == "100" and first.headers["X-RateLimit-Remaining"] == "99"
    assert "X-RateLimit-Reset" not in first.headers and "RateLimit-Reason" not in first.headers
    limited = refused[0]
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based" and _retry_after(limited) == 1
    reset = datetime.fromisoformat(limited.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert 0 <= reset.timestamp() - time.time() <= 2
    assert limited.headers["X-RateLimit-NearLimit"] == "true"
    assert json.loads(limited.encoded())["errorMessages"]
    key = emulator.store.ordered()[0].key
    issue = _send(emulator, "GET", f"/rest/api/3/issue/{key}")
    assert issue.status == 200 and issue.headers["X-RateLimit-Limit"] == "150"
    assert "RateLimit" not in issue.headers  # an API token is charged no points


def test_a_write_limit_per_issue_of_20_in_2_seconds() -> None:
    emulator = _emulator()
    one, other = (i.key for i in emulator.store.ordered()[:2])
    edit = {"fields": {"labels": ["x"]}}
    answers = [_send(emulator, "PUT", f"/rest/api/3/issue/{one}", edit) for _ in range(21)]
    assert [a.status for a in answers[:20]] == [204] * 20
    assert answers[20].status == 429
    assert answers[20].headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert 1 <= _retry_after(answers[20]) <= 2
    assert _send(emulator, "PUT", f"/rest/api/3/issue/{other}", edit).status == 204  # another issue: fine
    assert _send(emulator, "GET", f"/rest/api/3/issue/{one}").status == 200  # and reads of this one


def test_an_apps_points_quota_costs_objects_and_refuses_everything_once_spent() -> None:
    emulator = _emulator(credential="app")
    issue = emulator.store.ordered()[0]
    read = _send(emulator, "GET", f"/rest/api/3/issue/{issue.key}")
    assert read.headers["RateLimit-Policy"] == '"global-app-quota";q=65000;w=3600'
    state = read.headers["RateLimit"]
    assert state.startswith('"global-app-quota";t=') and ";r=" not in state  # well within: no r
    seconds_left = int(state.rsplit("=", 1)[1])
    assert abs(seconds_left - (3600 - time.time() % 3600)) <= 2  # to the top of the UTC hour
    assert emulator.limits.quota.used == 2  # 1 + 1 issue, the page's own example
    _send(emulator, "GET", "/rest/api/3/myself")
    assert emulator.limits.quota.used == 2 + 3  # a user costs 2
    found = _send(emulator, "POST", "/rest/api/3/search/jql", {"jql": "project = ENG", "fields": ["summary"]})
    issues = len(json.loads(found.encoded())["issues"])
    assert issues > 1 and emulator.limits.quota.used == 5 + 1 + issues
    _send(emulator, "PUT", f"/rest/api/3/issue/{issue.key}", {"fields": {"labels": ["y"]}})
    assert emulator.limits.quota.used == 6 + issues + 1  # a write: the base point only

    control_faults(emulator, {"credential": "app", "points": 10, "points_window": 30})
    near = [_send(emulator, "GET", f"/rest/api/3/issue/{issue.key}") for _ in range(5)]
    assert [a.status for a in near] == [200] * 5
    assert ";r=2;" in near[3].headers["RateLimit"]  # past 80 % the remaining points show
    spent = [_send(emulator, "GET", "/rest/api/3/myself"), _send(emulator, "GET", "/rest/api/3/field")]
    for refused in spent:
        assert refused.status == 429 and refused.headers["RateLimit-Reason"] == "jira-quota-global-based"
        assert 25 <= _retry_after(refused) <= 30  # until the window ends


def control_faults(emulator: JiraEmulator, spec: dict[str, Any]) -> dict[str, Any]:
    response = emulator.handle(Request("POST", "/_sandbox/faults", {}, {}, json.dumps(spec).encode()))
    assert response is not None and response.status == 200
    return json.loads(response.encoded())  # type: ignore[no-any-return]


def test_a_per_tenant_pool_names_its_policy_and_reason() -> None:
    """Tier 2 (a Per-Tenant Pool, after review): policy ``tenant-app-quota``, reason
    ``jira-quota-tenant-based``; the connector reads it as it reads the Global Pool."""
    emulator = _emulator(credential="app")
    control_faults(emulator, {"credential": "app", "pool": "tenant", "points": 5})
    key = emulator.store.ordered()[0].key
    first = _send(emulator, "GET", f"/rest/api/3/issue/{key}")
    assert first.headers["RateLimit-Policy"] == '"tenant-app-quota";q=5;w=3600'
    second = _send(emulator, "GET", f"/rest/api/3/issue/{key}")
    assert ";r=1;" in second.headers["RateLimit"]
    quota = points_quota(second.headers, 0.0)
    assert quota is not None and quota[:2] == (5.0, 1.0)
    _send(emulator, "GET", f"/rest/api/3/issue/{key}")
    refused = _send(emulator, "GET", "/rest/api/3/field")
    assert refused.status == 429 and refused.headers["RateLimit-Reason"] == "jira-quota-tenant-based"


def test_the_quota_is_the_utc_clock_hour_by_default() -> None:
    emulator = _emulator(credential="app")
    now = time.time()
    assert emulator.limits.quota.reset_at(now) == now - now % 3600 + 3600


def test_the_connector_paces_by_the_quota_and_waits_out_a_short_window(
    cloud: Served, make_connector: Make
) -> None:
    """A pull that needs more than one window of a scaled-down pool (2 seconds, 40 points) completes: the
    pacer reads the pool from ``RateLimit-Policy``/``RateLimit`` and spreads the searches over the windows,
    and a 429 it still meets is waited out (``Retry-After``), never retried at once."""
    control(cloud, "POST", "/_sandbox/faults", {"credential": "app", "points": 40, "points_window": 2})
    connector = make_connector(cloud, max_results=10)
    keys = {p["key"] for page in pull(connector) for p in page.payloads}
    assert len(keys) == len(emulator_of(cloud).store.all())
    assert emulator_of(cloud).limits.quota.total > 40  # it took more than one window
    log = api_log(cloud)
    for refused, following in pairwise(log):
        if refused["status"] == 429:
            assert following["received"] - refused["received"] >= float(refused["retry_after"]) - 0.05


def test_the_connector_stops_on_a_spent_hourly_quota_without_hammering(
    cloud: Served, make_connector: Make
) -> None:
    control(cloud, "POST", "/_sandbox/faults", {"credential": "app", "points": 30})
    connector = make_connector(cloud, max_results=10, policy={**FAST_POLICY, "max_wait": 1.0})
    with pytest.raises(RateLimited, match="jira-quota-global-based"):
        pull(connector)
    refused = [e for e in api_log(cloud) if e["status"] == 429]
    assert len(refused) == 1  # the wait is longer than the policy's max_wait: no retry until the reset


def test_the_connector_keeps_under_a_burst_bucket(cloud: Served, make_connector: Make) -> None:
    """Buckets scaled down to 2 searches a second: the pacer reads ``X-RateLimit-Remaining`` ("remaining
    requests in the current second") and spaces the searches, so the pull meets no 429 at all."""
    control(cloud, "POST", "/_sandbox/faults", {"burst_scale": 0.02})
    connector = make_connector(cloud, max_results=8)
    keys = {p["key"] for page in pull(connector) for p in page.payloads}
    assert len(keys) == len(emulator_of(cloud).store.all())
    log = api_log(cloud)
    assert all(e["status"] == 200 for e in log)
    searches = [e["received"] for e in log if e["path"].endswith("/search/jql")]
    assert len(searches) >= 5 and searches[-1] - searches[0] >= (len(searches) - 2) / 2 - 0.2


def test_quota_headers_parse_in_any_order_with_or_without_the_beta_prefix() -> None:
    now = 1000.0
    headers = {
        "Beta-RateLimit-Policy": '"jira-burst-based";q=100;w=1, "global-app-quota";q=65000;w=3600',
        "Beta-RateLimit": '"global-app-quota";r=11000;t=600,"jira-burst-based";r=90;t=1',
    }
    assert points_quota(headers, now) == (65000.0, 11000.0, 1600.0)
    assert points_quota({**headers, "Beta-RateLimit": '"global-app-quota";t=600'}, now) is None  # no r
    enforced = {
        "RateLimit-Policy": '"tenant-app-quota";q=120000;w=3600',
        "RateLimit": '"tenant-app-quota";r=5;t=9',
    }
    assert points_quota(enforced, now) == (120000.0, 5.0, 1009.0)
