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
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from connectors.errors import ConnectorError, RetriableError, truncate
from connectors.http import (
    CHUNK,
    Answer,
    Classifier,
    answered,
    decode,
    log_exchange,
    read_body,
    transport_failure,
)
from connectors.jira.config import JiraConfig
from connectors.paging import PageRequest, Paginator, paginate, records_at
from connectors.policy import Policy, header_float, http_date

T = TypeVar("T")
EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
QUOTA_POLICIES = ("global-app-quota", "tenant-app-quota")  # an app's hourly points pools
JsonObject = dict[str, Any]


class JiraClassifier(Classifier):
    """Jira's deviations: a 403 with ``RateLimit-Reason`` or ``Retry-After`` is a rate limit; its error
    body is ``{"errorMessages": [...], "errors": {...}}``."""

    def is_rate_limited(self, answer: Answer) -> bool:
        limited_403 = answer.headers.get("ratelimit-reason") or answer.headers.get("retry-after") is not None
        return answer.status == 429 or (answer.status == 403 and bool(limited_403))

    def message(self, answer: Answer) -> str:
        reason = answer.headers.get("ratelimit-reason")
        text = self._text(answer)
        return f"{text} ({reason})" if reason else text

    def _text(self, answer: Answer) -> str:
        body = answer.data
        if not isinstance(body, dict):
            return truncate(answer.text or (str(body) if body is not None else ""))
        parts = [str(m) for m in body.get("errorMessages") or []]
        parts += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        return truncate("; ".join(parts) or json.dumps(body))


class Reply:
    """A decoded response: status and JSON body (None for 204 and empty bodies)."""

    def __init__(self, answer: Answer) -> None:
        self.status = answer.status
        self.body = answer.data


