"""Relay pagination as Linear documents it (developers.linear.app "Pagination"; linear/schema.graphql, every
``…Connection`` field's ``first``/``after`` and ``last``/``before`` arguments, ``PageInfo``, ``…Edge``).

Forward: ``first`` items after ``after``. Backward: the ``last`` items before ``before``, still in the list's
order. Neither: 50 items. A connection keeps the key of each node so that ``edges`` carry their cursors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.linear.data import GraphQLFailure

Entity = dict[str, Any]
Key = tuple[str, str]
DEFAULT_PAGE = 50
MAX_PAGE = 250


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_cursor(cursor: str) -> Key:
    try:
        first, second = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise GraphQLFailure(f"Invalid cursor {cursor!r}") from exc
    return str(first), str(second)


def _bounded(args: dict[str, Any], name: str) -> int | None:
    value = args.get(name)
    if value is None:
        return None
    if not 0 < int(value) <= MAX_PAGE:
        raise GraphQLFailure(f"{name} must be between 1 and {MAX_PAGE}")
    return int(value)


def page_size(args: dict[str, Any]) -> int:
    """The number of nodes a page may hold (``first``, else ``last``, else 50)."""
    first, last = _bounded(args, "first"), _bounded(args, "last")
    return first or last or DEFAULT_PAGE


def connection(
    keyed: Iterable[tuple[Key, Entity]], args: dict[str, Any], keep: Callable[[Entity], bool]
) -> Entity:
    """A Relay connection over ``keyed`` (ascending keys) of the entities that pass ``keep``: after
    ``after`` and before ``before``; the first ``first`` of them, then the last ``last`` of those."""
    first, last = _bounded(args, "first"), _bounded(args, "last")
    if first is None and last is None:
        first = DEFAULT_PAGE
    after = decode_cursor(args["after"]) if args.get("after") else None
    before = decode_cursor(args["before"]) if args.get("before") else None
    include_archived = bool(args.get("includeArchived"))
    window: list[tuple[Key, Entity]] = []
    more_after = False
    for key, entity in keyed:
        if after is not None and key <= after:
            continue
        if before is not None and key >= before:
            more_after = True
            break
        if (entity.get("archivedAt") is not None and not include_archived) or not keep(entity):
            continue
        if first is not None and len(window) == first:
            more_after = True
            break
        window.append((key, entity))
    more_before = after is not None
    if last is not None and len(window) > last:
        window, more_before = window[-last:], True
    return page(window, more_before, more_after)


def page(window: list[tuple[Key, Entity]], more_before: bool, more_after: bool) -> Entity:
    keys = [key for key, _ in window]
    return {
        "nodes": [entity for _, entity in window],
        "_keys": keys,
        "pageInfo": {
            "hasNextPage": more_after,
            "hasPreviousPage": more_before,
            "startCursor": encode_cursor(keys[0]) if keys else None,
            "endCursor": encode_cursor(keys[-1]) if keys else None,
        },
    }


def edges(conn: Entity, _info: Any = None) -> list[Entity]:
    """``…Connection.edges``: each node with its cursor."""
    return [
        {"node": n, "cursor": encode_cursor(k)} for k, n in zip(conn["_keys"], conn["nodes"], strict=True)
    ]


def ordered(entities: Iterable[Entity], order_by: str | None) -> list[tuple[Key, Entity]]:
    field = order_by or "createdAt"
    return sorted(((str(e[field]), str(e["id"])), e) for e in entities)


def nested(items: list[Entity], args: dict[str, Any]) -> Entity:
    """A small nested connection (labels, attachments, states …), in stored order."""
    keyed = [((f"{index:08d}", str(e["id"])), e) for index, e in enumerate(items)]
    return connection(keyed, args, lambda _: True)


def ordered_nested(items: Iterable[Entity], args: dict[str, Any], keep: Callable[[Entity], bool]) -> Entity:
    """A nested connection over a related list, in ``orderBy`` order (createdAt by default)."""
    return connection(ordered(items, args.get("orderBy")), args, keep)
