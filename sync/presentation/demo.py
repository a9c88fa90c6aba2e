"""``rankbridge demo``: the whole pull → rank → push cycle against the sandbox, shown step by step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from sandbox.launcher import Sandbox
from sync.config import load
from sync.engine import Engine
from sync.errors import UsageError
from sync.presentation import views
from sync.presentation.report.site import write_site

DEMO_RULES: dict[str, Any] = {
    "scoring": {
        "framework": "rice",
        "inputs": {"reach": "feedback_orgs + enterprise_orgs if feedback_orgs else None"},
        "adjust": [{"name": "security first", "when": "'security' in labels", "multiply": 1.5}],
    },
    "roadmap": {
        "themes": [
            {
                "name": "Enterprise readiness",
                "match": "'security' in labels or 'billing' in labels",
                "weight": 1.3,
                "objective": "Close three enterprise deals",
                "target": 0.4,
            },
            {"name": "Speed", "match": "'performance' in labels", "weight": 1.2, "target": 0.25},
        ]
    },
    "capacity": {"default": 12.0},
    "status": {
        "rules": [
            {
                "name": "tell support it shipped",
                "when": "source == 'zendesk' and linked_all_done",  # tickets take notes
                "comment": "Engineering shipped {linked_refs}: please let the customer know.",
            },
            {
                "name": "tell support it was declined",
                "when": "source == 'zendesk' and linked_all_closed and linked_canceled > 0",
                "comment": "Engineering closed {linked_canceled_keys} without doing it: "
                "please tell the customer it is not planned.",
            },
        ]
    },
}


MARKER = ".rankbridge-demo"
# What a demo leaves in its folder, and all that the next demo removes there (with the marker).
CREATED = ("rankbridge.toml", "rankbridge.db", "rankbridge.db-wal", "rankbridge.db-shm", "rankbridge.db.lock")


class NotOurFolder(UsageError):
    """The demo folder holds files the demo did not create; nothing was removed."""


def prepare_folder(workdir: Path) -> None:
    """Empty what an earlier demo left in ``workdir`` (only the files it created, found by the marker),
    or create the folder; a folder with other content and no marker is refused, untouched."""
    marker = workdir / MARKER
    if workdir.exists() and any(workdir.iterdir()) and not marker.exists():
        raise NotOurFolder(
            f"refusing: {workdir.absolute()} is not empty and was not made by `rankbridge demo`; "
            "pass --dir with a new or empty folder"
        )
    for name in CREATED:
        (workdir / name).unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by `rankbridge demo`; the next demo removes here only: " + ", ".join(CREATED))


def run_demo(console: Console, items: int, seed: int, workdir: Path) -> int:
    prepare_folder(workdir)
    box = Sandbox.start(items=items, seed=seed)
    try:
        box.export_token()
        # The store path is relative to the config file's folder, so the config works from anywhere.
        config_file = box.write_config(workdir / "rankbridge.toml", "rankbridge.db", DEMO_RULES)
        console.rule(f"sandbox: {', '.join(f'{n} at {box.url(n)}' for n in box.served)}")
        with Engine(load(config_file)) as engine:
            report = engine.sync()
            console.print(views.pull_table(report.pull))
            console.print(
                views.ranking_table(views.ranking_rows(engine.store, 15), "Unified ranking (top 15)")
            )
            push_run = engine.store.runs("push", limit=1)
            if push_run:
                console.print(views.writes_table(engine.store, push_run[0]["id"]))
            failures = list(report.pull.failed) + (report.push.errors if report.push else [])
            echo = engine.sync()
            planned = len(echo.plan.ops) if echo.plan else 0
            console.print(
                f"second sync: {planned} op(s) planned"
                + (
                    " (our own writes came back and were recognised as ours)"
                    if not planned
                    else ": the first push did not leave every item where it planned"
                )
            )
            box.reset()
            quiet = engine.sync()
            reads = {name: len(box.requests(name)) for name in box.served}
            writes = sum(1 for name in box.served for r in box.requests(name) if r.get("mutating"))
            console.print(
                f"third sync, nothing changed: requests per tracker {reads}, "
                f"{len(quiet.plan.ops) if quiet.plan else 0} op(s) planned, {writes} write(s) sent"
            )
            site = write_site(engine.store, workdir / "report")
            console.print(
                f"config: {config_file}; explore with `rankbridge --config {config_file} explain KEY`"
            )
            console.print(f"HTML report: {(site.path / 'index.html').resolve()}", markup=False)
        return 1 if failures else 0
    finally:
        box.stop()
