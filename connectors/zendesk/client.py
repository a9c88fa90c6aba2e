"""HTTP to Zendesk Support: basic auth with an API token, one error mapping, the export pacer, pagination.

Every request goes through :meth:`ZendeskClient.request`, which runs under the shared policy (retries,
``Retry-After``, pacing) and maps responses into the error tree in :meth:`ZendeskClient._check`.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.errors import AuthError, FatalError, RateLimited, RetriableError, Unanswered, truncate
from connectors.policy import Policy, header_float, parse_retry_after
from connectors.zendesk.config import ZendeskConfig

EXPORT_PATHS = ("/api/v2/incremental/",)  # incremental exports have their own per-minute budget
ACCOUNT_WINDOW = 60.0  # Zendesk's account limits are per minute
REJECTED = (404, 409, 422)  # Zendesk refused this one record (gone, changed meanwhile, invalid or closed)


class Rejected(FatalError):
    """Zendesk refused a request about one record; the connection itself is fine (a write op fails alone)."""


def provider_error(response: httpx.Response) -> str:
    """Zendesk's error text from any of its body shapes, or the raw body."""
    try:
        body = response.json()
    except ValueError:
        return truncate(response.text or response.reason_phrase)
    if not isinstance(body, dict):
        return truncate(str(body))
    error = body.get("error")
    if isinstance(error, dict):
        parts = [str(error.get("title") or ""), str(error.get("message") or "")]
    elif body.get("errors") and isinstance(body["errors"], list):
        parts = [f"{e.get('title', '')} {e.get('detail', '')}" for e in body["errors"] if isinstance(e, dict)]
    else:
        parts = [str(error or ""), str(body.get("description") or "")]
        if body.get("details"):
            parts.append(json.dumps(body["details"], sort_keys=True))
    text = ": ".join(p.strip() for p in parts if p and p.strip())
    return truncate(text or response.text)


@dataclass
class WindowPacer:
    """At most ``limit`` requests in any ``window`` seconds per endpoint (the incremental exports' 10 per
    minute). A request counts from when its answer arrived, which is never before the provider counted it."""

    limit: int
    window: float
    sleep: Callable[[float], None]

    def __post_init__(self) -> None:
        self._done: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, endpoint: str) -> None:
        with self._lock:
            done = self._done.setdefault(endpoint, collections.deque())
            now = time.monotonic()
            while done and now - done[0] >= self.window:
                done.popleft()
            if len(done) >= self.limit:
                delay = done[0] + self.window - now
                if delay > 0:
                    self.sleep(delay)
                done.popleft()

    def answered(self, endpoint: str) -> None:
        with self._lock:
            self._done.setdefault(endpoint, collections.deque()).append(time.monotonic())


class ZendeskClient:
    """A small httpx client for the Support API; counts its requests."""

    def __init__(self, config: ZendeskConfig, policy: Policy) -> None:
        self.config = config
        self.policy = policy
        self.requests = 0
        self.export_pacer = WindowPacer(config.export_per_minute, config.export_window, policy.sleep)
        self.http = httpx.Client(
            base_url=config.url.rstrip("/"),
            auth=httpx.BasicAuth(f"{config.email}/token", config.token.get_secret_value()),
            timeout=config.policy.timeout,
            headers={"Accept": "application/json", "User-Agent": "rankbridge"},
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def put(self, path: str, body: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("PUT", path, params=params, body=body)

    def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        what = f"{method} {path}"
        write = method != "GET"

        def send() -> dict[str, Any]:
            paced = path.startswith(EXPORT_PATHS)
            if paced:
                self.export_pacer.wait(path)
            self.requests += 1
            try:
                response = self.http.request(method, path, params=params, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise RetriableError(f"{what}: {type(exc).__name__}") from exc
            except httpx.TimeoutException as exc:
                raise Unanswered(f"{what}: timed out") from exc
            except httpx.TransportError as exc:
                raise Unanswered(f"{what}: {type(exc).__name__}") from exc
            finally:
                if paced:
                    self.export_pacer.answered(path)
            return self._check(what, response)

        return self.policy.call(send, write=write, what=what)

    def _check(self, what: str, response: httpx.Response) -> dict[str, Any]:
        """The one place where Zendesk's answers become data or errors."""
        self._observe(response)
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"{what}: 429 {provider_error(response)}", retry_after=retry_after)
        if status in (401, 403):
            raise AuthError(f"{what}: {status} {provider_error(response)}")
        if status >= 500:
            raise RetriableError(
                f"{what}: {status} {provider_error(response)}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status in REJECTED:
            raise Rejected(f"{what}: {status} {provider_error(response)}")
        if status >= 400:
            raise FatalError(f"{what}: {status} {provider_error(response)}")
        if status == 204 or not response.content:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise RetriableError(f"{what}: {status} with a body that is not JSON") from exc
        if not isinstance(data, dict):
            raise RetriableError(f"{what}: {status} with a body that is not a JSON object")
        return data

    def _observe(self, response: httpx.Response) -> None:
        limit = header_float(response.headers, "X-Rate-Limit", "ratelimit-limit")
        remaining = header_float(response.headers, "X-Rate-Limit-Remaining", "ratelimit-remaining")
        reset_in = header_float(response.headers, "ratelimit-reset")
        reset_at = time.time() + (reset_in if reset_in is not None else ACCOUNT_WINDOW)
        if limit is not None or remaining is not None:
            self.policy.pacer.observe(limit, remaining, reset_at)


@dataclass
class CursorExport:
    """Zendesk's cursor-based incremental export: ``start_time`` first, then ``cursor=<after_cursor>``
    until ``end_of_stream``. Yields each response with the cursor that resumes after it."""

    client: ZendeskClient
    path: str
    params: dict[str, Any]

    def pages(self, cursor: str | None, start_time: int) -> Iterator[tuple[dict[str, Any], str | None]]:
        while True:
            query = dict(self.params)
            if cursor:
                query["cursor"] = cursor
            else:
                query["start_time"] = start_time
            data = self.client.get(self.path, query)
            after = data.get("after_cursor")
            yield data, after
            if data.get("end_of_stream", True) or not after or after == cursor:
                return
            cursor = after


@dataclass
class TimeExport:
    """Zendesk's time-based incremental export (organisations): ``start_time`` then ``end_time`` of the
    previous page until ``end_of_stream``. Yields each response with its ``end_time``."""

    client: ZendeskClient
    path: str
    collection: str
    params: dict[str, Any]

    def pages(self, start_time: int) -> Iterator[tuple[dict[str, Any], int]]:
        while True:
            data = self.client.get(self.path, {**self.params, "start_time": start_time})
            end_time = int(data.get("end_time") or start_time)
            yield data, end_time
            if data.get("end_of_stream", True) or end_time <= start_time:
                return
            start_time = end_time


@dataclass
class AfterIdPages:
    """Pagination by ``page[after]=<last id>`` and ``page[size]`` (the Jira links API), until
    ``meta.has_more`` is false (or, without ``meta``, a short page)."""

    client: ZendeskClient
    path: str
    collection: str
    size: int = 1000

    def pages(self, after: int | None) -> Iterator[list[dict[str, Any]]]:
        while True:
            query: dict[str, Any] = {"page[size]": self.size}
            if after is not None:
                query["page[after]"] = after
            data = self.client.get(self.path, query)
            rows = [r for r in data.get(self.collection) or [] if isinstance(r, dict)]
            yield rows
            meta = data.get("meta")
            more = meta.get("has_more") if isinstance(meta, dict) else len(rows) >= self.size
            if not more or not rows:
                return
            after = int(rows[-1]["id"])
