"""End to end through the CLI: config file → commands against the sandbox → what the trackers show."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox
from sandbox.registry import available

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(available(), items=25, seed=21)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def config(box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    rules = {
        "status": {
            "rules": [
                {
                    "name": "shipped",
                    "when": "kind == 'feedback' and linked_all_done and source != 'linear'",
                    "comment": "Shipped {linked_keys}",
                }
            ]
        }
    }
    return box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db", rules)


def run(config: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def test_sync_then_a_quiet_sync_says_nothing_changed(box: Sandbox, config: Path) -> None:
    first = run(config, "sync")
    assert first.exit_code == 0, first.output
    assert "Unified" not in first.output  # sync prints the pull, the plan and the push
    run(config, "sync")
    box.reset()
    quiet = run(config, "sync")
    assert quiet.exit_code == 0, quiet.output
    assert "nothing changed" in quiet.output
    for service in box.served:
        assert not [r for r in box.requests(service) if r["mutating"]], service


def test_rank_json_explain_plan_status(box: Sandbox, config: Path) -> None:
    assert run(config, "pull").exit_code == 0
    ranked = json.loads(run(config, "rank", "--json", "--limit", "0").output)
    rows = ranked["ranking"]
    assert rows and [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    unpinned = [r["score"] for r in rows if not r["components"]["pin"]]
    assert unpinned == sorted(unpinned, reverse=True)
    top = rows[0]["ref"]
    explained = run(config, "explain", top)
    assert explained.exit_code == 0 and rows[0]["label"] in explained.output and "inputs:" in explained.output
    as_json = json.loads(run(config, "explain", top, "--json").output)
    assert as_json["rank"] == 1
    plan = json.loads(run(config, "plan", "--json").output)
    assert {"ops", "kept", "naive_rank_writes", "plan_id"} <= plan.keys()
    status = json.loads(run(config, "status", "--json").output)
    assert {c["name"] for c in status["connections"]} == set(box.served)
    assert all(c["last_status"] == "ok" for c in status["connections"])


def test_dry_run_writes_nothing(box: Sandbox, config: Path) -> None:
    box.reset()
    result = run(config, "sync", "--dry-run")
    assert result.exit_code == 0, result.output
    for service in box.served:
        assert not [r for r in box.requests(service) if r["mutating"]], service


def test_push_refuses_a_plan_older_than_the_last_pull(config: Path) -> None:
    assert run(config, "pull").exit_code == 0
    assert run(config, "rank").exit_code == 0
    plan = json.loads(run(config, "plan", "--json").output)
    assert run(config, "pull").exit_code == 0
    result = run(config, "push", "--yes")
    if plan["ops"]:
        assert result.exit_code == 3 and "older than the last pull" in result.output
    else:
        assert "nothing to push" in result.output


def test_import_replays_saved_payloads_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "rankbridge.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "imported.db"}"\n')
    payloads = tmp_path / "jira.json"
    payloads.write_text(
        json.dumps(
            {
                "issues": [
                    {
                        "id": "10001",
                        "key": "ENG-1",
                        "self": "https://x/rest/api/3/issue/10001",
                        "fields": {
                            "summary": "Imported",
                            "status": {"name": "To Do", "id": "1", "statusCategory": {"key": "new"}},
                            "updated": "2026-01-02T03:04:05.000+0000",
                            "created": "2026-01-01T00:00:00.000+0000",
                            "issuetype": {"name": "Story"},
                            "project": {"key": "ENG"},
                            "labels": [],
                        },
                    },
                    {"id": "10002", "key": "ENG-2"},
                ]
            }
        )
    )
    result = run(config, "import", "jira", str(payloads))
    assert result.exit_code == 0, result.output
    assert "imported 1 item(s)" in result.output and "1 quarantined" in result.output


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text()
    commands = []
    for name, command in main.commands.items():
        if isinstance(command, click.Group):
            commands += [f"{name} {sub}" for sub in command.commands]
        else:
            commands.append(name)
    missing = [c for c in commands if not re.search(rf"rankbridge {re.escape(c)}\b", text)]
    assert missing == []
