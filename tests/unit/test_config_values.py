"""Config values that cannot be used end in one line naming the setting and exit 2, never a traceback or
exit 1 (issue 14 item 8): a URL that is not one, a negative interval or re-read period, a port out of
range, a store folder that cannot hold the store, and a daemon port another process holds (a real socket
bound to it)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[2]
GITHUB = '[connections.gh]\ntype = "github"\ntoken = "t"\nrepos = ["a/b"]\n'
PLAIN = GITHUB + 'url = "http://127.0.0.1:9"\n'

# case -> (config text, command, what the one line says)
CASES: dict[str, tuple[str, list[str], str]] = {
    "a URL without a scheme": (GITHUB + 'url = "not a url"\n', ["pull"], "[connections.gh] url <- "),
    "an ftp URL": (GITHUB + 'url = "ftp://example.com"\n', ["pull"], "http:// or https:// URL"),
    "an unclosed IPv6 bracket": (GITHUB + 'url = "http://[::1"\n', ["pull"], "not a URL (Invalid IPv6 URL)"),
    "a blank in the host": (GITHUB + 'url = "https://exa mple.com"\n', ["pull"], "[connections.gh] url <- "),
    "a negative interval": (PLAIN + "interval = -5\n", ["pull"], "[connections.gh] interval <- "),
    "a negative re-read period": (PLAIN + "full_read_hours = -1\n", ["pull"], "full_read_hours <- "),
    "a port out of range": (PLAIN + "[daemon]\nport = 70000\n", ["rank"], "[daemon] port <- "),
    "a store under a file": ('[store]\npath = "a-file/store.db"\n', ["rank"], "cannot use the store"),
    "a store that is a folder": ('[store]\npath = "."\n', ["rank"], "cannot use the store"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_unusable_value_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    text, command, expected = CASES[case]
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / "rankbridge.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["--config", str(path), *command])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output


@pytest.fixture
def taken_port() -> Iterator[int]:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield int(holder.getsockname()[1])
    holder.close()


def test_a_taken_daemon_port_is_one_line_naming_it_and_exit_2(tmp_path: Path, taken_port: int) -> None:
    path = tmp_path / "rankbridge.toml"
    path.write_text(PLAIN + f"[daemon]\nport = {taken_port}\n")
    done = subprocess.run(
        [sys.executable, "-m", "cli", "--config", str(path), "daemon"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{taken_port}" in lines[0] and "Address already in use" in lines[0]
    assert "port = N in [daemon]" in lines[0]  # how to choose another
