"""The ``[connections.<name>]`` table of a GitHub connection."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.base import ConnectionConfig, PolicyConfig
from sync.model import StatusCategory

REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class ProjectRef(BaseModel):
    """A Projects v2 board: ``owner`` is an organisation login (or a user's, with ``owner_type = "user"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str
    number: int = Field(ge=1)
    owner_type: Literal["organization", "user"] = "organization"


class GithubPolicyConfig(PolicyConfig):
    """The shared policy, with GitHub's advice as the default: at least one second between mutations
    (secondary rate limits), also when a config sets other policy keys."""

    min_write_interval: float = Field(1.0, ge=0)


class GithubConfig(ConnectionConfig):
    offline: ClassVar[dict[str, Any]] = {"repos": ["offline/import"]}  # a name that validates

    type: Literal["github"] = "github"
    url: str = "https://api.github.com"
    token: SecretStr
    repos: list[str] = Field(min_length=1, description='repositories to read, e.g. ["acme/app"]')
    page_size: int = Field(100, ge=1, le=100, description="issues per REST page (GitHub's per_page)")
    project: ProjectRef | None = Field(None, description="the Projects v2 board that holds the rank")
    policy: GithubPolicyConfig = GithubPolicyConfig()
    rank_field: str | None = Field(None, description="project number field for the unified position")
    estimate_field: str | None = Field(
        None, description='project number field holding the estimate, by name (e.g. "Estimate")'
    )
    estimate_labels: dict[str, float] = Field(
        default_factory=dict,
        description='label -> estimate, for issues without a project estimate (e.g. {"size: M" = 3})',
    )
    report_field: str | None = Field(None, description="project text field for the link to the item's report")
    status_field: str | None = Field(None, description="project single select written by status ops")
    status_options: dict[StatusCategory, str] = Field(
        default_factory=lambda: {
            StatusCategory.TO_DO: "Todo",
            StatusCategory.IN_PROGRESS: "In Progress",
            StatusCategory.DONE: "Done",
        },
        description="canonical category -> option name of status_field",
    )
    add_missing: bool = Field(False, description="add open issues that are not on the project when ranking")
    epic_label: str | None = "epic"
    milestone_as_epic: bool = False
    conditional_requests: bool = Field(True, description="send If-None-Match with the last list ETag")
    project_full_read_hours: float = Field(
        6.0,
        ge=0,
        description="read the whole board at least this often even when its updatedAt has not moved "
        "(0: on every pull)",
    )

    @field_validator("repos")
    @classmethod
    def _repo_names(cls, repos: list[str]) -> list[str]:
        for repo in repos:
            if not REPO_NAME.match(repo):
                raise ValueError(f"{repo!r} is not an owner/name repository")
        return repos

    @field_validator("url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")