class JiraClient:
    """One connection's HTTP client; every request runs through :meth:`call`."""

    def __init__(self, config: JiraConfig, policy: Policy) -> None:
        self.config = config
        self.policy = policy
        self.requests = 0
        self.classifier = JiraClassifier()
        self.server_time: datetime | None = None  # the ``Date`` of the last response (Jira's clock)
        self.epic_link: str | None = None  # the Epic Link field id a pull learned (normalize reads it)
        self._catalogue: list[dict[str, Any]] | None = None
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
            return Reply(self._send(method, url, params, data, headers, f"{method} {path}"))

        return self.policy.call(attempt, write=write, what=f"{method} {path}")

    def library(self, fn: Callable[[], T], what: str) -> T:
        """Run one call of the ``jira`` library (one request) under the same policy and error mapping."""

        def attempt() -> T:
            self.requests += 1
            try:
                return fn()
            except JIRAError as exc:
                raise self._library_error(what, exc) from None
            except requests.RequestException as exc:
                raise transport_failure(what, exc) from None

        return self.policy.call(attempt, what=what)

    def field_catalogue(self) -> list[dict[str, Any]]:
        """``GET /field``, read once per connector (names, the Rank and the Epic Link field all use it)."""
        if self._catalogue is None:
            body = self.call("GET", f"{self.api}/field").body
            self._catalogue = [f for f in body if isinstance(f, dict)] if isinstance(body, list) else []
        return self._catalogue

    def epic_link_field(self) -> str | None:
        """The Epic Link custom field's id (schema custom type ``com.pyxis.greenhopper.jira:gh-epic-link``),
        from ``GET /rest/api/3/field`` (``FieldDetails``, platform-swagger-v3.v3.full.json), or None."""
        for field in self.field_catalogue():
            schema = field.get("schema")
            if isinstance(schema, dict) and schema.get("custom") == EPIC_LINK_TYPE and field.get("id"):
                return str(field["id"])
        return None

    def user_zone(self) -> str | None:
        """The API user's profile time zone, in which Jira reads JQL dates: ``User.timeZone`` of
        ``GET /rest/api/3/myself`` (``/rest/api/2/myself`` on Data Center), platform-swagger-v3.v3.full.json.
        None when the profile's privacy settings hide it ("may be returned as null")."""
        reply = self.call("GET", f"{self.api}/myself")
        zone = reply.body.get("timeZone") if isinstance(reply.body, dict) else None
        return str(zone) if zone else None

    def _send(
        self, method: str, url: str, params: dict[str, Any] | None, data: str | None, headers: Any, what: str
    ) -> Answer:
        """One attempt through the session's plain ``requests`` layer (its auth, headers and response hook;
        not the library's retrying layer), the body read within the request's deadline."""
        self.requests += 1
        started = time.monotonic()
        deadline = started + self.policy.settings.deadline
        try:
            response = requests.Session.request(
                self.session,
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                timeout=self.config.policy.timeout,
                allow_redirects=False,
                stream=True,
            )
            # read1: whatever has arrived, so the deadline is checked after every read
            chunks = iter(lambda: response.raw.read1(CHUNK, decode_content=True), b"")
            try:
                raw = read_body(chunks, what, deadline)
            except BaseException:
                response.close()  # a half-read answer: drop the connection
                raise
            response.raw.release_conn()  # read to its end: the connection goes back to the pool
        except requests.RequestException as exc:
            log_exchange(what, f"no answer ({type(exc).__name__})", started)
            raise transport_failure(what, exc) from None
        log_exchange(what, response.status_code, started)
        return answered(self.classifier, what, response.status_code, response.headers, raw, response.links)

    def search(
        self, jql: str, fields: list[str], max_results: int | None = None, max_pages: int | None = None
    ) -> Iterator[list[JsonObject]]:
        """Pages of issues matching ``jql``, in the deployment's pagination style, within the page cap."""
        paginator = PAGINATORS[self.config.deployment](jql, fields, max_results or self.config.max_results)
        cap = max_pages or self.config.max_pages
        send = paginator.sender(self)
        return (issues for issues, _ in paginate(send, paginator, f"Jira search {paginator.path}", cap))

    # --- one place for responses ----------------------------------------------------------------------
    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Response hook: feed Jira's rate-limit headers to the pacer (every response, errors included)."""
        headers = response.headers
        self.server_time = http_date(headers.get("Date"))
        quota = points_quota(headers, time.time())
        if quota is not None:  # an app's points pool is nearly spent: pace by it, not by the burst
            self.policy.pacer.observe(*quota)
            return
        reset = _reset_epoch(headers.get("X-RateLimit-Reset"))
        limit = header_float(headers, "X-RateLimit-Limit")
        remaining = header_float(headers, "X-RateLimit-Remaining")
        if reset is None and remaining is not None:
            reset = time.time() + 1.0  # burst headers: "remaining requests in the current second"
        if limit is not None or remaining is not None or reset is not None:
            self.policy.pacer.observe(limit, remaining, reset)

    def _library_error(self, what: str, exc: JIRAError) -> ConnectorError:
        """A failure the ``jira`` library raised, through the same classifier."""
        response = exc.response
        if response is None:
            return RetriableError(f"{what}: no response ({truncate(exc.text or '')})")
        body, text = decode(response.status_code, response.content or b"", what)
        answer = Answer(response.status_code, response.headers, body, text or truncate(exc.text or ""))
        return self.classifier.error_for(what, answer) or RetriableError(f"{what}: {truncate(str(exc))}")


def points_quota(headers: Mapping[str, str], now: float) -> tuple[float, float, float] | None:
    """(limit, remaining, reset epoch) of an app's points quota from ``RateLimit-Policy``/``RateLimit`` (or
    their ``Beta-`` forms), when the answer says what remains (``r``, sent once 80 % is spent); None
    otherwise. Format (developer.atlassian.com/cloud/jira/platform/rate-limiting/, "Header format"):
    ``"<policy>";q=<quota>;w=<seconds>`` and ``"<policy>";r=<remaining>;t=<seconds to reset>``, entries
    separated by commas, in any order."""
    for prefix in ("", "Beta-"):
        policy = _policy_entries(headers.get(f"{prefix}RateLimit-Policy"))
        state = _policy_entries(headers.get(f"{prefix}RateLimit"))
        for name in QUOTA_POLICIES:
            known, current = policy.get(name, {}), state.get(name, {})
            if "q" in known and "r" in current and "t" in current:
                return known["q"], current["r"], now + current["t"]
    return None


