"""HTTP for Jira: the pycontribs ``jira`` client's authenticated session, one error mapping, pagination.

The ``jira.JIRA`` object is built as client-libraries.md §1 advises: ``max_retries=0`` (the shared
:mod:`connectors.policy` alone retries), ``get_server_info=False`` (Cloud or Data Center comes from config,
so building a connector sends nothing) and ``timeout`` from the connection's policy.

Searches, bulk rank and field edits go through the client's authenticated session (``JIRA._session``) to
the documented endpoints rather than through the library's helpers, because those helpers add requests we
must not pay for: the first search with ``fields`` and the first ``rank()`` call ``GET /field``,
``rank()`` moves one issue per call although the endpoint takes 50, and ``Issue.update()`` re-reads the
issue after every edit. Through the session every request still carries the library's auth and headers,
and each one passes :meth:`JiraClient.call`, which applies the policy, counts it, reads the rate-limit
headers and maps failures into :mod:`connectors.errors` in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import requests
from jira import JIRA, JIRAError

from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalError,
    RateLimited,
    RetriableError,
    transport_error,
    truncate,
)
from connectors.jira.config import JiraConfig
from connectors.policy import Policy, header_float, http_date, parse_retry_after

T = TypeVar("T")
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """A decoded response: status and JSON body (None for 204 and empty bodies)."""

    status: int
    body: Any


class JiraClient:
    """One connection's HTTP client; every request runs through :meth:`call`."""

    def __init__(self, config: JiraConfig, policy: Policy) -> None:
        self.config = config
        self.policy = policy
        self.sent = 0
        self.server_time: datetime | None = None  # the ``Date`` of the last response (Jira's clock)
        secret = config.token.get_secret_value()
        auth: dict[str, Any] = (
            {"basic_auth": (config.email or "", secret)}
            if config.deployment == "cloud"
            else {"token_auth": secret}
        )
        self.jira = JIRA(
            server=config.url,
            max_retries=0,
            get_server_info=False,
            timeout=config.policy.timeout,
            options={"rest_api_version": config.api_version, "check_update": False},
            **auth,
        )
        if config.deployment == "cloud":
            self.jira.deploymentType = "Cloud"  # what serverInfo would have told the library
        self.session: requests.Session = self.jira._session
        self.session.hooks["response"].append(self._observe)
        self.api = f"/rest/api/{config.api_version}"

    def close(self) -> None:
        self.session.close()

    # --- requests -----------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        write: bool = False,
    ) -> Reply:
        """Send one request to ``path`` (relative to the server) under the policy; return the reply."""
        url = self.config.url.rstrip("/") + path
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else {}

        def attempt() -> Reply:
            self.sent += 1
            try:
                response = self.session.request(method, url, params=params, data=data, headers=headers)
            except JIRAError as exc:
                raise self._error(method, path, exc.response, exc.text) from None
            except requests.RequestException as exc:
                raise transport_error(f"{method} {path}", exc) from None
            return Reply(response.status_code, _decode(method, path, response))

        return self.policy.call(attempt, write=write, what=f"{method} {path}")

    def library(self, fn: Callable[[], T], what: str) -> T:
        """Run one call of the ``jira`` library (one request) under the same policy and error mapping."""

        def attempt() -> T:
            self.sent += 1
            try:
                return fn()
            except JIRAError as exc:
                raise self._error("GET", what, exc.response, exc.text) from None
            except requests.RequestException as exc:
                raise transport_error(what, exc) from None

        return self.policy.call(attempt, what=what)

    def user_zone(self) -> str | None:
        """The API user's profile time zone, in which Jira reads JQL dates: ``User.timeZone`` of
        ``GET /rest/api/3/myself`` (``/rest/api/2/myself`` on Data Center), platform-swagger-v3.v3.full.json.
        None when the profile's privacy settings hide it ("may be returned as null")."""
        reply = self.call("GET", f"{self.api}/myself")
        zone = reply.body.get("timeZone") if isinstance(reply.body, dict) else None
        return str(zone) if zone else None

    def search(
        self, jql: str, fields: list[str], max_results: int | None = None
    ) -> Iterator[list[JsonObject]]:
        """Pages of issues matching ``jql``, in the deployment's pagination style."""
        paginator = PAGINATORS[self.config.deployment](self, max_results or self.config.max_results)
        return paginator.pages(jql, fields)

    # --- one place for responses ----------------------------------------------------------------------
    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Response hook: feed Jira's rate-limit headers to the pacer (every response, errors included)."""
        headers = response.headers
        self.server_time = http_date(headers.get("Date"))
        reset = _reset_epoch(headers.get("X-RateLimit-Reset"))
        limit = header_float(headers, "X-RateLimit-Limit")
        remaining = header_float(headers, "X-RateLimit-Remaining")
        if limit is not None or remaining is not None or reset is not None:
            self.policy.pacer.observe(limit, remaining, reset)

    def _error(
        self, method: str, path: str, response: requests.Response | None, text: str | None
    ) -> ConnectorError:
        """Map a failed response into the error tree; messages carry Jira's own text, never credentials."""
        if response is None:
            return RetriableError(f"{method} {path}: no response ({truncate(text or '')})")
        status = response.status_code
        where = f"{method} {path}: HTTP {status}"
        detail = _jira_message(response)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        reason = response.headers.get("RateLimit-Reason")
        if status == 429 or (status == 403 and (reason or retry_after is not None)):
            return RateLimited(f"{where} rate limited ({reason or 'no reason given'})", retry_after)
        if status in (401, 403):
            return AuthError(f"{where} {detail}".strip())
        if status >= 500:
            return RetriableError(f"{where} {detail}".strip(), retry_after)
        return FatalError(f"{where} {detail}".strip())


