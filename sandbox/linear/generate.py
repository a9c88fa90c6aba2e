"""Deterministic sample data for the Linear emulator: teams with every kind of workflow state, projects,
cycles, labels, users, customers with needs on issues, issues with a spread of sortOrder, sub-issues, some
archived and trashed, and attachments pointing at other emulators' issues."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.linear.data import LinearData, enter_state, iso, issue_url, new_id

EPOCH = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
TEAMS = (("ENG", "Engineering"), ("DES", "Design"))
STATES = (
    ("Triage", "triage"),
    ("Backlog", "backlog"),
    ("Todo", "unstarted"),
    ("In Progress", "started"),
    ("In Review", "started"),
    ("Done", "completed"),
    ("Canceled", "canceled"),
    ("Duplicate", "duplicate"),
)
STATE_WEIGHTS = (1, 4, 5, 3, 1, 3, 1, 0.3)
PROJECT_STATUSES = (
    ("Backlog", "backlog"),
    ("Planned", "planned"),
    ("In Progress", "started"),
    ("Paused", "paused"),
    ("Completed", "completed"),
    ("Canceled", "canceled"),
)
LABELS = ("Bug", "Feature", "Improvement", "Performance", "Security", "UX", "Docs")
TIERS = (("enterprise", "Enterprise"), ("growth", "Growth"), ("startup", "Startup"))
VERBS = ("Fix", "Add", "Improve", "Speed up", "Redesign", "Document", "Remove", "Support")
THINGS = (
    "login flow",
    "billing page",
    "CSV export",
    "search filters",
    "webhooks",
    "dark mode",
    "onboarding",
    "SSO",
    "audit log",
    "notifications",
    "API tokens",
    "mobile layout",
)
COMPANIES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Aperture",
)


def generate(data: LinearData, items: int, seed: int, references: list[dict[str, str]]) -> None:
    rng = random.Random(seed)
    ids = _Ids(rng)
    _people(data, ids)
    _teams(data, ids)
    _labels(data, ids)
    _projects(data, ids, rng, max(2, items // 25))
    _cycles(data, ids)
    _customers(data, ids, rng, max(3, items // 10))
    _issues(data, ids, rng, items, references)
    _mirrors(data, references)
    data.last_tick = max(data.last_tick, EPOCH + timedelta(days=120))


MIRRORS = 3  # open issues that state they mirror a GitHub issue ("Mirrors <url>")


def _mirrors(data: LinearData, references: list[dict[str, str]]) -> None:
    """A few open issues mirror GitHub issues, said in their description (no random draws, so the rest of
    the generated world stays as it was)."""
    github = [r for r in references if r.get("service") == "github" and r.get("url")]
    done = ("completed", "canceled")
    issues = [
        i
        for i in data.issues.values()
        if i["archivedAt"] is None and data.states[i["_state"]]["type"] not in done
    ]
    for issue, ref in zip(issues[:MIRRORS], github[::4], strict=False):
        issue["description"] += f"\n\nMirrors {ref['url']}"


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return new_id(self.rng.getrandbits(128))


def _when(rng: random.Random, low_days: float = 0, high_days: float = 90) -> str:
    return iso(EPOCH + timedelta(days=rng.uniform(low_days, high_days)))


def _people(data: LinearData, ids: _Ids) -> None:
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"):
        user_id = ids()
        first = name.split()[0].lower()
        data.users[user_id] = {
            "id": user_id,
            "name": name,
            "displayName": first,
            "email": f"{first}@example.com",
            "active": True,
            "createdAt": iso(EPOCH),
            "updatedAt": iso(EPOCH),
        }
    data.viewer_id = next(iter(data.users))


def _teams(data: LinearData, ids: _Ids) -> None:
    for key, name in TEAMS:
        team_id = ids()
        data.teams[team_id] = {
            "id": team_id,
            "key": key,
            "name": name,
            "createdAt": iso(EPOCH),
            "updatedAt": iso(EPOCH),
            "archivedAt": None,
            "_issues": 0,
        }
        for position, (state_name, state_type) in enumerate(STATES):
            state_id = ids()
            data.states[state_id] = {
                "id": state_id,
                "name": state_name,
                "type": state_type,
                "position": float(position),
                "color": "#5e6ad2",
                "_team": team_id,
                "createdAt": iso(EPOCH),
                "updatedAt": iso(EPOCH),
                "archivedAt": None,
            }


def _labels(data: LinearData, ids: _Ids) -> None:
    for name in LABELS:
        label_id = ids()
        data.labels[label_id] = {
            "id": label_id,
            "name": name,
            "color": "#eb5757",
            "createdAt": iso(EPOCH),
            "updatedAt": iso(EPOCH),
        }


def _projects(data: LinearData, ids: _Ids, rng: random.Random, count: int) -> None:
    for position, (name, status_type) in enumerate(PROJECT_STATUSES):
        status_id = ids()
        data.statuses[status_id] = {
            "id": status_id,
            "name": name,
            "type": status_type,
            "color": "#26b5ce",
            "position": float(position),
            "createdAt": iso(EPOCH),
            "updatedAt": iso(EPOCH),
        }
    statuses = list(data.statuses)
    teams = list(data.teams)
    for number in range(count):
        project_id = ids()
        created = _when(rng, 0, 30)
        status = data.statuses[statuses[rng.choice((0, 1, 1, 2, 2, 2, 3, 4, 5))]]
        slug = f"{project_id[:12]}"
        data.projects[project_id] = {
            "id": project_id,
            "name": f"{rng.choice(VERBS)} {rng.choice(THINGS)} {number + 1}",
            "slugId": slug,
            "url": f"https://linear.app/{data.workspace}/project/{slug}",
            "description": "Roadmap project",
            "priority": rng.randint(0, 4),
            "sortOrder": float(number * 100),
            "state": status["type"],
            "_status": status["id"],
            "startDate": (EPOCH + timedelta(days=rng.randint(0, 30))).date().isoformat(),
            "targetDate": (EPOCH + timedelta(days=rng.randint(60, 150))).date().isoformat(),
            "createdAt": created,
            "updatedAt": _when(rng, 30, 60),
            "archivedAt": None,
            "_teams": [teams[number % len(teams)]],
        }


def _cycles(data: LinearData, ids: _Ids) -> None:
    """Two-week cycles that run now, as a working team's do: cycle 1 finished, 2 running since this week's
    Monday, 3 next (so a plan made today has a current and a next cycle to count capacity against)."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    running = today - timedelta(days=today.weekday())
    for team_id in data.teams:
        for number in range(1, 4):
            cycle_id = ids()
            starts = running + timedelta(days=14 * (number - 2))
            changed = starts + timedelta(days=14) if number == 1 else min(starts, today)
            data.cycles[cycle_id] = {
                "id": cycle_id,
                "number": float(number),
                "name": f"Cycle {number}",
                "startsAt": iso(starts),
                "endsAt": iso(starts + timedelta(days=14)),
                "isActive": number == 2,
                "completedAt": iso(starts + timedelta(days=14)) if number == 1 else None,
                "_team": team_id,
                "createdAt": iso(EPOCH),
                "updatedAt": iso(changed),
                "archivedAt": None,
            }


