"""One identity across trackers, end to end on the sandbox: Jira projects and Linear teams both use ENG-n,
so a bare key can name two items; qualified references CONNECTION:KEY name one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from cli import main
from connectors.registry import service_types
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.store import Store


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(service_types(), items=30, seed=5)
    yield sandbox
    sandbox.stop()


def run(config: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


CAPACITY = {"capacity": {"per_container": {"ENG": 6, "linear:ENG": 4}}}


def configured(box: Sandbox, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    return box.write_config(tmp_path / f"{name}.toml", tmp_path / f"{name}.db", CAPACITY)


def ranking(config: Path) -> list[dict[str, Any]]:
    result = run(config, "rank", "--json", "--limit", "0")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)["ranking"]
    return rows


def test_a_shared_key_must_be_qualified_and_a_qualified_one_names_its_item(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = configured(box, tmp_path, "one", monkeypatch)
    assert run(config, "pull").exit_code == 0
    rows = ranking(config)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row["key"], []).append(row)
    both = {"jira", "linear"}
    shared = sorted(k for k, group in by_key.items() if {r["connection"] for r in group} >= both)
    assert shared, "the sandbox's Jira project ENG and Linear team ENG share keys"
    key = shared[0]
    bare = run(config, "explain", key)
    assert bare.exit_code == 2
    assert f"jira:{key}" in bare.stderr and f"linear:{key}" in bare.stderr
    linear = run(config, "explain", f"linear:{key}", "--json")
    assert linear.exit_code == 0, linear.stderr
    shown = json.loads(linear.output)
    assert shown["uid"].startswith("linear:") and shown["ref"] == f"linear:{key}"
    assert shown["rank"] == next(r["rank"] for r in by_key[key] if r["connection"] == "linear")
    text = run(config, "explain", f"jira:{key}").output
    assert text.startswith(f"jira:{key}: ")  # the explanation names the item qualified: the key is shared
    # the table shows both, qualified; a key only one connection has stays bare
    table = run(config, "rank", "--limit", "0").output
    assert f"jira:{key}" in table and f"linear:{key}" in table
    unique = next(r for r in rows if len(by_key[r["key"]]) == 1)
    assert run(config, "explain", unique["key"]).exit_code == 0
    assert run(config, "explain", "NOPE-404").exit_code == 1
    # the Jira project ENG and the Linear team ENG are two teams with two cut lines
    lines = {line["team"]: line for line in json.loads(run(config, "rank", "--json").output)["capacity"]}
    assert lines["jira:ENG"]["capacity"] == 6 and lines["linear:ENG"]["capacity"] == 4
    for team, line in lines.items():
        fitting = [r for r in rows if f"{r['connection']}:{r['components']['team']}" == team]
        assert line["used"] <= line["capacity"]
        assert sum(1 for r in fitting if r["fits_next_cycle"]) == line["fitting"]
    assert "cut line jira:ENG: " in table and "cut line linear:ENG: " in table


def links_of(db: Path) -> set[tuple[str, str, str | None]]:
    store = Store(db)
    try:
        return {(link.src_uid, link.type, link.dst_uid) for link in store.links()}
    finally:
        store.close()


def shared_keys(box: Sandbox) -> list[str]:
    jira = {i["key"] for i in box.state("jira")["items"]}
    return sorted(i["key"] for i in box.state("linear")["items"] if i["key"] in jira)


def test_pull_order_changes_no_link_and_no_score(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_key, second_key, third_key = shared_keys(box)[:3]
    # Three tickets name issues whose keys Jira and Linear share: through Zendesk's Jira integration (a
    # Jira issue), as a bare key in text (ambiguous: reported, never guessed) and as a Linear URL whose
    # slug is out of date (the Linear issue, found by the base URL and the key).
    box.edit("zendesk", {"key": "#101", "jira_link": {"issue_key": first_key}})
    box.edit("zendesk", {"key": "#102", "set": {"description": f"Same as {second_key}, please."}})
    url = f"https://linear.app/sandbox/issue/{third_key}/an-old-title"
    box.edit("zendesk", {"key": "#103", "set": {"description": f"See {url}"}})
    first = configured(box, tmp_path, "first", monkeypatch)
    assert run(first, "pull", "linear", "zendesk").exit_code == 0
    assert run(first, "pull", "jira", "github").exit_code == 0
    second = configured(box, tmp_path, "second", monkeypatch)
    for connection in ("jira", "github", "zendesk", "linear"):
        assert run(second, "pull", connection).exit_code == 0
    links = [links_of(tmp_path / f"{name}.db") for name in ("first", "second")]
    assert links[0] == links[1]
    scores = [{(r["uid"], r["score"]) for r in ranking(c)} for c in (first, second)]
    assert scores[0] == scores[1]
    store = Store(tmp_path / "first.db")
    try:
        uid_of = {i.ref: i.uid for i in store.items()}
        asked = {(link.src_uid, link.dst_uid) for link in store.links() if link.type == "requests"}
        assert ("zendesk:101", uid_of[f"jira:{first_key}"]) in asked
        assert ("zendesk:101", uid_of[f"linear:{first_key}"]) not in asked
        assert not {dst for src, dst in asked if src == "zendesk:102"} & {
            uid_of[f"jira:{second_key}"],
            uid_of[f"linear:{second_key}"],
        }
        assert ("zendesk:103", uid_of[f"linear:{third_key}"]) in asked
    finally:
        store.close()
    # the ambiguous mention is reported, by `status` and its JSON
    reported = json.loads(run(first, "status", "--json").output)["links"]["ambiguous_mentions"]
    expected = {
        "from": "zendesk:102",
        "mention": second_key,
        "candidates": [f"jira:{second_key}", f"linear:{second_key}"],
    }
    assert expected in reported
    assert f"ambiguous mention, not linked: zendesk:102 names {second_key}" in run(first, "status").output


def test_an_organisation_in_zendesk_and_linear_is_one_customer(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = configured(box, tmp_path, "customers", monkeypatch)
    assert run(config, "pull").exit_code == 0
    listed = run(config, "customers", "--json")
    assert listed.exit_code == 0, listed.output
    customers = json.loads(listed.output)
    merged = [c for c in customers if {s["connection"] for s in c["sources"]} >= {"zendesk", "linear"}]
    assert merged, "the sandbox's Zendesk organisations and Linear customers share company names"
    assert len({s["uid"] for c in customers for s in c["sources"]}) == sum(
        len(c["sources"]) for c in customers
    )
    # One customer asks for one Linear issue twice: by a Linear customer need and by a Zendesk ticket
    # of its Zendesk organisation that names the URL.
    store = Store(tmp_path / "customers.db")
    try:
        items = store.items()
        by_uid = {i.uid: i for i in items}
        pairs = [
            (need, link.dst_uid, customer)
            for customer in merged
            for need in items
            if need.connection == "linear" and need.organization in {s["uid"] for s in customer["sources"]}
            for link in store.links()
            if link.src_uid == need.uid
            and link.type == "requests"
            and link.dst_uid in by_uid
            and by_uid[link.dst_uid].status_category not in ("done", "canceled")
        ]
        need, target, customer = pairs[0]
        zendesk_orgs = {s["uid"] for s in customer["sources"] if s["connection"] == "zendesk"}
        ticket = next(i for i in items if i.connection == "zendesk" and i.organization in zendesk_orgs)
    finally:
        store.close()
    url = by_uid[target].url
    box.edit("zendesk", {"key": ticket.key, "set": {"description": f"We need this: {url}"}})
    assert run(config, "pull", "zendesk").exit_code == 0
    rows = {r["uid"]: r for r in ranking(config)}
    row = rows[target]
    requests = row["components"]["requests"]
    asked = {r["request"]: r["identity"] for r in requests}
    assert asked[need.ref] == asked[ticket.ref] == customer["id"]
    identities = {r["identity"] for r in requests if r["identity"]}
    assert row["organisations"] == len(identities) < len(requests)
    arr = {c["id"]: c["arr"] for c in customers}
    assert row["arr"] == pytest.approx(sum(arr[i] for i in identities))
    text = run(config, "explain", by_uid[target].ref).output
    assert f"request {ticket.ref} counted as {customer['name']}" in text
    table = run(config, "customers").output
    assert customer["name"] in table and customer["sources"][0]["uid"] in table
