"""The GitHub connector: issues over REST (PyGithub's requester), rank and score in a Projects v2 board over
GraphQL. See :mod:`connectors.github.streams` for cursors and :mod:`connectors.github.write` for writes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from connectors.base import Connector, Page, RankScope, Stream
from connectors.errors import FatalError
from connectors.github.client import GithubClient
from connectors.github.config import GithubConfig
from connectors.github.normalize import normalize_issue, normalize_project_item
from connectors.github.streams import ISSUES, PROJECT, pull_issues, pull_project
from connectors.github.write import Writer
from sync.model import Item, Records, StatusCategory


class GithubConnector(Connector):
    source = "github"
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
            f"{ISSUES}{repo}": Stream(partial(self._pull_issues, repo), self._normalize_issue)
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
