"""Spec-conformance helpers: check rankbridge and its emulators against the official API descriptions.

The descriptions live in ``../shared/apispecs`` beside the checkout (override with ``RANKBRIDGE_SPECS``).
When they are absent a test that needs them is skipped with a reason, or fails when
``RANKBRIDGE_REQUIRE_SPECS=1`` (CI sets it so that a missing folder cannot turn the suite green).

Every file is parsed at most once per process (``functools.lru_cache`` keyed by its path); the loaded
documents are shared, so treat what ``rest_index``/``openapi`` return as read-only. ``spec_examples``
returns deep copies, ready to be fed to a normaliser.

REST calls are checked against ``<service>/rest-endpoints.json`` (every documented method, path template,
query parameter name and deprecation), responses and request bodies against the OpenAPI subsets, GraphQL
documents and our partial SDL against the official GraphQL schemas. Every ``assert_*`` helper raises
``AssertionError`` listing all problems it found, not only the first.
"""

from __future__ import annotations

from typing import Any

from tests.specs_base import SPECS_DIR, best_template, load_spec, spec_path
from tests.specs_graphql import assert_schema_subset, assert_valid_document, graphql_schema
from tests.specs_openapi import (
    HTTP_METHODS,
    assert_request_matches,
    assert_response_matches,
    deref,
    openapi,
    openapi_docs,
    spec_examples,
)

__all__ = [
    "SPECS_DIR",
    "assert_documented_calls",
    "assert_request_matches",
    "assert_response_matches",
    "assert_schema_subset",
    "assert_valid_document",
    "find_endpoint",
    "graphql_schema",
    "openapi",
    "rest_index",
    "spec_examples",
    "spec_path",
]


def rest_index(service: str) -> list[dict[str, Any]]:
    """The ``<service>/rest-endpoints.json`` index: method, path, query names, deprecated (, note)."""
    index: list[dict[str, Any]] = load_spec(spec_path(service, "rest-endpoints.json"))
    return index


def _openapi_entries(service: str) -> list[dict[str, Any]]:
    """Index-shaped entries from the OpenAPI subsets (Jira agile paths, should the index lack one)."""
    entries: list[dict[str, Any]] = []
    for doc_path, doc in openapi_docs(service, "subset"):
        for template, item in doc.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    op = item[method]
                    params = [deref(doc, p) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
                    names = sorted({p["name"] for p in params if p.get("in") == "query"})
                    entries.append(
                        {
                            "method": method.upper(),
                            "path": template,
                            "query": names,
                            "deprecated": bool(op.get("deprecated")),
                            "note": f"from {doc_path.name}",
                        }
                    )
    return entries


def _entries_for(service: str, method: str) -> dict[str, dict[str, Any]]:
    entries = {e["path"]: e for e in rest_index(service) if e["method"] == method.upper()}
    if service == "jira":
        for e in _openapi_entries(service):
            if e["method"] == method.upper():
                entries.setdefault(e["path"], e)
    return entries


def find_endpoint(service: str, method: str, path: str) -> dict[str, Any] | None:
    """The index entry whose method and path template match this concrete call, or None."""
    entries = _entries_for(service, method)
    template = best_template(service, entries, path)
    return entries[template] if template is not None else None


def _documented_methods(service: str, path: str) -> list[str]:
    methods = {e["method"] for e in rest_index(service)}
    return sorted(m for m in methods if find_endpoint(service, m, path) is not None)


def _call_problems(service: str, entry: dict[str, Any], allow_deprecated: set[tuple[str, str]]) -> list[str]:
    method, path = entry["method"].upper(), entry["path"]
    endpoint = find_endpoint(service, method, path)
    if endpoint is None:
        others = _documented_methods(service, path)
        hint = f" (documented methods for this path: {', '.join(others)})" if others else ""
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
            f"{len(counts)} undocumented {service} call(s) "
            f"against {spec_path(service, 'rest-endpoints.json')}:\n" + "\n".join(lines)
        )
