"""HTTP to Zendesk Support on the shared skeleton (:mod:`connectors.http`): basic auth with an API token,
the default status ladder (Zendesk deviates only in its error bodies' shapes, read by
:class:`ZendeskClassifier`), the export pacer (10 requests a minute), and its three paging styles.
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

from connectors.errors import RetriableError, truncate
from connectors.http import Answer, Classifier, HttpClient
from connectors.paging import PageRequest, Paginator, paginate, records_at
from connectors.policy import Policy, header_float
from connectors.zendesk.config import ZendeskConfig

EXPORT_PATHS = ("/api/v2/incremental/",)  # incremental exports have their own per-minute budget
ACCOUNT_WINDOW = 60.0  # Zendesk's account limits are per minute


class ZendeskClassifier(Classifier):
    def message(self, answer: Answer) -> str:
        """Zendesk's error text from any of its body shapes, or the raw body."""
        body = answer.data
        if not isinstance(body, dict):
            return truncate(answer.text or (str(body) if body is not None else ""))
        error = body.get("error")
        if isinstance(error, dict):
            parts = [str(error.get("title") or ""), str(error.get("message") or "")]
        elif body.get("errors") and isinstance(body["errors"], list):
            parts = [
                f"{e.get('title', '')} {e.get('detail', '')}" for e in body["errors"] if isinstance(e, dict)
            ]
        else:
            parts = [str(error or ""), str(body.get("description") or "")]
            if body.get("details"):
                parts.append(json.dumps(body["details"], sort_keys=True))
        text = ": ".join(p.strip() for p in parts if p and p.strip())
        return truncate(text or json.dumps(body))


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


class ZendeskClient(HttpClient):
    """A small httpx client for the Support API; counts its requests."""

    classifier = ZendeskClassifier()

    def __init__(self, config: ZendeskConfig, policy: Policy) -> None:
        super().__init__(
            policy,
            base_url=config.url.rstrip("/"),
            auth=httpx.BasicAuth(f"{config.email}/token", config.token.get_secret_value()),
            headers={"Accept": "application/json", "User-Agent": "rankbridge"},
        )
        self.config = config
        self.export_pacer = WindowPacer(config.export_per_minute, config.export_window, policy.sleep)

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def put(self, path: str, body: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("PUT", path, params=params, body=body)

    def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The answer's JSON object ({} for an empty body)."""
        data = self.send(method, path, params=params, body=body).data
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise RetriableError(f"{method} {path}: an answer that is not a JSON object")
        return data

    def before_send(self, url: str) -> None:
        if url.startswith(EXPORT_PATHS):
            self.export_pacer.wait(url)

    def after_send(self, url: str) -> None:
        if url.startswith(EXPORT_PATHS):
            self.export_pacer.answered(url)

    def observe(self, answer: Answer) -> None:
        limit = header_float(answer.headers, "X-Rate-Limit", "ratelimit-limit")
        remaining = header_float(answer.headers, "X-Rate-Limit-Remaining", "ratelimit-remaining")
        reset_in = header_float(answer.headers, "ratelimit-reset")
        reset_at = time.time() + (reset_in if reset_in is not None else ACCOUNT_WINDOW)
        if limit is not None or remaining is not None:
            self.policy.pacer.observe(limit, remaining, reset_at)

    def pages(
        self, path: str, paginator: Paginator, max_pages: int
    ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
        """``(records, answer)`` of each page of ``path``, through the one paging loop."""
        return paginate(
            lambda request: self.get(path, dict(request.params)), paginator, f"GET {path}", max_pages
        )


class CursorExport(Paginator):
    """Zendesk's cursor-based incremental export: ``start_time`` first, then ``cursor=<after_cursor>``
    until ``end_of_stream``; :attr:`after` is the cursor that resumes after the last page read."""

    def __init__(self, collection: str, params: dict[str, Any], cursor: str | None, start_time: int) -> None:
        self.collection = collection
        self.params = params
        self.cursor = cursor
        self.start_time = start_time
        self.after: str | None = cursor

    def first(self) -> PageRequest:
        where = {"cursor": self.cursor} if self.cursor else {"start_time": self.start_time}
        return PageRequest({**self.params, **where})

    def update_state(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        rows = records_at(answer, (self.collection,), f"{self.collection} export")
        after = answer.get("after_cursor")
        self.after = str(after) if after else None
        self.has_next_page = not answer.get("end_of_stream", True) and self.after is not None
        return rows

    def update_request(self, request: PageRequest) -> PageRequest:
        return PageRequest({**self.params, "cursor": self.after})


class TimeExport(Paginator):
    """Zendesk's time-based incremental export (organisations): ``start_time`` then ``end_time`` of the
    previous page until ``end_of_stream``; :attr:`end_time` is that of the last page read."""

    def __init__(self, collection: str, params: dict[str, Any], start_time: int) -> None:
        self.collection = collection
        self.params = params
        self.end_time = start_time

    def first(self) -> PageRequest:
        return PageRequest({**self.params, "start_time": self.end_time})

    def update_state(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        rows = records_at(answer, (self.collection,), f"{self.collection} export")
        start = self.end_time
        self.end_time = int(answer.get("end_time") or start)
        self.has_next_page = not answer.get("end_of_stream", True) and self.end_time > start
        return rows

    def update_request(self, request: PageRequest) -> PageRequest:
        return PageRequest({**self.params, "start_time": self.end_time})


class AfterIdPages(Paginator):
    """Pagination by ``page[after]=<last id>`` and ``page[size]`` (the Jira links API), until
    ``meta.has_more`` is false (or, without ``meta``, a short page)."""

    def __init__(self, collection: str, after: int | None, size: int = 1000) -> None:
        self.collection = collection
        self.after = after
        self.size = size

    def first(self) -> PageRequest:
        params: dict[str, Any] = {"page[size]": self.size}
        return PageRequest(params if self.after is None else {**params, "page[after]": self.after})

    def update_state(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        rows = records_at(answer, (self.collection,), f"{self.collection} list")
        meta = answer.get("meta")
        more = meta.get("has_more") if isinstance(meta, dict) else len(rows) >= self.size
        self.has_next_page = bool(more) and bool(rows)
        if rows:
            self.after = int(rows[-1]["id"])
        return rows

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(**{"page[after]": self.after})
