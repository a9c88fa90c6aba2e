"""HTTP to GitHub through PyGithub's requester (its auth, base URL, connection pool and timeout), under our
one policy: PyGithub's own retries and throttling sleeps are off, every request runs through
``policy.call``, rate-limit headers feed the pacer, and responses map into the error tree in
:meth:`GithubClient._raise_for` alone. REST lists page with :class:`LinkPages`; GraphQL documents are
``.graphql`` files in this package, sent with variables (never built from strings)."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import requests
from github import Auth, Github

from connectors.errors import AuthError, FatalError, RateLimited, RetriableError, transport_error, truncate
from connectors.github.config import GithubConfig
from connectors.policy import Policy, header_float, parse_retry_after

LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
RATE_LIMIT_MESSAGES = (
    "api rate limit exceeded",
    "secondary rate limit",
    "please wait a few minutes",
    "please retry your request again later",
)
SECONDARY_WAIT = 60.0  # GitHub: without retry-after, wait at least one minute


@cache
def document(name: str) -> str:
    """A GraphQL document of this package (``<name>.graphql``)."""
    return resources.files("connectors.github").joinpath(f"{name}.graphql").read_text()


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    data: Any


class GithubClient:
    def __init__(self, config: GithubConfig, policy: Policy) -> None:
        self.policy = policy
        self.github = Github(
            base_url=config.url,
            auth=Auth.Token(config.token.get_secret_value()),
            timeout=max(1, math.ceil(config.policy.timeout)),  # PyGithub insists on whole seconds
            per_page=100,
            seconds_between_requests=None,
            seconds_between_writes=None,
            retry=None,
            lazy=True,
        )
        self.requester = self.github.requester
        self.requests = 0

    def close(self) -> None:
        self.github.close()

    # --- REST ----------------------------------------------------------------------------------------
    def request(
        self,
        verb: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool | None = None,
    ) -> ApiResponse:
        """One request under the policy (retried as it says); ``url`` is a path or an absolute API URL."""
        is_write = verb != "GET" if write is None else write
        return self.policy.call(
            lambda: self._send(verb, url, params, body, headers), write=is_write, what=f"{verb} {_path(url)}"
        )

    def _send(
        self,
        verb: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
    ) -> ApiResponse:
        self.requests += 1
        try:
            status, raw_headers, text = self.requester.requestJson(
                verb, url, dict(params) if params else None, dict(headers) if headers else None, body
            )
        except requests.RequestException as exc:
            raise transport_error(f"{verb} {_path(url)}", exc) from None
        lowered = {k.lower(): str(v) for k, v in raw_headers.items()}
        self._observe(lowered)
        try:
            data = json.loads(text) if text else None
        except ValueError:
            if status < 300:
                raise RetriableError(f"{verb} {_path(url)}: malformed JSON body ({status})") from None
            data = {"message": truncate(text)}
        self._raise_for(verb, url, status, lowered, data)
        return ApiResponse(status, lowered, data)

    def _observe(self, headers: Mapping[str, str]) -> None:
        self.policy.pacer.observe(
            header_float(headers, "x-ratelimit-limit"),
            header_float(headers, "x-ratelimit-remaining"),
            header_float(headers, "x-ratelimit-reset"),
        )

    def _raise_for(self, verb: str, url: str, status: int, headers: Mapping[str, str], data: Any) -> None:
        """The one place responses become errors (messages carry method, path and GitHub's own text)."""
        if status < 400:
            return
        message = str(data.get("message", "")) if isinstance(data, dict) else ""
        what = f"{verb} {_path(url)}: {status} {truncate(message)}".rstrip()
        if status in (403, 429):
            wait = self._rate_limit_wait(headers, message)
            if wait is not None or status == 429:
                raise RateLimited(what, retry_after=wait)
        if status in (401, 403):
            raise AuthError(what)
        if status >= 500:
            raise RetriableError(what)
        raise FatalError(what)

    @staticmethod
    def _rate_limit_wait(headers: Mapping[str, str], message: str) -> float | None:
        asked = parse_retry_after(headers.get("retry-after"))
        if asked is not None:
            return asked
        if not any(m in message.lower() for m in RATE_LIMIT_MESSAGES):
            return None
        reset = header_float(headers, "x-ratelimit-reset")
        if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            return max(0.0, reset - time.time())
        return SECONDARY_WAIT

    # --- GraphQL -------------------------------------------------------------------------------------
    def graphql(self, name: str, operation: str, variables: Mapping[str, Any], write: bool = False) -> Any:
        """Run ``operation`` of document ``name`` and return its ``data``; GraphQL errors are raised."""
        body = {"query": document(name), "variables": dict(variables), "operationName": operation}
        response = self.request("POST", self.requester.graphql_url, body=body, write=write)
        payload = response.data if isinstance(response.data, dict) else {}
        errors = payload.get("errors") or []
        if errors:
            self._raise_graphql(operation, errors)
        if "data" not in payload:
            raise RetriableError(f"graphql {operation}: answer without data")
        return payload["data"]

    @staticmethod
    def _raise_graphql(operation: str, errors: list[Any]) -> None:
        kinds = {str(e.get("type", "")) for e in errors if isinstance(e, dict)}
        text = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        what = f"graphql {operation}: {truncate(text)}"
        if "RATE_LIMITED" in kinds:
            raise RateLimited(what, retry_after=SECONDARY_WAIT)
        if "FORBIDDEN" in kinds:
            raise AuthError(what)
        raise FatalError(what)


class LinkPages:
    """GitHub's ``Link`` pagination: GET the first page (conditionally, with ``etag``), then each absolute
    ``rel="next"`` URL until there is none. A 304 on the first page ends the iteration at once."""

    def __init__(self, client: GithubClient, path: str, params: Mapping[str, Any], etag: str | None = None):
        self.client = client
        self.path = path
        self.params = params
        self.etag = etag

    def __iter__(self) -> Iterator[ApiResponse]:
        headers = {"If-None-Match": self.etag} if self.etag else None
        response = self.client.request("GET", self.path, self.params, headers=headers)
        yield response
        while response.status != 304:
            following = next_link(response.headers.get("link", ""))
            if following is None:
                return
            response = self.client.request("GET", following)
            yield response


def next_link(header: str) -> str | None:
    for url, rel in LINK.findall(header):
        if rel == "next":
            return str(url)
    return None


def _path(url: str) -> str:
    """Path of a URL for messages (no host, no query: nothing secret, nothing long)."""
    return urlsplit(url).path or url
