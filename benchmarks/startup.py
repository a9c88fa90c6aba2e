"""Start-up and the no-op pull, side by side with their floors.

* ``rankbridge --version`` against the bare interpreter (``python -c pass``): what the command line costs
  before any work.
* A no-op ``rankbridge pull zendesk`` (everything already pulled: one request per stream) against a plain
  script that sends exactly the requests that pull sent (read from the emulator's request log), with httpx
  and nothing else (:mod:`benchmarks.plain_pull`). Both are whole processes, timed from the outside: the
  difference is what rankbridge adds around its requests (imports, config, store).

Each figure is the best and the median of several runs (the machine is shared: the best is the cost, the
median shows the noise).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.emulators import ROOT, child_env, emulators
from benchmarks.harness import service_config
from sandbox.launcher import TOKEN_ENV

RUNS = 9
SERVICE = "zendesk"  # its reads are plain GETs, so the plain script can send exactly the same requests


def timed(command: list[str], env: dict[str, str] | None = None, runs: int = RUNS) -> dict[str, float]:
    """Best and median wall time of ``command`` (seconds), run ``runs`` times; it must succeed."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return {"best": round(min(times), 3), "median": round(statistics.median(times), 3)}


def rankbridge() -> list[str]:
    """The installed console script when there is one (what a user runs), else ``python -m cli``."""
    script = Path(sys.executable).with_name("rankbridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def run(workdir: Path, say: Callable[[str], None], items: int = 200) -> dict[str, Any]:
    say("[startup] rankbridge --version against the bare interpreter …")
    figures: dict[str, Any] = {
        "version": timed([*rankbridge(), "--version"]),
        "python_floor": timed([sys.executable, "-c", "pass"]),
    }
    say(f"[startup] --version {figures['version']} s, python -c pass {figures['python_floor']} s")
    with emulators([SERVICE], items, 11, workdir) as remote:
        config = service_config(remote, SERVICE, lift_limits=True)
        env = child_env(remote.token)
        pull = [*rankbridge(), "--config", str(config), "pull", SERVICE]
        subprocess.run(pull, cwd=ROOT, env=env, check=True, capture_output=True)  # the first, full pull
        remote.reset(SERVICE)
        subprocess.run(pull, cwd=ROOT, env=env, check=True, capture_output=True)
        sent = [(r["method"], r["path"], r["query"]) for r in remote.requests(SERVICE)]
        connection = tomllib.loads(config.read_text())["connections"][SERVICE]
        spec = {
            "base": remote.url(SERVICE),
            "user": f"{connection['email']}/token",
            "token_env": TOKEN_ENV,
            "requests": sent,
        }
        spec_path = workdir / "plain_pull.json"
        spec_path.write_text(json.dumps(spec))
        figures["noop_pull"] = timed(pull, env) | {"requests": len(sent)}
        plain = [sys.executable, "-m", "benchmarks.plain_pull", str(spec_path)]
        figures["plain_script"] = timed(plain, {**env, "PYTHONPATH": str(ROOT)})
    figures["noop_over_plain"] = round(figures["noop_pull"]["best"] / figures["plain_script"]["best"], 2)
    say(
        f"[startup] no-op pull of {SERVICE} ({len(sent)} requests): rankbridge {figures['noop_pull']} s, "
        f"plain script {figures['plain_script']} s (×{figures['noop_over_plain']})"
    )
    return figures


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rankbridge-bench-") as tmp:
        result = run(Path(tmp), lambda line: print(line, flush=True))
    sys.stdout.write(json.dumps(result) + "\n")
