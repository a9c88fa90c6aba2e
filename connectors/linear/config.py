"""Configuration of one Linear connection (``[connections.<name>]`` with ``type = "linear"``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from connectors.base import ConnectionConfig


class LinearConfig(ConnectionConfig):
    """A Linear workspace reached through its GraphQL API with a personal API key."""

    type: Literal["linear"] = "linear"
    url: str = Field("https://api.linear.app/graphql", description="the GraphQL endpoint (or its base)")
    api_key: SecretStr = Field(description="personal API key, sent as `Authorization: <key>` (no Bearer)")
    teams: list[str] = Field(default_factory=list, description="team keys to read and rank; empty: all")
    page_size: int = Field(100, ge=1, le=250, description="issues per request (complexity stays < 10k)")
    small_page_size: int = Field(50, ge=1, le=250, description="page size of teams, projects, cycles…")
    overlap_ms: int = Field(1000, ge=1, description="re-read this much before the cursor (gt is open)")
    rank_spacing: float = Field(1.0, gt=0, description="sortOrder step used above the top/below the bottom")
    rank_snapshot_ttl: float = Field(60.0, ge=0, description="seconds a read of a team's order is reused")

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/graphql") else base + "/graphql"
