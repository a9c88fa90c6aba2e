"""The Jira connector: wires config, client, streams, normaliser and writer into the contract."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import ConnectionConfig, Connector, Page, RankScope, Shape, Stream, every_item
from connectors.errors import FatalError
from connectors.jira.client import JiraClient
from connectors.jira.config import JiraConfig
from connectors.jira.fields import needs_catalogue, resolved, score_field_problems
from connectors.jira.normalize import normalize_issue
from connectors.jira.streams import agreed_zone, pull_issues
from connectors.jira.write import MAX_RANK_BATCH, JiraWriter
from sync.model import Item, Kind, Op, OpKind, OpResult, Records, StatusCategory

ORDER_PAGE = 1000  # ids per page when only ids are read


class JiraConnector(Connector):
    """Jira Cloud or Data Center through the ``jira`` client's session; see the modules for each part."""

    source = "jira"
    op_kinds: ClassVar[frozenset[str]] = frozenset(
        {OpKind.RANK, OpKind.FIELD, OpKind.STATUS, OpKind.COMMENT, OpKind.TAGS, OpKind.UNTAG}
    )
    config: JiraConfig
    client: JiraClient
    writer: JiraWriter

    def __init__(self, name: str, config: ConnectionConfig) -> None:
        if not isinstance(config, JiraConfig):
            raise TypeError(f"JiraConnector needs a JiraConfig, got {type(config).__name__}")
        super().__init__(name, config)
        self.client = JiraClient(config, self.policy)
        self.writer = JiraWriter(self.client, config)
        self.catalogue: list[dict[str, Any]] | None = None  # GET /field, read once when a name needs it

    def ready(self) -> JiraConfig:
        """The config with every field by its id (names resolved through ``GET /field`` once, see
        :mod:`connectors.jira.fields`); the reader and the writer both use it from then on."""
        if self.catalogue is None and needs_catalogue(self.config):
            self.catalogue = self.client.field_catalogue()
            self.config = resolved(self.config, self.catalogue)
            self.writer.config = self.config
            self.writer._rank_field = self.config.rank_field_number
        return self.config

    # --- reading --------------------------------------------------------------------------------------
    def stream_table(self) -> Mapping[str, Stream]:
        # the JQL is the scope: a whole read lists every issue of the connection that still exists
        return {"issues": Stream(self._pull_issues, self._normalize_issue, holds=every_item)}

    def replay_shapes(self) -> list[Shape]:
        return [Shape("issues", ("issues",), 'search results {"issues": [...]}')]

    def _pull_issues(self, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        self.ready()
        return pull_issues(self.client, self.config, cursor, run_started, self.config.page_cap("issues"))

    def _normalize_issue(self, payload: Mapping[str, Any]) -> Records:
        epic_link = self.client.epic_link
        return normalize_issue(payload, connection=self.name, config=self.config, epic_link=epic_link)

    # --- ordering -------------------------------------------------------------------------------------
    def scopes(self) -> list[RankScope]:
        return [RankScope(self.config.scope, max_batch=MAX_RANK_BATCH)]

    def scope_of(self, item: Item) -> str | None:
        """Every open issue or epic of this connection is in the one scope: the JQL's Rank order."""
        if item.connection != self.name or item.kind == Kind.FEEDBACK:
            return None
        return self.config.scope if StatusCategory(item.status_category).is_open else None

    def order_key(self, item: Item) -> Any:
        return item.native_rank or ""

    def current_order(self, scope: str) -> list[str]:
        """Native ids of the scope's open issues as Jira orders them (``ORDER BY Rank ASC``), read live."""
        if scope != self.config.scope:
            raise KeyError(f"unknown rank scope {scope!r} (this connection has {self.config.scope!r})")
        jql = f"({self.config.jql}) AND statusCategory != Done ORDER BY Rank ASC"
        return [str(issue["id"]) for page in self.client.search(jql, ["id"], ORDER_PAGE) for issue in page]

    # --- writing --------------------------------------------------------------------------------------
    def apply(self, op: Op) -> OpResult:
        self.ready()
        return super().apply(op)

    def verify(self, ops: list[Op]) -> dict[str, bool]:
        self.ready()
        return super().verify(ops)

    # --- operations -----------------------------------------------------------------------------------
    def _score_field_problems(self) -> list[str]:
        """The score field must exist, hold numbers and be on the issues' edit screen (doctor)."""
        given = self.config.score_field
        config = self.ready()
        if not config.score_field:
            return []
        catalogue = self.catalogue or self.client.field_catalogue()
        sample = next(iter(self.client.search(config.jql, ["id"], 1, max_pages=1)), [])
        if not sample:
            return []  # no issue to ask for its edit screen
        key = str(sample[0].get("key") or sample[0]["id"])
        meta = self.client.call("GET", f"{self.client.api}/issue/{key}/editmeta").body or {}
        return score_field_problems(str(given), config.score_field, catalogue, meta.get("fields") or {}, key)

    def check(self) -> dict[str, Any]:
        """Auth and budget for ``rankbridge doctor``: serverInfo and myself through the library."""
        server = self.client.library(self.client.jira.server_info, "serverInfo")
        me = self.client.library(self.client.jira.myself, "myself")
        cloud = server.get("deploymentType") == "Cloud"
        if cloud != (self.config.deployment == "cloud"):
            raise FatalError(
                f"deployment = {self.config.deployment!r} but the server reports "
                f"{server.get('deploymentType')!r}"
            )
        zone = agreed_zone(self.config, me.get("timeZone"))  # a configured zone Jira contradicts: refused
        problems = self._score_field_problems()
        if problems:
            raise FatalError("; ".join(problems))
        state = self.policy.pacer.state
        return {
            "auth": True,
            "user": me.get("displayName") or me.get("emailAddress") or me.get("name"),
            "time_zone": zone,
            "deployment": server.get("deploymentType"),
            "version": server.get("version"),
            "rate_limit_remaining": state.remaining,
            "rate_limit_limit": state.limit,
        }
