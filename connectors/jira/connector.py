"""The Jira connector: wires config, client, streams, normaliser and writer into the contract."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from connectors.base import ConnectionConfig, Connector, Page, RankScope, malformed_payload
from connectors.errors import FatalError, SkippableError
from connectors.jira.client import JiraClient, JsonObject
from connectors.jira.config import JiraConfig
from connectors.jira.normalize import normalize_issue
from connectors.jira.streams import STREAMS, agreed_zone, pull_issues
from connectors.jira.write import MAX_RANK_BATCH, JiraWriter
from sync.model import Item, Kind, Op, OpResult, Records, StatusCategory

VERIFY_BATCH = 100  # ids per verifying search (one page of full issues)
ORDER_PAGE = 1000  # ids per page when only ids are read


class JiraConnector(Connector):
    """Jira Cloud or Data Center through the ``jira`` client's session; see the modules for each part."""

    source = "jira"
    config: JiraConfig

    def __init__(self, name: str, config: ConnectionConfig) -> None:
        if not isinstance(config, JiraConfig):
            raise TypeError(f"JiraConnector needs a JiraConfig, got {type(config).__name__}")
        super().__init__(name, config)
        self.client = JiraClient(config, self.policy)
        self.writer = JiraWriter(self.client, config)

    # --- reading --------------------------------------------------------------------------------------
    def streams(self) -> list[str]:
        return list(STREAMS)

    def pull(self, stream: str, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        self._known_stream(stream)
        return pull_issues(self.client, self.config, cursor, run_started)

    def normalize(self, stream: str, payload: Mapping[str, Any]) -> Records:
        self._known_stream(stream)
        with malformed_payload(stream, payload):
            return normalize_issue(payload, connection=self.name, config=self.config)

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
        return self.writer.apply(op)

    def verify(self, ops: list[Op]) -> dict[str, bool]:
        """Re-read every issue the ops touch with batched ``key in (...)`` searches, then judge each op."""
        if not ops:
            return {}
        issues = self._read(sorted({i for op in ops for i in JiraWriter.ids_of(op)}), ops)
        return {op.key: self.writer.shows(op, issues) for op in ops}

    def _read(self, ids: list[str], ops: list[Op]) -> dict[str, JsonObject]:
        fields = self.writer.verify_fields(ops)
        found: dict[str, JsonObject] = {}
        for start in range(0, len(ids), VERIFY_BATCH):
            chunk = ids[start : start + VERIFY_BATCH]
            jql = f"key in ({', '.join(chunk)})"
            for page in self.client.search(jql, fields, VERIFY_BATCH):
                for issue in page:
                    found[str(issue["id"])] = issue
                    found[str(issue["key"])] = issue
        return found

    # --- operations -----------------------------------------------------------------------------------
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

    def close(self) -> None:
        self.client.close()

    def request_count(self) -> int:
        return self.client.sent

    def _known_stream(self, stream: str) -> None:
        if stream not in STREAMS:
            raise SkippableError(f"jira has no stream {stream!r} (streams: {', '.join(STREAMS)})")
