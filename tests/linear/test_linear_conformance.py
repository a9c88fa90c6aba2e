"""Our GraphQL against Linear's official schema: documents, the emulator's schema, and what was sent."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import parse

from connectors.linear.client import document, document_names
from connectors.linear.config import MAX_PAGE_SIZE
from connectors.linear.connector import LinearConnector
from sandbox.linear import LinearEmulator
from sandbox.linear.complexity import complexity
from sandbox.linear.resolvers import sdl
from tests.specs import assert_schema_subset, assert_valid_document

EXPECTED_DOCUMENTS = {
    "issues",
    "teams",
    "projects",
    "cycles",
    "customers",
    "customer_needs",
    "team_order",
    "issue_states",
    "issue_update",
    "attachment_create",
    "attachment_delete",
    "report_links",
    "viewer",
}


def test_every_connector_document_validates_against_the_official_schema() -> None:
    names = document_names()
    assert set(names) >= EXPECTED_DOCUMENTS, names
    for name in names:
        assert_valid_document("linear", document(name))


def test_emulator_schema_is_a_subset_of_the_official_one() -> None:
    assert_schema_subset(sdl(), "linear")


def test_issue_page_stays_under_the_complexity_limit(emulator: LinearEmulator) -> None:
    issues = parse(document("issues"))
    at_default = complexity(emulator.schema, issues, {"first": 100})
    at_max = complexity(emulator.schema, issues, {"first": MAX_PAGE_SIZE})
    assert at_default < 5_000 and at_max < 10_000, (at_default, at_max)


def test_every_logged_request_is_one_of_our_validated_documents(
    connector: LinearConnector, emulator: LinearEmulator
) -> None:
    from datetime import UTC, datetime

    for stream in connector.streams():
        for _ in connector.pull(stream, None, datetime.now(UTC)):
            pass
    connector.current_order("ENG")
    connector.check()
    names = {parse(document(n)).definitions[0].name.value: n for n in document_names()}  # type: ignore[attr-defined]
    operations: list[Any] = [entry["operation"] for entry in emulator.log]
    assert operations and all(op and op["name"] in names for op in operations), operations
    assert {entry["path"] for entry in emulator.log} == {"/graphql"}


def test_complexity_header_is_sent(emulator: LinearEmulator) -> None:
    response = httpx.post(
        f"{emulator.base_url}/graphql",
        headers={"Authorization": emulator.token},
        json={"query": document("issues"), "variables": {"filter": {}, "first": 100}},
    )
    assert response.status_code == 200
    assert 0 < int(response.headers["X-Complexity"]) < 10_000
    assert int(response.headers["X-RateLimit-Requests-Reset"]) > 1e12  # epoch milliseconds
