"""The Linear connector: wires the client, the streams, the normaliser and the writer together."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from connectors.base import Connector, Page, RankScope, Shape, Stream
from connectors.linear import normalize as mapping
from connectors.linear import streams
from connectors.linear.client import LinearClient
from connectors.linear.config import LinearConfig
from connectors.linear.write import LinearWriter
from sync.model import Item, Kind, OpKind, StatusCategory

RUN_BATCH = 250
HISTORY_BATCH = 50  # issues per history query (50 entries each keeps it under the complexity limit)


class LinearConnector(Connector):
    """Linear over GraphQL: issues, projects, cycles, customers and their needs; rank through sortOrder."""

    source = "linear"
    op_kinds: ClassVar[frozenset[str]] = frozenset({OpKind.RANK, OpKind.FIELD, OpKind.STATUS})
    client: LinearClient
    writer: LinearWriter
    config: LinearConfig

    def __init__(self, name: str, config: LinearConfig) -> None:
        super().__init__(name, config)
        self.client = LinearClient(config, self.policy)
        self.writer = LinearWriter(self.client, config)
        self.context = mapping.Context(name, config.status_map)
        self._histories: dict[str, tuple[str, list[Any]]] = {}  # issue id -> (updatedAt, priority history)

    # reading
    def stream_table(self) -> Mapping[str, Stream]:
        return {
            name: Stream(
                partial(self._pull, name),
                partial(mapping.MAPPERS[name], self.context),
                holds=streams.holder(name, self.config),
            )
            for name in streams.STREAMS
        }

    def replay_shapes(self) -> list[Shape]:
        """A saved GraphQL answer, by its root field (``issues``, ``customerNeeds``…)."""
        return [
            Shape(s.name, ("data", s.root, "nodes"), f'{{"data": {{"{s.root}": {{"nodes": [...]}}}}}}')
            for s in streams.STREAMS.values()
        ]

    def _pull(self, stream: str, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        for page in streams.pull(self.client, self.config, stream, cursor, run_started):
            if stream == "teams":
                self._remember_states(page.payloads)
            if stream == "issues" and self.config.priority_by_rank:
                page = self._with_priority_history(page)
            yield page

    def _with_priority_history(self, page: Page) -> Page:
        """Where we write priority, each issue's priority history comes with it (one request per page), so
        the normaliser can tell the value a person set from ours (``fields["priority_by_person"]``). A
        history is kept with the ``updatedAt`` it was read at: a priority change moves ``updatedAt``, so an
        issue re-read unchanged (the overlap of the next pull) costs no request."""
        wanted = [
            p
            for p in page.payloads
            if isinstance(p, Mapping)
            and p.get("id")
            and self._histories.get(str(p["id"]), ("",))[0] != p.get("updatedAt")
        ]
        if wanted and self.context.viewer_id is None:
            self.context.viewer_id = str(self.client.execute("viewer")["viewer"]["id"])
        for start in range(0, len(wanted), HISTORY_BATCH):
            chunk = {str(p["id"]): str(p.get("updatedAt")) for p in wanted[start : start + HISTORY_BATCH]}
            variables = {"filter": {"id": {"in": list(chunk)}}, "first": len(chunk)}
            for node in self.client.execute("priority_history", variables)["issues"]["nodes"]:
                nodes = (node.get("history") or {}).get("nodes") or []
                self._histories[str(node["id"])] = (chunk.get(str(node["id"]), ""), nodes)
        payloads = [
            {**p, "priorityHistory": self._histories[str(p["id"])][1]}
            if isinstance(p, Mapping) and str(p.get("id")) in self._histories
            else p
            for p in page.payloads
        ]
        return replace(page, payloads=payloads)

    def _remember_states(self, teams: list[dict[str, Any]]) -> None:
        for team in teams:
            states = (team.get("states") or {}).get("nodes")
            if team.get("key") and isinstance(states, list):
                self.writer.team_states[str(team["key"])] = states

    # ordering
    def scopes(self) -> list[RankScope]:
        # One op carries a whole run of adjacent moved issues (still one issueUpdate per issue), so the run
        # gets evenly spaced sortOrders; chained one-issue ops would halve the same gap again and again and
        # exhaust float precision after some fifty moves into one place.
        return [RankScope(team, max_batch=RUN_BATCH) for team in self.config.teams]

    def scope_of(self, item: Item) -> str | None:
        if item.kind != Kind.ISSUE.value or item.deleted or item.container not in self.config.teams:
            return None
        return item.container if StatusCategory(item.status_category).is_open else None

    def order_key(self, item: Item) -> Any:
        return float(item.native_rank) if item.native_rank is not None else float("inf")

    def current_order(self, scope: str) -> list[str]:
        return self.writer.read_order(scope).ordered()

    # writing
    def writable_fields(self) -> set[str]:
        """``priority`` (1 urgent … 4 low, from the issue's rank) only when ``priority_by_rank`` says so:
        priority is otherwise a person's field. ``report`` (an attachment linking to the issue's page in
        the HTML report) when ``report_attachment`` names its title."""
        names = {"priority"} if self.config.priority_by_rank else set()
        if self.config.report_attachment:
            names.add("report")
        return names

    def priority_shares(self) -> list[float]:
        return list(self.config.priority_by_rank)

    def can_write(self, item: Item) -> bool:
        """Only issues take writes: projects (epics) and customer needs (feedback) are read for evidence."""
        return super().can_write(item) and item.kind == Kind.ISSUE

    def derived_fields(self, item: Item, score: float, rank: int) -> dict[str, Any]:
        if item.kind != Kind.ISSUE:
            return {}  # projects are ranked as epics but have no issue fields to write
        return super().derived_fields(item, score, rank)

    # operations
    def check(self) -> dict[str, Any]:
        viewer = self.client.execute("viewer")["viewer"]
        state = self.policy.pacer.state
        return {
            "user": viewer.get("email") or viewer.get("name"),
            "endpoint": self.config.endpoint,
            "rate_limit_remaining": state.remaining,
            "rate_limit_limit": state.limit,
            "complexity": self.client.last_complexity,
        }
