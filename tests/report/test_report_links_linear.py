"""Linear's link to each issue's report page: an attachment (``[connections.linear] report_attachment``),
written by the planner only when it differs, found again among a person's attachments, and correct whether
or not Linear moves the issue's ``updatedAt`` when an attachment is written (it does not say)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w

from connectors.linear.client import document
from connectors.linear.normalize import REPORT_SUBTITLE
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.model import report_page
from sync.presentation.demo import DEMO_RULES
from tests.report.test_report_links import cli

PUBLISHED = "https://reports.example.com/rankbridge/"
MOVED = "https://intranet.example.com/ranking"
OPEN = {"triage", "backlog", "todo", "in_progress"}
PERSONS_LINKS = 6  # more than the pull's first five attachments: ours must still be seen


@pytest.fixture(params=[False, True], ids=["issue-updatedAt-stays", "issue-updatedAt-moves"])
def linked(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Sandbox, Path]]:
    settings = {"linear": {"attachments_touch_issue": request.param}}
    box = Sandbox.start(services=["linear"], items=12, seed=5, settings=settings)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db", DEMO_RULES)
    data = tomllib.loads(config.read_text())
    data["report"] = {"report_url": PUBLISHED}
    data["connections"]["linear"]["report_attachment"] = "Ranking report"
    config.write_text(tomli_w.dumps(data))
    yield box, config
    box.stop()


def link(key: str, base: str = PUBLISHED) -> str:
    return base.rstrip("/") + "/" + report_page("linear", key)


def ours(issue: dict[str, Any]) -> list[str]:
    return [a["url"] for a in issue["attachments"] if a["subtitle"] == REPORT_SUBTITLE]


def issues(box: Sandbox) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in box.state("linear")["items"]}


def report_ops(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        op for op in plan["ops"] if op["connection"] == "linear" and op["payload"].get("field") == "report"
    ]


def attachment_writes(box: Sandbox) -> int:
    names = [(entry.get("operation") or {}).get("name") for entry in box.requests("linear")]
    return sum(1 for name in names if name in ("AttachmentCreate", "AttachmentDelete"))


def add_persons_links(box: Sandbox, issue_key: str) -> None:
    """A person's own attachments on the issue (a PR, a design, …), created before rankbridge links it."""
    for n in range(PERSONS_LINKS):
        answer = httpx.post(
            f"{box.url('linear')}/graphql",
            headers={"Authorization": box.token},
            json={
                "query": document("attachment_create"),
                "variables": {
                    "input": {
                        "issueId": issue_key,
                        "url": f"https://figma.example.com/d/{n}",
                        "title": f"D{n}",
                    }
                },
            },
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["data"]["attachmentCreate"]["success"]


def test_linear_issues_link_to_their_page_and_are_rewritten_only_when_it_moves(
    linked: tuple[Sandbox, Path],
) -> None:
    box, config = linked
    open_issues = [k for k, i in issues(box).items() if not i["deleted"] and i["status_category"] in OPEN]
    crowded = sorted(open_issues)[0]
    add_persons_links(box, crowded)

    cli(config, "sync")
    ranking = cli(config, "rank", "--json", "--limit", "0")["ranking"]
    ranked = [r["key"] for r in ranking if r["key"] in open_issues]  # projects rank too, without links
    assert crowded in ranked and len(ranked) > 3
    now = issues(box)
    for key in ranked:
        assert ours(now[key]) == [link(key)], key
    assert len(now[crowded]["attachments"]) == PERSONS_LINKS + 1  # the person's links are kept
    titles = {a["title"] for i in now.values() for a in i["attachments"] if a["subtitle"] == REPORT_SUBTITLE}
    assert titles == {"Ranking report"}

    # Unchanged links: the next sync writes no attachment.
    before = attachment_writes(box)
    cli(config, "sync")
    assert attachment_writes(box) == before

    # A new report_url: one rewrite per linked issue, the old link replaced, then nothing more.
    data = tomllib.loads(config.read_text())
    data["report"]["report_url"] = MOVED
    config.write_text(tomli_w.dumps(data))
    moved = report_ops(cli(config, "plan", "--json"))
    assert sorted(op["payload"]["item"] for op in moved) == sorted(now[k]["native_id"] for k in ranked)
    cli(config, "push", "--yes")
    after = issues(box)
    for key in ranked:
        assert ours(after[key]) == [link(key, MOVED)], key
    assert len(after[crowded]["attachments"]) == PERSONS_LINKS + 1

    # The pull after our write reads the links back (whether or not the issues' updatedAt moved).
    cli(config, "pull")
    assert report_ops(cli(config, "plan", "--json")) == []
    before = attachment_writes(box)
    cli(config, "sync")
    assert attachment_writes(box) == before
