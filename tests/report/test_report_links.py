"""With ``[report] report_url`` set, the trackers link to each item's page in the report, written by the
same planner as the score (nothing written when unchanged): Jira into a URL custom field, GitHub into a
project text field, Zendesk into a ticket field (the page of the issue the ticket's fields describe)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.model import report_page
from sync.presentation.demo import DEMO_RULES

PUBLISHED = "https://reports.example.com/rankbridge/"


@pytest.fixture
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, Path]]:
    box = Sandbox.start(items=10, seed=9)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db", DEMO_RULES)
    data = tomllib.loads(config.read_text())
    data["report"] = {"report_url": PUBLISHED}
    data["connections"]["jira"].setdefault("fields", {})["report"] = "Ranking report"  # by name
    data["connections"]["github"]["report_field"] = "Ranking report"
    config.write_text(tomli_w.dumps(data))
    yield box, config
    box.stop()


def cli(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result


def link(connection: str, key: str, base: str = PUBLISHED) -> str:
    return base.rstrip("/") + "/" + report_page(connection, key)


def report_writes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's writes of the ``report`` field (single field ops and Zendesk's batched ones)."""
    found = [op for op in plan["ops"] if op["payload"].get("field") == "report"]
    for op in plan["ops"]:
        for native, values in (op["payload"].get("items") or {}).items() if op["kind"] == "fields" else []:
            if "report" in values:
                found.append({"connection": op["connection"], "item": native, "value": values["report"]})
    return found


def test_each_tracker_links_to_the_item_page_and_rewrites_only_what_changed(
    linked: tuple[Sandbox, Path],
) -> None:
    box, config = linked
    cli(config, "sync")
    ranking = cli(config, "rank", "--json", "--limit", "0")["ranking"]
    ranked = {(r["connection"], r["key"]) for r in ranking}

    jira = {i["key"]: i for i in box.state("jira")["items"]}
    linked_jira = [key for (conn, key) in ranked if conn == "jira"]
    assert linked_jira
    for key in linked_jira:
        assert jira[key]["fields"]["Ranking report"] == link("jira", key)

    github = {i["key"]: i for i in box.state("github")["items"]}
    on_board = [
        key for (conn, key) in ranked if conn == "github" and "project_item_id" in github[key]["fields"]
    ]
    assert on_board
    for key in on_board:
        assert github[key]["fields"]["Ranking report"] == link("github", key)

    tickets = [t for t in box.state("zendesk")["items"] if t["fields"].get("report")]
    assert tickets, "tickets asking for ranked work link to its page"
    pages = {link(conn, key) for conn, key in ranked}
    assert all(t["fields"]["report"] in pages for t in tickets)
    story = {t["key"]: t["fields"].get("linked_key") for t in tickets}
    for ticket in tickets:
        connection, _, key = str(story[ticket["key"]]).partition(":")
        assert ticket["fields"]["report"].endswith(report_page(connection, key))

    # Unchanged links are not written again; a moved report is written once per linked item.
    cli(config, "pull")
    assert report_writes(cli(config, "plan", "--json")) == []
    data = tomllib.loads(config.read_text())
    data["report"]["report_url"] = "https://intranet.example.com/ranking"
    config.write_text(tomli_w.dumps(data))
    moved = report_writes(cli(config, "plan", "--json"))
    assert {op["connection"] for op in moved} == {"jira", "github", "zendesk"}
    assert len([op for op in moved if op["connection"] == "jira"]) == len(linked_jira)
    cli(config, "push", "--yes")
    jira_after = {i["key"]: i for i in box.state("jira")["items"]}
    key = linked_jira[0]
    assert jira_after[key]["fields"]["Ranking report"] == link(
        "jira", key, "https://intranet.example.com/ranking"
    )


def test_the_jira_url_field_refuses_what_is_not_a_url(linked: tuple[Sandbox, Path]) -> None:
    import httpx

    box, config = linked
    email = tomllib.loads(config.read_text())["connections"]["jira"]["email"]
    key = box.state("jira")["items"][0]["key"]
    response = httpx.put(
        f"{box.url('jira')}/rest/api/3/issue/{key}",
        json={"fields": {"customfield_10071": "javascript:alert(1)"}},
        auth=(email, box.token),
    )
    assert response.status_code == 400
    assert response.json()["errors"]["customfield_10071"] == "Not a valid URL"
