"""A small GraphQL client for Linear over httpx: documents from ``.graphql`` files, variables only.

Every request goes through the connection's :class:`~connectors.policy.Policy` and every response through
:meth:`LinearClient._check`, the one place where HTTP statuses and GraphQL ``errors`` become the error tree:

* transport failures, timeouts and 5xx → :class:`RetriableError`;
* ``RATELIMITED`` (Linear answers it with HTTP 400; the SDK also accepts 429) and 429 → :class:`RateLimited`,
  waiting for ``Retry-After`` or else until ``X-RateLimit-Requests-Reset`` (epoch milliseconds);
* 401/403, ``AUTHENTICATION_ERROR`` and ``FORBIDDEN`` → :class:`AuthError`;
* any other error → :class:`FatalError` with Linear's own message, truncated (never the key).

Rate-limit headers (``X-RateLimit-Requests-*``, ``X-RateLimit-Complexity-*``) feed the policy's pacer;
``X-Complexity`` of the last response is kept in :attr:`LinearClient.last_complexity`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import httpx

from connectors.errors import AuthError, FatalError, RateLimited, RetriableError, Unanswered, truncate
from connectors.linear.config import LinearConfig
from connectors.policy import Policy, header_float, http_date, parse_retry_after

AUTH_CODES = {"AUTHENTICATION_ERROR", "FORBIDDEN"}


@cache
def document(name: str) -> str:
    """The text of ``connectors/linear/<name>.graphql``."""
    return resources.files("connectors.linear").joinpath(f"{name}.graphql").read_text(encoding="utf-8")


def document_names() -> list[str]:
    files = resources.files("connectors.linear").iterdir()
    return sorted(f.name[: -len(".graphql")] for f in files if f.name.endswith(".graphql"))


class LinearClient:
    """Posts named documents with variables; counts requests; maps failures into the error tree."""

    def __init__(self, config: LinearConfig, policy: Policy) -> None:
        self.config = config
        self.policy = policy
        self.requests = 0
        self.last_complexity: float | None = None
        self.server_time: datetime | None = None  # the ``Date`` of the last response (Linear's clock)
        self._http = httpx.Client(
            timeout=config.policy.timeout,
            headers={"Authorization": config.api_key.get_secret_value(), "Content-Type": "application/json"},
        )

    def close(self) -> None:
        self._http.close()

    def execute(self, name: str, variables: Mapping[str, Any] | None = None, *, write: bool = False) -> Any:
        """Run document ``name`` and return its ``data``."""
        body = {"query": document(name), "variables": dict(variables or {})}
        return self.policy.call(lambda: self._post(body), write=write, what=f"linear {name}")

    def _post(self, body: dict[str, Any]) -> Any:
        self.requests += 1
        try:
            response = self._http.post(self.config.endpoint, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetriableError(f"linear: connection failed ({type(exc).__name__})") from exc
        except httpx.TimeoutException as exc:
            raise Unanswered(f"linear: timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Unanswered(f"linear: connection failed ({type(exc).__name__})") from exc
        self._observe(response.headers)
        return self._check(response)

    def _observe(self, headers: httpx.Headers) -> None:
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

    def _check(self, response: httpx.Response) -> Any:
        status = response.status_code
        payload = _json(response)
        errors = payload.get("errors") if isinstance(payload, dict) else None
        codes = {_code(e) for e in errors or []}
        if "RATELIMITED" in codes or status == 429:
            raise RateLimited(f"linear: rate limited (HTTP {status})", _retry_after(response.headers))
        if status >= 500:
            raise RetriableError(f"linear: HTTP {status} {_message(errors)}")
        if status in (401, 403) or codes & AUTH_CODES:
            raise AuthError(f"linear: HTTP {status} {_message(errors) or 'authentication failed'}")
        if payload is None:
            raise RetriableError(f"linear: HTTP {status} with a body that is not JSON")
        if errors or status >= 400:
            raise FatalError(f"linear: HTTP {status} {_message(errors) or truncate(response.text)}")
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise RetriableError(f"linear: HTTP {status} without data")
        return payload["data"]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _code(error: Any) -> str:
    if isinstance(error, dict) and isinstance(error.get("extensions"), dict):
        return str(error["extensions"].get("code") or "")
    return ""


def _message(errors: list[Any] | None) -> str:
    messages = [str(e.get("message", "")) for e in errors or [] if isinstance(e, dict)]
    return truncate("; ".join(m for m in messages if m))


def _retry_after(headers: httpx.Headers) -> float | None:
    asked = parse_retry_after(headers.get("retry-after"))
    if asked is not None:
        return asked
    reset_ms = header_float(headers, "x-ratelimit-requests-reset", "x-ratelimit-complexity-reset")
    if reset_ms is None:
        return None
    return max(0.0, reset_ms / 1000 - time.time())


@dataclass
class Paginator:
    """Relay pagination over one root connection: follows ``pageInfo.endCursor`` while ``hasNextPage``."""

    client: LinearClient
    name: str  # document name
    root: str  # root field holding the connection
    variables: dict[str, Any]

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        after: str | None = None
        while True:
            data = self.client.execute(self.name, {**self.variables, "after": after})
            connection = data[self.root]
            yield list(connection["nodes"])
            info = connection.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not after:
                return
