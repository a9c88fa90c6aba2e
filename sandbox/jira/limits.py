"""Jira Cloud's rate limits, as "Rate limiting" documents them
(developer.atlassian.com/cloud/jira/platform/rate-limiting/, page of Aug 12, 2026).

Jira Cloud runs three independent systems at once; a request refused by any of them gets 429 with
``Retry-After`` (seconds), ``X-RateLimit-Reset`` (ISO 8601) and ``RateLimit-Reason`` naming the system:

* **Burst API rate limit** (``jira-burst-based``): a token bucket per tenant, endpoint and HTTP method,
  refilled at the documented steady-state rate (GET and POST 100 a second, PUT and DELETE 50; ``GET
  /api/{version}/issue/{issueidorkey}`` 150). The burst buffer's size is not published; the bucket holds one
  second of refill. Every answer says what is left of it: ``X-RateLimit-Limit`` (requests a second) and
  ``X-RateLimit-Remaining`` ("remaining requests in the current second"); ``X-RateLimit-NearLimit`` is true
  under 20 %.
* **Per-issue write limit** (``jira-per-issue-on-write``): at most 20 writes to one issue in 2 seconds and
  100 in 30 seconds ("create, update, delete" of a single issue: the ``/issue/{issueIdOrKey}`` operations).
* **Points-based quota** (``jira-quota-global-based``, ``jira-quota-tenant-based``): each request costs 1
  point, plus, for reads, 1 per issue (or other object) and 2 per user it returns; writes cost the base
  point only. The Global Pool (Tier 1, the default) holds 65,000 points an hour, reset at the top of each
  UTC hour; a Per-Tenant Pool (Tier 2, after review) holds 100,000 + 10 a user (Standard) to 150,000 + 30 a
  user (Enterprise), at most 500,000. Once spent, every request is refused until the reset. Answers
  carry ``RateLimit-Policy: "global-app-quota";q=65000;w=3600`` and ``RateLimit:
  "global-app-quota";t=<seconds to reset>`` (``tenant-app-quota`` for Tier 2), with ``r=<points left>``
  once more than 80 % is spent.

The quota applies to Forge, Connect and OAuth 2.0 (3LO) apps only: "API token-based traffic is not
affected by this change, and will continue to be governed by existing burst rate limits". rankbridge signs
in with an API token, so the emulator charges points only when it is told its caller is an app
(``credential="app"``); bursts and per-issue writes hold for every caller.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.framework import Budget, Emulator, Request, Response
from sandbox.jira.data import IssueStore

BURST_PER_SECOND = {"GET": 100, "POST": 100, "PUT": 50, "DELETE": 50}
# Endpoints with their own bucket ("Burst API Rate Limit Thresholds", the custom limits table)
CUSTOM_BURST = {("GET", "/rest/api/{version}/issue/{ref}"): 150}
ISSUE_WRITE_WINDOWS = ((20, 2.0), (100, 30.0))  # (writes, seconds): short and long window
GLOBAL_POOL = 65_000  # points an hour, Tier 1
NEAR_LIMIT = 0.2  # X-RateLimit-NearLimit: "true when less than 20% of capacity remains"
SHOW_REMAINING = 0.2  # RateLimit's r: "present only when usage exceeds ~80% of the quota"
CREDENTIALS = ("api-token", "app")
LIMIT_KEYS = ("credential", "points", "points_window", "pool", "burst_scale")  # their /_sandbox/faults keys
POOLS = {"global": "global-app-quota", "tenant": "tenant-app-quota"}
USER_PATHS = ("/myself", "/user")  # identity reads: 2 points an object


def iso_reset(epoch: float) -> str:
    """``X-RateLimit-Reset``: "ISO 8601 timestamp when the current window resets" (the page's examples are
    whole seconds in UTC, ``2025-10-08T15:00:00Z``); rounded up, so it is never early."""
    return datetime.fromtimestamp(math.ceil(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TokenBucket(Budget):
    """A burst bucket: ``limit`` tokens refilled at ``limit`` per ``window`` seconds, one token a request."""

    tokens: float = -1.0
    last: float = field(default_factory=time.time)

    def take(self) -> tuple[bool, int, float]:
        now = time.time()
        rate = self.limit / self.window
        if self.tokens < 0:
            self.tokens = float(self.limit)
        self.tokens = min(float(self.limit), self.tokens + (now - self.last) * rate)
        self.last = now
        if self.tokens < 1.0:
            return False, 0, now + (1.0 - self.tokens) / rate  # when the next token arrives
        self.tokens -= 1.0
        return True, int(self.tokens), now + self.window


@dataclass
class IssueWrites:
    """Recent writes to each issue, against the short and the long window."""

    windows: tuple[tuple[int, float], ...] = ISSUE_WRITE_WINDOWS
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def admit(self, key: str, now: float) -> float | None:
        """Record a write to ``key``; None, or the seconds to wait when a window is full (not recorded)."""
        longest = max(seconds for _, seconds in self.windows)
        times = self.seen.setdefault(key, deque())
        while times and times[0] <= now - longest:
            times.popleft()
        waits = []
        for most, seconds in self.windows:
            inside = [t for t in times if t > now - seconds]
            if len(inside) >= most:
                waits.append(inside[len(inside) - most] + seconds - now)
        if waits:
            return max(waits)
        times.append(now)
        return None


@dataclass
class PointsQuota:
    """The hourly points pool. ``window`` None: the UTC clock hour, as Jira; a number of seconds scales it
    down (a test or benchmark that says so)."""

    limit: int = GLOBAL_POOL
    window: float | None = None
    policy: str = "global-app-quota"  # Tier 1; "tenant-app-quota": Tier 2, the Per-Tenant Pool
    used: int = 0
    start: float = -1.0
    total: int = 0  # every point charged, over all windows

    def _roll(self, now: float) -> None:
        if self.window is None:
            start = now - now % 3600.0  # the top of the UTC hour
        elif self.start < 0 or now - self.start >= self.window:
            start = now
        else:
            start = self.start
        if start != self.start:
            self.start, self.used = start, 0

    def reset_at(self, now: float) -> float:
        self._roll(now)
        return self.start + (self.window or 3600.0)

    def exhausted(self, now: float) -> bool:
        self._roll(now)
        return self.used >= self.limit

    def charge(self, points: int, now: float) -> None:
        self._roll(now)
        self.used += points
        self.total += points

    def headers(self, now: float) -> dict[str, str]:
        """``RateLimit-Policy`` and ``RateLimit`` (the enforced names; ``Beta-`` prefixed before
        enforcement), named by the pool's policy."""
        left = max(0, self.limit - self.used)
        until = max(0, math.ceil(self.reset_at(now) - now))
        window = int(self.window or 3600)
        name = f'"{self.policy}"'
        state = f"{name};r={left};t={until}" if left <= self.limit * SHOW_REMAINING else f"{name};t={until}"
        return {"RateLimit-Policy": f"{name};q={self.limit};w={window}", "RateLimit": state}

    @property
    def reason(self) -> str:
        """``RateLimit-Reason`` of a refusal: the Global Pool's or the Per-Tenant Pool's."""
        return "jira-quota-tenant-based" if self.policy == "tenant-app-quota" else "jira-quota-global-based"


