"""The Linear emulator: ``POST /graphql`` executed with graphql-core over in-memory data.

Like Linear: API-key auth in ``Authorization`` (401 with ``AUTHENTICATION_ERROR``), ``X-RateLimit-Requests-*``
(reset in epoch ms), ``X-Complexity`` and ``X-RateLimit-Complexity-*`` headers, ``RATELIMITED`` errors with
HTTP 400 past the request or complexity budget, queries over 10,000 complexity points refused, and
``updatedAt`` moving on every write.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from graphql import GraphQLError, execute_sync, parse, validate

from sandbox.framework import Budget, Emulator, HttpError, Request, Response, graphql_operation, route
from sandbox.linear import sandbox_api
from sandbox.linear.complexity import complexity
from sandbox.linear.data import LinearData
from sandbox.linear.generate import generate
from sandbox.linear.not_emulated import not_emulated
from sandbox.linear.resolvers import executable_schema

MAX_COMPLEXITY = 10_000
CODES = {
    400: "INVALID_INPUT",
    401: "AUTHENTICATION_ERROR",
    403: "FORBIDDEN",
    404: "INVALID_INPUT",
    405: "INVALID_INPUT",
    429: "RATELIMITED",
}


def whole_numbers(value: Any) -> Any:
    """Floats that are whole as JSON integers (``"number": 4``, ``"priority": 2``), as Linear's server
    (JavaScript, where 4.0 is 4) sends every ``Float`` of schema.graphql (``Issue.number``,
    ``Issue.priority``, ``WorkflowState.position``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


def graphql_error(message: str, code: str) -> dict[str, Any]:
    return {
        "message": message,
        "extensions": {
            "code": code,
            "type": code.lower().replace("_", " "),
            "userPresentableMessage": message,
        },
    }


class LinearEmulator(Emulator):
    # Raw fields no real server sends (wrong types where the API documents others), for fault drills:
    # `edit` with `raw` merges them into one record, which the connector must quarantine.
    BROKEN_RAW: ClassVar[dict[str, Any]] = {"state": None, "createdAt": []}

    reads_references_of = ("jira", "github")  # attachments and mirrors
    name = "linear"
    api_prefixes = ("/graphql",)  # one GraphQL endpoint
    record_keys = ("nodes",)  # record lists of its answers (a fault nulls them)

    def __init__(self, token: str, attachments_touch_issue: bool = False) -> None:
        """``attachments_touch_issue``: whether an attachment write moves its issue's ``updatedAt``
        (undocumented by Linear; see :mod:`sandbox.linear.data`)."""
        super().__init__(token)
        self.data = LinearData(attachments_touch_issue=attachments_touch_issue)
        self.schema = executable_schema(self.data)
        # Linear's documented budget for an API key: 2,500 requests and 3,000,000 complexity points an hour
        # (developers.linear.app "Rate limiting"; the older figures were 1,500 and 250,000).
        self.budget = Budget(2_500, 3600.0)
        self.complexity_limit = 3_000_000
        self.complexity_used = 0.0
        self.complexity_window_start = time.time()

    # --- framework hooks ---------------------------------------------------------------------------------
    def authenticate(self, request: Request) -> bool:
        return request.headers.get("authorization") == self.token  # API keys: no "Bearer"

    def error_body(self, status: int, message: str) -> Any:
        if status == 401:
            message = "Authentication required, not authenticated"
        code = CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "INVALID_INPUT")
        return {"errors": [graphql_error(message, code)]}

    def rate_limit_headers(self, limit: int, remaining: int, reset_at: float) -> dict[str, str]:
        return {
            "X-RateLimit-Requests-Limit": str(limit),
            "X-RateLimit-Requests-Remaining": str(remaining),
            "X-RateLimit-Requests-Reset": str(int(reset_at * 1000)),
        }

    def rate_limited(self, retry_after: float, reset_at: float) -> Response:
        body = {"errors": [graphql_error("Rate limit exceeded", "RATELIMITED")]}
        headers = {
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": str(int(reset_at * 1000)),
        }
        return Response(400, body, headers)

    def state(self) -> Any:
        return sandbox_api.state(self.data)

    def edit(self, change: dict[str, Any]) -> Any:
        with self.lock:
            return sandbox_api.edit(self.data, change)

    def generate(self, items: int, seed: int, references: list[dict[str, str]]) -> None:
        with self.lock:
            generate(self.data, items, seed, references)

    def references(self) -> list[dict[str, str]]:
        return [
            {"service": "linear", "key": i["identifier"], "url": i["url"], "native_id": i["id"]}
            for i in self.data.issues.values()
            if i.get("archivedAt") is None
        ]

    def connection_config(self) -> dict[str, Any]:
        return {
            "type": "linear",
            "url": f"{self.base_url}/graphql",
            "api_key": "${RANKBRIDGE_SANDBOX_TOKEN}",
            "teams": sorted(t["key"] for t in self.data.teams.values()),
            "policy": {"base_wait": 0.05, "max_wait": 5.0, "timeout": 10.0},
        }

    # --- the API -----------------------------------------------------------------------------------------
    @route("POST", "/graphql")
    def graphql(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise HttpError(400, "Must provide query string.")
        query, variables = body["query"], body.get("variables") or {}
        operation_name = body.get("operationName")
        request.operation = graphql_operation(query, operation_name)
        try:
            document = parse(query)
        except GraphQLError as exc:
            return Response(400, {"errors": [graphql_error(exc.message, "GRAPHQL_PARSE_FAILED")]})
        problems = validate(self.schema, document)
        if problems:
            return self._invalid([p.message for p in problems], "GRAPHQL_VALIDATION_FAILED")
        cost = complexity(self.schema, document, variables)
        headers = self._complexity_headers(cost)
        if cost > MAX_COMPLEXITY:
            message = f"Query too complex: {cost:.0f} points (the limit is {MAX_COMPLEXITY})"
            return Response(400, {"errors": [graphql_error(message, "INVALID_INPUT")]}, headers)
        if not self._take_complexity(cost):
            limited = self.rate_limited(1.0, self.complexity_window_start + self.budget.window)
            limited.headers.update(headers)
            return limited
        result = execute_sync(self.schema, document, variable_values=variables, operation_name=operation_name)
        mutation = request.operation.get("type") == "mutation"
        if (
            result.data is None
            and result.errors
            and all(e.message.startswith("Variable '$") for e in result.errors)
        ):
            return self._invalid([e.message for e in result.errors], "INVALID_INPUT")  # variables refused
        if result.errors:
            status = 500 if any(not e.extensions for e in result.errors) else 400
            errors = [
                graphql_error(e.message, str((e.extensions or {}).get("code", "INTERNAL_ERROR")))
                for e in result.errors
            ]
            return Response(status, {"data": whole_numbers(result.data), "errors": errors}, headers)
        return Response(200, {"data": whole_numbers(result.data)}, headers, mutated=mutation)

    def _invalid(self, messages: list[str], code: str) -> Response:
        """400 with each problem, or 501 naming what the sandbox leaves out when that is all they are."""
        left_out = not_emulated(messages)
        if left_out:
            errors = [
                graphql_error(f"{n} is not emulated by the rankbridge sandbox", "NOT_EMULATED")
                for n in left_out
            ]
            return Response(501, {"errors": errors})
        return Response(400, {"errors": [graphql_error(m, code) for m in messages]})

    def _complexity_headers(self, cost: float) -> dict[str, str]:
        reset = self.complexity_window_start + self.budget.window
        remaining = max(0, int(self.complexity_limit - self.complexity_used - cost))
        return {
            "X-Complexity": str(round(cost)),
            "X-RateLimit-Complexity-Limit": str(self.complexity_limit),
            "X-RateLimit-Complexity-Remaining": str(remaining),
            "X-RateLimit-Complexity-Reset": str(int(reset * 1000)),
        }

    def _take_complexity(self, cost: float) -> bool:
        now = time.time()
        if now - self.complexity_window_start >= self.budget.window:
            self.complexity_window_start, self.complexity_used = now, 0.0
        if self.complexity_used + cost > self.complexity_limit:
            return False
        self.complexity_used += cost
        return True
