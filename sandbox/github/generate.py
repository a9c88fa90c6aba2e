"""Deterministic GitHub data: two repositories (acme/app, acme/api) with labels, milestones, issues (some
closed as completed or not planned, some epics with sub-issues, bodies that mention other trackers), pull
requests (which connectors must skip), and one organisation project "Roadmap" with a "Priority score"
number field and a "Status" single select holding most open issues."""

from __future__ import annotations

import random
import zlib

from sandbox.github.data import Issue, Label, Milestone, Project, ProjectField, ProjectItem, World

REPOS = ("acme/app", "acme/api")
SCORE_FIELD = "Priority score"
ESTIMATE_FIELD = "Estimate"
REPORT_FIELD = "Ranking report"
STATUS_FIELD = "Status"
STATUS_OPTIONS = ("Todo", "In Progress", "Done")
LABELS = {
    "bug": "d73a4a",
    "enhancement": "a2eeef",
    "epic": "3e4b9e",
    "customer": "fbca04",
    "p1": "b60205",
    "p2": "d93f0b",
    "p3": "0e8a16",
    "documentation": "0075ca",
}
MILESTONES = ("v1.0", "v1.1", "v2.0")
PEOPLE = ("octocat", "hubot", "monalisa", "mona", "defunkt")
NOUNS = (
    "login",
    "export",
    "billing",
    "search",
    "webhooks",
    "dashboard",
    "SSO",
    "API tokens",
    "mobile",
    "notifications",
    "audit log",
    "onboarding",
    "rate limits",
    "reports",
    "permissions",
)
VERBS = ("fails on", "is slow for", "needs", "should support", "breaks", "improve", "add", "rework")
START = 1_735_689_600.0  # 2025-01-01T00:00:00Z
DAY = 86_400.0


def make_label(label_id: int, name: str) -> Label:
    color = LABELS.get(name, f"{zlib.crc32(name.encode()) & 0xFFFFFF:06x}")
    return Label(id=label_id, node_id=f"LA_kwDO{label_id}", name=name, color=color)