def _decode(method: str, path: str, response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        # A truncated or garbled body: the same request may well succeed again.
        raise RetriableError(f"{method} {path}: malformed JSON in HTTP {response.status_code}") from None


def _jira_message(response: requests.Response) -> str:
    """Jira's ``{"errorMessages": [...], "errors": {...}}`` as one short line (or the raw text)."""
    try:
        body = response.json()
    except ValueError:
        return truncate(response.text or "")
    if not isinstance(body, dict):
        return truncate(str(body))
    parts = [str(m) for m in body.get("errorMessages") or []]
    parts += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    return truncate("; ".join(parts) or json.dumps(body))


def _reset_epoch(value: str | None) -> float | None:
    """``X-RateLimit-Reset``: an ISO 8601 timestamp on Jira Cloud; epoch seconds are accepted too."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# --- pagination: one small class per style -----------------------------------------------------------------
class Paginator(Protocol):
    def __init__(self, client: JiraClient, max_results: int) -> None: ...

    def pages(self, jql: str, fields: list[str]) -> Iterator[list[JsonObject]]: ...


class TokenSearch:
    """Cloud: ``POST /rest/api/3/search/jql``, following ``nextPageToken`` until ``isLast``.

    The old ``/search`` with ``startAt`` answers 410 on Cloud. ``fields`` is always explicit (the default
    is ``id`` only), and the JQL travels in the body so a long ``key in (...)`` never hits a URL limit.
    """

    def __init__(self, client: JiraClient, max_results: int) -> None:
        self.client = client
        self.max_results = max_results

    def pages(self, jql: str, fields: list[str]) -> Iterator[list[JsonObject]]:
        token: str | None = None
        while True:
            body: JsonObject = {"jql": jql, "fields": fields, "maxResults": self.max_results}
            if token:
                body["nextPageToken"] = token
            data = _search_body(self.client.call("POST", "/rest/api/3/search/jql", body=body))
            yield data["issues"]
            token = data.get("nextPageToken")
            if data.get("isLast", token is None) or not token:
                return


class OffsetSearch:
    """Data Center: ``GET /rest/api/2/search`` with ``startAt``, until ``total`` issues were read.

    Offsets shift under us: an issue edited while we page leaves its place for the end of the ``updated``
    order, so every issue after it moves up one place, and a plain ``startAt += page`` would skip the one
    that moved across the page boundary. So each page after the first also asks for the issue before it
    (one more result, no more requests) and checks that it is the last one we read; when it is not,
    :class:`ResultsShifted` is raised before anything past the boundary is handed on, and the caller
    searches again from where its cursor stands (connectors/jira/streams.py)."""

    def __init__(self, client: JiraClient, max_results: int) -> None:
        self.client = client
        self.max_results = max_results

    def pages(self, jql: str, fields: list[str]) -> Iterator[list[JsonObject]]:
        start, last = 0, None
        while True:
            overlap = 0 if last is None else 1
            params = {
                "jql": jql,
                "startAt": start - overlap,
                "maxResults": self.max_results + overlap,
                "fields": ",".join(fields),
            }
            data = _search_body(self.client.call("GET", "/rest/api/2/search", params=params))
            issues: list[JsonObject] = data["issues"]
            if last is not None:
                if not issues or issues[0].get("id") != last:
                    raise ResultsShifted(f"the issue at offset {start - 1} is no longer the last one read")
                issues = issues[1:]
            yield issues
            start += len(issues)
            if not issues or start >= int(data.get("total") or 0):
                return
            last = issues[-1].get("id")


class ResultsShifted(Exception):
    """An offset-paged search moved under us (an issue we read was edited or deleted since)."""


def _search_body(reply: Reply) -> JsonObject:
    data = reply.body
    if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
        raise RetriableError(f"search answered HTTP {reply.status} without an issues list")
    return data


PAGINATORS: dict[str, type[Paginator]] = {"cloud": TokenSearch, "datacenter": OffsetSearch}
