"""``rankbridge import SOURCE FILE`` with responses captured over HTTP from the sandbox's emulators, in a
config that names no connection: each file goes to the stream its shape belongs to (GraphQL root field,
collection name), a ticket export's side-loads fold in as the pull folds them, and a file of no known shape
fails naming the shapes the service accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from cli import main
from connectors.graphql import document
from sandbox.launcher import Sandbox
from sync.store import Store

SERVICES = ["jira", "github", "linear", "zendesk"]


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(SERVICES, items=8, seed=7)  # seed 7: two tickets with Jira links
    yield sandbox
    sandbox.stop()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with a store and no connection at all."""
    path = tmp_path / "rankbridge.toml"
    path.write_text(f'[store]\npath = "{tmp_path / "imported.db"}"\n')
    return path


def client(box: Sandbox, service: str) -> httpx.Client:
    settings = box.emulator(service).connection_config()
    if service == "zendesk":
        auth: httpx.Auth = httpx.BasicAuth(f"{settings['email']}/token", box.token)
        return httpx.Client(base_url=box.url(service), auth=auth, timeout=30)
    if service == "jira":
        auth = httpx.BasicAuth(settings.get("email", ""), box.token)
        return httpx.Client(base_url=box.url(service), auth=auth, timeout=30)
    return httpx.Client(
        base_url=box.url(service), headers={"Authorization": f"token {box.token}"}, timeout=30
    )


def fetched(box: Sandbox, service: str, path: str, **params: Any) -> Any:
    with client(box, service) as http:
        answer = http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def queried(
    box: Sandbox,
    service: str,
    package: str,
    name: str,
    variables: dict[str, Any],
    operation: str | None = None,
) -> Any:
    url = "/graphql" if service == "github" else box.emulator(service).connection_config()["url"]
    headers = {"Authorization": box.token} if service == "linear" else {}
    with client(box, service) as http:
        answer = http.post(
            url,
            json={"query": document(package, name), "variables": variables, "operationName": operation},
            headers=headers,
        )
    assert answer.status_code == 200 and not answer.json().get("errors"), answer.text
    return answer.json()


def imported(config: Path, service: str, saved: Any) -> click.testing.Result:
    path = config.parent / f"{service}.json"
    path.write_text(json.dumps(saved))
    return CliRunner().invoke(main, ["--config", str(config), "import", service, str(path)])


def counts(result: click.testing.Result) -> dict[str, int]:
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # however the console wrapped it
    found = re.search(r"imported (\d+) item\(s\), (\d+) customer\(s\), (\d+) link\(s\)", output)
    read = re.search(r"\(read (.*); (\d+) quarantined\)", output)
    assert found and read, result.output
    got: dict[str, Any] = dict(zip(("items", "customers", "links"), map(int, found.groups()), strict=True))
    pairs = (part.split(" ") for part in read.group(1).split(", "))
    return got | {"read": {stream: int(count) for count, stream in pairs}, "quarantined": int(read.group(2))}


def stored(config: Path) -> Store:
    return Store(config.parent / "imported.db")


LINEAR_ROOTS = {
    "issues": "issues",
    "projects": "projects",
    "customers": "customers",
    "customerNeeds": "customer_needs",
    "teams": "teams",
    "cycles": "cycles",
}


@pytest.mark.parametrize("root", list(LINEAR_ROOTS))
def test_a_linear_answer_goes_to_the_stream_of_its_root_field(box: Sandbox, config: Path, root: str) -> None:
    name = LINEAR_ROOTS[root]
    variables: dict[str, Any] = {"first": 50} | ({} if root == "teams" else {"filter": {}})
    saved = queried(box, "linear", "connectors.linear", name, variables)
    nodes = saved["data"][root]["nodes"]
    assert nodes, f"the sandbox served no {root}"
    got = counts(imported(config, "linear", saved))
    store = stored(config)
    try:
        kept = {row[0] for row in store.sql.rows("SELECT DISTINCT stream FROM raw")}
    finally:
        store.close()
    assert kept <= {name}  # routed by the root field, not to the connector's first stream
    assert got["read"] == {name: len(nodes)}
    if root == "issues":
        assert got["items"] == len(nodes)
    if root == "customers":
        assert got["customers"] == len(nodes)


