"""The small framework the four emulators share: routing, auth, JSON responses, the request log, the
fault injector, rate-limit accounting and the ``/_sandbox/`` control endpoints.

Each emulator subclasses :class:`Emulator`, declares its routes with :func:`route`, and implements what is
specific to its service (auth scheme, error body, rate-limit headers, state, edits). Servers are real HTTP
on 127.0.0.1 (:mod:`sandbox.serving`); data lives in memory.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sandbox.faults import Faults, Reshaper

Handler = Callable[..., "Response"]
DROP = object()  # a fault that closes the connection without an answer


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    operation: dict[str, str] | None = None  # GraphQL operation type and name, set by GraphQL handlers
    client_gone: Callable[[], bool] | None = None  # True once the client closed its connection
    received: float = field(default_factory=time.time)  # when it arrived, before any injected latency

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Repeated and comma-separated values of one query parameter."""
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v for v in value.split(",") if v)
        return out

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    mutated: bool = False
    trickle: float = 0.0  # bytes per second (a fault); 0: the body goes out at once

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


def conditional(request: Request, response: Response, extra: bytes = b"") -> Response:
    """A weak ``ETag`` over the body (and ``extra``, e.g. the Link header), and 304 Not Modified for an
    ``If-None-Match`` that names it (RFC 9110 §13.1.2), as GitHub and Zendesk answer GETs."""
    digest = hashlib.sha256(response.encoded() + extra).hexdigest()
    etag = f'W/"{digest[:40]}"'
    response.headers["ETag"] = etag
    response.body = response.encoded()  # encoded once: the handler sends these bytes as they are
    asked = {t.strip() for t in request.headers.get("if-none-match", "").split(",") if t.strip()}
    if etag in asked or etag.removeprefix("W/") in asked:
        return Response(304, None, {"ETag": etag})
    return response


NOT_EMULATED = "is not emulated by the rankbridge sandbox"


def unserved_value(request: Request, name: str, values: list[str]) -> HttpError:
    """501 for values of a documented parameter the handler does not produce (an ``expand`` or ``include``
    it does not serve), naming the operation and the parameter, as :meth:`Emulator.not_emulated` does."""
    return HttpError(501, f"{request.method} {request.path} with {name}={','.join(values)} {NOT_EMULATED}")


class HttpError(Exception):
    """Raised by handlers to answer with the service's error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Budget:
    """A fixed-window request budget; past it the emulator answers with its service's 429."""

    limit: int = 100_000
    window: float = 60.0
    used: int = 0
    window_start: float = field(default_factory=time.time)

    def take(self) -> tuple[bool, int, float]:
        now = time.time()
        if now - self.window_start >= self.window:
            self.window_start, self.used = now, 0
        reset_at = self.window_start + self.window
        if self.used >= self.limit:
            return False, 0, reset_at
        self.used += 1
        return True, self.limit - self.used, reset_at


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler_name: str
    template: str = ""  # the path as declared, ``{name}`` placeholders included (constraints dropped)
    params: frozenset[str] = frozenset()  # the query parameters the handler honours

    def unserved(self, query: dict[str, list[str]]) -> list[str]:
        """Query parameters of a request this route does not honour, as ``name=value``."""
        return [f"{name}={','.join(values)}" for name, values in query.items() if name not in self.params]


PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]+))?\}")


