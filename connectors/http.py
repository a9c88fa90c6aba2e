"""The one HTTP skeleton every connector's client stands on.

* :class:`Answer`: one response, whatever library sent it: status, headers, decoded JSON, ``Link`` targets
  (parsed by the HTTP library, never by a regex of ours).
* :class:`Classifier`: the one ladder from an answer to the error tree (:mod:`connectors.errors`):

  =====================  ==========================================================================
  3xx (but 304)          :class:`WrongShape`: a redirect where an answer was expected (never followed,
                         so no credential travels to wherever it points)
  429                    :class:`RateLimited`, waiting for ``Retry-After`` (either form)
  401, 403               :class:`AuthError`
  5xx                    :class:`RetriableError` (with ``Retry-After`` when sent)
  any other 4xx          :class:`FatalError` with the provider's own text, truncated
  =====================  ==========================================================================

  A service overrides only what its documentation says differs: :meth:`Classifier.is_rate_limited`
  (GitHub and Jira signal limits with 403, Linear with 400 ``RATELIMITED``), :meth:`Classifier.retry_after`
  (a reset header instead of ``Retry-After``) and :meth:`Classifier.message` (its error body's shape).
* :func:`transport_failure`: library exceptions by type: a connection never made is retriable as it is;
  anything later may have reached the provider (:class:`Unanswered`).
* :func:`read_body`: every request has a total deadline (connect, headers and the whole body), so a body
  trickled a byte at a time ends like a timeout instead of holding the run; and a size bound.
* :func:`parse_json`: nesting depth is bounded while parsing; a document nested past what the fast parser
  takes is parsed again with the over-deep parts replaced by :data:`TOO_DEEP`, so that only the records
  holding them are quarantined (see :func:`too_deep`) and the page's other records are kept.
* :class:`HttpClient`: the httpx client of Linear and Zendesk (Jira sends through the ``jira`` library's
  session, GitHub through PyGithub's requester, each with the same reading, deadline and classifier).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from connectors.errors import (
    AuthError,
    ConnectorError,
    DeadlineExceeded,
    FatalError,
    Gone,
    RateLimited,
    RetriableError,
    Unanswered,
    WrongShape,
    truncate,
)
from connectors.policy import Policy, parse_retry_after

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024 * 1024  # one answer; far above any documented page size
MAX_DEPTH = 200  # nesting kept when a document must be cut (the fast parser takes up to 1024)
TOO_DEEP = "\u2026 rankbridge: nested too deep"
CHUNK = 64 * 1024
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


@dataclass(frozen=True)
class Answer:
    """One decoded response. ``data`` is the parsed JSON body (None when empty); ``links`` maps each
    ``Link`` relation to its URL."""

    status: int
    headers: Mapping[str, str]  # case-insensitive (httpx.Headers or requests' CaseInsensitiveDict)
    data: Any
    text: str = ""
    links: Mapping[str, str] = field(default_factory=dict)


def log_exchange(what: str, status: int | str, started: float) -> None:
    """One debug line per request (``-vv``): method, path, status and time. ``what`` is built from the
    method and the path alone (:func:`path_of`): no host, no query, no header, so never a secret."""
    log.debug("%s -> %s in %.0f ms", what, status, (time.monotonic() - started) * 1000)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def target(method: str, url: str, origin: str | None) -> str:
    """``METHOD /path`` for messages, once ``url`` is known to stay on ``origin``: a link to another host is
    refused before anything is sent, so the credentials never travel there."""
    what = f"{method} {path_of(url)}"
    if origin and url.startswith(("http://", "https://")) and origin_of(url) != origin:
        raise WrongShape(f"{what}: refusing to send credentials to {origin_of(url)}")
    return what


def is_write(method: str, write: bool | None = None) -> bool:
    """Whether a request counts as a write for pacing: anything but GET unless the caller says (GraphQL
    queries go out as POST)."""
    return method != "GET" if write is None else write


def path_of(url: str) -> str:
    """The path of a URL for messages: no host, no query (nothing secret, nothing long)."""
    return urlsplit(url).path or url


# --- reading ---------------------------------------------------------------------------------------------
def read_body(chunks: Iterable[bytes], what: str, deadline: float, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body from ``chunks``, or :class:`DeadlineExceeded` once ``time.monotonic()`` passes
    ``deadline`` (each read is bounded by the client's per-read timeout, so the deadline holds within one
    read timeout), or :class:`WrongShape` past ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise WrongShape(f"{what}: answer larger than {limit} bytes")
        parts.append(chunk)
        if time.monotonic() > deadline:
            raise DeadlineExceeded(f"{what}: no complete answer within the request deadline")
    return b"".join(parts)


def parse_json(body: bytes) -> Any:
    """JSON with bounded nesting; :class:`ValueError` when it is not JSON at all."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    text = body.decode("utf-8", "replace")
    return json.loads(_cut_deep(text, MAX_DEPTH))  # raises ValueError when it is not JSON either


def _cut_deep(text: str, limit: int) -> str:
    """``text`` with every array or object nested deeper than ``limit`` replaced by :data:`TOO_DEEP`."""
    out: list[str] = []
    depth, copied, cut_from = 0, 0, -1
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth == limit + 1 and cut_from < 0:
                cut_from = token.start()
        elif char in "]}":
            if depth == limit + 1 and cut_from >= 0:
                out.append(text[copied:cut_from])
                out.append(json.dumps(TOO_DEEP))
                copied, cut_from = token.end(), -1
            depth -= 1
    out.append(text[copied:])
    return "".join(out)


