"""One paginator protocol and the one loop that drives it (dlt's ``update_state`` / ``update_request``).

A :class:`Paginator` knows one API's paging style: the first request (:meth:`Paginator.first`), what an
answer says about the records and the next page (:meth:`Paginator.update_state`, which also checks that
the page has the shape its documentation promises) and the request for that next page
(:meth:`Paginator.update_request`). :func:`paginate` is the only loop, and it holds the bounds every
stream gets, whatever the server sends:

* a request that repeats **any** earlier request of the same read (a cursor, token, offset or URL sent
  again, not only the last one) stops the read with :class:`PaginationLoop`;
* more than ``max_pages`` pages stops it with :class:`PageCapReached`;
* a page without its record list (missing or null), or an empty answer where records are expected, is
  :class:`WrongShape` (raised by :func:`records_at`).

All three are :class:`StreamError`: the pull stores nothing past the last good page, that stream's cursor
does not move, and the connection's other streams are read.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from connectors.errors import PageCapReached, PaginationLoop, WrongShape

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class PageRequest:
    """What one page request sends: ``url`` (None: the paginator's fixed endpoint) and ``params`` (query
    parameters, a JSON body or GraphQL variables, as the client that sends it reads them)."""

    params: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # not part of what must not repeat

    def identity(self) -> str:
        return json.dumps([self.url, self.params], sort_keys=True, default=str)

    def with_params(self, **changes: Any) -> PageRequest:
        return replace(self, params={**self.params, **changes})


class Paginator(ABC):
    """One API's paging style. ``has_next_page`` is set by :meth:`update_state`."""

    has_next_page: bool = True

    @abstractmethod
    def first(self) -> PageRequest: ...

    @abstractmethod
    def update_state(self, answer: Any) -> list[JsonObject]:
        """The page's records (raising :class:`WrongShape` when it has none of the documented shape);
        records what the next request needs and sets ``has_next_page``."""

    @abstractmethod
    def update_request(self, request: PageRequest) -> PageRequest: ...


def paginate(
    send: Callable[[PageRequest], Any], paginator: Paginator, what: str, max_pages: int
) -> Iterator[tuple[list[JsonObject], Any]]:
    """Pages of ``(records, answer)``, within the bounds in the module docstring."""
    request = paginator.first()
    seen: set[str] = set()
    pages = 0
    while True:
        identity = request.identity()
        if identity in seen:
            raise PaginationLoop(
                f"{what}: page {pages + 1} would repeat an earlier request ({_short(request)})"
            )
        seen.add(identity)
        if pages >= max_pages:
            raise PageCapReached(f"{what}: more than {max_pages} pages (raise max_pages if this is expected)")
        answer = send(request)
        pages += 1
        records = paginator.update_state(answer)
        yield records, answer
        if not paginator.has_next_page:
            return
        request = paginator.update_request(request)


def records_at(data: Any, path: tuple[str, ...], what: str) -> list[JsonObject]:
    """The record list at ``path`` inside ``data`` (its objects only); :class:`WrongShape` when the answer
    is empty or the list is missing or null (a page that silently had no records would move the cursor
    past records never read)."""
    if data is None:
        raise WrongShape(f"{what}: an empty answer where a page of records was expected")
    node = data
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            raise WrongShape(f"{what}: the page has no {'.'.join(path)} list")
        node = node[key]
    if not isinstance(node, list):
        raise WrongShape(f"{what}: {'.'.join(path)} is a {type(node).__name__}, not a list")
    return [r for r in node if isinstance(r, dict)]


def _short(request: PageRequest) -> str:
    text = request.identity()
    return text if len(text) <= 120 else text[:119] + "…"
