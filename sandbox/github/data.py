"""The GitHub emulator's in-memory model: repositories, issues (and pull requests, which GitHub lists as
issues), labels, milestones and one Projects v2 board.

Issues are indexed by ``(repo, number)``, by GraphQL node id, and per repository by update time (a sorted
list of ``(updated, number)``) so that ``since`` filters are a bisect, not a scan. Times are epoch seconds,
as GitHub's timestamps have one-second resolution.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

HTML_HOST = "https://github.com"


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    """An ISO 8601 timestamp as epoch seconds (GitHub accepts ``Z`` and offsets)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass
class Label:
    id: int
    node_id: str
    name: str
    color: str
    description: str | None = None


@dataclass
class Milestone:
    id: int
    node_id: str
    number: int
    title: str
    state: str
    created_at: float
    updated_at: float
    description: str | None = None
    due_on: float | None = None
    closed_at: float | None = None


@dataclass
class Repo:
    id: int
    node_id: str
    owner: str
    name: str
    labels: dict[str, Label] = field(default_factory=dict)
    milestones: dict[int, Milestone] = field(default_factory=dict)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Issue:
    id: int
    node_id: str
    repo: str
    number: int
    title: str
    body: str | None  # null when the author wrote none, as REST sends it (issue schema: body nullable)
    author: str
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    closed_at: float | None = None
    labels: list[str] = field(default_factory=list)
    milestone: int | None = None
    assignees: list[str] = field(default_factory=list)
    is_pull: bool = False
    parent: tuple[str, int] | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # merged over the REST payload (malformed on purpose)

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"

    @property
    def html_url(self) -> str:
        kind = "pull" if self.is_pull else "issues"
        return f"{HTML_HOST}/{self.repo}/{kind}/{self.number}"


@dataclass
class ProjectField:
    id: str
    name: str
    data_type: str  # NUMBER, SINGLE_SELECT, TEXT, TITLE
    options: list[tuple[str, str]] = field(default_factory=list)  # (option id, name)

    def option_name(self, option_id: str) -> str | None:
        return next((name for oid, name in self.options if oid == option_id), None)


@dataclass
class ProjectItem:
    id: str
    content_id: str
    created_at: float
    updated_at: float
    values: dict[str, Any] = field(default_factory=dict)  # field id -> number | option id | text


@dataclass
class Project:
    id: str
    owner: str
    owner_type: str  # organization | user
    number: int
    title: str
    updated_at: float
    fields: list[ProjectField] = field(default_factory=list)
    items: list[ProjectItem] = field(default_factory=list)
    by_id: dict[str, ProjectItem] = field(default_factory=dict)
    by_content: dict[str, ProjectItem] = field(default_factory=dict)

    def field_named(self, name: str) -> ProjectField | None:
        return next((f for f in self.fields if f.name == name), None)

    def field_by_id(self, field_id: str) -> ProjectField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def item(self, item_id: str) -> ProjectItem | None:
        return self.by_id.get(item_id)

    def item_for(self, content_id: str) -> ProjectItem | None:
        return self.by_content.get(content_id)

    def append(self, item: ProjectItem) -> None:
        self.items.append(item)
        self.by_id[item.id] = item
        self.by_content[item.content_id] = item

    def remove(self, item: ProjectItem) -> None:
        self.items.remove(item)
        del self.by_id[item.id]
        del self.by_content[item.content_id]

    def positions(self) -> dict[str, int]:
        """Content node id -> 0-based position."""
        return {item.content_id: index for index, item in enumerate(self.items)}

    def move(self, item: ProjectItem, after: ProjectItem | None) -> None:
        """Place ``item`` directly after ``after`` (None: at the top)."""
        self.items.remove(item)
        index = 0 if after is None else self.items.index(after) + 1
        self.items.insert(index, item)


