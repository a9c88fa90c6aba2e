"""No secret anywhere: the trackers' token never appears in logs (``-vv``, text and JSON), in the store (every
column of every table), in any ``--json`` output, or in error messages (a rejected token, a bad config)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from sandbox.launcher import Sandbox
from sandbox.registry import available

ROOT = Path(__file__).resolve().parents[2]
# A name the log filter cannot guess from (no TOKEN/KEY suffix): redaction must not rest on naming.
CREDENTIAL_ENV = "RB_SECURITY_CREDENTIAL"
RULES = {
    "scoring": {"framework": "rice"},
    "status": {  # Linear's customer needs are feedback too, but Linear takes no comments
        "rules": [
            {"name": "note", "when": "kind == 'feedback' and source != 'linear'", "comment": "Seen {key}"}
        ]
    },
}


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(available(), items=8, seed=31, token="sbx-SeCrEt-" + "7" * 24)
    yield sandbox
    sandbox.stop()


def write_config(box: Sandbox, tmp_path: Path) -> Path:
    data = box.config(tmp_path / "store.db") | RULES
    path = tmp_path / "rankbridge.toml"
    path.write_text(env_reference(tomli_w.dumps(data)))
    return path


def env_reference(text: str) -> str:
    return text.replace("${RANKBRIDGE_SANDBOX_TOKEN}", "${" + CREDENTIAL_ENV + "}")


def run(config: Path, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RANKBRIDGE_SANDBOX_TOKEN"}
    env |= {CREDENTIAL_ENV: token, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cli", "--config", str(config), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def secret_fragments(token: str) -> list[str]:
    return [token, token[4:], token[-16:]]


def assert_clean(text: str, token: str, where: str) -> None:
    for fragment in secret_fragments(token):
        assert fragment not in text, f"the token shows in {where}"


def test_token_never_in_logs_outputs_or_store(box: Sandbox, tmp_path: Path) -> None:
    config = write_config(box, tmp_path)
    token = box.token
    commands = [
        ("-vv", "--log-format", "json", "sync", "--json"),
        ("-vv", "sync"),
        ("-vv", "--log-format", "json", "status", "--json"),
        ("-vv", "--log-format", "json", "plan", "--json"),
        ("-vv", "--log-format", "json", "rank", "--json"),
        ("-vv", "--log-format", "json", "log", "--json"),
        ("-vv", "--log-format", "json", "push", "--yes"),
        ("-vv", "doctor"),
        ("-vv", "--log-format", "json", "daemon", "--once"),
    ]
    for args in commands:
        result = run(config, *args, token=token)
        assert result.returncode in (0, 1), (args, result.stderr[-2000:])
        assert_clean(result.stdout, token, f"the output of {args}")
        assert_clean(result.stderr, token, f"the logs of {args}")
    assert_store_clean(tmp_path / "store.db", token)


def assert_store_clean(path: Path, token: str) -> None:
    connection = sqlite3.connect(path)
    try:
        tables = [r[0] for r in connection.execute("select name from sqlite_master where type = 'table'")]
        assert "items" in tables and "journal" in tables, tables
        for table in tables:
            columns = [r[1] for r in connection.execute(f"pragma table_info('{table}')")]
            for column in columns:
                for (value,) in connection.execute(f'select "{column}" from "{table}"'):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    assert_clean(text, token, f"the store's {table}.{column}")
    finally:
        connection.close()


def test_a_rejected_token_is_reported_without_it(box: Sandbox, tmp_path: Path) -> None:
    config = write_config(box, tmp_path)
    wrong = "wrong-" + "Z9" * 16
    for args in (("-vv", "sync", "--json"), ("-vv", "--log-format", "json", "pull"), ("doctor",)):
        result = run(config, *args, token=wrong)
        assert result.returncode != 0, args
        assert "401" in result.stdout + result.stderr or "auth" in (result.stdout + result.stderr).lower()
        assert_clean(result.stdout + result.stderr, wrong, f"the errors of {args}")
    status = run(config, "status", "--json", token=wrong)
    assert_clean(status.stdout + status.stderr, wrong, "status after a rejected token")
    assert_store_clean(tmp_path / "store.db", wrong)


def test_a_bad_config_names_the_key_but_not_the_secret(box: Sandbox, tmp_path: Path) -> None:
    token = box.token
    data = box.config(tmp_path / "store.db")
    jira = data["connections"]["jira"]
    jira["token"] = token  # a secret written as a value (wrong), next to a typo
    jira["polcy"] = {"attempts": 3}
    jira["url"] = 12
    path = tmp_path / "bad.toml"
    path.write_text(env_reference(tomli_w.dumps(data)))
    result = run(path, "-vv", "sync", token=token)
    assert result.returncode == 2
    assert "polcy" in result.stderr and "[connections.jira]" in result.stderr, result.stderr
    assert_clean(result.stdout + result.stderr, token, "a config error")
    path.write_text(env_reference(tomli_w.dumps(data)).replace("url = 12", f'url = "{token}"'))
    assert_clean(run(path, "sync", token=token).stderr, token, "a config error quoting a bad value")
