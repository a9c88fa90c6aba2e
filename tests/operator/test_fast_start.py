"""Fast start: loading the command line (what `rankbridge --version` and `--help` do) imports click and the
command modules, nothing heavy; each command imports what it needs when it runs. Timing lives in
benchmarks/startup.py; this checks the imports, which do not depend on the machine's load."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.operator.conftest import ROOT

HEAVY = ("rich", "pydantic", "sqlite_utils", "httpx", "requests", "sync.engine", "sync.config", "rules")


def test_loading_the_command_line_imports_nothing_heavy() -> None:
    code = "import sys, cli; print(__import__('json').dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    heavy = [name for name in loaded if any(name == h or name.startswith(h + ".") for h in HEAVY)]
    assert heavy == []


def test_version_prints_the_one_version() -> None:
    code = "import sys, cli; cli.main(['--version'])"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert (
        done.returncode == 0 and done.stdout.strip() == "rankbridge, version " + __import__("cli").__version__
    )