class World:
    """Everything the emulator serves; the emulator's lock guards it."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.issues: dict[tuple[str, int], Issue] = {}
        self.by_node: dict[str, Issue] = {}
        self.by_updated: dict[str, list[tuple[float, int]]] = {}
        self.children: dict[tuple[str, int], list[Issue]] = {}
        self.project: Project | None = None
        self.login = "octocat"
        self.next_id = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def now(self) -> float:
        return float(int(time.time()))

    def add_repo(self, owner: str, name: str) -> Repo:
        repo_id = self.new_id()
        repo = Repo(id=repo_id, node_id=f"R_kgDO{repo_id}", owner=owner, name=name)
        self.repos[repo.full_name] = repo
        self.by_updated[repo.full_name] = []
        return repo

    def add_issue(self, issue: Issue) -> Issue:
        self.issues[(issue.repo, issue.number)] = issue
        self.by_node[issue.node_id] = issue
        bisect.insort(self.by_updated[issue.repo], (issue.updated_at, issue.number))
        if issue.parent is not None:
            self.children.setdefault(issue.parent, []).append(issue)
        return issue

    def children_of(self, issue: Issue) -> list[Issue]:
        return self.children.get((issue.repo, issue.number), [])

    def issue(self, repo: str, number: int) -> Issue | None:
        return self.issues.get((repo, number))

    def issue_by_key(self, key: str) -> Issue:
        repo, _, number = key.partition("#")
        found = self.issue(repo, int(number)) if number.isdigit() else None
        if found is None:
            raise KeyError(f"no issue {key}")
        return found

    def touch(self, issue: Issue, when: float | None = None) -> None:
        """Move ``updated_at`` forward (a write happened)."""
        moment = max(self.now() if when is None else when, issue.updated_at)
        ordered = self.by_updated[issue.repo]
        index = bisect.bisect_left(ordered, (issue.updated_at, issue.number))
        if index < len(ordered) and ordered[index] == (issue.updated_at, issue.number):
            del ordered[index]
        issue.updated_at = moment
        bisect.insort(ordered, (moment, issue.number))

    def delete(self, issue: Issue) -> None:
        ordered = self.by_updated[issue.repo]
        ordered.remove((issue.updated_at, issue.number))
        del self.issues[(issue.repo, issue.number)]
        del self.by_node[issue.node_id]
        if issue.parent is not None:
            self.children[issue.parent].remove(issue)
        if self.project is not None:
            item = self.project.item_for(issue.node_id)
            if item is not None:
                self.project.remove(item)
                self.project.updated_at = self.now()

    def updated_since(self, repo: str, since: float | None) -> list[Issue]:
        """Issues of ``repo`` updated at or after ``since``, oldest update first."""
        ordered = self.by_updated[repo]
        start = 0 if since is None else bisect.bisect_left(ordered, (since, -1))
        return [self.issues[(repo, number)] for _, number in ordered[start:]]

    def updated_page(
        self, repo: str, since: float | None, offset: int, count: int
    ) -> tuple[list[Issue], int]:
        """One page of :meth:`updated_since` (``count`` issues from ``offset``) and the total, without
        building the whole list."""
        ordered = self.by_updated[repo]
        start = 0 if since is None else bisect.bisect_left(ordered, (since, -1))
        chosen = ordered[start + offset : start + offset + count]
        return [self.issues[(repo, number)] for _, number in chosen], len(ordered) - start

    def set_state(self, issue: Issue, state: str, reason: str | None) -> None:
        """Close (with a reason, ``completed`` by default) or reopen (reason ``reopened``)."""
        issue.state = state
        if state == "closed":
            issue.state_reason = (
                reason if reason in ("completed", "not_planned", "duplicate") else "completed"
            )
            issue.closed_at = self.now()
        else:
            issue.state_reason = "reopened"
            issue.closed_at = None

    def label_names(self, repo: Repo, given: list[Any]) -> list[str]:
        """Label names from names or label objects; unknown labels are created, as GitHub does."""
        names = [g["name"] if isinstance(g, dict) else str(g) for g in given]
        for name in names:
            if name not in repo.labels:
                label_id = self.new_id()
                repo.labels[name] = Label(
                    id=label_id, node_id=f"LA_kwDO{label_id}", name=name, color="ededed"
                )
        return list(dict.fromkeys(names))

    def touch_item(self, item: ProjectItem) -> None:
        assert self.project is not None
        moment = max(self.now(), item.updated_at)
        item.updated_at = moment
        self.project.updated_at = max(moment, self.project.updated_at)
