"""Honest emulators (issue 15 item 8): every documented REST operation of GitHub, Jira and Zendesk, as
listed in the endpoint index of ../shared/apispecs/<service>/rest-endpoints.json, is either served by the
emulator (a missing item may answer the documented 404) or answered 501 naming it; never 405, and never
404 for an operation the emulator does not implement. One in-process request per documented operation."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from sandbox.framework import Emulator, Request
from sandbox.github import GithubEmulator
from sandbox.jira import JiraEmulator
from sandbox.zendesk import ZendeskEmulator
from tests.specs import REST_SERVICES, rest_index

TOKEN = "t0ken-for-conformance"
PLACEHOLDER = "1"  # every path parameter: a plausible id that names no stored item


def _basic(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{TOKEN}".encode()).decode()


def _emulator(service: str) -> tuple[Emulator, dict[str, str]]:
    """The service's emulator, with no data and an unlimited budget, and the headers that authenticate."""
    emulator: Emulator
    if service == "github":
        emulator, auth = GithubEmulator(TOKEN), f"token {TOKEN}"
    elif service == "jira":
        jira = JiraEmulator(TOKEN)
        emulator, auth = jira, _basic(jira.email)
    else:
        zendesk = ZendeskEmulator(TOKEN, export_per_minute=100_000)
        emulator, auth = zendesk, _basic(f"{zendesk.email}/token")
    control = Request("POST", "/_sandbox/faults", {}, {}, json.dumps({"budget": 1_000_000}).encode())
    emulator.handle(control)
    return emulator, {"authorization": auth, "content-type": "application/json"}


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", PLACEHOLDER, template)


def _answer(emulator: Emulator, headers: dict[str, str], method: str, path: str) -> tuple[int, Any]:
    body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
    response = emulator.handle(Request(method, path, {}, dict(headers), body))
    assert response is not None, f"{method} {path}: connection dropped"
    encoded = response.encoded()
    return response.status, json.loads(encoded) if encoded else None


@pytest.mark.parametrize("service", REST_SERVICES)
def test_every_documented_operation_is_served_or_answers_501(service: str) -> None:
    index = rest_index(service)
    emulator, headers = _emulator(service)
    problems: list[str] = []
    not_emulated = 0
    for entry in index:
        method, path = entry["method"].upper(), _concrete(entry["path"])
        status, body = _answer(emulator, headers, method, path)
        served = emulator.implements(method, path.removesuffix(".json"))
        if status == 405:
            problems.append(f"{method} {path}: 405")
        elif status == 404 and not served:
            problems.append(f"{method} {path}: 404 from an operation the emulator does not implement")
        elif not served and status != 501:
            problems.append(f"{method} {path}: {status}, expected 501 (not emulated)")
        elif status == 501:
            not_emulated += 1
            text = json.dumps(body)
            if "is not emulated by the rankbridge sandbox" not in text or method not in text:
                problems.append(f"{method} {path}: 501 body does not name the operation: {text[:200]}")
    assert not problems, f"{len(problems)} of {len(index)} {service} operations:\n" + "\n".join(problems[:40])
    assert 0 < not_emulated < len(index)  # some are served, the rest say so


@pytest.mark.parametrize(
    ("service", "method", "path", "error_key"),
    [
        ("github", "GET", "/repos/o/r/issues/999999", "message"),
        ("jira", "GET", "/rest/api/3/issue/NOPE-999999", "errorMessages"),
        ("zendesk", "GET", "/api/v2/tickets/999999.json", "error"),
    ],
)
def test_a_missing_item_of_a_served_operation_keeps_its_404(
    service: str, method: str, path: str, error_key: str
) -> None:
    emulator, headers = _emulator(service)
    assert emulator.implements(method, path.removesuffix(".json"))
    status, body = _answer(emulator, headers, method, path)
    assert status == 404
    assert error_key in body
    assert "not emulated" not in json.dumps(body)


@pytest.mark.parametrize(
    ("service", "path", "error_key"),
    [
        ("github", "/repos/o/r/deployments", "message"),
        ("jira", "/rest/api/3/dashboard", "errorMessages"),
        ("zendesk", "/api/v2/macros.json", "error"),
    ],
)
def test_an_unimplemented_operation_answers_501_in_the_services_error_format(
    service: str, path: str, error_key: str
) -> None:
    """GitHub ``GET /repos/{owner}/{repo}/deployments`` (rest-endpoints.json), Jira ``GET
    /rest/api/3/dashboard`` (platform REST v3), Zendesk ``GET /api/v2/macros`` (Support API)."""
    emulator, headers = _emulator(service)
    status, body = _answer(emulator, headers, "GET", path)
    assert status == 501
    assert f"GET {path.removesuffix('.json')} is not emulated by the rankbridge sandbox" in json.dumps(body)
    assert error_key in body
