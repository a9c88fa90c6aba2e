"""GitHub's GraphQL connections: cursors, and pages of a list forward or backward, bounded as GitHub bounds
them."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError

View = dict[str, Any]
MAX_PAGE = 100


def cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def position(cursor_value: str) -> int:
    """The row index a cursor of :func:`cursor` names."""
    try:
        return int(base64.b64decode(cursor_value).decode().split(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise GraphQLError(f"`{cursor_value}` does not appear to be a valid cursor.") from exc


def connection(
    rows: Sequence[Any],
    view: Callable[[Any], View],
    name: str,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> View:
    """A connection over ``rows`` as GitHub pages it, forward (``first``/``after``) or backward
    (``last``/``before``), following the GraphQL Cursor Connections Specification GitHub implements
    ("Pagination" in docs.github.com/graphql/guides/using-pagination-in-the-graphql-api): the rows strictly
    between ``after`` and ``before``, then the first ``first`` or the last ``last`` of them; one of the two
    is required, 1 to 100, and GitHub refuses both at once."""
    if first is None and last is None:
        raise GraphQLError(
            f"You must provide a `first` or `last` value to properly paginate the `{name}` connection.",
            extensions={"type": "MISSING_PAGINATION_BOUNDARIES"},
        )
    if first is not None and last is not None:
        raise GraphQLError(
            f"Passing both `first` and `last` to paginate the `{name}` connection is not supported."
        )
    bound, size = ("first", first) if first is not None else ("last", last)
    assert size is not None
    if size < 0 or size > MAX_PAGE:
        raise GraphQLError(
            f"Requesting {size} records on the `{name}` connection exceeds the `{bound}` limit"
            f" of {MAX_PAGE} records.",
            extensions={"type": "EXCESSIVE_PAGINATION"},
        )
    low = position(after) + 1 if after is not None else 0
    high = min(len(rows), position(before)) if before is not None else len(rows)
    high = max(low, high)
    start = low if first is not None else max(low, high - size)
    end = min(high, start + size)
    page = rows[start:end]
    return {
        "nodes": [view(row) for row in page],
        "totalCount": len(rows),
        "pageInfo": {
            "hasNextPage": end < len(rows),
            "hasPreviousPage": start > 0,
            "startCursor": cursor(start) if page else None,
            "endCursor": cursor(end - 1) if page else None,
        },
    }
