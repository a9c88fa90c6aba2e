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
from sandbox.launcher import TOKEN_ENV, Sandbox
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


def test_linear_teams_and_cycles_are_stored_as_the_pull_stores_them(box: Sandbox, config: Path) -> None:
    """A saved teams answer keeps each team (name, states by category, cycle length) and a cycles answer
    each cycle (team, number, dates, completion, archived), through the CLI, as the pull keeps them."""
    teams = queried(box, "linear", "connectors.linear", "teams", {"first": 50})
    cycles = queried(box, "linear", "connectors.linear", "cycles", {"first": 50, "filter": {}})
    team_nodes, cycle_nodes = teams["data"]["teams"]["nodes"], cycles["data"]["cycles"]["nodes"]
    cycle_nodes[-1]["archivedAt"] = "2025-09-01T00:00:00.000Z"  # an archived cycle, as includeArchived reads
    result = imported(config, "linear", teams)
    assert result.exit_code == 0, result.output
    assert f"{len(team_nodes)} team(s)" in " ".join(result.output.split())
    result = imported(config, "linear", cycles)
    assert result.exit_code == 0 and f"{len(cycle_nodes)} cycle(s)" in " ".join(result.output.split())
    store = stored(config)
    try:
        kept_teams, kept_cycles = store.teams(), store.cycles()
    finally:
        store.close()
    emulator = box.emulator("linear")
    assert {(t.container, t.name) for t in kept_teams} == {(t["key"], t["name"]) for t in team_nodes}
    eng = next(t for t in kept_teams if t.container == "ENG")
    assert eng.cycle_weeks == 2 and eng.states[0] == ("Triage", "triage") and ("Done", "done") in eng.states
    assert len(kept_cycles) == len(cycle_nodes)
    by_uid = {c.uid: c for c in kept_cycles}
    for node in cycle_nodes:
        kept = by_uid[f"linear:{node['id']}"]
        truth = emulator.data.cycles[node["id"]]
        assert (kept.container, kept.number, kept.starts_at, kept.ends_at, kept.completed_at) == (
            node["team"]["key"], truth["number"], truth["startsAt"], truth["endsAt"], truth["completedAt"]
        )  # fmt: skip
        assert kept.deleted == (node is cycle_nodes[-1])


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


def test_a_pull_keeps_the_teams_and_cycles_an_import_of_the_same_answers_keeps(
    box: Sandbox, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    pulled_config = box.write_config(tmp_path / "pulled.toml", tmp_path / "pulled.db")
    result = CliRunner().invoke(main, ["--config", str(pulled_config), "pull", "linear"])
    assert result.exit_code == 0, result.output
    for name, variables in (("teams", {"first": 50}), ("cycles", {"first": 50, "filter": {}})):
        saved = queried(box, "linear", "connectors.linear", name, variables)
        assert imported(config, "linear", saved).exit_code == 0
    pulled, replayed = Store(tmp_path / "pulled.db"), stored(config)
    try:
        assert pulled.teams() == replayed.teams() and len(pulled.teams()) == 2
        assert pulled.cycles() == replayed.cycles() and len(pulled.cycles()) == 6
    finally:
        pulled.close()
        replayed.close()