def points(method: str, path: str, body: Any) -> int:
    """What one answered request costs: 1, plus for a read 1 per object returned (issues, fields, transitions,
    comments...; 2 per user). Writes cost the base point only. A search through ``POST /search/jql`` is a read
    ("Core domain objects (GET, GraphQL query)": reads are what the cost follows)."""
    read = method == "GET" or path.endswith("/search/jql")
    if not read:
        return 1
    per_object = 2 if path.endswith(USER_PATHS) else 1
    return 1 + per_object * _objects(body)


def _objects(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if not isinstance(body, dict):
        return 0
    for key in ("issues", "transitions", "comments", "values"):
        if isinstance(body.get(key), list):
            return len(body[key])
    return 1  # one object: an issue, a user


@dataclass
class JiraLimits:
    """The three systems of one tenant."""

    credential: str = "api-token"
    burst_scale: float = 1.0  # a test may lower every bucket's rate (never the default)
    buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    issue_writes: IssueWrites = field(default_factory=IssueWrites)
    quota: PointsQuota = field(default_factory=PointsQuota)

    def __post_init__(self) -> None:
        if self.credential not in CREDENTIALS:
            raise ValueError(f"credential must be one of {CREDENTIALS}, not {self.credential!r}")

    @property
    def charged(self) -> bool:
        return self.credential == "app"

    def bucket(self, method: str, endpoint: str) -> TokenBucket:
        key = (method, endpoint)
        if key not in self.buckets:
            rate = CUSTOM_BURST.get(key, BURST_PER_SECOND.get(method, 100))
            self.buckets[key] = TokenBucket(limit=max(1, round(rate * self.burst_scale)), window=1.0)
        return self.buckets[key]


class CloudLimits(Emulator):
    """The Jira emulator's hooks into the framework for these limits (Cloud; Data Center, and a test that
    sets a plain ``budget``, keep the framework's fixed window)."""

    limits: JiraLimits
    store: IssueStore
    _flat_budget: bool

    def bucket(self, request: Request) -> Budget:
        """Cloud: the burst bucket of the request's endpoint and method (limits.py); Data Center, or a test
        that set a plain budget through ``/_sandbox/faults``: the framework's fixed window."""
        if self._flat_budget:
            return self.budget
        route = self.route_of(request.method, request.path)
        return self.limits.bucket(request.method, route.template if route else request.path)

    def rate_limit_headers(self, limit: int, remaining: int, reset_at: float) -> dict[str, str]:
        """``X-RateLimit-Limit``/``-Remaining`` (the burst bucket's rate and what is left of this second)
        and ``X-RateLimit-NearLimit``; ``X-RateLimit-Reset`` comes "only with 429 responses"."""
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-NearLimit": str(remaining < limit * NEAR_LIMIT).lower(),
        }

    def rate_limited(self, retry_after: float, reset_at: float, reason: str = "jira-burst-based") -> Response:
        body = self.error_body(429, "Rate limit exceeded.")
        headers = {
            "Retry-After": self.retry_after_header(retry_after),
            "X-RateLimit-Reset": iso_reset(time.time() + retry_after),
            "RateLimit-Reason": reason,
        }
        return Response(429, body, headers)

    def _dispatch(self, request: Request) -> Response:
        """The per-issue write limit and the points quota (Cloud), around the handler."""
        if self._flat_budget:
            return super()._dispatch(request)
        now = time.time()
        quota = self.limits.quota
        if self.limits.charged and quota.exhausted(now):
            refused = self.rate_limited(quota.reset_at(now) - now, 0.0, quota.reason)
            refused.headers.update(quota.headers(now))
            return refused
        issue = self._written_issue(request)
        wait = self.limits.issue_writes.admit(issue, now) if issue else None
        if wait is not None:
            return self.rate_limited(wait, 0.0, "jira-per-issue-on-write")
        response = super()._dispatch(request)
        if self.limits.charged and response.status < 400:
            quota.charge(points(request.method, request.path, response.body), now)
            response.headers.update(quota.headers(now))
        return response

    def _set_faults(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Besides the framework's faults: ``credential`` ("app": points are charged), ``points`` (the pool),
        ``points_window`` (its seconds; absent: the UTC hour), ``pool`` ("global", Tier 1, or "tenant",
        Tier 2: a Per-Tenant Pool, whose size by edition and users is ``points``), ``burst_scale`` (every
        bucket's rate times this). A plain ``budget`` swaps Cloud's limits for the framework's fixed
        window."""
        given = {k: spec.pop(k) for k in LIMIT_KEYS if k in spec}
        if "budget" in spec:
            self._flat_budget = True
        if given:
            credential = str(given.get("credential", self.limits.credential))
            self.limits = JiraLimits(credential, float(given.get("burst_scale", 1.0)))
            if "points" in given or "pool" in given:
                window = given.get("points_window")
                seconds = None if window is None else float(window)
                policy = POOLS[str(given.get("pool", "global"))]
                self.limits.quota = PointsQuota(int(given.get("points", GLOBAL_POOL)), seconds, policy)
        answer = super()._set_faults(spec)
        quota = self.limits.quota
        answer["limits"] = {
            "credential": self.limits.credential,
            "points": quota.limit,
            "window": quota.window,
            "pool": quota.policy,
        }
        return answer

    def _written_issue(self, request: Request) -> str | None:
        """The issue a write to ``/rest/api/{version}/issue/{issueIdOrKey}[/...]`` changes, by its key."""
        parts = request.path.split("/")
        if request.method == "GET" or len(parts) < 6 or parts[:3] != ["", "rest", "api"]:
            return None
        if parts[4] != "issue":
            return None
        issue = self.store.find(parts[5])
        return issue.key if issue is not None else None