def _customers(data: LinearData, ids: _Ids, rng: random.Random, count: int) -> None:
    for position, (name, display) in enumerate(TIERS):
        tier_id = ids()
        data.tiers[tier_id] = {
            "id": tier_id,
            "name": name,
            "displayName": display,
            "color": "#f2c94c",
            "position": float(position),
            "createdAt": iso(EPOCH),
            "updatedAt": iso(EPOCH),
        }
    tiers = list(data.tiers)
    for number in range(count):
        customer_id = ids()
        tier = rng.choice(tiers)
        size = {0: (500, 20000), 1: (50, 500), 2: (5, 50)}[tiers.index(tier)]
        name = f"{COMPANIES[number % len(COMPANIES)]}" + (
            f" {number // len(COMPANIES) + 1}" if number >= 12 else ""
        )
        data.customers[customer_id] = {
            "id": customer_id,
            "name": name,
            "revenue": rng.randint(5, 500) * 1000,
            "size": float(rng.randint(*size)),
            "_tier": tier,
            "domains": [f"{name.lower().replace(' ', '')}.example"],
            "externalIds": [],
            "createdAt": _when(rng, 0, 10),
            "updatedAt": _when(rng, 10, 40),
            "archivedAt": None,
        }


def _issues(
    data: LinearData, ids: _Ids, rng: random.Random, count: int, references: list[dict[str, str]]
) -> None:
    teams = list(data.teams)
    projects, cycles, users = list(data.projects), list(data.cycles), list(data.users)
    labels, customers = list(data.labels), list(data.customers)
    links = [r for r in references if r.get("service") in ("jira", "github") and r.get("url")]
    recent: list[dict[str, Any]] = []  # the last issues made: candidate parents
    for number in range(count):
        team = data.teams[teams[number % len(teams)]]
        team["_issues"] += 1
        states = [s for s in data.states.values() if s["_team"] == team["id"]]
        state = rng.choices(sorted(states, key=lambda s: s["position"]), weights=STATE_WEIGHTS)[0]
        issue_id = ids()
        identifier = f"{team['key']}-{team['_issues']}"
        created = _when(rng, 0, 80)
        updated = iso(
            datetime.fromisoformat(created.replace("Z", "+00:00")) + timedelta(hours=rng.uniform(0, 900))
        )
        team_cycles = [c for c in cycles if data.cycles[c]["_team"] == team["id"]]
        title = f"{rng.choice(VERBS)} {rng.choice(THINGS)}"
        issue: dict[str, Any] = {
            "id": issue_id,
            "identifier": identifier,
            "number": float(team["_issues"]),
            "title": title,
            "description": f"Details of {identifier}.",
            "url": issue_url(f"https://linear.app/{data.workspace}", identifier, title),
            "priority": float(rng.choice((0, 1, 2, 2, 3, 3, 3, 4))),
            "estimate": rng.choice((None, 1, 2, 3, 5, 8)),
            "dueDate": rng.choice(
                (None, None, (EPOCH + timedelta(days=rng.randint(60, 150))).date().isoformat())
            ),
            "sortOrder": round(rng.uniform(-5000, 5000), 4),
            "createdAt": created,
            "updatedAt": updated,
            "archivedAt": None,
            "trashed": None,
            "_state": state["id"],
            "_team": team["id"],
            "_project": rng.choice(projects) if rng.random() < 0.5 else None,
            "_cycle": rng.choice(team_cycles) if rng.random() < 0.3 else None,
            "_parent": None,
            "_assignee": rng.choice([*users, None]),
            "_creator": rng.choice(users),
            "_labels": rng.sample(labels, rng.randint(0, 3)),
            "_attachments": [],
            "_needs": [],
        }
        enter_state(issue, state, updated)  # its last move: at its last update
        _relations(data, ids, rng, issue, links, customers, number, recent)
        data.add_issue(issue)
        recent = [*recent[-19:], issue]


