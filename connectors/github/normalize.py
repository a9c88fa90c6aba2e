"""Pure mapping of GitHub payloads to records (no I/O).

Two payload shapes describe an issue: the REST issue of an ``issues:<owner>/<repo>`` stream, and a Projects
v2 item of the ``project`` stream (``{"position": n, "item": <ProjectV2Item>}``). Both are first reduced to
the same :class:`IssueFacts`, so one issue normalises to the same item whichever stream read it; the project
record adds ``native_rank`` (the zero-padded position) and ``fields`` (project item id and field values),
which the store keeps when a REST record (rank None, no fields) arrives later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import SkippableError
from connectors.github.config import GithubConfig
from connectors.urls import is_tracker_url
from sync.model import Item, Kind, Link, LinkType, Records, StatusCategory, parse_utc, utc_iso

RANK_DIGITS = 6
URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+")
TRACKER_KEY = re.compile(r"(?<![\w/#-])([A-Z][A-Z0-9]{1,9}-\d+)\b")
REPO_REF = re.compile(r"(?<![\w/.-])([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(\d+)\b")
LOCAL_REF = re.compile(r"(?<![\w/#])#(\d+)\b")
MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
MD_MARKS = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+\[[ xX]\]\s+)", re.MULTILINE)
PRIORITY = re.compile(r"^(?:priority[:/ _-]*)?(p[0-4]|urgent|critical|high|medium|low)$", re.IGNORECASE)
PRIORITY_LEVELS = {
    "p0": 1,
    "p1": 1,
    "urgent": 1,
    "critical": 1,
    "p2": 2,
    "high": 2,
    "p3": 3,
    "medium": 3,
    "p4": 4,
    "low": 4,
}
API_ISSUE_URL = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)$")


@dataclass(frozen=True)
class IssueFacts:
    """What both payload shapes say about one issue."""

    repo: str
    number: int
    title: str
    body: str
    url: str | None
    state: str  # open | closed
    state_reason: str | None  # completed | not_planned | duplicate | reopened
    updated_at: str
    created_at: str | None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    author: str | None = None
    milestone: Mapping[str, Any] | None = None  # number, title, state, due_on, updated_at (REST only)
    parent: tuple[str, int] | None = None
    sub_issues: int = 0

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"


def is_pull_request(payload: Mapping[str, Any]) -> bool:
    return "pull_request" in payload


def normalize_issue(name: str, config: GithubConfig, payload: Mapping[str, Any]) -> Records:
    """A REST issue; pull requests (they carry a ``pull_request`` key) normalise to nothing."""
    if is_pull_request(payload):
        return Records()
    facts = facts_from_rest(payload)
    records = issue_records(name, config, facts)
    if config.milestone_as_epic and facts.milestone and facts.milestone.get("updated_at"):
        records.items.append(milestone_item(name, facts.repo, facts.milestone))
    return records


def normalize_project_item(name: str, config: GithubConfig, payload: Mapping[str, Any]) -> Records:
    """A Projects v2 item at its position; drafts and pull requests normalise to nothing."""
    try:
        position = int(payload["position"])
        node = payload["item"]
        content = node.get("content") or {}
        item_id = str(node["id"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SkippableError(f"project item without {exc}") from None
    if content.get("__typename") != "Issue":
        return Records()
    facts = facts_from_graphql(content)
    fields: dict[str, Any] = {"project_item_id": item_id}
    fields.update(field_values(config, node))
    return issue_records(name, config, facts, native_rank=f"{position:0{RANK_DIGITS}d}", fields=fields)


# --- payload shapes → facts ----------------------------------------------------------------------------
def facts_from_rest(payload: Mapping[str, Any]) -> IssueFacts:
    try:
        repo = str(payload["repository_url"]).rstrip("/").split("/repos/", 1)[1]
        parent = None
        parent_url = payload.get("parent_issue_url")
        if parent_url:
            match = API_ISSUE_URL.search(str(parent_url))
            parent = (match.group(1), int(match.group(2))) if match else None
        people = [a["login"] for a in _list(payload, "assignees") if a] or (
            [payload["assignee"]["login"]] if payload.get("assignee") else []
        )
        milestone = payload.get("milestone")
        return IssueFacts(
            repo=repo,
            number=int(payload["number"]),
            title=_text(payload["title"]),
            body=_text(payload.get("body")),
            url=payload.get("html_url"),
            state=_state(payload["state"]),
            state_reason=_lower(payload.get("state_reason")),
            updated_at=utc(payload["updated_at"]),
            created_at=utc(payload["created_at"]) if payload.get("created_at") else None,
            labels=[
                lab["name"] if isinstance(lab, Mapping) else str(lab) for lab in _list(payload, "labels")
            ],
            assignees=people,
            author=(payload.get("user") or {}).get("login"),
            milestone=None
            if not milestone
            else {
                "number": int(milestone["number"]),
                "title": str(milestone["title"]),
                "state": _lower(milestone.get("state")),
                "due_on": milestone.get("due_on"),
                "updated_at": milestone.get("updated_at"),
            },
            parent=parent,
            sub_issues=int((payload.get("sub_issues_summary") or {}).get("total") or 0),
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SkippableError(f"malformed GitHub issue: {type(exc).__name__} {exc}") from None


def facts_from_graphql(content: Mapping[str, Any]) -> IssueFacts:
    try:
        parent = content.get("parent")
        milestone = content.get("milestone")
        return IssueFacts(
            repo=str(content["repository"]["nameWithOwner"]),
            number=int(content["number"]),
            title=_text(content["title"]),
            body=_text(content.get("body")),
            url=content.get("url"),
            state=_state(content["state"]),
            state_reason=_lower(content.get("stateReason")),
            updated_at=utc(content["updatedAt"]),
            created_at=utc(content["createdAt"]) if content.get("createdAt") else None,
            labels=[n["name"] for n in (content.get("labels") or {}).get("nodes") or [] if n],
            assignees=[n["login"] for n in (content.get("assignees") or {}).get("nodes") or [] if n],
            author=(content.get("author") or {}).get("login"),
            milestone=None
            if not milestone
            else {
                "number": int(milestone["number"]),
                "title": str(milestone["title"]),
                "state": _lower(milestone.get("state")),
                "due_on": milestone.get("dueOn"),
            },
            parent=None
            if not parent
            else (str(parent["repository"]["nameWithOwner"]), int(parent["number"])),
            sub_issues=int((content.get("subIssuesSummary") or {}).get("total") or 0),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SkippableError(f"malformed project issue: {type(exc).__name__} {exc}") from None


def field_values(config: GithubConfig, node: Mapping[str, Any]) -> dict[str, Any]:
    """Values of the project fields rankbridge reads: the score and rank fields under their logical names
    ``score`` and ``rank`` (what the planner compares), the status field and ``fields`` names as named."""
    logical = {
        config.score_field: "score",
        config.rank_field: "rank",
        config.estimate_field: "estimate",
        config.report_field: "report",
    }
    wanted = {n for n in (config.status_field, "Status") if n} | set(config.fields)
    # an empty estimate field reads as None, so a cleared estimate replaces the stored one
    out: dict[str, Any] = {"estimate": None} if config.estimate_field else {}
    for value in (node.get("fieldValues") or {}).get("nodes") or []:
        if not isinstance(value, Mapping):
            continue
        name = (value.get("field") or {}).get("name")
        if name is None or (name not in logical and name not in wanted):
            continue
        kind = value.get("__typename")
        key = logical.get(name, name)
        if kind == "ProjectV2ItemFieldNumberValue":
            out[key] = value.get("number")
        elif kind == "ProjectV2ItemFieldSingleSelectValue":
            out[key] = value.get("name")
        elif kind == "ProjectV2ItemFieldTextValue":
            out[key] = value.get("text")
    return out


# --- facts → records -------------------------------------------------------------------------------------
def issue_records(
    name: str,
    config: GithubConfig,
    facts: IssueFacts,
    native_rank: str | None = None,
    fields: dict[str, Any] | None = None,
) -> Records:
    uid = f"{name}:{facts.key}"
    labels = sorted(set(facts.labels))
    priority, level = _priority(labels)
    parent_uid = f"{name}:{facts.parent[0]}#{facts.parent[1]}" if facts.parent else None
    if parent_uid is None and config.milestone_as_epic and facts.milestone:
        parent_uid = f"{name}:{milestone_id(facts.repo, facts.milestone)}"
    epic = (config.epic_label is not None and config.epic_label in labels) or facts.sub_issues > 0
    due = (facts.milestone or {}).get("due_on")
    fields = dict(fields or {})
    estimate = _estimate(config, labels, fields)
    item = Item(
        uid=uid,
        connection=name,
        source="github",
        native_id=facts.key,
        key=facts.key,
        kind=Kind.EPIC if epic else Kind.ISSUE,
        title=facts.title,
        body=markdown_text(facts.body),
        url=facts.url,
        status=facts.state,
        status_id=facts.state_reason,
        status_category=status_category(config, facts),
        priority=priority,
        priority_level=level,
        labels=labels,
        assignee=min(facts.assignees) if facts.assignees else None,
        requester=facts.author,
        parent_uid=parent_uid,
        container=facts.repo,
        due_date=utc(due)[:10] if due else None,
        created_at=facts.created_at,
        updated_at=facts.updated_at,
        native_rank=native_rank,
        estimate=estimate,
        fields=fields,
    )
    links = [Link(uid, LinkType.PARENT, "api", dst_uid=parent_uid)] if parent_uid else []
    links += text_links(uid, facts)
    return Records(items=[item], links=links)


def milestone_id(repo: str, milestone: Mapping[str, Any]) -> str:
    return f"{repo}/milestone/{milestone['number']}"


def milestone_item(name: str, repo: str, milestone: Mapping[str, Any]) -> Item:
    native = milestone_id(repo, milestone)
    closed = milestone.get("state") == "closed"
    due = milestone.get("due_on")
    return Item(
        uid=f"{name}:{native}",
        connection=name,
        source="github",
        native_id=native,
        key=f"{repo} {milestone['title']}",
        kind=Kind.EPIC,
        title=str(milestone["title"]),
        status=str(milestone.get("state") or "open"),
        status_category=StatusCategory.DONE if closed else StatusCategory.TO_DO,
        updated_at=utc(milestone["updated_at"]),
        container=repo,
        due_date=utc(due)[:10] if due else None,
    )


def status_category(config: GithubConfig, facts: IssueFacts) -> str:
    for native in (facts.state_reason, facts.state):
        if native and native in config.status_map:
            return config.status_map[native]
    if facts.state == "open":
        return StatusCategory.TO_DO
    if facts.state_reason in ("not_planned", "duplicate"):
        return StatusCategory.CANCELED
    return StatusCategory.DONE


def text_links(uid: str, facts: IssueFacts) -> list[Link]:
    """References to other items in the title and body: trackers' URLs (:mod:`connectors.urls`), tracker
    keys, ``owner/repo#n`` and ``#n``."""
    text = f"{facts.title}\n{facts.body}"
    refs: dict[str, None] = {}
    for url in URL.findall(text):
        url = url.rstrip(".,;:!?")
        if url != facts.url and is_tracker_url(url):  # a docs or dashboard URL names no work item
            refs[f"url:{url}"] = None
    without_urls = URL.sub(" ", text)
    for key in TRACKER_KEY.findall(without_urls):
        refs[f"key:{key}"] = None
    for repo, number in REPO_REF.findall(without_urls):
        refs[f"key:{repo}#{int(number)}"] = None
    for number in LOCAL_REF.findall(REPO_REF.sub(" ", without_urls)):
        refs[f"key:{facts.repo}#{int(number)}"] = None
    refs.pop(f"key:{facts.key}", None)
    return [Link(uid, LinkType.RELATES, "text", dst_ref=ref) for ref in refs]


