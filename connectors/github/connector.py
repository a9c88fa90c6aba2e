"""The GitHub connector: issues over REST (PyGithub's requester), rank and score in a Projects v2 board over
GraphQL. See :mod:`connectors.github.streams` for cursors and :mod:`connectors.github.write` for writes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from connectors.base import Connector, Page, RankScope, Shape, Stream, malformed_payload, rows_at
from connectors.errors import FatalError
from connectors.github.client import GithubClient
from connectors.github.config import GithubConfig
from connectors.github.normalize import normalize_issue, normalize_project_item
from connectors.github.streams import ISSUES, PROJECT, issue_of, pull_issues, pull_project
from connectors.github.write import Writer
from sync.model import Item, OpKind, Records, StatusCategory

OWNERS = ("organization", "user")  # whose Projects v2 board a saved GraphQL answer reads


class GithubConnector(Connector):
    source = "github"
    op_kinds: ClassVar[frozenset[str]] = frozenset(
        {OpKind.RANK, OpKind.FIELD, OpKind.STATUS, OpKind.COMMENT, OpKind.TAGS, OpKind.UNTAG, OpKind.UNPLACE}
    )
    client: GithubClient
    writer: Writer
    config: GithubConfig

    def __init__(self, name: str, config: GithubConfig) -> None:
        super().__init__(name, config)
        self.client = GithubClient(config, self.policy)  # lazy: constructing it sends nothing
        self.writer = Writer(config, self.client)
        self._streams = self._declare_streams()

    # --- reading -------------------------------------------------------------------------------------
    def stream_table(self) -> Mapping[str, Stream]:
        return self._streams

    def _declare_streams(self) -> dict[str, Stream]:
        table = {
            f"{ISSUES}{repo}": Stream(
                partial(self._pull_issues, repo), self._normalize_issue, holds=partial(issue_of, repo)
            )
            for repo in self.config.repos
        }
        if self.config.project is not None:
            table[PROJECT] = Stream(self._pull_project, self._normalize_project_item)
        return table

    def _pull_issues(self, repo: str, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        cap = self.config.page_cap(f"{ISSUES}{repo}")
        conditional, size = self.config.conditional_requests, self.config.page_size
        return pull_issues(self.client, repo, cursor, run_started, conditional, cap, size)

    def _pull_project(self, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        assert self.config.project is not None  # declared only with a project
        every = timedelta(hours=self.config.project_full_read_hours)
        cap = self.config.page_cap(PROJECT)
        return pull_project(self.client, self.config.project, cursor, run_started, every, cap)

    def normalize(self, stream: str, payload: Mapping[str, Any]) -> Records:
        """Also a repository or board this connection does not name (``rankbridge import`` of a saved
        response needs no configured connection): the stream's kind says how it normalises."""
        if stream in self._streams or not (stream.startswith(ISSUES) or stream == PROJECT):
            return super().normalize(stream, payload)
        normalizer = self._normalize_issue if stream.startswith(ISSUES) else self._normalize_project_item
        with malformed_payload(stream, payload):
            return normalizer(payload)

    def replay_shapes(self) -> list[Shape]:
        """A REST issues list (a JSON array; the stream named by each issue's repository) or a saved
        Projects v2 GraphQL answer (items at their board positions, as the pull reads them)."""
        rest = Shape(ISSUES, (), "a REST issues list [{...}, ...]", routed=_rest_issues)
        return [rest] + [
            Shape(
                PROJECT,
                ("data", owner, "projectV2", "items", "nodes"),
                f'{{"data": {{"{owner}": {{"projectV2": {{"items": {{"nodes": [...]}}}}}}}}}}',
                routed=partial(_project_items, owner),
            )
            for owner in OWNERS
        ]

    def _normalize_issue(self, payload: Mapping[str, Any]) -> Records:
        return normalize_issue(self.name, self.config, payload)

    def _normalize_project_item(self, payload: Mapping[str, Any]) -> Records:
        return normalize_project_item(self.name, self.config, payload)

    # --- ordering ------------------------------------------------------------------------------------
    def _scope_name(self) -> str | None:
        ref = self.config.project
        return f"project:{ref.owner}/{ref.number}" if ref and self.config.push_rank else None

    def scopes(self) -> list[RankScope]:
        name = self._scope_name()
        return [RankScope(name, max_batch=1)] if name else []

    def scope_of(self, item: Item) -> str | None:
        name = self._scope_name()
        if name is None or item.connection != self.name:
            return None
        if "project_item_id" in item.fields:
            return name
        open_issue = StatusCategory(item.status_category).is_open and item.container in self.config.repos
        return name if self.config.add_missing and open_issue and "#" in item.native_id else None

    def order_key(self, item: Item) -> Any:
        """The zero-padded board position; items not yet on the board sort after all of them."""
        return item.native_rank or f"~{item.native_id}"

    def current_order(self, scope: str) -> list[str]:
        if scope != self._scope_name():
            raise FatalError(f"unknown rank scope {scope!r}")
        return self.writer.snapshot(fresh=True).order()

    # --- writing -------------------------------------------------------------------------------------
    def writable_fields(self) -> set[str]:
        """``score`` and ``rank`` into the project's number fields, when configured (and a project is)."""
        if self.config.project is None:
            return set()
        names = {
            "score": self.config.score_field,
            "rank": self.config.rank_field,
            "report": self.config.report_field,
        }
        return {logical for logical, field in names.items() if field}

    # --- operations ----------------------------------------------------------------------------------
    def _check_number_fields(self) -> None:
        """The project fields we write (by name) must exist on the board and hold numbers."""
        if self.config.project is None:
            return
        configured = {"score_field": self.config.score_field, "rank_field": self.config.rank_field}
        wanted = {setting: name for setting, name in configured.items() if name}
        if not wanted:
            return
        fields = self.writer.snapshot(fresh=True).fields
        for setting, name in wanted.items():
            info = fields.get(name)
            if info is None:
                known = ", ".join(sorted(fields)) or "none"
                raise FatalError(f"{setting} = {name!r}: no project field of that name (it has {known})")
            if info.data_type != "NUMBER":
                raise FatalError(f"{setting} = {name!r} is a {info.data_type} field, not a number field")

    def check(self) -> dict[str, Any]:
        """The REST budget and the GraphQL viewer; a rejected token raises :class:`AuthError`."""
        rate = self.client.request("GET", "/rate_limit").data or {}
        viewer = self.client.graphql("viewer", "Viewer", {})
        core = (rate.get("resources") or {}).get("core") or rate.get("rate") or {}
        graph = viewer.get("rateLimit") or {}
        self._check_number_fields()
        return {
            "user": (viewer.get("viewer") or {}).get("login"),
            "rate_limit_remaining": core.get("remaining"),
            "rate_limit": core.get("limit"),
            "graphql_remaining": graph.get("remaining"),
        }


def _rest_issues(document: Any) -> list[tuple[str, dict[str, Any]]] | None:
    if not isinstance(document, list):
        return None
    issues = [row for row in document if isinstance(row, dict)]
    return [(f"{ISSUES}{_repository(issue)}", issue) for issue in issues]


def _repository(issue: Mapping[str, Any]) -> str:
    """``owner/repo`` from the issue's ``repository_url`` (its stream), empty when it has none."""
    return str(issue.get("repository_url") or "").rstrip("/").rpartition("/repos/")[2]


def _project_items(owner: str, document: Any) -> list[tuple[str, dict[str, Any]]] | None:
    nodes = rows_at(document, ("data", owner, "projectV2", "items", "nodes"))
    if nodes is None:
        return None
    return [(PROJECT, {"position": position, "item": node}) for position, node in enumerate(nodes)]