def _relations(
    data: LinearData,
    ids: _Ids,
    rng: random.Random,
    issue: dict[str, Any],
    links: list[dict[str, str]],
    customers: list[str],
    number: int,
    recent: list[dict[str, Any]],
) -> None:
    earlier = [i for i in recent if i["_team"] == issue["_team"] and not i["_parent"]]
    if earlier and rng.random() < 0.1:
        issue["_parent"] = rng.choice(earlier)["id"]
    roll = rng.random()
    if roll < 0.04:
        issue["archivedAt"] = iso(EPOCH + timedelta(days=100))
    elif roll < 0.06:
        issue["archivedAt"], issue["trashed"] = iso(EPOCH + timedelta(days=100)), True
    if links and rng.random() < 0.2:
        ref = links[number % len(links)]
        issue["_attachments"].append(
            {
                "id": ids(),
                "title": f"{ref['service']} {ref['key']}",
                "url": ref["url"],
                "sourceType": ref["service"],
                "_issue": issue["id"],
                "createdAt": issue["createdAt"],
                "updatedAt": issue["createdAt"],
            }
        )
    if rng.random() < 0.3:
        for customer in rng.sample(customers, min(len(customers), rng.randint(1, 3))):
            need_id = ids()
            data.needs[need_id] = {
                "id": need_id,
                "body": f"{data.customers[customer]['name']} asks for {issue['title'].lower()}",
                "priority": float(rng.random() < 0.25),
                "url": None,
                "_customer": customer,
                "_issue": issue["id"],
                "_creator": rng.choice(list(data.users)),
                "createdAt": issue["createdAt"],
                "updatedAt": issue["updatedAt"],
                "archivedAt": None,
            }
            issue["_needs"].append(need_id)