# --- small helpers -------------------------------------------------------------------------------------
def utc(value: Any) -> str:
    """An ISO 8601 timestamp in the one stored form (:func:`sync.model.utc_iso`)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    return utc_iso(parse_utc(value))


def markdown_text(body: str) -> str:
    """GitHub Markdown reduced to plain text: links keep text and target, block marks go."""
    text = MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(1) else m.group(2), body)
    text = MD_MARKS.sub("", text)
    return text.replace("\r\n", "\n").strip()


def _estimate(config: GithubConfig, labels: list[str], fields: dict[str, Any]) -> float | None:
    """The estimate of a mapped label (the largest, when several are set; the label goes into
    ``fields['estimate_label']``). The project's estimate field is not read here: a project item carries it
    as ``fields['estimate']``, which the store keeps when the REST stream describes the same issue, and the
    rules prefer it (see :meth:`rules.inputs.Facts.estimate`)."""
    mapped = [(config.estimate_labels[label], label) for label in labels if label in config.estimate_labels]
    if not mapped:
        if config.estimate_labels:
            fields["estimate_label"] = None
        return None
    size, label = max(mapped)
    fields["estimate_label"] = label
    return float(size)


def _priority(labels: list[str]) -> tuple[str | None, int]:
    for name in labels:
        match = PRIORITY.match(name.strip())
        if match:
            return name, PRIORITY_LEVELS[match.group(1).lower()]
    return None, 0


def _list(payload: Mapping[str, Any], key: str) -> list[Any]:
    value = payload.get(key) or []
    if not isinstance(value, list):
        raise TypeError(f"{key} is not a list")
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _state(value: Any) -> str:
    state = str(value).lower()
    if state not in ("open", "closed"):
        raise ValueError(f"unknown state {value!r}")
    return state


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None