def route(method: str, path: str, params: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    """Declare a handler: ``{name}`` in ``path`` captures one segment into ``request.params``;
    ``{name:regex}`` only a segment matching ``regex`` (so a literal sibling such as
    ``/issue/createmeta`` is not read as an issue key). ``params`` lists the documented query parameters
    the handler honours: a request with any other is answered 501 naming it (issue 15 item 8), never a
    silent 200 that ignored it."""
    regex = "^" + PLACEHOLDER.sub(lambda m: f"(?P<{m[1]}>(?:{m[2] or '[^/]+'}))", path) + "$"
    template = PLACEHOLDER.sub(lambda m: "{" + m[1] + "}", path)

    def mark(fn: Handler) -> Handler:
        routes = getattr(fn, "_routes", [])
        routes.append((method, regex, template, frozenset(params)))
        fn._routes = routes  # type: ignore[attr-defined]
        return fn

    return mark


class Emulator:
    """Base of every emulator: owns the lock, the log, faults and budget; subclasses own the data."""

    name = "emulator"
    public_paths: tuple[str, ...] = ()
    # Where the service's documented API lives: an unrouted request under these answers 501 (not emulated)
    api_prefixes: tuple[str, ...] = ("/",)
    record_keys: tuple[
        str, ...
    ] = ()  # where answers hold record lists ("": the body); the null_records fault
    # The services whose generated issues this emulator's generator points at (mentions, mirrors, links):
    # the launcher seeds those first and hands the generator their references only.
    reads_references_of: tuple[str, ...] = ()
    # Every emulator declares raw fields that break one of its records (fault drills); no default, so a new
    # service's emulator cannot leave the malformed-record drill silently empty.
    BROKEN_RAW: ClassVar[dict[str, Any]]

    def __init__(self, token: str) -> None:
        self.token = token
        self.lock = threading.RLock()
        self.log: list[dict[str, Any]] = []
        self.faults = Faults()
        self.reshaper = Reshaper(self.faults, self.record_keys)
        self.budget = Budget()
        self.base_url = "http://127.0.0.1"
        self._rng = random.Random(0)
        self._routes = self._collect_routes()

    # --- what subclasses implement -------------------------------------------------------------------
    def authenticate(self, request: Request) -> bool:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        return {"message": message}

    def rate_limit_headers(self, limit: int, remaining: int, reset_at: float) -> dict[str, str]:
        return {}

    def bucket(self, request: Request) -> Budget:
        """The budget ``request`` counts against (one per service unless it keeps several)."""
        return self.budget

    def rate_limited(self, retry_after: float, reset_at: float) -> Response:
        body = self.error_body(429, "rate limit exceeded")
        return Response(429, body, {"Retry-After": self.retry_after_header(retry_after)})

    def retry_after_header(self, seconds: float) -> str:
        """A ``Retry-After`` value: whole seconds (at least 1), or fractional under ``Faults.subsecond``."""
        if self.faults.subsecond and 0 < seconds < 1:
            return f"{seconds:.3f}"
        return _seconds(seconds)

    def state(self) -> Any:
        """``GET /_sandbox/state``: ``{"items": [{"key", "native_id", "title", "status", "status_category",
        "order" (position in its rank scope or None), "labels", "fields", "updated"}], ...}``."""
        raise NotImplementedError

    def edit(self, change: dict[str, Any]) -> Any:
        """``POST /_sandbox/edit``, a change as a person makes it in the UI (``updated`` moves):
        ``{"key": K, "set": {"title"|"status_category"|"labels"|<field name>: value}}``,
        ``{"key": K, "move": {"after": KEY or None}}`` (None: to the top), ``{"key": K, "delete": true}``
        (as the service deletes: Jira and GitHub remove the issue, Linear trashes it, Zendesk soft-deletes the
        ticket; ``"delete": "permanent"`` removes it where deletion is soft at first),
        ``{"key": K, "raw": {...}}`` (merge raw JSON into the stored payload, to make it malformed)."""
        raise NotImplementedError

    def generate(self, items: int, seed: int, references: list[dict[str, str]]) -> None:
        """Fill the emulator with ``items`` realistic records, deterministically from ``seed``.
        ``references`` lists other emulators' issues (``service``, ``key``, ``url``, ``native_id``) that
        feedback may point at (used by Zendesk and Linear attachments)."""
        raise NotImplementedError

    def references(self) -> list[dict[str, str]]:
        """This emulator's issues as ``{"service", "key", "url", "native_id"}``, for other generators."""
        return []

    def connection_config(self) -> dict[str, Any]:
        """The ``[connections.<name>]`` table that points rankbridge at this emulator. Secrets are written
        as ``${RANKBRIDGE_SANDBOX_TOKEN}`` references, never as values."""
        raise NotImplementedError

    # --- dispatch ------------------------------------------------------------------------------------
    def _collect_routes(self) -> list[Route]:
        routes: list[Route] = []
        for name in dir(type(self)):
            fn = getattr(type(self), name, None)
            for method, regex, template, params in getattr(fn, "_routes", []):
                routes.append(Route(method, re.compile(regex), name, template, params))
        return routes

    def handle(self, request: Request) -> Response | None:
        """Answer one request; None means drop the connection (a fault)."""
        if request.path.startswith("/_sandbox/"):
            return self._control(request)
        with self.lock:
            response = self._api(request)
            if response is not None:
                self._record(request, response)
            delay = self.faults.response_delay if response is not None and response.mutated else 0.0
        if delay:
            time.sleep(delay)  # the write is applied and logged; the client has no answer yet
        return response

    def _api(self, request: Request) -> Response | None:
        fault = self._fault(request)
        if fault is DROP:
            return None
        if isinstance(fault, Response):
            return fault
        budget = self.bucket(request)
        ok, remaining, reset_at = budget.take()
        headers = self.rate_limit_headers(budget.limit, remaining, reset_at)
        if not ok:
            response = self.rate_limited(max(1.0, reset_at - time.time()), reset_at)
        else:
            response = self._dispatch(request)
        response.headers = {**headers, **response.headers}
        if self._malform(response):
            response.body = response.encoded()[: max(1, len(response.encoded()) // 2)]
        return self.reshaper.reshape(request, response, Response)

    def _fault(self, request: Request) -> Response | object | None:
        """An injected failure for this request: a Response, DROP, or None for none."""
        f = self.faults
        if f.remaining is not None and f.remaining <= 0:
            return None
        if f.only_writes and request.method == "GET":
            return None
        if f.remaining is not None:
            f.remaining -= 1
        if f.latency:
            time.sleep(f.latency)
            if request.client_gone is not None and request.client_gone():
                self._record(request, Response(499))  # client closed request: never handled
                return DROP
        roll = self._rng.random()
        if roll < f.drop_rate:
            self._record(request, Response(0))
            return DROP
        roll -= f.drop_rate
        if roll < f.rate_limit_rate:
            return self.rate_limited(f.retry_after, time.time() + f.retry_after)
        roll -= f.rate_limit_rate
        if roll < f.error_rate:
            return Response(f.error_status, self.error_body(f.error_status, "injected server error"))
        return None

    def _malform(self, response: Response) -> bool:
        return response.status == 200 and self._rng.random() < self.faults.malformed_rate

    def _dispatch(self, request: Request) -> Response:
        if not request.path.startswith(self.public_paths or ("\0",)) and not self.authenticate(request):
            return Response(401, self.error_body(401, "authentication required"))
        allowed = False
        for r in self._routes:
            match = r.pattern.match(request.path)
            if not match:
                continue
            allowed = True
            if r.method != request.method:
                continue
            request.params = match.groupdict()
            unserved = r.unserved(request.query)
            if unserved:
                return self.not_emulated(request.method, f"{request.path} with {', '.join(unserved)}")
            try:
                return getattr(self, r.handler_name)(request)  # type: ignore[no-any-return]
            except HttpError as exc:
                return Response(exc.status, self.error_body(exc.status, exc.message), exc.headers)
            except (ValueError, KeyError, TypeError) as exc:
                return Response(400, self.error_body(400, f"bad request: {exc}"))
        if request.path.startswith(self.api_prefixes):
            return self.not_emulated(request.method, request.path)
        status = 405 if allowed else 404
        return Response(status, self.error_body(status, f"no route for {request.method} {request.path}"))

    def not_emulated(self, method: str, path: str) -> Response:
        """501 Not Implemented (RFC 9110 §15.6.2) in the service's error format, naming the operation.

        A documented operation this emulator does not implement must not answer 404 or 405: a client
        reads those as "no such item" or "no such operation" (issue 15 item 8). Which operations are
        documented is checked by tests/conformance against each service's endpoint index
        (../shared/apispecs/<service>/rest-endpoints.json); the sandbox does not read that index.
        """
        message = f"{method} {path} {NOT_EMULATED}"
        return Response(501, self.error_body(501, message))

    def implements(self, method: str, path: str) -> bool:
        """Whether a route of this emulator answers ``method path``."""
        return self.route_of(method, path) is not None

    def route_of(self, method: str, path: str) -> Route | None:
        """The route that answers ``method path``, or None."""
        return next((r for r in self._routes if r.method == method and r.pattern.match(path)), None)

    def _record(self, request: Request, response: Response) -> None:
        self.log.append(
            {
                "seq": len(self.log) + 1,
                "time": time.time(),
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "status": response.status,
                "operation": request.operation,
                "mutating": response.mutated,
                "digest": hashlib.sha256(request.body).hexdigest()[:16] if request.body else None,
                "received": request.received,
                "retry_after": response.headers.get("Retry-After") or response.headers.get("retry-after"),
                "body": request.body.decode("utf-8", "replace") if response.mutated else None,
            }
        )

    # --- /_sandbox/ ----------------------------------------------------------------------------------
    def _control(self, request: Request) -> Response:
        action = (request.method, request.path)
        with self.lock:
            if action == ("GET", "/_sandbox/requests"):
                return Response(200, self.log)
            if action == ("POST", "/_sandbox/reset"):
                self.log.clear()
                return Response(200, {"cleared": True})
            if action == ("GET", "/_sandbox/state"):
                return Response(200, self.state())
            if action == ("POST", "/_sandbox/faults"):
                return Response(200, self._set_faults(request.json() or {}))
            if action == ("POST", "/_sandbox/edit"):
                try:
                    return Response(200, self.edit(request.json() or {}))
                except (KeyError, ValueError) as exc:
                    return Response(400, {"error": str(exc)})
        return Response(404, {"error": f"unknown control endpoint {request.method} {request.path}"})

    def _set_faults(self, spec: dict[str, Any]) -> dict[str, Any]:
        budget = spec.pop("budget", None)
        window = spec.pop("window", None)
        if budget is not None:
            self.budget = Budget(limit=int(budget), window=float(window or 60.0))
        self.faults = Faults(**spec)
        self.reshaper = Reshaper(self.faults, self.record_keys)
        self._rng = random.Random(self.faults.seed)
        return {
            "faults": vars(self.faults),
            "budget": {"limit": self.budget.limit, "window": self.budget.window},
        }


def _seconds(value: float) -> str:
    return str(max(1, round(value)))


def graphql_operation(document: str, operation_name: str | None) -> dict[str, str]:
    """Operation type and name of a GraphQL request, for the request log."""
    from graphql import OperationDefinitionNode, parse

    try:
        ast = parse(document)
    except Exception:
        return {"type": "unknown", "name": operation_name or ""}
    for definition in ast.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else ""
            if operation_name in (None, name):
                return {"type": definition.operation.value, "name": name}
    return {"type": "unknown", "name": operation_name or ""}
