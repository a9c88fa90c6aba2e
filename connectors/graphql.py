"""What GitHub's and Linear's GraphQL clients share: documents loaded from a package's ``.graphql`` files
(sent with variables, never built from strings) and the mapping of GraphQL ``errors`` into the error tree.

GitHub names an error's kind in ``type`` (``RATE_LIMITED``, ``FORBIDDEN``, ``NOT_FOUND``), Linear in
``extensions.code`` (``RATELIMITED``, ``AUTHENTICATION_ERROR``, ``FORBIDDEN``); both are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from connectors.errors import AuthError, ConnectorError, FatalError, RateLimited, truncate

RATE_LIMIT_CODES = frozenset({"RATE_LIMITED", "RATELIMITED"})
AUTH_CODES = frozenset({"FORBIDDEN", "AUTHENTICATION_ERROR"})


@cache
def document(package: str, name: str) -> str:
    """The text of ``<package>/<name>.graphql``."""
    return resources.files(package).joinpath(f"{name}.graphql").read_text(encoding="utf-8")


def document_names(package: str) -> list[str]:
    files = resources.files(package).iterdir()
    return sorted(f.name[: -len(".graphql")] for f in files if f.name.endswith(".graphql"))


def error_codes(errors: Iterable[Any]) -> set[str]:
    codes: set[str] = set()
    for error in errors:
        if not isinstance(error, dict):
            continue
        extensions = error.get("extensions")
        for code in (error.get("type"), extensions.get("code") if isinstance(extensions, dict) else None):
            if code:
                codes.add(str(code))
    return codes


def error_message(errors: Iterable[Any]) -> str:
    messages = [str(e.get("message", "")) if isinstance(e, dict) else str(e) for e in errors]
    return truncate("; ".join(m for m in messages if m))


def graphql_error(what: str, errors: list[Any], retry_after: float | None = None) -> ConnectorError:
    """The error an answer's ``errors`` stand for: a rate limit, an auth failure, or fatal for this call."""
    codes = error_codes(errors)
    text = f"{what}: {error_message(errors)}"
    if codes & RATE_LIMIT_CODES:
        return RateLimited(text, retry_after=retry_after)
    if codes & AUTH_CODES:
        return AuthError(text)
    return FatalError(text)
