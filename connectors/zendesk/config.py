"""Settings of one Zendesk connection (``[connections.<name>]`` with ``type = "zendesk"``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from connectors.base import ConnectionConfig
from sync.model import StatusCategory

# Where a canonical status category goes when we write it: a ticket can never return to "new", and
# "closed" is set by Zendesk itself some days after "solved".
DEFAULT_STATUS_TARGETS: dict[StatusCategory, str] = {
    StatusCategory.TRIAGE: "open",
    StatusCategory.BACKLOG: "open",
    StatusCategory.TO_DO: "open",
    StatusCategory.IN_PROGRESS: "hold",
    StatusCategory.DONE: "solved",
    StatusCategory.CANCELED: "solved",
}
ZENDESK_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")


class ZendeskConfig(ConnectionConfig):
    """A Zendesk Support account, authenticated as ``<email>/token`` with an API token.

    ``fields`` maps logical names (``linked_status``, ``rank``, ``score``, the link field, any field to read
    into ``Item.fields``) to numeric custom ticket field ids; ``organization_fields`` maps ``tier``, ``arr``
    and ``size`` to organisation field keys.
    """

    type: Literal["zendesk"] = "zendesk"
    email: str
    token: SecretStr
    start_time: int = Field(0, ge=0, description="unix time the first ticket export starts from")
    page_size: int = Field(1000, ge=1, le=1000, description="tickets per export page")
    export_per_minute: int = Field(10, ge=1, description="incremental export requests allowed per window")
    export_window: float = Field(60.0, gt=0, description="seconds of the export budget's window")
    link_field: str | None = Field(None, description="name (in `fields`) of the field with issue keys/URLs")
    comments: bool = Field(False, description="read ticket comments for text mentions (one request a ticket)")
    link_patterns: list[str] = Field(
        default_factory=list,
        description="extra regexes; named group `key` gives a key: ref, otherwise the match is a url: ref",
    )
    url_keys: bool = Field(
        False, description="also read a Jira/Linear URL's key as a key: ref (see zendesk/mentions.py)"
    )
    key_prefixes: list[str] = Field(
        default_factory=list, description="project/team keys bare mentions must start with (empty: any)"
    )
    jira_connection: str | None = Field(
        None, description="name of the Jira connection: Jira links then point at the immutable issue id"
    )
    organization_fields: dict[str, str] = Field(
        default_factory=lambda: {"tier": "tier", "arr": "arr", "size": "size"}
    )
    status_targets: dict[StatusCategory, str] = Field(default_factory=lambda: dict(DEFAULT_STATUS_TARGETS))
    job_polls: int = Field(20, ge=1, description="how often to poll a bulk-update job before giving up")

    @field_validator("fields")
    @classmethod
    def _field_ids_are_numeric(cls, value: dict[str, str]) -> dict[str, str]:
        for name, field_id in value.items():
            if not str(field_id).isdigit():
                raise ValueError(f"fields.{name} must be a numeric custom ticket field id, got {field_id!r}")
        return value

    @field_validator("status_targets")
    @classmethod
    def _targets_are_statuses(cls, value: dict[StatusCategory, str]) -> dict[StatusCategory, str]:
        for category, status in value.items():
            if status not in ZENDESK_STATUSES or status in ("new", "closed"):
                raise ValueError(f"status_targets.{category} must be open, pending, hold or solved")
        return {**DEFAULT_STATUS_TARGETS, **value}
