"""Which URLs name a tracker's work item or ticket: the only URLs in free text that become links.

A body or description holds many URLs (docs, dashboards, screenshots); linking each one leaves unresolvable
links behind. Only these shapes are trackers' items (any host, so that self-hosted sites and the sandbox
match too): a Jira issue (``/browse/KEY``), a GitHub issue or pull request (``/owner/repo/issues/N``,
``/owner/repo/pull/N``), a Linear issue (``/workspace/issue/KEY`` with or without its title slug) and a
Zendesk ticket (``/agent/tickets/N``, ``/api/v2/tickets/N``, ``/requests/N``).
"""

from __future__ import annotations

import re

TRACKER_URL = re.compile(
    r"https?://[^\s<>()\"'`\[\]]+?(?:/browse/[A-Z][A-Z0-9_]+-\d+"  # Jira issue
    r"|/[\w.-]+/[\w.-]+/(?:issues|pull)/\d+"  # GitHub issue or pull request
    r"|/[\w.-]+/issue/[A-Z][A-Z0-9_]*-\d+(?:/[\w-]*)?"  # Linear issue, with or without its slug
    r"|/agent/tickets/\d+|/api/v2/tickets/\d+(?:\.json)?"  # Zendesk ticket
    r"|/requests/\d+)"
    r"(?![\w/-])"
)


def is_tracker_url(url: str) -> bool:
    return TRACKER_URL.fullmatch(url) is not None
