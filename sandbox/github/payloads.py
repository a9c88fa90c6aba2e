"""REST payloads as GitHub's OpenAPI description shapes them (``issue``, ``label``, ``milestone``,
``simple-user``, ``issue-comment``), with API URLs on the emulator's own host."""

from __future__ import annotations

import zlib
from typing import Any

from sandbox.github.data import HTML_HOST, Issue, Label, Milestone, Repo, World, iso

DOCS = "https://docs.github.com/rest"


def user(base: str, login: str) -> dict[str, Any]:
    api = f"{base}/users/{login}"
    return {
        "login": login,
        "id": zlib.crc32(login.encode()) % 10_000_000,
        "node_id": f"U_{login}",
        "avatar_url": f"{HTML_HOST}/images/{login}.gif",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{HTML_HOST}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "site_admin": False,
    }


def label(base: str, repo: Repo, lab: Label) -> dict[str, Any]:
    return {
        "id": lab.id,
        "node_id": lab.node_id,
        "url": f"{base}/repos/{repo.full_name}/labels/{lab.name}",
        "name": lab.name,
        "description": lab.description,
        "color": lab.color,
        "default": False,
    }


def milestone(base: str, world: World, repo: Repo, m: Milestone) -> dict[str, Any]:
    issues = [i for i in world.issues.values() if i.repo == repo.full_name and i.milestone == m.number]
    opened = sum(1 for i in issues if i.state == "open")
    return _milestone(base, world, repo, m, opened, len(issues) - opened)


def milestone_brief(base: str, world: World, repo: Repo, m: Milestone) -> dict[str, Any]:
    """The milestone embedded in an issue (counts left at zero so a list stays O(page))."""
    return _milestone(base, world, repo, m, 0, 0)


def _milestone(
    base: str, world: World, repo: Repo, m: Milestone, open_issues: int, closed_issues: int
) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}/milestones/{m.number}"
    return {
        "url": api,
        "html_url": f"{HTML_HOST}/{repo.full_name}/milestone/{m.number}",
        "labels_url": f"{api}/labels",
        "id": m.id,
        "node_id": m.node_id,
        "number": m.number,
        "state": m.state,
        "title": m.title,
        "description": m.description,
        "creator": user(base, world.login),
        "open_issues": open_issues,
        "closed_issues": closed_issues,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
        "closed_at": iso(m.closed_at),
        "due_on": iso(m.due_on),
    }


def issue(base: str, world: World, item: Issue) -> dict[str, Any]:
    repo = world.repos[item.repo]
    api = f"{base}/repos/{item.repo}/issues/{item.number}"
    children = world.children_of(item)
    done = sum(1 for c in children if c.state == "closed")
    assignees = [user(base, login) for login in item.assignees]
    m = repo.milestones.get(item.milestone) if item.milestone else None
    out: dict[str, Any] = {
        "id": item.id,
        "node_id": item.node_id,
        "url": api,
        "repository_url": f"{base}/repos/{item.repo}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": item.html_url,
        "number": item.number,
        "state": item.state,
        "state_reason": item.state_reason,
        "title": item.title,
        "body": item.body,
        "user": user(base, item.author),
        "labels": [label(base, repo, repo.labels[n]) for n in item.labels if n in repo.labels],
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": milestone_brief(base, world, repo, m) if m else None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(item.comments),
        "closed_at": iso(item.closed_at),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "author_association": "MEMBER",
        "sub_issues_summary": {
            "total": len(children),
            "completed": done,
            "percent_completed": int(100 * done / len(children)) if children else 0,
        },
    }
    if item.parent is not None:
        out["parent_issue_url"] = f"{base}/repos/{item.parent[0]}/issues/{item.parent[1]}"
    if item.is_pull:
        pulls = f"{base}/repos/{item.repo}/pulls/{item.number}"
        out["pull_request"] = {
            "url": pulls,
            "html_url": item.html_url,
            "diff_url": f"{item.html_url}.diff",
            "patch_url": f"{item.html_url}.patch",
        }
        out["draft"] = False
    out.update(item.raw)
    return out


def comment(base: str, world: World, item: Issue, data: dict[str, Any]) -> dict[str, Any]:
    api = f"{base}/repos/{item.repo}/issues/comments/{data['id']}"
    return {
        "id": data["id"],
        "node_id": f"IC_{data['id']}",
        "url": api,
        "html_url": f"{item.html_url}#issuecomment-{data['id']}",
        "body": data["body"],
        "user": user(base, world.login),
        "created_at": iso(data["created_at"]),
        "updated_at": iso(data["created_at"]),
        "issue_url": f"{base}/repos/{item.repo}/issues/{item.number}",
        "author_association": "MEMBER",
    }


def repository(base: str, world: World, repo: Repo) -> dict[str, Any]:
    """``GET /repos/{owner}/{repo}``: every property the official ``repository`` schema marks required
    (shared/apispecs/github/rest-api.issues-subset.openapi.json, ``#/components/schemas/repository``),
    with the URL templates and values GitHub sends for a public, unarchived organisation repository."""
    api = f"{base}/repos/{repo.full_name}"
    host = HTML_HOST.removeprefix("https://").removeprefix("http://")
    open_count = sum(1 for i in world.issues.values() if i.repo == repo.full_name and i.state == "open")
    return {
        "id": repo.id,
        "node_id": repo.node_id,
        "name": repo.name,
        "full_name": repo.full_name,
        "private": False,
        "visibility": "public",
        "owner": user(base, repo.owner) | {"type": "Organization"},
        "html_url": f"{HTML_HOST}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": api,
        **_repository_api_urls(api),
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host}:{repo.full_name}.git",
        "clone_url": f"{HTML_HOST}/{repo.full_name}.git",
        "svn_url": f"{HTML_HOST}/{repo.full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "license": None,
        "size": 0,
        "default_branch": "main",
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "open_issues": open_count,
        "open_issues_count": open_count,
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "archived": False,
        "disabled": False,
        "created_at": REPOSITORY_CREATED,
        "updated_at": REPOSITORY_CREATED,
        "pushed_at": REPOSITORY_CREATED,
    }


REPOSITORY_CREATED = "2023-03-01T09:00:00Z"  # before any generated issue
# The repository's hypermedia URLs, as GitHub spells them (URI templates in braces).
_REPOSITORY_URL_PATHS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def _repository_api_urls(api: str) -> dict[str, str]:
    return {name: api + suffix for name, suffix in _REPOSITORY_URL_PATHS.items()}


def error(status: int, message: str) -> dict[str, Any]:
    return {"message": message, "documentation_url": DOCS, "status": str(status)}
