"""``Query.repository`` of GitHub's GraphQL API over the emulator's :class:`World`: a repository's issues
and pull requests, one by number or listed by connection (states, labels, ``filterBy``, ``orderBy``).

Follows the official schema (shared/apispecs/github/graphql-schema.dedup.graphql): ``Query.repository``,
``Repository.issue``/``issues``/``pullRequest``/``pullRequests``, ``IssueFilters``, ``IssueOrder``,
``IssueOrderField``, ``OrderDirection``, ``PullRequestState``. The world knows no merges, so a closed pull
request is ``CLOSED``, never ``MERGED``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from sandbox.github.data import HTML_HOST, Issue, Repo, World, parse_iso

if TYPE_CHECKING:
    from sandbox.github.graphql_paging import View

# IssueOrderField -> the sort key of an issue (COMMENTS: how many comments it has)
ORDER_KEYS: dict[str, Callable[[Issue], Any]] = {
    "CREATED_AT": lambda i: (i.created_at, i.number),
    "UPDATED_AT": lambda i: (i.updated_at, i.number),
    "COMMENTS": lambda i: (len(i.comments), i.number),
}


def find(world: World, owner: str, name: str) -> Repo | None:
    """The repository ``owner/name`` (GitHub matches both case-insensitively), or None: GitHub answers
    ``data.repository: null`` with a NOT_FOUND error, which the caller raises."""
    wanted = f"{owner}/{name}".lower()
    return next((r for full, r in world.repos.items() if full.lower() == wanted), None)


def ordered(issues: list[Issue], order_by: dict[str, str] | None) -> list[Issue]:
    """GitHub's default order is creation, oldest first; ``orderBy`` picks the field and direction."""
    order = order_by or {"field": "CREATED_AT", "direction": "ASC"}
    return sorted(issues, key=ORDER_KEYS[order["field"]], reverse=order["direction"] == "DESC")


def _matches_filters(issue: Issue, filter_by: dict[str, Any]) -> bool:
    """``IssueFilters``: assignee ("*" any, a login), createdBy, labels (all of them), since, states."""
    assignee = filter_by.get("assignee")
    if assignee == "*" and not issue.assignees:
        return False
    if assignee not in (None, "*") and assignee not in issue.assignees:
        return False
    if filter_by.get("createdBy") not in (None, issue.author):
        return False
    if not set(filter_by.get("labels") or ()) <= set(issue.labels):
        return False
    since = filter_by.get("since")
    if since is not None and issue.updated_at < parse_iso(str(since)):
        return False
    states = filter_by.get("states")
    return not states or issue.state.upper() in states


def listed(
    world: World, repo: Repo, pulls: bool, states: list[str] | None, labels: list[str] | None, filter_by: Any
) -> list[Issue]:
    """Issues (``pulls`` False) or pull requests of ``repo`` passing ``states`` and ``labels`` (any of
    them, as GitHub's ``labels`` argument) and, for issues, ``filterBy``."""
    chosen = []
    for issue in world.updated_since(repo.full_name, None):
        if issue.is_pull != pulls:
            continue
        if states and _state(issue) not in states:
            continue
        if labels and not set(labels) & set(issue.labels):
            continue
        if filter_by and not _matches_filters(issue, filter_by):
            continue
        chosen.append(issue)
    return chosen


def _state(issue: Issue) -> str:
    return issue.state.upper()  # IssueState and PullRequestState share OPEN and CLOSED


def by_number(world: World, repo: Repo, number: int, pulls: bool) -> Issue:
    issue = world.issue(repo.full_name, number)
    if issue is None or issue.is_pull != pulls:
        kind = "PullRequest" if pulls else "Issue"
        raise GraphQLError(
            f"Could not resolve to an {kind} with the number of {number}.",
            extensions={"type": "NOT_FOUND"},
        )
    return issue


def summary(repo: Repo) -> View:
    """The repository fields an issue or pull request carries (``Issue.repository``)."""
    return {
        "__typename": "Repository",
        "id": repo.node_id,
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "url": f"{HTML_HOST}/{repo.full_name}",
    }


def view(world: World, repo: Repo, content: Callable[[Issue], View], page: Callable[..., View]) -> View:
    """``Repository`` with its issues and pull requests; ``content`` views one (``Issue``/``PullRequest``),
    ``page`` makes a connection as GitHub bounds it (rows, view, name, first, after, last, before)."""

    def issues(
        info: Any,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        states: list[str] | None = None,
        labels: list[str] | None = None,
        filterBy: Any = None,
        orderBy: Any = None,
        before: str | None = None,
    ) -> View:
        rows = ordered(listed(world, repo, False, states, labels, filterBy), orderBy)
        return page(rows, content, "issues", first, after, last, before)

    def pulls(
        info: Any,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        states: list[str] | None = None,
        labels: list[str] | None = None,
        orderBy: Any = None,
        before: str | None = None,
    ) -> View:
        rows = ordered(listed(world, repo, True, states, labels, None), orderBy)
        return page(rows, content, "pullRequests", first, after, last, before)

    return summary(repo) | {
        "issue": lambda info, number: content(by_number(world, repo, number, pulls=False)),
        "pullRequest": lambda info, number: content(by_number(world, repo, number, pulls=True)),
        "issues": issues,
        "pullRequests": pulls,
    }
