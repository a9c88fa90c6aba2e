"""The link from a Linear issue to its page in the HTML report: an attachment on the issue.

Linear keeps links to outside resources as attachments, and an attachment's ``url`` is its identity within
the issue (schema.graphql, ``Attachment.url``: "no two attachments on the same issue can share the same
URL"; ``attachmentCreate``: "Creates a new attachment, or updates existing if the same `url` and `issueId`
is used"). So writing the same link twice changes nothing, which makes the write safe to repeat after an
unanswered request. ``AttachmentUpdateInput`` has no ``url``: a new link (``[report] report_url`` moved) is
a new attachment, and the ones it replaces are deleted after it exists. Ours carry the subtitle
:data:`~connectors.linear.normalize.REPORT_SUBTITLE`, which is how the pull and the verify find them
among a person's attachments.
"""

from __future__ import annotations

from collections.abc import Iterable

from connectors.errors import FatalError
from connectors.linear.client import LinearClient
from connectors.linear.normalize import REPORT_LINKS, REPORT_SUBTITLE
from sync.model import OpResult, batched

LINKS_BATCH = 50  # report_links costs ~23 complexity points per issue


class ReportLinks:
    """Writes and reads the report-link attachment of issues."""

    def __init__(self, client: LinearClient, title: str) -> None:
        self.client = client
        self.title = title

    def write(self, issue_id: str, url: str | None) -> OpResult:
        """Make ``url`` the issue's one report link (None or empty: remove the link)."""
        if url:
            input_ = {"issueId": issue_id, "url": url, "title": self.title, "subtitle": REPORT_SUBTITLE}
            data = self.client.execute("attachment_create", {"input": input_}, write=True)
            if not (data.get("attachmentCreate") or {}).get("success"):
                raise FatalError(f"linear: attachmentCreate on {issue_id} did not succeed")
        stale = [a for a, link in self.links([issue_id]).get(issue_id, {}).items() if link != url]
        for attachment in stale:
            data = self.client.execute("attachment_delete", {"id": attachment}, write=True)
            if not (data.get("attachmentDelete") or {}).get("success"):
                raise FatalError(f"linear: attachmentDelete of {attachment} did not succeed")
        what = f"report link {url}" if url else "report link removed"
        return OpResult(
            True, what + (f" ({len(stale)} old one(s) removed)" if stale else ""), after={"report": url}
        )

    def links(self, issue_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """issue id -> {attachment id: url} of our report links, as Linear has them now."""
        found: dict[str, dict[str, str]] = {}
        for chunk in batched(sorted(set(issue_ids)), LINKS_BATCH):
            variables = {"filter": {"id": {"in": chunk}}, "first": len(chunk), "links": REPORT_LINKS}
            data = self.client.execute("report_links", variables)
            for issue in data["issues"]["nodes"]:
                attachments = issue["attachments"]["nodes"]
                found[str(issue["id"])] = {str(a["id"]): str(a["url"]) for a in attachments}
        return found


def link_holds(links: dict[str, str] | None, url: str | None) -> bool:
    """Whether an issue's report links are exactly ``url`` (none when ``url`` is empty)."""
    if links is None:
        return False  # the issue is gone
    return sorted(links.values()) == ([url] if url else [])