def too_deep(text: str) -> bool:
    """Whether a record's JSON text holds a part :func:`parse_json` had to cut."""
    return TOO_DEEP in text


def decode(status: int, body: bytes, what: str) -> tuple[Any, str]:
    """(JSON data or None, text for messages). A success whose body is not JSON is retriable (a truncated or
    garbled body); an error's body may be anything."""
    if not body:
        return None, ""
    try:
        return parse_json(body), ""
    except ValueError:
        if status < 300:
            raise RetriableError(f"{what}: HTTP {status} with a body that is not JSON") from None
        return None, truncate(body.decode("utf-8", "replace"))


# --- classification --------------------------------------------------------------------------------------
class Classifier:
    """The default status ladder (module docstring); services override the documented deviations."""

    def error_for(self, what: str, answer: Answer) -> ConnectorError | None:
        status = answer.status
        if status < 300 or status == 304:
            return None
        where = f"{what}: HTTP {status} {self.message(answer)}".rstrip()
        if status < 400:
            target = path_of(answer.headers.get("location") or "?")
            return WrongShape(f"{what}: HTTP {status} redirect to {target} where an answer was expected")
        if self.is_rate_limited(answer):
            return RateLimited(where, retry_after=self.retry_after(answer))
        if status in (401, 403):
            return AuthError(where)
        if status >= 500:
            return RetriableError(where, retry_after=parse_retry_after(answer.headers.get("retry-after")))
        if status in (404, 410):
            return Gone(where)
        return FatalError(where)

    def is_rate_limited(self, answer: Answer) -> bool:
        return answer.status == 429

    def retry_after(self, answer: Answer) -> float | None:
        return parse_retry_after(answer.headers.get("retry-after"))

    def message(self, answer: Answer) -> str:
        """The provider's error text: ``message`` or ``error`` of a JSON body, else the raw text."""
        data = answer.data
        if isinstance(data, dict):
            for key in ("message", "error", "errorMessage"):
                if isinstance(data.get(key), str):
                    return truncate(data[key])
            return truncate(json.dumps(data))
        return truncate(answer.text)


def never_connected(exc: Exception) -> bool:
    """Whether a library's transport exception means the connection was never made. ``requests`` is looked
    up among the loaded modules, never imported: its exception can only come from code that loaded it (the
    Jira client), and a pull of other trackers should not pay for importing it."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return True
    requests = sys.modules.get("requests")
    return requests is not None and isinstance(exc, requests.exceptions.ConnectTimeout)


def answered(
    classifier: Classifier,
    what: str,
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    links: Mapping[Any, Mapping[str, Any]],
    observe: Callable[[Answer], None] | None = None,
) -> Answer:
    """A response read whole as an :class:`Answer` (``links`` as the HTTP library parsed them), seen by
    ``observe`` and raised as its error when the classifier says it is one: the tail every transport
    shares."""
    data, text = decode(status, raw, what)
    answer = Answer(
        status, headers, data, text, {str(r): str(k["url"]) for r, k in links.items() if "url" in k}
    )
    if observe is not None:
        observe(answer)
    error = classifier.error_for(what, answer)
    if error is not None:
        raise error
    return answer


def transport_failure(what: str, exc: Exception) -> RetriableError:
    """A library's transport exception as one of ours: a connection never made sent nothing (retriable);
    anything after the connection was made may have reached the provider (:class:`Unanswered`)."""
    kind = RetriableError if never_connected(exc) else Unanswered
    return kind(f"{what}: {type(exc).__name__}")


# --- the httpx client ------------------------------------------------------------------------------------
class HttpClient:
    """One connection's httpx client: every request under the policy, within its deadline, through the
    classifier. Subclasses set :attr:`classifier` and may override :meth:`observe` (rate-limit headers)
    and :meth:`before_send` / :meth:`after_send` (a service's own pacing)."""

    classifier: Classifier = Classifier()

    def __init__(
        self,
        policy: Policy,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.policy = policy
        self.requests = 0
        self.origin = origin_of(base_url) if base_url else None  # where credentials may go
        self.http = httpx.Client(
            base_url=base_url,
            auth=auth,
            headers=dict(headers or {}),
            timeout=policy.settings.timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool | None = None,
    ) -> Answer:
        """One request under the policy (retried as it says); ``url`` is a path or an absolute URL on the
        client's own origin (a link to another host is refused: the credentials never travel there)."""
        what = target(method, url, self.origin)
        return self.policy.call(
            lambda: self._attempt(method, url, params, body, headers, what),
            write=is_write(method, write),
            what=what,
        )

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        what: str,
    ) -> Answer:
        self.before_send(url)
        self.requests += 1
        started = time.monotonic()
        deadline = started + self.policy.settings.deadline
        try:
            with self.http.stream(
                method, url, params=dict(params) if params else None, json=body, headers=headers
            ) as response:
                raw = read_body(response.iter_bytes(), what, deadline)  # each read as it arrives
        except httpx.TransportError as exc:
            log_exchange(what, f"no answer ({type(exc).__name__})", started)
            raise transport_failure(what, exc) from None
        finally:
            self.after_send(url)
        log_exchange(what, response.status_code, started)
        return answered(
            self.classifier, what, response.status_code, response.headers, raw, response.links, self.observe
        )

    def observe(self, answer: Answer) -> None:
        """Read the answer's rate-limit headers (every answer, errors included)."""

    def before_send(self, url: str) -> None:
        """Wait for a service's own pacing before a request leaves."""

    def after_send(self, url: str) -> None:
        """Note that a request was answered (or failed)."""
