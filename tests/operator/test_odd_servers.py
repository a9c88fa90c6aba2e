"""Messages, not tracebacks: every connector pointed at a server that answers oddly (HTML, lists, empty
bodies, wrong content types, truncated JSON) fails that connection with one line naming it, and a wrong
server for one connection never stops the others."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from cli import main
from sandbox.launcher import Sandbox
from tests.operator.conftest import cli
from tests.operator.oddserver import ODD_ANSWERS, Answer, OddServer

FAST = {"attempts": 1, "base_wait": 0.0, "max_wait": 0.1, "timeout": 5.0}


def connections(url: str) -> dict[str, dict[str, Any]]:
    """One connection of each service, all at ``url``, with plain (non-secret) test credentials."""
    return {
        "jira": {
            "type": "jira",
            "url": url,
            "email": "bot@example.com",
            "token": "odd-test-token",
            "jql": "project = ENG",
            "policy": FAST,
        },
        "github": {
            "type": "github",
            "url": url,
            "token": "odd-test-token",
            "repos": ["acme/app"],
            "policy": FAST,
        },
        "linear": {"type": "linear", "url": f"{url}/graphql", "api_key": "odd-test-token", "policy": FAST},
        "zendesk": {
            "type": "zendesk",
            "url": url,
            "email": "bot@example.com",
            "token": "odd-test-token",
            "policy": FAST,
        },
    }


@pytest.fixture(scope="module")
def odd() -> Iterator[OddServer]:
    with OddServer() as server:
        yield server


def write(path: Path, data: dict[str, Any]) -> str:
    path.write_text(tomli_w.dumps(data))
    return str(path)


@pytest.mark.parametrize("answer", ODD_ANSWERS, ids=str)
def test_no_traceback_reaches_the_user_from_any_connector(
    odd: OddServer, answer: Answer, tmp_path: Path
) -> None:
    odd.answer = answer
    config = write(
        tmp_path / "rankbridge.toml", {"store": {"path": "store.db"}, "connections": connections(odd.url)}
    )
    for args in (["pull"], ["doctor"], ["sync"]):
        result = CliRunner().invoke(main, ["--config", config, *args])
        assert isinstance(result.exception, SystemExit), (args, answer, result.output)
        assert result.exit_code == 1, (args, answer, result.output)
        assert "Traceback" not in result.output and "odd-test-token" not in result.output
        dumped = [line for line in result.output.splitlines() if line.lstrip().startswith("<")]
        assert dumped == []  # no library dumping the page it got
        for name in ("jira", "github", "linear", "zendesk"):
            assert name in result.output, (args, name, result.output)


def test_a_wrong_server_for_one_connection_fails_it_and_the_others_pull(
    odd: OddServer, box: Sandbox, token: str, tmp_path: Path
) -> None:
    odd.answer = ODD_ANSWERS[0]
    data = box.config("store.db")
    wrong = next(iter(data["connections"]))
    data["connections"][wrong]["url"] = odd.url
    data["connections"][wrong]["policy"] = FAST
    config = write(tmp_path / "rankbridge.toml", data)
    result = cli("--config", config, "pull", "--json")
    assert result.exit_code == 1
    failed = {row["connection"] for row in json.loads(result.stdout) if row["error"]}
    assert failed == {wrong}
    assert "Traceback" not in result.output
