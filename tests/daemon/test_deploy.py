"""The deployment examples: the systemd unit passes ``systemd-analyze verify``; the cron line is well formed
and uses options the CLI has."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "rankbridge.service"


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_unit_runs_the_daemon_with_the_expected_lifecycle() -> None:
    unit = directives(UNIT.read_text())
    assert unit["Type"] == ["simple"]
    assert unit["ExecStart"][0].split()[0].endswith("/rankbridge") and unit["ExecStart"][0].endswith(
        " daemon"
    )
    assert unit["Restart"] == ["on-failure"]
    assert unit["KillSignal"] == ["SIGTERM"] and unit["TimeoutStopSec"] == ["15"]
    assert (
        unit["EnvironmentFile"] and unit["NoNewPrivileges"] == ["yes"] and unit["ProtectSystem"] == ["strict"]
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's entry point (or the interpreter).
    entry = Path(sys.executable).with_name("rankbridge")
    binary = entry if entry.exists() else Path(sys.executable)
    text = UNIT.read_text().replace("/opt/rankbridge/.venv/bin/rankbridge", str(binary))
    unit = tmp_path / "rankbridge.service"
    unit.write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "rankbridge" in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr


def test_cron_line_is_well_formed_and_its_options_exist() -> None:
    lines = [x for x in (DEPLOY / "rankbridge.cron").read_text().splitlines() if x and not x.startswith("#")]
    assert len(lines) == 1
    fields = lines[0].split(maxsplit=5)
    assert all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), fields
    command = fields[5]
    assert "rankbridge --config" in command and " sync --wait " in command
    help_text = CliRunner().invoke(main, ["sync", "--help"]).output
    assert "--wait" in help_text