def populate(world: World, items: int, seed: int, references: list[dict[str, str]]) -> None:
    rng = random.Random(seed)
    for full in REPOS:
        owner, name = full.split("/")
        repo = world.add_repo(owner, name)
        for label_name in LABELS:
            repo.labels[label_name] = make_label(world.new_id(), label_name)
        for number, title in enumerate(MILESTONES, start=1):
            m_id = world.new_id()
            repo.milestones[number] = Milestone(
                id=m_id,
                node_id=f"MI_kwDO{m_id}",
                number=number,
                title=title,
                state="open",
                created_at=START,
                updated_at=START,
                due_on=START + DAY * 90 * number,
            )
    issues = [_issue(world, rng, index, items, references) for index in range(items)]
    # Pull requests, listed among the issues as GitHub lists them (``GET /repos/{owner}/{repo}/issues``,
    # rest-api.issues-subset.openapi.json: "GitHub's REST API considers every pull request an issue"): one
    # for every two issues, so that about a third of each page is pull requests, as in a busy repository.
    for index in range(max(1, items // 2)):
        repo = world.repos[REPOS[index % len(REPOS)]]
        moment = START + rng.uniform(0, 300) * DAY
        _add(world, repo.full_name, f"Fix {rng.choice(NOUNS)}", "Closes an issue.", rng, moment, is_pull=True)
    _epics(world, rng, issues)
    _project(world, rng, issues)
    _mirrors(issues, references)


MIRRORS = 3  # open issues that state they mirror a Jira issue ("Mirror of <url>")


def _mirrors(issues: list[Issue], references: list[dict[str, str]]) -> None:
    """A few issues mirror Jira issues, said the way people say it in a description (no random draws, so
    the rest of the generated world stays as it was)."""
    jira = [r for r in references if r.get("service") == "jira" and r.get("url")]
    open_issues = [i for i in issues if i.state == "open"][1::2]
    for issue, ref in zip(open_issues[:MIRRORS], jira[1::2], strict=False):
        issue.body = f"{issue.body or ''}\n\nMirror of {ref['url']}"


def _issue(
    world: World, rng: random.Random, index: int, total: int, references: list[dict[str, str]]
) -> Issue:
    repo = REPOS[0] if index % 3 else REPOS[1]
    title = f"{rng.choice(NOUNS).capitalize()} {rng.choice(VERBS)} {rng.choice(NOUNS)}"
    body: str | None = f"Reported by a customer. Steps to reproduce #{index}."
    if references and rng.random() < 0.3:
        ref = rng.choice(references)
        body = f"{body}\n\nSee {ref['url'] if rng.random() < 0.5 else ref['key']}."
    elif index % 3 == 2:
        body = None  # no description at all: the REST payload says "body": null
    moment = START + (index / max(1, total)) * 300 * DAY + rng.uniform(0, DAY)
    issue = _add(world, repo, title, body, rng, moment)
    issue.labels = rng.sample(
        ["bug", "enhancement", "customer", "p1", "p2", "p3", "documentation"], k=rng.randint(0, 3)
    )
    issue.milestone = rng.choice([None, 1, 2, 3])
    issue.assignees = rng.sample(PEOPLE, k=rng.randint(0, 2))
    roll = rng.random()
    if roll < 0.08:
        issue.state, issue.state_reason, issue.closed_at = "closed", "completed", issue.updated_at
    elif roll < 0.12:
        issue.state, issue.state_reason, issue.closed_at = "closed", "not_planned", issue.updated_at
    return issue


def _add(
    world: World,
    repo: str,
    title: str,
    body: str | None,
    rng: random.Random,
    moment: float,
    is_pull: bool = False,
) -> Issue:
    r = world.repos[repo]
    number = r.next_number
    r.next_number += 1
    issue_id = world.new_id()
    prefix = "PR_kwDO" if is_pull else "I_kwDO"
    issue = Issue(
        id=issue_id,
        node_id=f"{prefix}{issue_id}",
        repo=repo,
        number=number,
        title=title,
        body=body,
        author=rng.choice(PEOPLE),
        created_at=float(int(moment)),
        updated_at=float(int(moment + rng.uniform(0, 5) * DAY)),
        is_pull=is_pull,
    )
    if is_pull:
        issue.state, issue.closed_at = "closed", issue.updated_at
    return world.add_issue(issue)


def _epics(world: World, rng: random.Random, issues: list[Issue]) -> None:
    """Every 15th issue is an epic (label "epic"); a few later issues of its repo become its sub-issues."""
    epics = [i for n, i in enumerate(issues) if n % 15 == 0 and i.state == "open"]
    for epic in epics:
        epic.labels = ["epic", *[n for n in epic.labels if n != "epic"]]
    for issue in issues:
        if (issue.labels and issue.labels[0] == "epic") or rng.random() > 0.3:
            continue
        parents = [e for e in epics if e.repo == issue.repo and e.number < issue.number]
        if parents:
            parent = rng.choice(parents)
            issue.parent = (parent.repo, parent.number)
            world.children.setdefault(issue.parent, []).append(issue)


def _project(world: World, rng: random.Random, issues: list[Issue]) -> None:
    project = Project(
        id="PVT_kwDOacme1",
        owner="acme",
        owner_type="organization",
        number=1,
        title="Roadmap",
        updated_at=START + 301 * DAY,
    )
    status_options = [(f"{zlib.crc32(n.encode()) & 0xFFFFFFF:07x}", n) for n in STATUS_OPTIONS]
    project.fields = [
        ProjectField(id="PVTF_title", name="Title", data_type="TITLE"),
        ProjectField(id="PVTF_score", name=SCORE_FIELD, data_type="NUMBER"),
        ProjectField(id="PVTF_estimate", name=ESTIMATE_FIELD, data_type="NUMBER"),
        ProjectField(id="PVTF_report", name=REPORT_FIELD, data_type="TEXT"),
        ProjectField(
            id="PVTSSF_status", name=STATUS_FIELD, data_type="SINGLE_SELECT", options=status_options
        ),
    ]
    members = [i for i in issues if i.state == "open" and rng.random() < 0.85]
    rng.shuffle(members)
    pulls = [i for i in world.issues.values() if i.is_pull][:1]
    for issue in [*members, *pulls]:
        moment = START + 300 * DAY
        item = ProjectItem(
            id=f"PVTI_{issue.node_id}", content_id=issue.node_id, created_at=moment, updated_at=moment
        )
        if rng.random() < 0.5:
            item.values["PVTF_score"] = float(round(rng.uniform(1, 100), 1))
        item.values["PVTSSF_status"] = rng.choice(status_options[:2])[0]
        if issue.number % 3 == 0:  # some estimated, as teams do (no draw: the rest of the data stays put)
            item.values["PVTF_estimate"] = float(issue.number % 8 + 1)
        project.append(item)
    world.project = project
