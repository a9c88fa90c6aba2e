"""HTTP to GitHub through PyGithub's requester, on the shared skeleton (:mod:`connectors.http`).

PyGithub does what a GitHub client library is for: ``Auth.Token`` puts the token on every request, the
``Requester`` builds each URL (the base URL's path prefix on GitHub Enterprise Server, query parameters
encoded as GitHub expects, lower-case booleans), encodes JSON bodies, sends ``User-Agent`` and
``X-GitHub-Api-Version``, and gives the GraphQL URL (``/graphql``, or ``/api/graphql`` behind ``/api/v3``).
It is built as DESIGN.md §4 says: ``per_page=100``, ``lazy=True``, ``retry=None`` and no throttling delays,
so that the connection's :class:`~connectors.policy.Policy` alone retries and paces.

Our policy stays in charge of the wire through the requester's own seam: every call passes a
:class:`DeadlineConnection` as ``requestJson(..., cnx=...)``. It sends through one shared ``requests``
session (keep-alive pool, ``max_retries=0``, redirects never followed) with ``stream=True`` and reads the
body with :func:`~connectors.http.read_body` within the request's total deadline, so a body trickled a byte
at a time ends like a timeout (PyGithub's own connection reads the whole body with only a per-read
timeout). The answer is decoded with bounded nesting, seen by :meth:`GithubClient.observe` and classified
there, before the requester sees it: an error, a redirect (which PyGithub would follow on a 301) or a 202
to a GET (which PyGithub would sleep on and send again) is raised as ours and retried, or not, by the
policy. Passing the connection per call, rather than ``Requester.injectConnectionClasses``, changes no
process-wide state and keeps one connection pool instead of a new connection per request.

GitHub's documented deviations from the default ladder are all in :class:`GithubClassifier`: a 403 is a
rate limit when it carries ``Retry-After`` or says so in its message (primary and secondary limits), and
without ``Retry-After`` the wait is until ``x-ratelimit-reset`` when the budget is spent, else at least a
minute (GitHub's advice for secondary limits). REST lists page with :class:`LinkPaginator`, which takes
``rel="next"`` from the ``Link`` header as ``requests`` parses it; an absolute URL on another origin is
refused before anything is sent, so the token never travels elsewhere. GraphQL documents are ``.graphql``
files in this package.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
from github import Auth, Github
from github.Requester import HTTPSRequestsConnectionClass, RequestsResponse

from connectors import graphql
from connectors.errors import RetriableError
from connectors.github.config import GithubConfig
from connectors.http import (
    CHUNK,
    Answer,
    Classifier,
    answered,
    is_write,
    log_exchange,
    origin_of,
    path_of,
    read_body,
    target,
    transport_failure,
)
from connectors.paging import PageRequest, Paginator, records_at
from connectors.policy import Policy, header_float, parse_retry_after

PACKAGE = "connectors.github"
API_VERSION = "2022-11-28"
ACCEPT = {"Accept": "application/vnd.github+json"}
RATE_LIMIT_MESSAGES = (
    "api rate limit exceeded",
    "secondary rate limit",
    "please wait a few minutes",
    "please retry your request again later",
)
SECONDARY_WAIT = 60.0  # GitHub: without retry-after, wait at least one minute
STILL_COMPUTING_WAIT = 2.0  # GitHub: a 202 to a GET means "computing, ask again shortly"
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


class GithubClient:
    """One connection's PyGithub client; every request runs through :meth:`request` or :meth:`graphql`,
    under the policy, and is counted in :attr:`requests`."""

    classifier: Classifier = GithubClassifier()

    def __init__(self, config: GithubConfig, policy: Policy) -> None:
        self.policy = policy
        self.requests = 0
        self.origin = origin_of(config.url)
        self.github = Github(
            base_url=config.url.rstrip("/"),
            auth=Auth.Token(config.token.get_secret_value()),
            user_agent="rankbridge",
            api_version=API_VERSION,
            timeout=max(1, round(config.policy.timeout)),  # unused: our connection reads with the policy's
            per_page=100,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )
        self.requester = self.github.requester
        self.graphql_url = self.requester.graphql_url
        self.session = requests.Session()
        self.session.auth = self.requester.noopAuth  # the token comes from Auth.Token alone (never .netrc)
        adapter = requests.adapters.HTTPAdapter(max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()
        self.github.close()

    def request(
        self,
        verb: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool | None = None,
    ) -> Answer:
        """One REST request under the policy (retried as it says); ``url`` is a path or an absolute URL on
        GitHub's origin (a link to another host is refused: the token never travels there)."""
        what = target(verb, url, self.origin)
        sent = {**ACCEPT, **(headers or {})}
        return self.policy.call(
            lambda: self._attempt(verb, url, params, body, sent), write=is_write(verb, write), what=what
        )

    def graphql(self, name: str, operation: str, variables: Mapping[str, Any], write: bool = False) -> Any:
        """Run ``operation`` of document ``name`` and return its ``data``; GraphQL errors are raised."""
        body = {"query": document(name), "variables": dict(variables), "operationName": operation}
        payload = self.request("POST", self.graphql_url, body=body, write=write).data
        payload = payload if isinstance(payload, dict) else {}
        errors = payload.get("errors") or []
        if errors:
            raise graphql.graphql_error(f"graphql {operation}", errors, retry_after=SECONDARY_WAIT)
        if not isinstance(payload.get("data"), dict):
            raise RetriableError(f"graphql {operation}: answer without data")
        return payload["data"]

    def observe(self, answer: Answer) -> None:
        """Feed the pacer from every answer's rate-limit headers (errors included)."""
        self.policy.pacer.observe(
            header_float(answer.headers, "x-ratelimit-limit"),
            header_float(answer.headers, "x-ratelimit-remaining"),
            header_float(answer.headers, "x-ratelimit-reset"),
        )

    def _attempt(
        self, verb: str, url: str, params: Mapping[str, Any] | None, body: Any, headers: dict[str, str]
    ) -> Answer:
        connection = DeadlineConnection(self)
        self.requester.requestJson(verb, url, dict(params) if params else None, headers, body, cnx=connection)
        if connection.answer is None:  # requestJson returns only after our getresponse answered
            raise RetriableError(f"{verb} {path_of(url)}: PyGithub returned without sending")
        return connection.answer

    def exchange(self, verb: str, path: str, data: Any, headers: Mapping[str, str]) -> Answer:
        """One attempt on the wire (called by :class:`DeadlineConnection`): sent through the shared session,
        the body read within the request's deadline, decoded, observed and classified."""
        what = f"{verb} {path_of(path)}"
        self.requests += 1
        started = time.monotonic()
        deadline = started + self.policy.settings.deadline
        try:
            response = self.session.request(
                verb,
                self.origin + path,
                data=data,
                headers=dict(headers),
                timeout=self.policy.settings.timeout,
                allow_redirects=False,
                stream=True,
            )
            with response:  # read1: whatever has arrived, so the deadline is checked after every read
                chunks = iter(lambda: response.raw.read1(CHUNK, decode_content=True), b"")
                raw = read_body(chunks, what, deadline)
        except requests.RequestException as exc:
            log_exchange(what, f"no answer ({type(exc).__name__})", started)
            raise transport_failure(what, exc) from None
        log_exchange(what, response.status_code, started)
        answer = answered(
            self.classifier, what, response.status_code, response.headers, raw, response.links, self.observe
        )
        if answer.status == 202 and verb in ("GET", "HEAD"):
            raise RetriableError(f"{what}: HTTP 202, still computing", retry_after=STILL_COMPUTING_WAIT)
        return answer


class DeadlineConnection(HTTPSRequestsConnectionClass):
    """PyGithub's connection seam for one request: the requester hands it the method, the path it built and
    the authenticated headers; :meth:`getresponse` sends them through :meth:`GithubClient.exchange`. It
    shares the client's session instead of opening its own, so the base class's constructor (which builds
    a session) is deliberately not called."""

    def __init__(self, client: GithubClient) -> None:  # no super().__init__(): see the class docstring
        parts = urlsplit(client.origin)
        self.client = client
        self.protocol = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.answer: Answer | None = None

    def getresponse(self) -> RequestsResponse:
        self.answer = self.client.exchange(self.verb, self.url, self.input, self.headers)
        return _Answered(self.answer)

    def close(self) -> None:
        """Nothing to close: the session is the client's."""


class _Answered(RequestsResponse):
    """What the requester reads back (status, headers, text); the decoded :class:`Answer` is ours."""

    def __init__(self, answer: Answer) -> None:  # no super().__init__(): the body is already read
        self.status = answer.status
        self.headers = answer.headers  # type: ignore[assignment]
        self.answer = answer

    def read(self) -> str:
        return ""  # the requester's copy of the body is never used: callers read the Answer


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
