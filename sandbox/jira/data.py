"""The Jira emulator's in-memory model: issues indexed by id and key, a small workflow, the field catalogue,
a global Rank kept as LexoRank-like strings, and the JSON rendering of issues (REST v3 ADF or v2 text)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple


class Status(NamedTuple):
    id: str
    name: str
    category: str  # statusCategory.key


# statusCategory.key -> (id, name, colorName), as Jira reports them
CATEGORIES: dict[str, tuple[int, str, str]] = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
STATUSES: dict[str, Status] = {
    s.name: s
    for s in (
        Status("10100", "Backlog", "new"),
        Status("10000", "To Do", "new"),
        Status("3", "In Progress", "indeterminate"),
        Status("10001", "Done", "done"),
        Status("10002", "Won't Do", "done"),
    )
}


class Transition(NamedTuple):
    id: str
    name: str
    sources: frozenset[str]
    target: str


TRANSITIONS = (
    Transition("11", "Select for development", frozenset({"Backlog"}), "To Do"),
    Transition("21", "Start progress", frozenset({"To Do"}), "In Progress"),
    Transition("31", "Done", frozenset({"In Progress"}), "Done"),
    Transition("41", "Stop progress", frozenset({"In Progress"}), "To Do"),
    Transition("51", "Reopen", frozenset({"Done", "Won't Do"}), "To Do"),
    Transition("61", "Won't do", frozenset({"Backlog", "To Do", "In Progress"}), "Won't Do"),
)
RESOLUTION_OF = {"Done": "Done", "Won't Do": "Won't Do"}
RESOLUTION_IDS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002", "Cannot Reproduce": "10003"}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
ISSUE_TYPES = {"Epic": ("10000", 1), "Story": ("10001", 0), "Bug": ("10002", 0), "Task": ("10003", 0)}

STORY_POINTS, RANK, SCORE, TEAM, LEGACY_SCORE, REPORT = (
    "customfield_10016",
    "customfield_10019",
    "customfield_10050",
    "customfield_10061",
    "customfield_10070",
    "customfield_10071",
)
NUMBER = "com.atlassian.jira.plugin.system.customfieldtypes:float"
# The Epic Link field of company-managed (classic) projects and of Data Center: its value is the epic's
# key; clients find its id through GET /rest/api/3/field by this schema custom type.
EPIC_LINK = "customfield_10014"
EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
TEAM_MANAGED = {"ENG"}  # on Cloud; OPS is company-managed, and every Data Center project is
CUSTOM_FIELDS: dict[str, tuple[str, str, str]] = {  # id -> (name, schema type, custom type)
    STORY_POINTS: ("Story Points", "number", NUMBER),
    RANK: ("Rank", "any", "com.pyxis.greenhopper.jira:gh-lexo-rank"),
    SCORE: ("Priority score", "number", NUMBER),
    TEAM: ("Team", "option", "com.atlassian.jira.plugin.system.customfieldtypes:select"),
    # A number field with no place on the issues' edit screen (as an old field often is): edits refuse it.
    LEGACY_SCORE: ("Legacy score", "number", NUMBER),
    # The built-in URL type (createCustomField's `url`: "Stores a URL"), where the report link goes.
    REPORT: ("Ranking report", "string", "com.atlassian.jira.plugin.system.customfieldtypes:url"),
    EPIC_LINK: ("Epic Link", "any", EPIC_LINK_TYPE),
}
SYSTEM_FIELDS: dict[str, tuple[str, str]] = {  # id -> (name, schema type)
    "summary": ("Summary", "string"),
    "description": ("Description", "string"),
    "status": ("Status", "status"),
    "resolution": ("Resolution", "resolution"),
    "issuetype": ("Issue Type", "issuetype"),
    "parent": ("Parent", "issuelink"),
    "priority": ("Priority", "priority"),
    "labels": ("Labels", "array"),
    "project": ("Project", "project"),
    "assignee": ("Assignee", "user"),
    "reporter": ("Reporter", "user"),
    "created": ("Created", "datetime"),
    "updated": ("Updated", "datetime"),
    "duedate": ("Due date", "date"),
    "issuelinks": ("Linked Issues", "array"),
    "comment": ("Comment", "comments-page"),
}
TEAMS = {"Payments": "10200", "Platform": "10201", "Growth": "10202", "Mobile": "10203"}
PROJECTS = {"ENG": ("10000", "Engineering"), "OPS": ("10001", "Operations")}

Segment = tuple[str, str]  # ("text", words) or ("url", address)


@dataclass
class Issue:
    id: int
    key: str
    project: str
    number: int
    issuetype: str
    summary: str
    status: str
    priority: str
    created: float
    updated: float
    rank: str
    reporter: str
    description: list[list[Segment]] = field(default_factory=list)  # paragraphs of segments
    resolution: str | None = None
    labels: list[str] = field(default_factory=list)
    parent: str | None = None  # parent's key
    assignee: str | None = None
    duedate: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)  # number and option custom fields by id
    links: list[tuple[str, str]] = field(default_factory=list)  # (link type name, other key), outward
    comments: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # merged over the rendering (malformed payloads)


# --- time ----------------------------------------------------------------------------------------------
DEFAULT_ZONE = "America/Los_Angeles"  # the API user's profile zone unless the sandbox is told otherwise


def jira_time(epoch: float, zone: tzinfo = UTC) -> str:
    """Jira's timestamp format in the API user's zone, with that zone's offset at that moment (DST
    included): ``2024-01-31T01:05:00.000-0800``, as real responses carry it (platform-swagger-v3.v3.full.json,
    ``IssueBean.fields`` timestamps; the user's zone is ``User.timeZone`` of ``GET /rest/api/3/myself``)."""
    moment = datetime.fromtimestamp(epoch, zone)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_after(previous: float) -> float:
    """Now, but strictly after ``previous`` (``updated`` moves on every write)."""
    return max(time.time(), previous + 0.001)


# --- rank: LexoRank-like strings "0|hzzzzz:suffix" whose string order is the rank order --------------
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def rank_string(body: str) -> str:
    return f"0|{body[:6].ljust(6, '0')}:{body[6:]}"


def rank_body(rank: str) -> str:
    return (rank[2:8] + rank[9:]).rstrip("0")


def initial_ranks(count: int) -> list[str]:
    step = 36**6 // (count + 1)
    out = []
    for index in range(1, count + 1):
        value, digits = step * index, []
        for _ in range(6):
            value, digit = divmod(value, 36)
            digits.append(DIGITS[digit])
        out.append(rank_string("".join(reversed(digits)).rstrip("0") or "1"))
    return out


def between(lo: str | None, hi: str | None) -> str:
    """A rank strictly between two ranks (None: open end)."""
    low, high = rank_body(lo) if lo else "", rank_body(hi) if hi else None
    result, index = "", 0
    while True:
        d_lo = DIGITS.index(low[index]) if index < len(low) else 0
        d_hi = DIGITS.index(high[index]) if high is not None and index < len(high) else 36
        if d_lo == d_hi:
            result += DIGITS[d_lo]
        elif (mid := (d_lo + d_hi) // 2) > d_lo:
            return rank_string(result + DIGITS[mid])
        else:
            result, high = result + DIGITS[d_lo], None
        index += 1


def spread(lo: str | None, hi: str | None, count: int) -> list[str]:
    """``count`` increasing ranks between ``lo`` and ``hi``, splitting the gap evenly (short strings)."""
    if count <= 0:
        return []
    middle = between(lo, hi)
    left = count // 2
    return [*spread(lo, middle, left), middle, *spread(middle, hi, count - left - 1)]


# --- rendering ---------------------------------------------------------------------------------------------
def status_json(name: str, base: str) -> dict[str, Any]:
    status = STATUSES[name]
    number, category_name, color = CATEGORIES[status.category]
    return {
        "self": f"{base}/rest/api/2/status/{status.id}",
        "id": status.id,
        "name": status.name,
        "description": "",
        "iconUrl": f"{base}/images/icons/statuses/generic.png",
        "statusCategory": {
            "self": f"{base}/rest/api/2/statuscategory/{number}",
            "id": number,
            "key": status.category,
            "colorName": color,
            "name": category_name,
        },
    }


def adf(paragraphs: list[list[Segment]]) -> dict[str, Any] | None:
    if not paragraphs:
        return None
    content = []
    for paragraph in paragraphs:
        nodes = [
            {"type": "inlineCard", "attrs": {"url": value}}
            if kind == "url"
            else {"type": "text", "text": value}
            for kind, value in paragraph
        ]
        content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


def plain(paragraphs: list[list[Segment]]) -> str | None:
    if not paragraphs:
        return None
    return "\n\n".join("".join(value for _, value in paragraph) for paragraph in paragraphs)


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
    return target


# --- the store ---------------------------------------------------------------------------------------------
class IssueStore:
    """Issues by id and by key; ``version`` moves on every change (search result caches key on it)."""

    def __init__(self) -> None:
        self.by_id: dict[int, Issue] = {}
        self.by_key: dict[str, Issue] = {}
        self.version = 0
        self._inward: dict[str, list[tuple[str, Issue]]] = {}
        self._inward_version = -1

    def add(self, issue: Issue) -> None:
        self.by_id[issue.id] = issue
        self.by_key[issue.key] = issue
        self.version += 1

    def inward(self, issue: Issue) -> list[tuple[str, Issue]]:
        """The links other issues have to ``issue``: (link type name, source issue). Jira lists a link on
        both of its issues (``IssueLink`` in platform-swagger-v3.v3.full.json: ``inwardIssue`` on one,
        ``outwardIssue`` on the other). Indexed once per store version, so a page of renders stays linear."""
        if self._inward_version != self.version:
            self._inward = {}
            for source in self.by_id.values():
                for type_name, other in source.links:
                    self._inward.setdefault(other.upper(), []).append((type_name, source))
            self._inward_version = self.version
        return self._inward.get(issue.key, [])

    def remove(self, issue: Issue) -> None:
        del self.by_id[issue.id]
        del self.by_key[issue.key]
        self.version += 1

    def find(self, ref: str) -> Issue | None:
        """An issue by key (any case) or by numeric id, as ``issueIdOrKey`` allows."""
        if ref.isdigit():
            return self.by_id.get(int(ref))
        return self.by_key.get(ref.upper())

    def all(self) -> list[Issue]:
        return list(self.by_id.values())

    def touch(self, issue: Issue) -> None:
        issue.updated = now_after(issue.updated)
        self.version += 1

    def ordered(self) -> list[Issue]:
        return sorted(self.by_id.values(), key=lambda i: i.rank)

    def move(self, moving: list[Issue], after: Issue | None, before: Issue | None) -> None:
        """Place ``moving`` (in this order) right after ``after`` or right before ``before`` (both None:
        at the top); only the moved issues get new ranks, and their ``updated`` moves."""
        ids = {i.id for i in moving}
        others = [i for i in self.ordered() if i.id not in ids]
        if after is not None:
            position = others.index(after) + 1
        elif before is not None:
            position = others.index(before)
        else:
            position = 0
        lo = others[position - 1].rank if position > 0 else None
        hi = others[position].rank if position < len(others) else None
        for issue, rank in zip(moving, spread(lo, hi, len(moving)), strict=True):
            issue.rank = rank
            self.touch(issue)
