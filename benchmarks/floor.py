"""The floor of a full pull: the same pages fetched raw and parsed, nothing else.

For each tracker, the requests a first pull sends (same endpoints, same documents and variables, same page
sizes, same auth), with plain httpx and ``json.loads``, following each API's pagination; no policy, no
normalising, no store. ``pull_time / floor_time`` is then what rankbridge's pipeline costs on top of the
network and JSON work that any client of these APIs must do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from connectors.github.client import document as github_document
from connectors.github.config import GithubConfig
from connectors.jira.config import JiraConfig
from connectors.jira.normalize import search_fields
from connectors.jira.streams import incremental_jql
from connectors.linear.client import document as linear_document
from connectors.linear.config import LinearConfig
from connectors.linear.streams import STREAMS as LINEAR_STREAMS
from connectors.linear.streams import build_filter
from connectors.zendesk.config import ZendeskConfig
from connectors.zendesk.streams import JIRA_LINKS, ORGANIZATION_EXPORT, TICKET_EXPORT
from sandbox.jira.data import EPIC_LINK

LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
Fetched = Iterator[tuple[int, int]]  # (payloads, bytes) of each page


def _json(response: httpx.Response) -> Any:
    response.raise_for_status()
    return json.loads(response.content)


def jira(config: JiraConfig) -> Fetched:
    auth = (config.email or "", config.token.get_secret_value())
    body: dict[str, Any] = {
        "jql": incremental_jql(config, None, "UTC"),  # a first pull: no date, so no zone in the JQL
        "fields": search_fields(config, EPIC_LINK),  # with the Epic Link field the pull finds
        "maxResults": config.max_results,
    }
    with httpx.Client(base_url=config.url, auth=auth, timeout=60) as http:
        while True:
            response = http.post("/rest/api/3/search/jql", json=body)
            data = _json(response)
            yield len(data["issues"]), len(response.content)
            token = data.get("nextPageToken")
            if data.get("isLast", token is None) or not token:
                return
            body["nextPageToken"] = token


def github(config: GithubConfig) -> Fetched:
    headers = {"Authorization": f"token {config.token.get_secret_value()}"}
    with httpx.Client(base_url=config.url, headers=headers, timeout=60) as http:
        for repo in config.repos:
            params: dict[str, Any] | None = {
                "state": "all",
                "sort": "updated",
                "direction": "asc",
                "per_page": 100,
            }
            url = f"/repos/{repo}/issues"
            while url:
                response = http.get(url, params=params)
                rows = _json(response)
                yield sum(1 for r in rows if "pull_request" not in r), len(response.content)
                found = LINK_NEXT.search(response.headers.get("link", ""))
                url, params = (found.group(1), None) if found else ("", None)
        if config.project is None:
            return
        ref = config.project
        operation = "OrgProject" if ref.owner_type == "organization" else "UserProject"
        owner_key = "organization" if ref.owner_type == "organization" else "user"
        after: str | None = None
        while True:
            variables = {"owner": ref.owner, "number": ref.number, "after": after}
            query = {"query": github_document("project"), "variables": variables, "operationName": operation}
            response = http.post("/graphql", json=query)
            items = _json(response)["data"][owner_key]["projectV2"]["items"]
            yield len(items["nodes"]), len(response.content)
            if not items["pageInfo"]["hasNextPage"]:
                return
            after = items["pageInfo"]["endCursor"]


def linear(config: LinearConfig) -> Fetched:
    headers = {"Authorization": config.api_key.get_secret_value()}
    with httpx.Client(headers=headers, timeout=60) as http:
        for stream in LINEAR_STREAMS.values():
            variables: dict[str, Any] = {
                "first": config.page_size if stream.large else config.small_page_size
            }
            if stream.incremental:
                variables["filter"] = build_filter(stream, config, None)
            after: str | None = None
            while True:
                body = {"query": linear_document(stream.document), "variables": {**variables, "after": after}}
                response = http.post(config.endpoint, json=body)
                connection = _json(response)["data"][stream.root]
                yield len(connection["nodes"]), len(response.content)
                info = connection.get("pageInfo") or {}
                after = info.get("endCursor")
                if not info.get("hasNextPage") or not after:
                    break


def zendesk(config: ZendeskConfig) -> Fetched:
    auth = (f"{config.email}/token", config.token.get_secret_value())
    with httpx.Client(base_url=config.url, auth=auth, timeout=60) as http:
        query: dict[str, Any] = {
            "per_page": config.page_size,
            "include": "users,groups,organizations",
            "start_time": config.start_time,
        }
        while True:
            response = http.get(TICKET_EXPORT, params=query)
            data = _json(response)
            yield len(data.get("tickets") or []), len(response.content)
            after = data.get("after_cursor")
            if data.get("end_of_stream", True) or not after:
                break
            query = {k: v for k, v in query.items() if k != "start_time"} | {"cursor": after}
        start = 0
        while True:
            response = http.get(ORGANIZATION_EXPORT, params={"per_page": 1000, "start_time": start})
            data = _json(response)
            yield len(data.get("organizations") or []), len(response.content)
            end = int(data.get("end_time") or start)
            if data.get("end_of_stream", True) or end <= start:
                break
            start = end
        page: dict[str, Any] = {"page[size]": 1000}
        while True:
            response = http.get(JIRA_LINKS, params=page)
            data = _json(response)
            rows = data.get("links") or []
            yield len(rows), len(response.content)
            if not (data.get("meta") or {}).get("has_more") or not rows:
                return
            page["page[after]"] = rows[-1]["id"]


FETCHERS: dict[str, Callable[[Any], Fetched]] = {
    "jira": jira,
    "github": github,
    "linear": linear,
    "zendesk": zendesk,
}
