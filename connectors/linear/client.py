"""A small GraphQL client for Linear on the shared skeleton (:mod:`connectors.http`): documents from
``.graphql`` files (:mod:`connectors.graphql`), variables only.

Linear's documented deviations from the default ladder are in :class:`LinearClassifier`: ``RATELIMITED``
arrives as HTTP 400 (the SDK also accepts 429) and, without ``Retry-After``, the wait is until
``X-RateLimit-Requests-Reset`` (epoch milliseconds); GraphQL ``errors`` map through
:func:`connectors.graphql.graphql_error` (``AUTHENTICATION_ERROR`` and ``FORBIDDEN`` are auth failures).
Rate-limit headers (``X-RateLimit-Requests-*``, ``X-RateLimit-Complexity-*``) feed the policy's pacer;
``X-Complexity`` of the last response is kept in :attr:`LinearClient.last_complexity`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from connectors import graphql
from connectors.errors import ConnectorError, RetriableError
from connectors.http import Answer, Classifier, HttpClient
from connectors.linear.config import LinearConfig
from connectors.paging import PageRequest, Paginator, paginate, records_at
from connectors.policy import Policy, header_float, http_date, parse_retry_after

PACKAGE = "connectors.linear"


def document(name: str) -> str:
    """The text of ``connectors/linear/<name>.graphql``."""
    return graphql.document(PACKAGE, name)


def document_names() -> list[str]:
    return graphql.document_names(PACKAGE)


class LinearClassifier(Classifier):
    def error_for(self, what: str, answer: Answer) -> ConnectorError | None:
        """GraphQL errors on a 4xx other than a rate limit (an expired key arrives as 400 with
        ``AUTHENTICATION_ERROR``) map by their codes, like errors on a 200."""
        errors = answer.data.get("errors") if isinstance(answer.data, dict) else None
        if errors and 400 <= answer.status < 500 and not self.is_rate_limited(answer):
            return graphql.graphql_error(f"{what}: HTTP {answer.status}", errors)
        return super().error_for(what, answer)

    def is_rate_limited(self, answer: Answer) -> bool:
        errors = answer.data.get("errors") if isinstance(answer.data, dict) else None
        return answer.status == 429 or bool(graphql.error_codes(errors or []) & graphql.RATE_LIMIT_CODES)

    def retry_after(self, answer: Answer) -> float | None:
        asked = parse_retry_after(answer.headers.get("retry-after"))
        if asked is not None:
            return asked
        reset_ms = header_float(answer.headers, "x-ratelimit-requests-reset", "x-ratelimit-complexity-reset")
        return None if reset_ms is None else max(0.0, reset_ms / 1000 - time.time())

    def message(self, answer: Answer) -> str:
        errors = answer.data.get("errors") if isinstance(answer.data, dict) else None
        return graphql.error_message(errors) if errors else super().message(answer)


class LinearClient(HttpClient):
    """Posts named documents with variables; counts requests; maps failures into the error tree."""

    classifier = LinearClassifier()

    def __init__(self, config: LinearConfig, policy: Policy) -> None:
        super().__init__(
            policy,
            headers={"Authorization": config.api_key.get_secret_value(), "Content-Type": "application/json"},
        )
        self.config = config
        self.last_complexity: float | None = None
        self.server_time: datetime | None = None  # the ``Date`` of the last response (Linear's clock)

    def execute(self, name: str, variables: Mapping[str, Any] | None = None, *, write: bool = False) -> Any:
        """Run document ``name`` and return its ``data``."""
        body = {"query": document(name), "variables": dict(variables or {})}
        payload = self.send("POST", self.config.endpoint, body=body, write=write).data
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            raise graphql.graphql_error(f"linear {name}", errors)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise RetriableError(f"linear {name}: an answer without data")
        return payload["data"]

    def pages(
        self, name: str, root: str, variables: Mapping[str, Any], max_pages: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of nodes of document ``name``'s ``root`` connection, through the one paging loop."""
        paginator = RelayPaginator(root, variables)
        cap = max_pages or self.config.max_pages
        send = lambda request: self.execute(name, request.params)  # noqa: E731
        return (nodes for nodes, _ in paginate(send, paginator, f"linear {name}", cap))

    def observe(self, answer: Answer) -> None:
        headers = answer.headers
        self.last_complexity = header_float(headers, "x-complexity")
        self.server_time = http_date(headers.get("date"))
        budgets = [
            (
                header_float(headers, f"x-ratelimit-{kind}-limit"),
                header_float(headers, f"x-ratelimit-{kind}-remaining"),
                header_float(headers, f"x-ratelimit-{kind}-reset"),
            )
            for kind in ("requests", "complexity")
        ]
        known = [b for b in budgets if b[0] and b[1] is not None]
        if not known:
            return
        limit, remaining, reset_ms = min(known, key=lambda b: (b[1] or 0) / (b[0] or 1))
        self.policy.pacer.observe(limit, remaining, reset_ms / 1000 if reset_ms else None)


class RelayPaginator(Paginator):
    """Relay pagination over one root connection: follows ``pageInfo.endCursor`` while ``hasNextPage``."""

    def __init__(self, root: str, variables: Mapping[str, Any]) -> None:
        self.root = root
        self.variables = dict(variables)
        self.end_cursor: str | None = None

    def first(self) -> PageRequest:
        return PageRequest({**self.variables, "after": None})

    def update_state(self, answer: Any) -> list[dict[str, Any]]:
        nodes = records_at(answer, (self.root, "nodes"), f"linear {self.root}")
        info = answer[self.root].get("pageInfo") or {}
        self.end_cursor = info.get("endCursor")
        self.has_next_page = bool(info.get("hasNextPage")) and bool(self.end_cursor)
        return nodes

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(after=self.end_cursor)
