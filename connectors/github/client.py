"""HTTP to GitHub on the shared skeleton (:mod:`connectors.http`): REST and GraphQL through one httpx
client, under the connection's policy, within each request's deadline, classified by one ladder.

GitHub's documented deviations from the default ladder are all in :class:`GithubClassifier`: a 403 is a
rate limit when it carries ``Retry-After`` or says so in its message (primary and secondary limits), and
without ``Retry-After`` the wait is until ``x-ratelimit-reset`` when the budget is spent, else at least a
minute (GitHub's advice for secondary limits). REST lists page with :class:`LinkPaginator`, which takes
``rel="next"`` from the library-parsed ``Link`` header and follows it only on GitHub's own origin, so the
token never travels elsewhere. GraphQL documents are ``.graphql`` files in this package.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from connectors import graphql
from connectors.errors import RetriableError
from connectors.github.config import GithubConfig
from connectors.http import Answer, Classifier, HttpClient
from connectors.paging import PageRequest, Paginator, records_at
from connectors.policy import Policy, header_float, parse_retry_after

PACKAGE = "connectors.github"
RATE_LIMIT_MESSAGES = (
    "api rate limit exceeded",
    "secondary rate limit",
    "please wait a few minutes",
    "please retry your request again later",
)
SECONDARY_WAIT = 60.0  # GitHub: without retry-after, wait at least one minute
ApiResponse = Answer  # what callers read: ``status``, ``headers``, ``data``


def document(name: str) -> str:
    """A GraphQL document of this package (``<name>.graphql``)."""
    return graphql.document(PACKAGE, name)


def graphql_url(base_url: str) -> str:
    """``/graphql`` on api.github.com; ``/api/graphql`` on GitHub Enterprise Server (``…/api/v3``)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    path = path[: -len("/v3")] + "/graphql" if path.endswith("/api/v3") else path + "/graphql"
    return parts._replace(path=path).geturl()


class GithubClassifier(Classifier):
    def is_rate_limited(self, answer: Answer) -> bool:
        if answer.status == 429:
            return True
        return answer.status == 403 and (
            answer.headers.get("retry-after") is not None
            or any(m in self.message(answer).lower() for m in RATE_LIMIT_MESSAGES)
        )

    def retry_after(self, answer: Answer) -> float | None:
        asked = parse_retry_after(answer.headers.get("retry-after"))
        if asked is not None:
            return asked
        reset = header_float(answer.headers, "x-ratelimit-reset")
        if answer.headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            return max(0.0, reset - time.time())
        return SECONDARY_WAIT


class GithubClient(HttpClient):
    classifier = GithubClassifier()

    def __init__(self, config: GithubConfig, policy: Policy) -> None:
        super().__init__(
            policy,
            base_url=config.url,
            headers={
                "Authorization": f"Bearer {config.token.get_secret_value()}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "rankbridge",
            },
        )
        self.graphql_url = graphql_url(config.url)

    request = HttpClient.send  # REST calls read as GitHub's documentation writes them

    def observe(self, answer: Answer) -> None:
        self.policy.pacer.observe(
            header_float(answer.headers, "x-ratelimit-limit"),
            header_float(answer.headers, "x-ratelimit-remaining"),
            header_float(answer.headers, "x-ratelimit-reset"),
        )

    def graphql(self, name: str, operation: str, variables: Mapping[str, Any], write: bool = False) -> Any:
        """Run ``operation`` of document ``name`` and return its ``data``; GraphQL errors are raised."""
        body = {"query": document(name), "variables": dict(variables), "operationName": operation}
        payload = self.send("POST", self.graphql_url, body=body, write=write).data
        payload = payload if isinstance(payload, dict) else {}
        errors = payload.get("errors") or []
        if errors:
            raise graphql.graphql_error(f"graphql {operation}", errors, retry_after=SECONDARY_WAIT)
        if not isinstance(payload.get("data"), dict):
            raise RetriableError(f"graphql {operation}: answer without data")
        return payload["data"]


class LinkPaginator(Paginator):
    """GitHub's ``Link`` pagination: the first page (conditionally, with ``etag``), then each ``rel="next"``
    URL until there is none. A 304 on the first page is a page of nothing: nothing changed."""

    def __init__(self, path: str, params: Mapping[str, Any]) -> None:
        self.path = path
        self.params = dict(params)
        self.next_url: str | None = None

    def first(self) -> PageRequest:
        return PageRequest(self.params, self.path)

    def update_state(self, answer: Answer) -> list[dict[str, Any]]:
        if answer.status == 304:
            self.has_next_page = False
            return []
        self.next_url = answer.links.get("next")
        self.has_next_page = self.next_url is not None
        return records_at(answer.data, (), f"GET {self.path}")

    def update_request(self, request: PageRequest) -> PageRequest:
        return PageRequest({}, self.next_url)
