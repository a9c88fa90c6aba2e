"""Honest emulators, parameters (issue 15 item 8): for every REST operation an emulator serves, every query
parameter the official endpoint index documents for it (../shared/apispecs/<service>/rest-endpoints.json) is
either honoured, which the route declares (``route(..., params=...)``) and the behaviour tests check, or
answered 501 naming the parameter; never a silent 200 that ignored it.

Each undeclared parameter is sent with a plausible value (from the OpenAPI subset's schema where it has
one) to an emulator holding data, so a 200 here could only come from a handler that ignored it. The
parameters an emulator declares are all documented, in the index or on the page named below."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.framework import Emulator, Request
from tests.conformance.test_not_emulated import _concrete, _emulator
from tests.specs import REST_SERVICES, openapi, rest_index

# Parameters a route honours that the endpoint index does not list for that operation, with the page that
# documents them.
DOCUMENTED_ELSEWHERE = {
    # "Side-loading related records" (developer.zendesk.com/api-reference/introduction/side-loading)
    ("zendesk", "GET", "/api/v2/tickets/{ticket_id}"): {"include"},
    ("zendesk", "GET", "/api/v2/tickets/show_many"): {"include"},
    # "Pagination" (developer.zendesk.com/api-reference/introduction/pagination): cursor pagination
    ("zendesk", "GET", "/api/v2/organizations"): {"page[size]", "page[after]"},
}
SAMPLE = {"date-time": "2026-01-05T00:00:00Z", "boolean": "true", "integer": "2", "number": "2"}


def plausible(service: str, method: str, template: str, name: str) -> str:
    """A value of the parameter's documented type: not its default, within its enum, else a word."""
    schema = _schema(service, method, template, name)
    enum = [str(v) for v in schema.get("enum") or [] if v != schema.get("default")]
    if enum:
        return enum[0]
    kind = schema.get("format") if schema.get("format") in SAMPLE else schema.get("type")
    if name in ("since", "start_time"):
        return SAMPLE["date-time"] if name == "since" else "1700000000"
    return SAMPLE.get(str(kind), "2" if name.endswith(("id", "ids", "Id")) else "anything")


def _schema(service: str, method: str, template: str, name: str) -> dict[str, Any]:
    doc = openapi(service)
    operation = (doc.get("paths", {}).get(template) or {}).get(method.lower()) or {}
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = doc["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        if parameter.get("name") == name:
            schema = parameter.get("schema") or {}
            return schema.get("items", schema) if schema.get("type") == "array" else schema  # type: ignore[no-any-return]
    return {}


def _seeded(service: str) -> tuple[Emulator, dict[str, str]]:
    emulator, headers = _emulator(service)
    emulator.generate(30, 4, [])
    return emulator, headers


def _served(service: str, emulator: Emulator) -> list[tuple[dict[str, Any], str]]:
    out = []
    for entry in rest_index(service):
        path = _concrete(entry["path"]).removesuffix(".json")
        if emulator.route_of(entry["method"].upper(), path) is not None:
            out.append((entry, path))
    return out


@pytest.mark.parametrize("service", REST_SERVICES)
def test_every_documented_parameter_of_a_served_operation_is_honoured_or_501(service: str) -> None:
    emulator, headers = _seeded(service)
    problems: list[str] = []
    honoured = 0
    for entry, path in _served(service, emulator):
        method = entry["method"].upper()
        route = emulator.route_of(method, path)
        assert route is not None
        for name in entry.get("query") or []:
            if name in route.params:
                honoured += 1
                continue
            value = plausible(service, method, entry["path"], name)
            body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
            response = emulator.handle(Request(method, path, {name: [value]}, dict(headers), body))
            assert response is not None
            text = response.encoded().decode()
            if response.status != 501 or f"{name}=" not in text or "not emulated" not in text:
                problems.append(f"{method} {entry['path']} ?{name}={value}: {response.status} {text[:120]}")
    assert not problems, f"{len(problems)} {service} parameter(s) silently ignored:\n" + "\n".join(problems)
    assert honoured > 0  # (Jira now honours every parameter name; some values still answer 501)


@pytest.mark.parametrize("service", REST_SERVICES)
def test_every_parameter_an_emulator_honours_is_documented(service: str) -> None:
    emulator, _ = _seeded(service)
    undocumented = []
    for entry, path in _served(service, emulator):
        method = entry["method"].upper()
        route = emulator.route_of(method, path)
        assert route is not None
        extra = route.params - set(entry.get("query") or [])
        extra -= DOCUMENTED_ELSEWHERE.get((service, method, entry["path"]), set())
        if extra:
            undocumented.append(f"{method} {entry['path']}: {sorted(extra)}")
    assert not undocumented, "\n".join(undocumented)


def test_jira_issue_expand_values_are_each_served_or_501() -> None:
    """getIssue's ``expand`` options, as the official description lists them (platform-swagger-v3), one by
    one: a served one adds its part of the answer, the others answer 501 naming them."""
    doc = openapi("jira", "full")
    parameters = doc["paths"]["/rest/api/3/issue/{issueIdOrKey}"]["get"]["parameters"]
    description = next(p["description"] for p in parameters if p["name"] == "expand")
    options = [word.strip("`") for word in description.split() if word.startswith("`") and word.endswith("`")]
    assert {"renderedFields", "names", "changelog", "versionedRepresentations"} <= set(options)
    emulator, headers = _seeded("jira")
    key = emulator.store.ordered()[0].key  # type: ignore[attr-defined]
    for option in options:
        request = Request("GET", f"/rest/api/3/issue/{key}", {"expand": [option]}, dict(headers), b"")
        response = emulator.handle(request)
        assert response is not None
        body = json.loads(response.encoded())
        if response.status == 501:
            assert f"expand={option}" in json.dumps(body), option
        else:
            assert response.status == 200 and option in body, f"expand={option} ignored"
