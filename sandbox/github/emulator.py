"""The GitHub emulator: REST issues (list with ``since``/``state``/``sort``/``direction``, ``Link``
pagination, ETags and 304s), issue edits, labels, milestones, comments, ``/rate_limit``, and GraphQL
Projects v2 at ``/graphql``. Auth is ``Authorization: token …`` (or ``Bearer``); past its budget it answers
403 with GitHub's primary rate-limit message, and injected rate limits are 429 secondary-limit answers."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import unquote

from sandbox.framework import (
    Budget,
    Emulator,
    HttpError,
    Request,
    Response,
    conditional,
    graphql_operation,
    route,
)
from sandbox.github import generate, graphql, listing, payloads, sandbox_api
from sandbox.github.data import Issue, Repo, World, iso

PRIMARY = (
    "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please"
    " include the request ID."
)
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
REASONS = {"completed", "not_planned", "duplicate", "reopened"}
FREE = {"/rate_limit"}  # requests GitHub does not count against the primary limit
# Separate budgets per resource, as ``GET /rate_limit`` reports them (``rate-limit-overview`` in
# rest-api.issues-subset.openapi.json): core 5,000 requests an hour for a user's token
# (rest-rate-limit-headers.json, primary_limits_per_hour.authenticated_user), search 30 a minute, GraphQL
# 5,000 points an hour (a query of ours costs one point: none asks for more than 100 nodes of a connection).
CORE = (5000, 3600.0)
OTHER_BUCKETS = {"search": (30, 60.0), "graphql": (5000, 3600.0)}


class GithubEmulator(Emulator):
    # Raw fields no real server sends (wrong types where the API documents others), for fault drills:
    # `edit` with `raw` merges them into one record, which the connector must quarantine.
    BROKEN_RAW: ClassVar[dict[str, Any]] = {"title": None, "state": 3, "created_at": "not a date"}

    reads_references_of = ("jira",)  # mentions and mirrors of Jira issues in bodies
    name = "github"
    record_keys = ("", "items")  # record lists of its answers (a fault nulls them)

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.world = World()
        self.budget = Budget(*CORE)
        self.buckets = {name: Budget(limit, window) for name, (limit, window) in OTHER_BUCKETS.items()}
        self._resource = "core"  # the resource of the request being answered (under the lock)

    # --- framework hooks -----------------------------------------------------------------------------
    def authenticate(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() in ("token", "bearer") and value.strip() == self.token

    def error_body(self, status: int, message: str) -> Any:
        return payloads.error(status, "Bad credentials" if status == 401 else message)

    def bucket(self, request: Request) -> Budget:
        path = request.path
        search = path.startswith("/search/")
        self._resource = "graphql" if path == "/graphql" else "search" if search else "core"
        return self.buckets.get(self._resource, self.budget)

    def rate_limit_headers(self, limit: int, remaining: int, reset_at: float) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-used": str(limit - remaining),
            "x-ratelimit-reset": str(int(reset_at)),
            "x-ratelimit-resource": self._resource,
        }

    def rate_limited(self, retry_after: float, reset_at: float) -> Response:
        wait = self.retry_after_header(retry_after)
        if self.budget.used >= self.budget.limit:
            headers = {"retry-after": wait, "x-ratelimit-remaining": "0"}
            return Response(403, payloads.error(403, PRIMARY), headers)
        return Response(429, payloads.error(429, SECONDARY), {"retry-after": wait})

    def _api(self, request: Request) -> Response | None:
        response = super()._api(request)
        if (
            response is not None
            and (response.status == 304 or request.path in FREE)
            and self._resource == "core"
            and response.status < 400
            and self.budget.used > 0
        ):
            self.budget.used -= 1  # conditional hits and /rate_limit cost no primary budget
            b = self.budget
            reset_at = b.window_start + b.window
            response.headers.update(self.rate_limit_headers(b.limit, b.limit - b.used, reset_at))
        return response

    # --- helpers -------------------------------------------------------------------------------------
    def _repo(self, request: Request) -> Repo:
        repo = self.world.repos.get(f"{request.params['owner']}/{request.params['repo']}")
        if repo is None:
            raise HttpError(404, "Not Found")
        return repo

    def _issue(self, request: Request) -> Issue:
        repo = self._repo(request)
        number = request.params["number"]
        issue = self.world.issue(repo.full_name, int(number)) if number.isdigit() else None
        if issue is None:
            raise HttpError(404, "Not Found")
        return issue

    def _invalid(self, resource: str, field: str) -> HttpError:
        return listing.invalid(resource, field)

    # --- REST ----------------------------------------------------------------------------------------
    @route("GET", "/repos/{owner}/{repo}")
    def get_repo(self, request: Request) -> Response:
        return Response(200, payloads.repository(self.base_url, self.world, self._repo(request)))

    @route("GET", "/repos/{owner}/{repo}/issues", params=listing.ISSUE_LIST_PARAMS)
    def list_issues(self, request: Request) -> Response:
        """``issues/list-for-repo``, every documented parameter honoured (sandbox/github/listing.py)."""
        repo = self._repo(request)
        state, sort, direction = listing.issue_order(request)
        since = listing.since_of(request, "Issue")
        per_page, page = listing.page_size(request)
        plain = not any(request.arg(name) is not None for name in listing.FILTERS)
        if state == "all" and sort == "updated" and direction == "asc" and plain:
            # The incremental read (what rankbridge sends): one slice of the update-time index per page.
            shown, total = self.world.updated_page(repo.full_name, since, (page - 1) * per_page, per_page)
            last = max(1, -(-total // per_page))
            body = [payloads.issue(self.base_url, self.world, i) for i in shown]
            link = listing.link_header(self.base_url, request, page, last)
            return self._conditional(request, Response(200, body, {"Link": link} if last > 1 else {}))
        rows = self.world.updated_since(repo.full_name, since)
        if state != "all":
            rows = [i for i in rows if i.state == state]
        rows = listing.sorted_issues(listing.filtered(self.world, repo, request, rows), sort, direction)
        shown, headers = listing.paged(self.base_url, request, rows)
        body = [payloads.issue(self.base_url, self.world, i) for i in shown]
        return self._conditional(request, Response(200, body, headers))

    def _conditional(self, request: Request, response: Response) -> Response:
        return conditional(request, response, response.headers.get("Link", "").encode())

    @route("GET", r"/repos/{owner}/{repo}/issues/{number:\d+}")
    def get_issue(self, request: Request) -> Response:
        issue = self._issue(request)
        return self._conditional(request, Response(200, payloads.issue(self.base_url, self.world, issue)))

    @route("PATCH", r"/repos/{owner}/{repo}/issues/{number:\d+}")
    def update_issue(self, request: Request) -> Response:
        issue = self._issue(request)
        data = request.json() or {}
        repo = self.world.repos[issue.repo]
        if "state" in data and data["state"] not in ("open", "closed"):
            raise self._invalid("Issue", "state")
        if data.get("state_reason") is not None and data["state_reason"] not in REASONS:
            raise self._invalid("Issue", "state_reason")
        milestone = data.get("milestone")
        if milestone is not None and int(milestone) not in repo.milestones:
            raise self._invalid("Issue", "milestone")
        if "title" in data:
            issue.title = str(data["title"])
        if "body" in data:
            issue.body = data["body"] or None
        if "labels" in data:
            issue.labels = self.world.label_names(repo, data["labels"])
        if "milestone" in data:
            issue.milestone = None if data["milestone"] is None else int(data["milestone"])
        if "assignees" in data:
            issue.assignees = list(data["assignees"])
        if "state" in data and data["state"] != issue.state:
            self.world.set_state(issue, data["state"], data.get("state_reason"))
        self.world.touch(issue)
        return Response(200, payloads.issue(self.base_url, self.world, issue), mutated=True)

    @route("GET", r"/repos/{owner}/{repo}/issues/{number:\d+}/labels", params=listing.PAGING)
    def issue_labels(self, request: Request) -> Response:
        issue = self._issue(request)
        repo = self.world.repos[issue.repo]
        shown, headers = listing.paged(self.base_url, request, issue.labels)
        return Response(200, [payloads.label(self.base_url, repo, repo.labels[n]) for n in shown], headers)

    @route("POST", r"/repos/{owner}/{repo}/issues/{number:\d+}/labels")
    def add_labels(self, request: Request) -> Response:
        issue = self._issue(request)
        repo = self.world.repos[issue.repo]
        data = request.json()
        given = data.get("labels", []) if isinstance(data, dict) else data or []
        issue.labels = list(dict.fromkeys(issue.labels + self.world.label_names(repo, given)))
        self.world.touch(issue)
        body = [payloads.label(self.base_url, repo, repo.labels[n]) for n in issue.labels]
        return Response(200, body, mutated=True)

    @route("DELETE", r"/repos/{owner}/{repo}/issues/{number:\d+}/labels/{name}")
    def remove_label(self, request: Request) -> Response:
        """Remove a label from an issue (REST "Remove a label from an issue"): 200 with the labels left, 404
        when the issue does not carry it."""
        issue = self._issue(request)
        repo = self.world.repos[issue.repo]
        name = unquote(request.params["name"])
        if name not in issue.labels:
            raise HttpError(404, "Label does not exist")
        issue.labels = [n for n in issue.labels if n != name]
        self.world.touch(issue)
        body = [payloads.label(self.base_url, repo, repo.labels[n]) for n in issue.labels]
        return Response(200, body, mutated=True)

    @route("GET", r"/repos/{owner}/{repo}/issues/{number:\d+}/comments", params=("since", *listing.PAGING))
    def list_comments(self, request: Request) -> Response:
        """``issues/list-comments``: ``since`` (comments updated at or after it), oldest first, paged."""
        issue = self._issue(request)
        since = listing.since_of(request, "IssueComment")
        rows = [c for c in issue.comments if since is None or _comment_time(c) >= since]
        shown, headers = listing.paged(self.base_url, request, rows)
        return Response(200, [payloads.comment(self.base_url, self.world, issue, c) for c in shown], headers)

    @route("POST", r"/repos/{owner}/{repo}/issues/{number:\d+}/comments")
    def add_comment(self, request: Request) -> Response:
        issue = self._issue(request)
        body = (request.json() or {}).get("body")
        if not isinstance(body, str) or not body:
            raise self._invalid("IssueComment", "body")
        data = {"id": self.world.new_id(), "body": body, "created_at": self.world.now()}
        issue.comments.append(data)
        self.world.touch(issue)
        return Response(201, payloads.comment(self.base_url, self.world, issue, data), mutated=True)

    @route("GET", "/repos/{owner}/{repo}/labels", params=listing.PAGING)
    def list_labels(self, request: Request) -> Response:
        repo = self._repo(request)
        shown, headers = listing.paged(self.base_url, request, list(repo.labels.values()))
        return Response(200, [payloads.label(self.base_url, repo, lab) for lab in shown], headers)

    @route("GET", "/repos/{owner}/{repo}/milestones", params=("state", "sort", "direction", *listing.PAGING))
    def list_milestones(self, request: Request) -> Response:
        repo = self._repo(request)
        shown, headers = listing.paged(self.base_url, request, listing.milestones(repo, self.world, request))
        return Response(200, [payloads.milestone(self.base_url, self.world, repo, m) for m in shown], headers)

    @route("GET", "/rate_limit")
    def rate_limit(self, request: Request) -> Response:
        """``rate-limit-overview`` (rest-api.issues-subset.openapi.json): each resource's own budget."""
        resources = {"core": self._rate(), **{name: self._rate(name) for name in self.buckets}}
        return Response(200, {"resources": resources, "rate": resources["core"]})

    def _rate(self, resource: str = "core") -> dict[str, int]:
        b = self.buckets.get(resource, self.budget)
        return {
            "limit": b.limit,
            "remaining": max(0, b.limit - b.used),
            "used": b.used,
            "reset": int(b.window_start + b.window),
        }

    # --- GraphQL -------------------------------------------------------------------------------------
    @route("POST", "/graphql")
    def graphql(self, request: Request) -> Response:
        data = request.json() or {}
        query, operation = data.get("query"), data.get("operationName")
        if not isinstance(query, str):
            return Response(
                200, {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
            )
        request.operation = graphql_operation(query, operation)
        changed: list[bool] = []
        rate = self._rate("graphql")
        body = graphql.execute(
            self.world,
            query,
            data.get("variables") or {},
            operation,
            lambda: changed.append(True),
            {
                "limit": rate["limit"],
                "remaining": rate["remaining"],
                "used": rate["used"],
                "resetAt": iso(rate["reset"]),
            },
        )
        return Response(200, body, {"x-ratelimit-resource": "graphql"}, mutated=bool(changed))

    # --- /_sandbox/ ----------------------------------------------------------------------------------
    def state(self) -> Any:
        with self.lock:
            return sandbox_api.state(self.world)

    def edit(self, change: dict[str, Any]) -> Any:
        with self.lock:
            return sandbox_api.edit(self.world, change)

    def board(self) -> list[Issue]:
        """The project's issues in board order (for measurements and tests)."""
        with self.lock:
            p = self.world.project
            found = [self.world.by_node.get(i.content_id) for i in p.items] if p else []
            return [i for i in found if i is not None and not i.is_pull]

    def truncate_project(self, size: int) -> None:
        """Keep only the first ``size`` items on the board (to measure a board of a given size)."""
        with self.lock:
            p = self.world.project
            if p is not None:
                for item in p.items[size:]:
                    p.remove(item)

    def generate(self, items: int, seed: int, references: list[dict[str, str]]) -> None:
        with self.lock:
            self.world = World()
            generate.populate(self.world, items, seed, references)

    def references(self) -> list[dict[str, str]]:
        return [
            {"service": "github", "key": i.key, "url": i.html_url, "native_id": i.key}
            for i in self.world.issues.values()
            if not i.is_pull
        ]

    def connection_config(self) -> dict[str, Any]:
        p = self.world.project
        config: dict[str, Any] = {
            "type": "github",
            "url": self.base_url,
            "token": "${RANKBRIDGE_SANDBOX_TOKEN}",
            "repos": sorted(self.world.repos),
            "score_field": generate.SCORE_FIELD,
            "estimate_field": generate.ESTIMATE_FIELD,
            "estimate_labels": {"size: S": 1, "size: M": 3, "size: L": 8},
            "add_missing": True,
            "policy": {"min_write_interval": 0.0, "base_wait": 0.01, "max_wait": 5.0, "timeout": 10.0},
        }
        if p is not None:
            config["project"] = {"owner": p.owner, "number": p.number, "owner_type": p.owner_type}
        return config


def _comment_time(data: dict[str, Any]) -> float:
    return float(data.get("updated_at") or data["created_at"])
