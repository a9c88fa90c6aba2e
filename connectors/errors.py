"""The one error tree every connector raises.

    ConnectorError
    ├── FatalError        stop this connection's run: bad config, 401/403, a resource that does not exist.
    │   └── AuthError     credentials missing, wrong or without permission.
    ├── RetriableError    try the same request again later: 429, 5xx, timeouts, dropped connections.
    │   └── RateLimited   the provider asked us to wait; ``retry_after`` says how long (seconds).
    └── SkippableError    one record is malformed: quarantine it with the reason and go on.

Messages never contain credentials: they are built from status, method, path and the provider's own
error text, which we truncate.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""


class FatalError(ConnectorError):
    """The run of this connection cannot go on; retrying will not help."""


class AuthError(FatalError):
    """Authentication or authorisation failed (401/403 without a rate-limit reason)."""


class RetriableError(ConnectorError):
    """A transient failure: the same request may succeed later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetriableError):
    """The provider throttled us (429, 403 with a rate-limit reason, or a RATELIMITED GraphQL error)."""


class SkippableError(ConnectorError):
    """One payload could not be normalised; the caller quarantines it and continues."""


def truncate(text: str, limit: int = 300) -> str:
    """Keep provider error text short enough for a log line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
