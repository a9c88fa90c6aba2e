"""The emulators in a process of their own, so that what the benchmarks measure in rankbridge's process
(time, memory) is rankbridge's alone.

Child side (``python -m benchmarks.emulators --items N --seed S --dir D [--service S ...]``): start the
sandbox, write ``D/rankbridge.toml`` (store ``D/store.db``) and ``D/sandbox.json`` (URLs and the throwaway
token of these local emulators), print ``ready``, and serve until standard input closes.

Parent side: :func:`emulators` starts that child and yields a :class:`Remote` that drives it over the
emulators' ``/_sandbox/`` HTTP endpoints, as a person or a test would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.launcher import TOKEN_ENV, Sandbox, SandboxControl

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Remote(SandboxControl):
    """The emulators of a child process, seen from the benchmark."""

    token: str
    urls: dict[str, str]  # service -> base URL of its emulator
    config_path: Path
    workdir: Path

    control_timeout = 120.0  # a 25,000-item state takes a while to serialise

    def url(self, service: str) -> str:
        return self.urls[service]

    def services(self) -> list[str]:
        return list(self.urls)


def child_env(token: str) -> dict[str, str]:
    """The environment of a benchmark child: the sandbox token where the config's ``${...}`` finds it."""
    return {**os.environ, TOKEN_ENV: token, "PYTHONPATH": str(ROOT)}


@contextmanager
def emulators(
    services: list[str], items: int, seed: int, workdir: Path, extra: dict[str, Any] | None = None
) -> Iterator[Remote]:
    """Start the emulators of ``services`` in a child process; stop them (close its stdin) on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "benchmarks.emulators", "--items", str(items), "--seed", str(seed)]
    command += ["--dir", str(workdir)] + [a for s in services for a in ("--service", s)]
    if extra:
        command += ["--extra", json.dumps(extra)]
    env = {k: v for k, v in child_env("").items() if k != TOKEN_ENV}  # the child makes its own token
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"the emulators did not start (said {line!r}, exit {child.poll()})")
        info = json.loads((workdir / "sandbox.json").read_text())
        yield Remote(info["token"], info["urls"], workdir / "rankbridge.toml", workdir)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--service", action="append", default=[])
    parser.add_argument("--extra", default=None, help="JSON merged into the written config")
    args = parser.parse_args(argv)
    box = Sandbox.start(args.service or None, items=args.items, seed=args.seed)
    try:
        extra = json.loads(args.extra) if args.extra else None
        box.write_config(args.dir / "rankbridge.toml", args.dir / "store.db", extra)
        urls = {name: box.url(name) for name in box.served}
        (args.dir / "sandbox.json").write_text(json.dumps({"token": box.token, "urls": urls}))
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.read()  # until the benchmark closes our stdin (or exits)
    finally:
        box.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
