"""The query parameters of GitHub's REST list operations, as rest-api.issues-subset.openapi.json
documents them: ``issues/list-for-repo`` (``milestone``, ``state``, ``assignee``, ``type``,
``creator``, ``mentioned``, ``labels``, ``sort``, ``direction``, ``since``, ``per_page``, ``page``),
``issues/list-comments`` (``since``), ``issues/list-milestones`` (``state``, ``sort``, ``direction``),
and the ``per_page``/``page`` pagination every list shares ("Using pagination in the REST API": at most
100 a page, 30 by default, ``Link`` with ``next``/``last``/``first``/``prev``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from sandbox.framework import HttpError, Request
from sandbox.github.data import Issue, Milestone, Repo, World, parse_iso

T = TypeVar("T")
STATES = {"open", "closed", "all"}
SORTS = {"created", "updated", "comments"}
PAGING = ("per_page", "page")
ISSUE_LIST_PARAMS = (
    "milestone",
    "state",
    "assignee",
    "type",
    "creator",
    "mentioned",
    "labels",
    "sort",
    "direction",
    "since",
    *PAGING,
)
FILTERS = ("milestone", "assignee", "type", "creator", "mentioned", "labels")


def invalid(resource: str, name: str) -> HttpError:
    return HttpError(422, f"Validation Failed: {resource}.{name} is invalid")


def since_of(request: Request, resource: str) -> float | None:
    value = request.arg("since")
    try:
        return parse_iso(value) if value else None
    except ValueError as exc:
        raise invalid(resource, "since") from exc


def page_size(request: Request) -> tuple[int, int]:
    """(per_page, page): 30 a page by default, at most 100; pages count from 1."""
    per_page = max(1, min(100, int(request.arg("per_page", "30") or 30)))
    return per_page, max(1, int(request.arg("page", "1") or 1))


def link_header(base: str, request: Request, page: int, last: int) -> str:
    def url(number: int) -> str:
        query = {k: v[0] for k, v in request.query.items()} | {"page": str(number)}
        return f"<{base}{request.path}?{urlencode(query)}>"

    rels = []
    if page < last:
        rels += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
    if page > 1:
        rels += [f'{url(1)}; rel="first"', f'{url(page - 1)}; rel="prev"']
    return ", ".join(rels)


def paged(base: str, request: Request, rows: Sequence[T]) -> tuple[list[T], dict[str, str]]:
    """One page of ``rows`` and its ``Link`` header (none when everything fits on one page)."""
    per_page, page = page_size(request)
    last = max(1, -(-len(rows) // per_page))
    shown = list(rows[(page - 1) * per_page : page * per_page])
    return shown, ({"Link": link_header(base, request, page, last)} if last > 1 else {})


def issue_order(request: Request) -> tuple[str, str, str]:
    state = request.arg("state", "open") or "open"
    sort = request.arg("sort", "created") or "created"
    direction = request.arg("direction", "desc") or "desc"
    if state not in STATES or sort not in SORTS or direction not in ("asc", "desc"):
        raise invalid("Issue", "state/sort/direction")
    return state, sort, direction


def filtered(world: World, repo: Repo, request: Request, rows: list[Issue]) -> list[Issue]:
    """The issues that pass every filter given; each filter as ``issues/list-for-repo`` describes it."""
    checks: list[Callable[[Issue], bool]] = []
    milestone = request.arg("milestone")
    if milestone is not None:
        checks.append(_milestone_check(repo, milestone))
    assignee = request.arg("assignee")
    if assignee is not None:
        checks.append(_any_or_none(assignee, lambda i: i.assignees, lambda i, who: who in i.assignees))
    issue_type = request.arg("type")
    if issue_type is not None:  # the emulator's issues have no issue type: only "none" matches them
        checks.append(lambda i: issue_type == "none")
    creator = request.arg("creator")
    if creator is not None:
        checks.append(lambda i: i.author.lower() == creator.lower())
    mentioned = request.arg("mentioned")
    if mentioned is not None:
        checks.append(lambda i: mentions(i, mentioned))
    wanted = set(request.args("labels"))
    if wanted:
        checks.append(lambda i: wanted <= set(i.labels))
    return [i for i in rows if all(check(i) for check in checks)]


def _milestone_check(repo: Repo, value: str) -> Callable[[Issue], bool]:
    """An integer names a milestone by its number; ``*`` any milestone; ``none`` no milestone."""
    if value not in ("*", "none"):
        if not value.isdigit() or int(value) not in repo.milestones:
            raise invalid("Issue", "milestone")
        number = int(value)
        return lambda i: i.milestone == number
    return _any_or_none(value, lambda i: [i.milestone] if i.milestone else [], lambda i, _: False)


def _any_or_none(
    value: str, values: Callable[[Issue], list[Any]], matches: Callable[[Issue, str], bool]
) -> Callable[[Issue], bool]:
    if value == "*":
        return lambda i: bool(values(i))
    if value == "none":
        return lambda i: not values(i)
    return lambda i: matches(i, value)


def mentions(issue: Issue, login: str) -> bool:
    """Whether ``@login`` appears in the issue's body or one of its comments (GitHub's mentions)."""
    pattern = re.compile(rf"(?<![\w@])@{re.escape(login)}(?![\w-])", re.IGNORECASE)
    texts = [issue.body or "", *(str(c.get("body") or "") for c in issue.comments)]
    return any(pattern.search(text) for text in texts)


def sorted_issues(rows: list[Issue], sort: str, direction: str) -> list[Issue]:
    if sort == "created":
        rows = sorted(rows, key=lambda i: (i.created_at, i.number))
    elif sort == "comments":
        rows = sorted(rows, key=lambda i: (len(i.comments), i.number))
    return rows[::-1] if direction == "desc" else rows


def milestones(repo: Repo, world: World, request: Request) -> list[Milestone]:
    """``state`` (open by default), ``sort`` ``due_on`` (default) or ``completeness``, ``direction`` (asc by
    default); a milestone with no due date sorts last, as GitHub lists them."""
    state = request.arg("state", "open") or "open"
    sort = request.arg("sort", "due_on") or "due_on"
    direction = request.arg("direction", "asc") or "asc"
    if state not in STATES or sort not in ("due_on", "completeness") or direction not in ("asc", "desc"):
        raise invalid("Milestone", "state/sort/direction")
    rows = [m for m in repo.milestones.values() if state == "all" or m.state == state]
    if sort == "due_on":
        rows.sort(key=lambda m: (m.due_on is None, m.due_on or 0.0, m.number))
    else:
        rows.sort(key=lambda m: (_completeness(world, repo, m), m.number))
    return rows[::-1] if direction == "desc" else rows


def _completeness(world: World, repo: Repo, m: Milestone) -> float:
    issues = [i for i in world.issues.values() if i.repo == repo.full_name and i.milestone == m.number]
    return sum(i.state == "closed" for i in issues) / len(issues) if issues else 0.0
