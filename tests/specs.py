"""Spec-conformance helpers: check rankbridge and its emulators against the official API descriptions.

The descriptions live in ``../shared/apispecs`` beside the checkout (override with ``RANKBRIDGE_SPECS``).
When they are absent a test that needs them is skipped with a reason, or fails when
``RANKBRIDGE_REQUIRE_SPECS=1`` (set it in CI so that a missing folder cannot turn the suite green).

Every file is parsed at most once per process (``functools.cache`` keyed by its path); the loaded
documents are shared, so treat what ``rest_index``/``openapi`` return as read-only. ``spec_examples``
returns deep copies, ready to be fed to a normaliser.

Usage (``tests/conftest.py`` puts the repository root on ``sys.path``)::

    from tests.specs import assert_documented_calls, assert_response_matches, spec_examples

    assert_documented_calls("jira", sandbox.requests("jira"))
    assert_response_matches("github", "GET", "/repos/{owner}/{repo}/issues", 200, body)
    normalize("issues", spec_examples("github", "issue")[0])

This module holds the REST-index checks and re-exports the rest: ``specs_base`` (locating, loading,
path templates), ``specs_graphql`` and ``specs_openapi``.

REST calls are checked against ``<service>/rest-endpoints.json`` (every documented method, path template,
query parameter name and deprecation), responses and request bodies against the OpenAPI subsets, GraphQL
documents and our partial SDL against the official GraphQL schemas. Every ``assert_*`` helper raises
``AssertionError`` listing all problems it found, not only the first.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from tests.specs_base import SPECS_DIR, best_template, load_spec, spec_path, specs_dir
from tests.specs_graphql import assert_schema_subset, assert_valid_document, graphql_schema
from tests.specs_openapi import (
    assert_request_matches,
    assert_response_matches,
    assert_schema_matches,
    openapi,
    operations,
    spec_examples,
)

__all__ = [
    "REST_SERVICES",
    "SPECS_DIR",
    "assert_documented_calls",
    "assert_request_matches",
    "assert_response_matches",
    "assert_schema_matches",
    "assert_schema_subset",
    "assert_valid_document",
    "find_endpoint",
    "graphql_schema",
    "openapi",
    "rest_index",
    "spec_examples",
    "spec_path",
    "specs_dir",
]


REST_SERVICES = ("github", "jira", "zendesk")  # the services with a rest-endpoints.json index


def rest_index(service: str) -> list[dict[str, Any]]:
    """The ``<service>/rest-endpoints.json`` index: method, path, query names, deprecated (, note)."""
    index: list[dict[str, Any]] = load_spec(spec_path(service, "rest-endpoints.json"))
    return index


def _openapi_entries(service: str) -> list[dict[str, Any]]:
    """Index-shaped entries from the OpenAPI subsets (Jira agile paths, should the index lack one)."""
    return [
        {
            "method": op.method.upper(),
            "path": op.template,
            "query": op.query_names(),
            "deprecated": bool(op.operation.get("deprecated")),
            "note": f"from {op.file.name}",
        }
        for op in operations(service)
    ]


@functools.cache
def _endpoint_table(index_path: Path, service: str, method: str) -> dict[str, dict[str, Any]]:
    """Path template -> index entry for one method (Jira: plus any subset path the index lacks)."""
    entries = {e["path"]: e for e in load_spec(index_path) if e["method"] == method}
    if service == "jira":
        for extra in _openapi_entries(service):
            if extra["method"] == method:
                entries.setdefault(extra["path"], extra)
    return entries


def find_endpoint(service: str, method: str, path: str) -> dict[str, Any] | None:
    """The index entry whose method and path template match this concrete call, or None.

    ``{param}`` matches one segment and literal segments win (``/tickets/show_many`` over
    ``/tickets/{ticket_id}``); Jira ``/rest/api/2/`` paths match their ``/rest/api/3/`` twins and
    Zendesk paths may end in ``.json``.
    """
    if service not in REST_SERVICES:
        return None
    entries = _endpoint_table(spec_path(service, "rest-endpoints.json"), service, method.upper())
    template = best_template(service, entries, path)
    return entries[template] if template is not None else None


def _documented_methods(service: str, path: str) -> list[str]:
    if service not in REST_SERVICES:
        return []
    methods = {e["method"] for e in rest_index(service)}
    return sorted(m for m in methods if find_endpoint(service, m, path) is not None)


def _call_problems(service: str, entry: dict[str, Any], allow_deprecated: set[tuple[str, str]]) -> list[str]:
    method, path = entry["method"].upper(), entry["path"]
    endpoint = find_endpoint(service, method, path)
    if endpoint is None:
        others = _documented_methods(service, path)
        hint = f" (documented methods for this path: {', '.join(others)})" if others else ""
        if service not in REST_SERVICES:
            hint = f" ({service} documents only its GraphQL endpoint, /graphql)"
        return [f"{method} {path}: not a documented endpoint{hint}"]
    problems = []
    template = endpoint["path"]
    allowed = {(method, template), (method, path)}
    if endpoint.get("deprecated") and not allowed & allow_deprecated:
        problems.append(f"{method} {path}: endpoint {template} is deprecated")
    undocumented = sorted(set(entry.get("query") or {}) - set(endpoint.get("query", [])))
    if undocumented:
        problems.append(
            f"{method} {path}: query parameter(s) {undocumented} not documented for {template} "
            f"(documented: {sorted(endpoint.get('query', []))})"
        )
    return problems


def assert_documented_calls(
    service: str, log: list[dict[str, Any]], allow_deprecated: set[tuple[str, str]] | None = None
) -> None:
    """Every REST call of an emulator request log is documented, not deprecated, with documented params.

    ``/_sandbox/`` control calls and ``/graphql`` are ignored. ``allow_deprecated`` holds
    ``(METHOD, path template or concrete path)`` pairs whose deprecation is accepted.
    """
    allow = {(m.upper(), p) for m, p in (allow_deprecated or set())}
    counts: dict[str, int] = {}
    for entry in log:
        if entry["path"].startswith("/_sandbox/") or entry["path"] == "/graphql":
            continue
        for problem in _call_problems(service, entry, allow):
            counts[problem] = counts.get(problem, 0) + 1
    if counts:
        lines = [f"  - {p}" + (f" (x{n})" if n > 1 else "") for p, n in counts.items()]
        raise AssertionError(
            f"{len(counts)} undocumented {service} call(s) (checked against {service}/rest-endpoints.json "
            f"in {specs_dir()}):\n" + "\n".join(lines)
        )