def _policy_entries(value: str | None) -> dict[str, dict[str, float]]:
    entries: dict[str, dict[str, float]] = {}
    for entry in (value or "").split(","):
        name, *attributes = (part.strip() for part in entry.split(";"))
        numbers: dict[str, float] = {}
        for attribute in attributes:
            key, _, number = attribute.partition("=")
            try:
                numbers[key.strip()] = float(number)
            except ValueError:
                continue
        if name:
            entries[name.strip('"')] = numbers
    return entries


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


# --- pagination: one small paginator per style, driven by the one loop (connectors/paging.py) ------------
class SearchPaginator(Paginator):
    method = "GET"
    path = ""

    def __init__(self, jql: str, fields: list[str], max_results: int) -> None:
        self.jql = jql
        self.fields = fields
        self.max_results = max_results

    def sender(self, client: JiraClient) -> Callable[[PageRequest], Reply]:
        if self.method == "POST":
            return lambda request: client.call("POST", self.path, body=dict(request.params))
        return lambda request: client.call("GET", self.path, params=dict(request.params))


class TokenSearch(SearchPaginator):
    """Cloud: ``POST /rest/api/3/search/jql``, following ``nextPageToken`` until ``isLast``.

    The old ``/search`` with ``startAt`` answers 410 on Cloud. ``fields`` is always explicit (the default
    is ``id`` only), and the JQL travels in the body so a long ``key in (...)`` never hits a URL limit.
    """

    method = "POST"
    path = "/rest/api/3/search/jql"

    def first(self) -> PageRequest:
        return PageRequest({"jql": self.jql, "fields": self.fields, "maxResults": self.max_results})

    def update_state(self, answer: Reply) -> list[JsonObject]:
        issues = records_at(answer.body, ("issues",), f"POST {self.path}")
        token = answer.body.get("nextPageToken")
        self.token = str(token) if token else None
        self.has_next_page = not answer.body.get("isLast", token is None) and self.token is not None
        return issues

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(nextPageToken=self.token)


class OffsetSearch(SearchPaginator):
    """Data Center: ``GET /rest/api/2/search`` with ``startAt``, until ``total`` issues were read.

    Offsets shift under us: an issue edited while we page leaves its place for the end of the ``updated``
    order, so every issue after it moves up one place, and a plain ``startAt += page`` would skip the one
    that moved across the page boundary. So each page after the first also asks for the issue before it
    (one more result, no more requests) and checks that it is the last one we read; when it is not,
    :class:`ResultsShifted` is raised before anything past the boundary is handed on, and the caller
    searches again from where its cursor stands (connectors/jira/streams.py)."""

    path = "/rest/api/2/search"

    def __init__(self, jql: str, fields: list[str], max_results: int) -> None:
        super().__init__(jql, fields, max_results)
        self.start = 0
        self.last: str | None = None

    def first(self) -> PageRequest:
        fields = ",".join(self.fields)
        return PageRequest({"jql": self.jql, "startAt": 0, "maxResults": self.max_results, "fields": fields})

    def update_state(self, answer: Reply) -> list[JsonObject]:
        issues = records_at(answer.body, ("issues",), f"GET {self.path}")
        if self.last is not None:
            if not issues or issues[0].get("id") != self.last:
                raise ResultsShifted(f"the issue at offset {self.start - 1} is no longer the last one read")
            issues = issues[1:]
        self.start += len(issues)
        self.has_next_page = bool(issues) and self.start < int(answer.body.get("total") or 0)
        self.last = issues[-1].get("id") if issues else None
        return issues

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(startAt=self.start - 1, maxResults=self.max_results + 1)


class ResultsShifted(Exception):
    """An offset-paged search moved under us (an issue we read was edited or deleted since)."""


PAGINATORS: dict[str, type[SearchPaginator]] = {"cloud": TokenSearch, "datacenter": OffsetSearch}
