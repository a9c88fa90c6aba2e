"""Logs for machines: with ``--log-format json`` every line a command writes is one JSON object (events with
connection, stream, counts and durations; messages; results), ``-v`` shows per-stream progress, and progress
bars appear on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sandbox.launcher import TOKEN_ENV, Sandbox
from tests.operator.conftest import ROOT


def rankbridge(config: Path, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "--config", str(config), *args],
        cwd=ROOT,
        env={**os.environ, TOKEN_ENV: token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]  # raises on any line that is not JSON


def test_json_sync_prints_only_json_lines_with_the_events(box: Sandbox, tmp_path: Path) -> None:
    config = box.write_config(tmp_path / "rankbridge.toml", "store.db")
    done = rankbridge(config, "--log-format", "json", "sync", token=box.token)
    assert done.returncode == 0, done.stderr
    out, err = json_lines(done.stdout), json_lines(done.stderr)
    events = [e for e in err if "event" in e]
    kinds = {e["event"] for e in events}
    assert {"run_start", "run_end", "page", "stream_end"} <= kinds
    assert "op_applied" in kinds  # a first sync places the trackers' order
    page = next(e for e in events if e["event"] == "page")
    assert {"connection", "stream", "records", "changed", "duration_ms"} <= page.keys()
    applied = next(e for e in events if e["event"] == "op_applied")
    assert {"connection", "kind", "result", "duration_ms"} <= applied.keys()
    ends = [e for e in events if e["event"] == "run_end"]
    assert ends and all(e["status"] == "ok" and e["kind"] and e["duration_ms"] is not None for e in ends)
    assert {e["kind"] for e in events if e["event"] == "run_start"} >= {"pull", "rank", "plan", "push"}
    assert [line["event"] for line in out] == ["result"]  # the report, not tables
    assert out[0]["data"]["pull"]
    assert box.token not in done.stdout + done.stderr


def test_json_lines_also_for_failures_and_for_commands_without_json(box: Sandbox, tmp_path: Path) -> None:
    config = box.write_config(tmp_path / "rankbridge.toml", "store.db")
    cases = (
        ["rules", "check"],
        ["explain", "NOPE-1"],
        ["init"],
        ["pull", "nowhere"],
        ["log"],
        ["pull", "--bogus"],
    )
    for args in cases:
        done = rankbridge(config, "--log-format", "json", *args, token=box.token)
        lines = json_lines(done.stdout) + json_lines(done.stderr)
        assert lines, args
        assert "Traceback" not in done.stderr


def test_verbose_shows_each_stream_and_quiet_shows_none(box: Sandbox, tmp_path: Path) -> None:
    config = box.write_config(tmp_path / "rankbridge.toml", "store.db")
    connection = next(iter(box.served))
    quiet = rankbridge(config, "pull", connection, token=box.token)
    assert quiet.returncode == 0 and quiet.stderr == ""  # not a terminal: no bars either
    verbose = rankbridge(config, "-v", "pull", connection, token=box.token)
    assert (
        f"{connection} " in verbose.stderr and "page(s)" in verbose.stderr and "request(s)" in verbose.stderr
    )
    assert box.token not in verbose.stderr


def test_a_terminal_gets_a_progress_bar(box: Sandbox, tmp_path: Path) -> None:
    config = box.write_config(tmp_path / "rankbridge.toml", "store.db")
    connection = next(iter(box.served))
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "--config", str(config), "pull", connection, "--json"],
        cwd=ROOT,
        env={**os.environ, TOKEN_ENV: box.token, "COLUMNS": "120", "TERM": "xterm"},
        stdout=subprocess.DEVNULL,
        stderr=child,
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=60)
    os.close(main)
    assert process.returncode == 0
    assert f"{connection} ".encode() in seen and b"page(s)" in seen  # the live progress line


def test_very_verbose_shows_each_request_without_secrets(box: Sandbox, tmp_path: Path) -> None:
    config = box.write_config(tmp_path / "rankbridge.toml", "store.db")
    done = rankbridge(config, "-vv", "pull", "--json", token=box.token)
    assert done.returncode == 0, done.stderr
    sent = sum(stream["requests"] for stream in json.loads(done.stdout))
    exchanges = [line for line in done.stderr.splitlines() if "connectors.http:" in line and " -> " in line]
    assert len(exchanges) == sent  # one line per request: method, path, status, time
    assert all(re.search(r"(GET|POST|PUT) /\S* -> \d{3} in \d+ ms$", line) for line in exchanges), exchanges[
        :3
    ]
    assert box.token not in done.stderr and "Authorization" not in done.stderr
