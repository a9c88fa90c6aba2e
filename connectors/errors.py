"""The one error tree every connector raises.

    ConnectorError
    ├── FatalError        stop this connection's run: bad config, 401/403, a resource that does not exist.
    │   ├── AuthError     credentials missing, wrong or without permission.
    │   ├── Gone          404/410 on an item: it was deleted (``native_id`` names it when known).
    │   └── UnknownStream a stream name the connector does not read (the same error for every connector).
    ├── StreamError       this stream cannot be read as it stands; its cursor stays, the other streams go on.
    │   ├── PaginationLoop  the server sent an earlier cursor, token or URL again.
    │   ├── PageCapReached  more pages than the stream's cap.
    │   └── WrongShape      a page without its record list, a redirect, an empty answer where records belong.
    ├── RetriableError    try the same request again later: 429, 5xx, timeouts, dropped connections.
    │   ├── RateLimited   the provider asked us to wait; ``retry_after`` says how long (seconds).
    │   └── Unanswered    sent, but no answer came (timeout, dropped connection): it may have taken effect.
    │       └── DeadlineExceeded  the whole answer did not arrive within the request's total deadline.
    └── SkippableError    one record is malformed: quarantine it with the reason and go on.

Messages never contain credentials: they are built from status, method, path and the provider's own
error text, which we truncate.
"""

from __future__ import annotations

import base64


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""


class FatalError(ConnectorError):
    """The run of this connection cannot go on; retrying will not help."""


class Gone(FatalError):
    """The tracker answers 404 or 410 for an item: it was deleted (or moved where we cannot see it). A write
    to it fails alone; the pusher marks the item deleted and drops its other ops."""

    def __init__(self, message: str, native_id: str | None = None) -> None:
        super().__init__(message)
        self.native_id = native_id


class AuthError(FatalError):
    """Authentication or authorisation failed (401/403 without a rate-limit reason)."""


class UnknownStream(FatalError):
    """A stream name the connector does not read."""


class StreamError(ConnectorError):
    """One stream's read must stop before its next page; nothing of it past the last good page is stored,
    its cursor does not move, and the connection's other streams are read."""


class PaginationLoop(StreamError):
    """The server answered with a cursor, token or URL it had already sent in this read."""


class PageCapReached(StreamError):
    """A read went past the page cap of its stream (``max_pages``)."""


class WrongShape(StreamError):
    """An answer that is not what the endpoint documents: no record list, a redirect, an empty body."""


class RetriableError(ConnectorError):
    """A transient failure: the same request may succeed later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetriableError):
    """The provider throttled us (429, 403 with a rate-limit reason, or a RATELIMITED GraphQL error)."""


class Unanswered(RetriableError):
    """The request left but no answer came back (a read timeout, a dropped connection). A read is retried
    like any transient failure; a write may already have taken effect, so the policy does not send it again
    and the pusher asks the tracker (``verify``) before it does."""


class DeadlineExceeded(Unanswered):
    """The answer did not arrive whole within the request's total deadline (a body trickled slowly)."""


class SkippableError(ConnectorError):
    """One payload could not be normalised; the caller quarantines it and continues."""


_SECRETS: set[str] = set()  # this process's credentials, in every form a server may echo back


def register_secret(secret: str, users: tuple[str, ...] = ()) -> None:
    """Remember a credential so that provider text quoting it is redacted: the value itself, its Base64,
    and the Base64 of ``user:secret`` (and Zendesk's ``user/token:secret``) of a Basic header."""
    if len(secret) < 4:
        return
    forms = {secret, _b64(secret)}
    for user in users:
        forms |= {_b64(f"{user}:{secret}"), _b64(f"{user}/token:{secret}")}
    _SECRETS.update(forms)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def scrub(text: str) -> str:
    """``text`` with every registered credential form (and so any ``Basic``/``Bearer`` header quoting one)
    replaced by ``***``; longest first, so a Basic value is not half-replaced by the secret inside it."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


def truncate(text: str, limit: int = 300) -> str:
    """Keep provider error text short enough for a log line, without any credential it may quote (every
    piece of a provider's text passes here before it reaches an error, so output, logs, the store and
    ``/healthz`` never see one)."""
    text = " ".join(scrub(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
