"""Reading a Projects v2 board: pages of items in position order (``items(first: 100, after:)``), and a
:class:`ProjectSnapshot` the writer and ``current_order`` use (item ids by issue, field ids and options by
name, the order), which the writer keeps in step with its own moves."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import FatalError
from connectors.github.client import GithubClient
from connectors.github.config import ProjectRef
from connectors.paging import PageRequest, Paginator, paginate, records_at

DOCUMENT = "project"


@dataclass(frozen=True)
class FieldInfo:
    id: str
    name: str
    data_type: str
    options: Mapping[str, str] = field(default_factory=dict)  # option name -> option id


@dataclass
class Entry:
    """One item on the board; ``native_id`` is ``owner/repo#n`` for issues, None for drafts and PRs."""

    item_id: str
    native_id: str | None
    content_id: str | None
    state: str | None = None
    state_reason: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # field name -> number | option name | text


@dataclass
class ProjectPage:
    project_id: str
    updated_at: str
    fields: dict[str, FieldInfo]
    nodes: list[dict[str, Any]]
    start: int  # position of the first node
    has_next: bool


class ProjectPaginator(Paginator):
    """``items(first: 100, after:)`` of one board, following ``pageInfo.endCursor``."""

    def __init__(self, ref: ProjectRef) -> None:
        self.ref = ref
        self.owner_key = "organization" if ref.owner_type == "organization" else "user"
        self.project: dict[str, Any] = {}
        self.end_cursor: str | None = None

    def first(self) -> PageRequest:
        return PageRequest({"owner": self.ref.owner, "number": self.ref.number, "after": None})

    def update_state(self, answer: Any) -> list[dict[str, Any]]:
        project = (answer.get(self.owner_key) or {}).get("projectV2") if isinstance(answer, dict) else None
        if not project:
            raise FatalError(f"project {self.ref.owner}/{self.ref.number} not found")
        nodes = records_at(project, ("items", "nodes"), f"project {self.ref.owner}/{self.ref.number}")
        info = project["items"].get("pageInfo") or {}
        self.project = project
        self.end_cursor = info.get("endCursor")
        self.has_next_page = bool(info.get("hasNextPage")) and self.end_cursor is not None
        return nodes

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(after=self.end_cursor)


def read_pages(client: GithubClient, ref: ProjectRef, max_pages: int = 10_000) -> Iterator[ProjectPage]:
    """The board a page (100 items) at a time, in position order."""
    operation = "OrgProject" if ref.owner_type == "organization" else "UserProject"
    paginator = ProjectPaginator(ref)
    start = 0
    what = f"project {ref.owner}/{ref.number}"

    def send(request: PageRequest) -> Any:
        return client.graphql(DOCUMENT, operation, request.params)

    for nodes, _ in paginate(send, paginator, what, max_pages):
        project = paginator.project
        yield ProjectPage(
            project["id"], project["updatedAt"], fields_of(project), nodes, start, paginator.has_next_page
        )
        start += len(nodes)


def fields_of(project: Mapping[str, Any]) -> dict[str, FieldInfo]:
    out: dict[str, FieldInfo] = {}
    for node in (project.get("fields") or {}).get("nodes") or []:
        if not node or "name" not in node:
            continue
        options = {o["name"]: o["id"] for o in node.get("options") or []}
        out[node["name"]] = FieldInfo(node["id"], node["name"], node.get("dataType", ""), options)
    return out


def entry_of(node: Mapping[str, Any]) -> Entry:
    content = node.get("content") or {}
    native = None
    if content.get("__typename") == "Issue":
        native = f"{content['repository']['nameWithOwner']}#{content['number']}"
    values: dict[str, Any] = {}
    for value in (node.get("fieldValues") or {}).get("nodes") or []:
        name = ((value or {}).get("field") or {}).get("name")
        if name is None:
            continue
        for key in ("number", "name", "text"):
            if key in value:
                values[name] = value[key]
    reason = content.get("stateReason")
    return Entry(
        item_id=node["id"],
        native_id=native,
        content_id=content.get("id"),
        state=str(content["state"]).lower() if content.get("state") else None,
        state_reason=str(reason).lower() if reason else None,
        values=values,
    )


class ProjectSnapshot:
    """The board as last read, kept in step with our own writes."""

    def __init__(self, project_id: str, updated_at: str, fields: dict[str, FieldInfo], entries: list[Entry]):
        self.project_id = project_id
        self.updated_at = updated_at
        self.fields = fields
        self.entries = entries
        self.by_native = {e.native_id: e for e in entries if e.native_id}

    @classmethod
    def read(cls, client: GithubClient, ref: ProjectRef) -> ProjectSnapshot:
        entries: list[Entry] = []
        first: ProjectPage | None = None
        for page in read_pages(client, ref):
            first = first or page
            entries.extend(entry_of(node) for node in page.nodes)
        assert first is not None
        return cls(first.project_id, first.updated_at, first.fields, entries)

    def order(self) -> list[str]:
        return [e.native_id for e in self.entries if e.native_id]

    def predecessor(self, native_id: str, skip: Collection[str] = ()) -> str | None:
        """Item id of the nearest entry above ``native_id`` that is not in ``skip`` (None: at the top)."""
        entry = self.by_native.get(native_id)
        if entry is None:
            return None
        for above in reversed(self.entries[: self.entries.index(entry)]):
            if above.item_id not in skip:
                return above.item_id
        return None

    def move(self, entry: Entry, after_item_id: str | None) -> None:
        self.entries.remove(entry)
        index = 0
        if after_item_id is not None:
            index = next(i for i, e in enumerate(self.entries) if e.item_id == after_item_id) + 1
        self.entries.insert(index, entry)

    def discard(self, entry: Entry) -> None:
        """Forget an item taken off the board."""
        self.entries.remove(entry)
        if entry.native_id:
            self.by_native.pop(entry.native_id, None)

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        if entry.native_id:
            self.by_native[entry.native_id] = entry
