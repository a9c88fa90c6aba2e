"""Jira emulator: the platform REST API (v3 on Cloud, v2 on both) and the agile rank endpoint, as
documented in ../shared/apispecs/jira, for what rankbridge and the ``jira`` library call.

Cloud mode (the default) takes basic auth (email + API token), serves ``/rest/api/3/search/jql`` with
``nextPageToken``/``isLast`` and answers the removed ``/search`` with 410. Data Center mode takes a bearer
personal access token, serves only ``/rest/api/2`` and ``/search`` with ``startAt``/``total``.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections import OrderedDict
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sandbox.framework import HttpError, Request, Response, route, unserved_value
from sandbox.jira import edits, expand
from sandbox.jira.data import (
    DEFAULT_ZONE,
    RANK,
    RESOLUTION_OF,
    TRANSITIONS,
    Issue,
    IssueStore,
    jira_time,
)
from sandbox.jira.edits import NO_ISSUE
from sandbox.jira.generate import generate
from sandbox.jira.jql import JqlError, Query, parse
from sandbox.jira.limits import CloudLimits, JiraLimits
from sandbox.jira.render import Renderer, selected_fields

EMAIL = "rankbridge-bot@example.com"
SEARCH_BODY_KEYS = {
    "jql",
    "nextPageToken",
    "maxResults",
    "fields",
    "expand",
    "properties",
    "fieldsByKeys",
    "reconcileIssues",
}
# failFast (what a failed field does) and reconcileIssues (read-after-write consistency for the ids named:
# the emulator is always consistent) do not change its answer; expand, properties and fieldsByKeys as
# sandbox/jira/expand.py says.
OPTIONS = ("expand", "properties", "fieldsByKeys", "failFast")
SEARCH_JQL_PARAMS = ("jql", "nextPageToken", "maxResults", "fields", "reconcileIssues", *OPTIONS)
SEARCH_PARAMS = ("jql", "startAt", "maxResults", "fields", "validateQuery", *OPTIONS)
RANK_BODY_KEYS = {"issues", "rankBeforeIssue", "rankAfterIssue", "rankCustomFieldId"}
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
MAX_RANKED = 50
# An issue's own operations: its id or key (a literal sibling such as /issue/createmeta is another operation)
ISSUE = r"/rest/api/{version}/issue/{ref:[A-Za-z][A-Za-z0-9_]*-\d+|\d+}"


class JiraEmulator(CloudLimits):
    # Raw fields no real server sends (wrong types where the API documents others), for fault drills:
    # `edit` with `raw` merges them into one record, which the connector must quarantine.
    BROKEN_RAW: ClassVar[dict[str, Any]] = {"fields": {"status": 7, "created": "yesterday"}}

    name = "jira"
    record_keys = ("issues",)  # record lists of its answers (a fault nulls them)
    public_paths = ("/rest/api/2/serverInfo", "/rest/api/3/serverInfo")
    api_prefixes = ("/rest/",)  # platform (/rest/api/) and agile (/rest/agile/) REST APIs

    def __init__(
        self,
        token: str,
        deployment: str = "cloud",
        timezone: str = DEFAULT_ZONE,
        credential: str = "api-token",
    ) -> None:
        super().__init__(token)
        if deployment not in ("cloud", "datacenter"):
            raise ValueError(f"deployment must be cloud or datacenter, not {deployment!r}")
        self.deployment = deployment
        self.limits = JiraLimits(credential)  # Cloud's burst, per-issue and (an app's) points limits
        self._flat_budget = not self.cloud  # Data Center: the framework's plain budget
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)  # the API user's profile zone: JQL dates and timestamps use it
        self.email = EMAIL
        self.store = IssueStore()
        self._pages: OrderedDict[str, tuple[list[int], int]] = OrderedDict()  # token -> (ids, offset)
        self._results: dict[str, tuple[int, list[int]]] = {}  # jql -> (store version, ids)

    @property
    def cloud(self) -> bool:
        return self.deployment == "cloud"

    @property
    def render(self) -> Renderer:
        return Renderer(self.store, self.base_url, self.cloud, self.zone)

    # --- framework hooks ----------------------------------------------------------------------------
    def authenticate(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not self.cloud:
            return secrets.compare_digest(header, f"Bearer {self.token}")
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return secrets.compare_digest(header, f"Basic {expected}")

    def error_body(self, status: int, message: str) -> Any:
        return {"errorMessages": [message], "errors": {}}

    def generate(self, items: int, seed: int, references: list[dict[str, str]]) -> None:
        with self.lock:
            generate(self.store, items, seed, references)

    def references(self) -> list[dict[str, str]]:
        return [
            {
                "service": "jira",
                "key": i.key,
                "url": f"{self.base_url}/browse/{i.key}",
                "native_id": str(i.id),
            }
            for i in self.store.all()
        ]

    def state(self) -> Any:
        return edits.state(self.store)

    def edit(self, change: dict[str, Any]) -> Any:
        return edits.edit(self.store, change)

    def connection_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "type": "jira",
            "url": self.base_url,
            "token": "${RANKBRIDGE_SANDBOX_TOKEN}",
            "deployment": self.deployment,
            "jql": "project in (ENG, OPS)",
            "score_field": "customfield_10050",
            "rank_field": RANK,
            "estimate_field": "customfield_10016",
            "fields": {"Team": "customfield_10061", "Story Points": "customfield_10016"},
            "status_map": {"Backlog": "backlog"},
            "policy": {"base_wait": 0.05, "max_wait": 5.0, "timeout": 10.0},
        }
        if self.cloud:
            config["email"] = self.email
        return config

    # --- platform -----------------------------------------------------------------------------------
    def _version(self, request: Request) -> str:
        version = request.params.get("version", "")
        if version not in (("2", "3") if self.cloud else ("2",)):
            raise HttpError(404, f"no REST API version {version!r} here")
        return version

    @route("GET", "/rest/api/{version}/serverInfo")
    def server_info(self, request: Request) -> Response:
        self._version(request)
        numbers = [1001, 0, 0] if self.cloud else [9, 12, 2]
        return Response(
            200,
            {
                "baseUrl": self.base_url,
                "version": ".".join(map(str, numbers)) + ("-SNAPSHOT" if self.cloud else ""),
                "versionNumbers": numbers,
                "deploymentType": "Cloud" if self.cloud else "Server",
                "buildNumber": 100280 if self.cloud else 9120002,
                "buildDate": "2026-01-05T00:00:00.000+0000",
                "serverTime": jira_time(time.time(), self.zone),
                "scmInfo": "0f3b1c2d",
                "serverTitle": "Jira",
            },
        )

    @route("GET", "/rest/api/{version}/myself", params=("expand",))
    def myself(self, request: Request) -> Response:
        """``User`` of platform-swagger-v3.v3.full.json (``GET /rest/api/3/myself``): ``timeZone`` is the
        zone of the user's profile, in which Jira reads JQL dates and writes timestamps."""
        if request.args("expand"):  # groups, applicationRoles: the emulated user has none to list
            raise unserved_value(request, "expand", request.args("expand"))
        user = self.render.user("RankBridge Bot", self._version(request))
        profile = {"emailAddress": self.email, "timeZone": self.timezone, "locale": "en_US"}
        return Response(200, {**user, **profile})

    @route("GET", "/rest/api/{version}/field")
    def fields(self, request: Request) -> Response:
        self._version(request)
        return Response(200, self.render.field_catalogue())

    @route("GET", "/rest/api/{version}/search/jql", params=SEARCH_JQL_PARAMS)
    def search_jql_get(self, request: Request) -> Response:
        query = {k: request.arg(k) for k in ("jql", "nextPageToken", "maxResults", "expand")}
        lists = {k: request.args(k) for k in ("fields", "properties")}
        return self._search_jql(request, {**query, **lists})

    @route("POST", "/rest/api/{version}/search/jql")
    def search_jql_post(self, request: Request) -> Response:
        body = request.json() or {}
        unknown = sorted(set(body) - SEARCH_BODY_KEYS)
        if unknown:
            raise HttpError(400, f"Unrecognized field(s) {unknown} in the request body.")
        return self._search_jql(request, body)

    def _search_jql(self, request: Request, args: dict[str, Any]) -> Response:
        version = self._version(request)
        if not self.cloud:
            raise HttpError(404, "null for uri: /rest/api/2/search/jql")
        expands = expand.search_expands(request, args.get("expand"))
        fields = selected_fields(list(args.get("fields") or []), [])
        token = args.get("nextPageToken")
        if token:
            if token not in self._pages:
                raise HttpError(400, "The provided next page token is invalid or expired.")
            ids, offset = self._pages.pop(token)
        else:
            query = self._parse(str(args.get("jql") or ""))
            if query.where is None:
                raise HttpError(
                    400,
                    "Unbounded JQL queries are not allowed here. "
                    "Please add a search restriction to your query.",
                )
            ids, offset = self._run(str(args.get("jql")), query), 0
        cap = 100 if set(fields) - {"id", "key"} else 5000
        size = max(1, min(int(args.get("maxResults") or 50), cap))
        page, rest = ids[offset : offset + size], ids[offset + size :]
        issues, top = self._results_page(page, fields, version, expands, bool(args.get("properties")))
        body: dict[str, Any] = {**top, "issues": issues, "isLast": not rest}
        if rest:
            body["nextPageToken"] = self._remember(ids, offset + size)
        return Response(200, body)

    @route("GET", "/rest/api/{version}/search", params=SEARCH_PARAMS)
    def search_get(self, request: Request) -> Response:
        version = self._version(request)
        if self.cloud:
            raise HttpError(410, REMOVED_SEARCH)
        expands = expand.search_expands(request, ",".join(request.args("expand")))
        if (request.arg("validateQuery") or "strict") not in ("strict", "true"):
            raise unserved_value(request, "validateQuery", request.args("validateQuery"))
        jql = request.arg("jql") or ""
        ids = self._run(jql, self._parse(jql))
        fields = selected_fields(request.args("fields"), ["*navigable"])
        start = max(0, int(request.arg("startAt") or 0))
        size = max(0, min(int(request.arg("maxResults") or 50), 1000))
        issues, top = self._results_page(
            ids[start : start + size], fields, version, expands, bool(request.args("properties"))
        )
        return Response(
            200,
            {
                **top,
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": len(ids),
                "issues": issues,
            },
        )

    @route("POST", "/rest/api/{version}/search")
    def search_post(self, request: Request) -> Response:
        self._version(request)
        if self.cloud:
            raise HttpError(410, REMOVED_SEARCH)
        # Data Center documents POST /rest/api/2/search (search with a body); this emulator serves GET only
        return self.not_emulated(request.method, request.path)

    def _parse(self, jql: str) -> Query:
        try:
            return parse(jql, self.zone)
        except JqlError as exc:
            raise HttpError(400, str(exc)) from None

    def _run(self, jql: str, query: Query) -> list[int]:
        cached = self._results.get(jql)
        if cached is not None and cached[0] == self.store.version:
            return cached[1]
        ids = [issue.id for issue in query.run(self.store.all())]
        older = [(k, v) for k, v in self._results.items() if k != jql][:31]
        self._results = {jql: (self.store.version, ids), **dict(older)}
        return ids

    def _remember(self, ids: list[int], offset: int) -> str:
        token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
        self._pages[token] = (ids, offset)
        while len(self._pages) > 256:
            self._pages.popitem(last=False)
        return token

    def _results_page(
        self, ids: list[int], fields: list[str], version: str, expands: list[str], properties: bool
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        found = [issue for i in ids if (issue := self.store.by_id.get(i)) is not None]
        return expand.search_results(self.render, found, fields, version, expands, properties)

    # --- issues ---------------------------------------------------------------------------------------
    def _issue(self, request: Request) -> Issue:
        issue = self.store.find(request.params["ref"])
        if issue is None:
            raise HttpError(404, NO_ISSUE)
        return issue

    @route(
        "GET",
        ISSUE,
        params=expand.GET_ISSUE_PARAMS,
    )
    def get_issue(self, request: Request) -> Response:
        """getIssue, its documented parameters as sandbox/jira/expand.py says."""
        version = self._version(request)
        expands = expand.issue_expands(request)
        issue = self._issue(request)
        fields = selected_fields(request.args("fields"), ["*all"])
        body = self.render.issue(issue, fields, version)
        if request.args("properties"):
            body["properties"] = {}  # the emulator keeps no issue properties
        return Response(200, expand.expanded(self.render, issue, body, fields, version, expands))

    @route(
        "GET",
        ISSUE + "/editmeta",
        params=expand.OVERRIDES,
    )
    def edit_meta(self, request: Request) -> Response:
        """Get edit issue metadata (platform spec ``/rest/api/3/issue/{issueIdOrKey}/editmeta``): the
        fields on the issue's edit screen, which are the ones an edit may set."""
        self._version(request)
        expand.refuse_true(request, *expand.OVERRIDES)
        self._issue(request)
        return Response(200, self.render.edit_meta(edits.EDIT_SCREEN))

    @route("PUT", ISSUE, params=expand.EDIT_PARAMS)
    def edit_issue(self, request: Request) -> Response:
        version = self._version(request)
        expand.refuse_true(request, *expand.OVERRIDES)
        expands = expand.issue_expands(request)
        issue = self._issue(request)
        body = request.json() or {}
        errors = edits.apply_edit(issue, body.get("fields") or {}, body.get("update") or {}, version)
        if errors:
            return Response(400, {"errorMessages": [], "errors": errors})
        self.store.touch(issue)
        if request.arg("returnIssue") == "true":
            fields = selected_fields([], ["*all"])
            body = self.render.issue(issue, fields, version)
            return Response(
                200, expand.expanded(self.render, issue, body, fields, version, expands), mutated=True
            )
        return Response(204, mutated=True)

    @route(
        "GET",
        ISSUE + "/transitions",
        params=expand.TRANSITION_PARAMS,
    )
    def transitions(self, request: Request) -> Response:
        self._version(request)
        transition_id, unavailable = expand.transition_options(request)
        issue = self._issue(request)
        found = expand.transitions(issue, self.base_url, transition_id, unavailable)
        return Response(200, {"expand": "transitions", "transitions": found})

    @route("POST", ISSUE + "/transitions")
    def do_transition(self, request: Request) -> Response:
        self._version(request)
        issue = self._issue(request)
        body = request.json() or {}
        wanted = str((body.get("transition") or {}).get("id") or "")
        chosen = next((t for t in TRANSITIONS if t.id == wanted and issue.status in t.sources), None)
        if chosen is None:
            raise HttpError(400, f"Transition id '{wanted}' is not valid for this issue.")
        resolution = ((body.get("fields") or {}).get("resolution") or {}).get("name")
        issue.status = chosen.target
        issue.resolution = (
            (resolution or RESOLUTION_OF.get(chosen.target)) if chosen.target in RESOLUTION_OF else None
        )
        self.store.touch(issue)
        return Response(204, mutated=True)

    @route("POST", ISSUE + "/comment", params=("expand",))
    def add_comment(self, request: Request) -> Response:
        version = self._version(request)
        if request.args("expand"):  # renderedBody
            raise unserved_value(request, "expand", request.args("expand"))
        issue = self._issue(request)
        text = (request.json() or {}).get("body")
        if not text:
            return Response(
                400, {"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}}
            )
        now = time.time()
        comment_id = str(len(issue.comments) + 10000)
        comment = {
            "id": comment_id,
            "self": f"{self.base_url}/rest/api/{version}/issue/{issue.id}/comment/{comment_id}",
            "author": self.render.user("RankBridge Bot", version),
            "body": text,
            "created": jira_time(now, self.zone),
        }
        comment["updated"] = comment["created"]
        issue.comments.append(comment)
        self.store.touch(issue)
        return Response(201, comment, mutated=True)

    # --- agile ----------------------------------------------------------------------------------------
    @route("PUT", "/rest/agile/1.0/issue/rank")
    def rank(self, request: Request) -> Response:
        body = request.json() or {}
        unknown = sorted(set(body) - RANK_BODY_KEYS)
        if unknown:
            raise HttpError(400, f"Unrecognized field(s) {unknown} in the request body.")
        refs = [str(r) for r in body.get("issues") or []]
        if not refs:
            raise HttpError(400, "No issues to rank were given.")
        if len(refs) > MAX_RANKED:
            raise HttpError(400, f"At most {MAX_RANKED} issues may be ranked at once.")
        field_id = body.get("rankCustomFieldId")
        if field_id is not None and f"customfield_{field_id}" != RANK:
            raise HttpError(400, f"Custom field with id {field_id} is not a rank field.")
        anchor_ref = body.get("rankAfterIssue") or body.get("rankBeforeIssue")
        if anchor_ref is None or ("rankAfterIssue" in body and "rankBeforeIssue" in body):
            raise HttpError(400, "Give exactly one of rankBeforeIssue and rankAfterIssue.")
        anchor = self.store.find(str(anchor_ref))
        if anchor is None:
            raise HttpError(400, f"Issue {anchor_ref} to rank relative to does not exist.")
        entries, moving = edits.rank_entries(self.store, refs, anchor)
        if moving:
            after = anchor if "rankAfterIssue" in body else None
            self.store.move(moving, after, None if after else anchor)
        if any(e["status"] != 200 for e in entries):
            return Response(207, {"entries": entries}, mutated=bool(moving))
        return Response(204, mutated=True)
