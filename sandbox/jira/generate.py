"""Deterministic Jira data: two projects (ENG, OPS), epics with stories, bugs and tasks under them, labels
that rules use (customer, security, ...), priorities, story points, due dates, teams, a global Rank, and
ADF descriptions of which some mention issues in other trackers (by URL or key) or in this one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.jira.data import (
    RESOLUTION_OF,
    SCORE,
    STORY_POINTS,
    TEAM,
    TEAMS,
    Issue,
    IssueStore,
    Segment,
    initial_ranks,
)

BASE_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FIRST_ID = 10000
PEOPLE = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Linus Torvalds",
    "Margaret Hamilton",
    "Barbara Liskov",
    "Ken Thompson",
]
EPICS = [
    "Checkout revamp",
    "Single sign-on for enterprise",
    "Mobile offline mode",
    "Public API v2",
    "Observability overhaul",
    "Billing migration",
    "Onboarding flow redesign",
    "Search relevance",
]
VERBS = ["Fix", "Add", "Improve", "Support", "Refactor", "Investigate", "Remove", "Speed up"]
OBJECTS = [
    "flaky login on Safari",
    "CSV export for invoices",
    "rate limiting on the public API",
    "SSO with Okta",
    "dark mode in settings",
    "slow dashboard queries",
    "webhook retries",
    "password reset emails",
    "audit log retention",
    "bulk edit of tags",
    "2FA recovery codes",
    "timezone handling in reports",
    "image upload size limit",
    "pagination of the orders list",
    "session expiry on mobile",
    "PDF invoice layout",
    "Slack notifications",
    "search typo tolerance",
]
WHY = [
    "Customers on the enterprise plan keep asking for this.",
    "Support sees this weekly.",
    "This blocks the Q1 launch.",
    "Found during the security review.",
    "Reported by the on-call engineer.",
    "Churn interviews mention it often.",
    "It makes the p95 latency spike every night.",
]
LABELS = ["customer", "security", "performance", "tech-debt", "ux", "api", "mobile", "billing"]
STATUS_WEIGHTS = {"Backlog": 15, "To Do": 35, "In Progress": 20, "Done": 25, "Won't Do": 5}
PRIORITY_WEIGHTS = {"Highest": 5, "High": 20, "Medium": 50, "Low": 20, "Lowest": 5}
TYPE_WEIGHTS = {"Story": 55, "Bug": 30, "Task": 15}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate(store: IssueStore, count: int, seed: int, references: list[dict[str, str]]) -> None:
    rng = random.Random(seed)
    ranks = initial_ranks(count)
    rng.shuffle(ranks)
    numbers = {"ENG": 0, "OPS": 0}
    epics: dict[str, list[str]] = {"ENG": [], "OPS": []}
    epic_count = max(1, count // 12)
    for index in range(count):
        project = "ENG" if rng.random() < 0.7 else "OPS"
        numbers[project] += 1
        kind = "Epic" if index < epic_count else _pick(rng, TYPE_WEIGHTS)
        issue = _issue(rng, index, project, numbers[project], kind, ranks[index])
        if kind == "Epic":
            epics[project].append(issue.key)
        elif epics[project] and rng.random() < 0.75:
            issue.parent = rng.choice(epics[project])
        issue.description = _description(rng, issue, index, store, references)
        if index > epic_count and rng.random() < 0.1:
            other = store.by_id[FIRST_ID + rng.randrange(epic_count, index)]
            issue.links.append(("Duplicate" if rng.random() < 0.25 else "Relates", other.key))
        store.add(issue)


def _issue(rng: random.Random, index: int, project: str, number: int, kind: str, rank: str) -> Issue:
    created = BASE_TIME - timedelta(days=rng.uniform(20, 400))
    updated = created + (BASE_TIME - created) * rng.random() + timedelta(milliseconds=index)
    status = _pick(rng, STATUS_WEIGHTS)
    title = rng.choice(EPICS) if kind == "Epic" else f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    custom: dict[str, Any] = {STORY_POINTS: rng.choice([1.0, 2.0, 3.0, 5.0, 8.0, 13.0, None]), SCORE: None}
    custom[TEAM] = rng.choice([*TEAMS, None])
    due = (
        (BASE_TIME + timedelta(days=rng.randint(-20, 120))).date().isoformat() if rng.random() < 0.3 else None
    )
    return Issue(
        id=FIRST_ID + index,
        key=f"{project}-{number}",
        project=project,
        number=number,
        issuetype=kind,
        summary=title,
        status=status,
        resolution=RESOLUTION_OF.get(status),
        priority=_pick(rng, PRIORITY_WEIGHTS),
        created=created.timestamp(),
        updated=updated.timestamp(),
        rank=rank,
        reporter=rng.choice(PEOPLE),
        assignee=rng.choice([*PEOPLE, None]),
        labels=sorted(rng.sample(LABELS, k=rng.choice([0, 1, 1, 2, 3]))),
        duedate=due,
        custom=custom,
    )


def _description(
    rng: random.Random, issue: Issue, index: int, store: IssueStore, references: list[dict[str, str]]
) -> list[list[Segment]]:
    if rng.random() < 0.1:
        return []
    paragraphs: list[list[Segment]] = [[("text", f"{issue.summary}. {rng.choice(WHY)}")]]
    roll = rng.random()
    if roll < 0.12 and references:
        ref = rng.choice(references)
        paragraphs.append([("text", f"Requested in {ref['service']}: "), ("url", ref["url"])])
    elif roll < 0.22:
        paragraphs.append(
            [
                ("text", f"Upstream: acme/app#{rng.randint(1, 400)}, see "),
                ("url", f"https://github.com/acme/app/issues/{rng.randint(1, 400)}"),
            ]
        )
    elif roll < 0.30 and index > 0:
        other = store.by_id[FIRST_ID + rng.randrange(index)].key
        paragraphs.append([("text", f"Related to {other} and the Linear issue PLAT-{rng.randint(1, 90)}.")])
    return paragraphs