def test_a_github_rest_issues_list_goes_to_its_repository_stream(box: Sandbox, config: Path) -> None:
    saved = fetched(box, "github", "/repos/acme/api/issues", state="all", per_page=100)
    issues = [issue for issue in saved if "pull_request" not in issue]
    assert issues and len(issues) < len(saved), "the sandbox should serve issues and pull requests"
    got = counts(imported(config, "github", saved))
    assert got["read"] == {"issues:acme/api": len(saved)}
    assert got["items"] >= len(issues)  # milestones may add epics
    store = stored(config)
    try:
        numbers = {item.native_id for item in store.items("github")}
    finally:
        store.close()
    assert {f"acme/api#{issue['number']}" for issue in issues} <= numbers


def test_github_projects_v2_items_import_at_their_board_positions(box: Sandbox, config: Path) -> None:
    saved = queried(
        box, "github", "connectors.github", "project", {"owner": "acme", "number": 1}, "OrgProject"
    )
    nodes = saved["data"]["organization"]["projectV2"]["items"]["nodes"]
    on_board = [n for n in nodes if (n.get("content") or {}).get("__typename") == "Issue"]
    assert on_board
    got = counts(imported(config, "github", saved))
    assert got["read"] == {"project": len(nodes)}
    store = stored(config)
    try:
        ranked = sorted(store.items("github"), key=lambda item: item.native_rank or "")
    finally:
        store.close()
    assert len(ranked) == len(on_board)
    assert [item.fields["project_item_id"] for item in ranked] == [n["id"] for n in on_board]


def test_jira_search_results_import(box: Sandbox, config: Path) -> None:
    saved = fetched(box, "jira", "/rest/api/3/search/jql", jql="project in (ENG, OPS)", fields="*all")
    assert saved["issues"]
    got = counts(imported(config, "jira", saved))
    assert got["read"] == {"issues": len(saved["issues"])}
    assert got["items"] == len(saved["issues"]) and got["quarantined"] == 0


def test_a_zendesk_ticket_export_folds_its_side_loaded_organisations_in(box: Sandbox, config: Path) -> None:
    include = "users,groups,organizations"
    saved = fetched(box, "zendesk", "/api/v2/incremental/tickets/cursor.json", start_time=0, include=include)
    organisations = {org["id"]: org for org in saved["organizations"]}
    used = {t["organization_id"] for t in saved["tickets"] if t.get("organization_id") in organisations}
    assert used, "the export should side-load the organisations its tickets name"
    got = counts(imported(config, "zendesk", saved))
    assert got["read"] == {"tickets": len(saved["tickets"])}  # side-loads fold in, not a stream of their own
    store = stored(config)
    try:
        customers = {c.uid: c for c in store.customers()}
    finally:
        store.close()
    for org_id in used:
        values = organisations[org_id]["organization_fields"]
        customer = customers[f"zendesk:{org_id}"]
        assert customer.arr == float(values["arr"]) and customer.arr > 0
        assert customer.tier == values["tier"] and customer.tier


@pytest.mark.parametrize(
    ("path", "stream", "kind"),
    [
        ("/api/v2/incremental/organizations.json", "organizations", "customers"),
        ("/api/v2/jira/links", "jira_links", "links"),
    ],
)
def test_zendesk_organisations_and_links_alone_count_as_imported(
    box: Sandbox, config: Path, path: str, stream: str, kind: str
) -> None:
    saved = fetched(box, "zendesk", path, **({"start_time": 0} if stream == "organizations" else {}))
    rows = saved["organizations" if stream == "organizations" else "links"]
    assert rows
    got = counts(imported(config, "zendesk", saved))
    assert got["read"] == {stream: len(rows)}
    assert got[kind] == len(rows) and got["items"] == 0


@pytest.mark.parametrize(
    ("service", "saved", "accepted"),
    [
        ("linear", {"data": {"viewer": {"id": "u1"}}}, '{"data": {"customerNeeds": {"nodes": [...]}}}'),
        ("zendesk", {"users": [{"id": 1}]}, '{"organizations": [...]}'),
        ("jira", {"values": [{"id": "1"}]}, '{"issues": [...]}'),
        ("github", {"items": [{"number": 1}]}, "a REST issues list"),
    ],
)
def test_a_file_of_no_known_shape_fails_naming_the_shapes_accepted(
    config: Path, service: str, saved: Any, accepted: str
) -> None:
    result = imported(config, service, saved)
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert f"not a saved {service} response this can import" in output and accepted in output
    assert "Traceback" not in result.output
