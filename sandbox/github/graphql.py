"""GitHub's GraphQL endpoint for Projects v2, executed with graphql-core over the emulator's :class:`World`
on our own subset schema (``schema.graphql``). Objects are exposed as dicts whose callables resolve fields
with arguments; errors come back in GitHub's shape (``type``, ``path``, ``locations``, ``message``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync

from sandbox.github import graphql_repository
from sandbox.github.data import HTML_HOST, Issue, Project, ProjectField, ProjectItem, World, iso
from sandbox.github.graphql_paging import View, connection

VALUE_KEYS = {"NUMBER": "number", "SINGLE_SELECT": "singleSelectOptionId", "TEXT": "text"}


@cache
def schema() -> GraphQLSchema:
    return build_schema(resources.files("sandbox.github").joinpath("schema.graphql").read_text())


def schema_sdl() -> str:
    return resources.files("sandbox.github").joinpath("schema.graphql").read_text()


class NotFound(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"type": "NOT_FOUND"})


def execute(
    world: World,
    query: str,
    variables: dict[str, Any] | None,
    operation: str | None,
    on_mutation: Callable[[], None],
    rate: View,
) -> dict[str, Any]:
    """Run one GraphQL request; ``on_mutation`` is called when a mutation changed data; ``rate`` is what
    ``rateLimit`` answers (limit, remaining, used, resetAt)."""
    root = Root(world, on_mutation, rate)
    result = graphql_sync(
        schema(), query, root_value=root.view(), variable_values=variables, operation_name=operation
    )
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [github_error(error) for error in result.errors]
    if result.data is not None or not result.errors:
        body["data"] = result.data
    return body


def github_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = (error.extensions or {}).get("type")
    if kind:
        out["type"] = kind
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    out["message"] = error.message
    return out


class Root:
    """Resolvers over one world; each method returns plain dict views."""

    def __init__(self, world: World, on_mutation: Callable[[], None], rate: View) -> None:
        self.world = world
        self.on_mutation = on_mutation
        self.rate = rate

    def view(self) -> View:
        w = self.world
        return {
            "node": lambda info, id: self.node(id),
            "organization": lambda info, login: self.owner("Organization", login),
            "user": lambda info, login: self.owner("User", login),
            "repository": lambda info, owner, name, followRenames=True: self.repository(owner, name),
            "viewer": {
                "__typename": "User",
                "id": "U_viewer",
                "login": w.login,
                "projectV2": lambda info, number: self.project_for("User", w.login, number),
            },
            "rateLimit": {"cost": 1, **self.rate},
            "updateProjectV2ItemPosition": lambda info, input: self.move(input),
            "updateProjectV2ItemFieldValue": lambda info, input: self.set_value(input),
            "addProjectV2ItemById": lambda info, input: self.add_item(input),
            "clearProjectV2ItemFieldValue": lambda info, input: self.clear_value(input),
            "deleteProjectV2Item": lambda info, input: self.delete_item(input),
        }

    # --- reads -----------------------------------------------------------------------------------------
    def node(self, node_id: str) -> View | None:
        p = self.world.project
        if p is not None and node_id == p.id:
            return self.project(p)
        if p is not None and p.item(node_id) is not None:
            return self.item(p.by_id[node_id])
        issue = self.world.by_node.get(node_id)
        return self.content(issue) if issue is not None else None

    def repository(self, owner: str, name: str) -> View:
        repo = graphql_repository.find(self.world, owner, name)
        if repo is None:
            raise NotFound(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return graphql_repository.view(self.world, repo, self.content, connection)

    def owner(self, typename: str, login: str) -> View | None:
        p = self.world.project
        known = {r.owner for r in self.world.repos.values()} | ({p.owner} if p else set())
        if login not in known:
            article = "an" if typename == "Organization" else "a"
            raise NotFound(f"Could not resolve to {article} {typename} with the login of '{login}'.")
        return {
            "__typename": typename,
            "id": f"O_{login}",
            "login": login,
            "projectV2": lambda info, number: self.project_for(typename, login, number),
        }

    def project_for(self, typename: str, login: str, number: int) -> View:
        p = self.world.project
        if (
            p is None
            or p.owner != login
            or p.number != number
            or (p.owner_type == "organization") != (typename == "Organization")
        ):
            raise NotFound(f"Could not resolve to a ProjectV2 with the number {number}.")
        return self.project(p)

    def project(self, p: Project) -> View:
        return {
            "__typename": "ProjectV2",
            "id": p.id,
            "number": p.number,
            "title": p.title,
            "closed": False,
            "updatedAt": iso(p.updated_at),
            "url": f"{HTML_HOST}/orgs/{p.owner}/projects/{p.number}",
            "field": lambda info, name: self._field_or_none(p.field_named(name)),
            "fields": lambda info, first=None, after=None, before=None, last=None: connection(
                p.fields, self.field, "fields", first, after, last, before
            ),
            "items": lambda info, first=None, after=None, before=None, last=None: connection(
                p.items, self.item, "items", first, after, last, before
            ),
        }

    def field(self, f: ProjectField) -> View:
        if f.data_type == "SINGLE_SELECT":
            return {
                "__typename": "ProjectV2SingleSelectField",
                "id": f.id,
                "name": f.name,
                "dataType": f.data_type,
                "options": lambda info, names=None: [
                    {"id": oid, "name": name} for oid, name in f.options if names is None or name in names
                ],
            }
        return {"__typename": "ProjectV2Field", "id": f.id, "name": f.name, "dataType": f.data_type}

    def _field_or_none(self, f: ProjectField | None) -> View | None:
        return None if f is None else self.field(f)

    def item(self, item: ProjectItem) -> View:
        p = self.world.project
        assert p is not None
        issue = self.world.by_node.get(item.content_id)
        kind = "DRAFT_ISSUE" if issue is None else "PULL_REQUEST" if issue.is_pull else "ISSUE"
        values = self.values(item)
        return {
            "__typename": "ProjectV2Item",
            "id": item.id,
            "isArchived": False,
            "type": kind,
            "createdAt": iso(item.created_at),
            "updatedAt": iso(item.updated_at),
            "content": self.content(issue)
            if issue
            else {"__typename": "DraftIssue", "id": item.content_id, "title": "Draft"},
            "project": lambda info: self.project(p),
            "fieldValues": lambda info, first=None, after=None, before=None, last=None: connection(
                values, lambda v: v, "fieldValues", first, after, last, before
            ),
            "fieldValueByName": lambda info, name: next(
                (v for v in values if v["field"]["name"] == name), None
            ),
        }

    def values(self, item: ProjectItem) -> list[View]:
        p = self.world.project
        assert p is not None
        out: list[View] = []
        issue = self.world.by_node.get(item.content_id)
        for f in p.fields:
            base = {
                "id": f"PVTFV_{item.id}_{f.id}",
                "field": self.field(f),
                "updatedAt": iso(item.updated_at),
            }
            if f.data_type == "TITLE" and issue is not None:
                out.append(base | {"__typename": "ProjectV2ItemFieldTextValue", "text": issue.title})
            value = item.values.get(f.id)
            if value is None:
                continue
            if f.data_type == "NUMBER":
                out.append(base | {"__typename": "ProjectV2ItemFieldNumberValue", "number": float(value)})
            elif f.data_type == "SINGLE_SELECT":
                out.append(
                    base
                    | {
                        "__typename": "ProjectV2ItemFieldSingleSelectValue",
                        "optionId": value,
                        "name": f.option_name(value),
                    }
                )
            elif f.data_type == "TEXT":
                out.append(base | {"__typename": "ProjectV2ItemFieldTextValue", "text": str(value)})
        return out

    def content(self, issue: Issue) -> View:
        repo = self.world.repos[issue.repo]
        if issue.is_pull:
            return {
                "__typename": "PullRequest",
                "id": issue.node_id,
                "number": issue.number,
                "title": issue.title,
                "body": issue.body or "",
                "url": issue.html_url,
                "state": issue.state.upper(),  # no merges are emulated: closed is CLOSED
                "closed": issue.state == "closed",
                "createdAt": iso(issue.created_at),
                "updatedAt": iso(issue.updated_at),
                "closedAt": iso(issue.closed_at),
                "author": {"__typename": "User", "id": f"U_{issue.author}", "login": issue.author},
                "repository": graphql_repository.summary(repo),
            }
        milestone = repo.milestones.get(issue.milestone) if issue.milestone else None
        children = self.world.children_of(issue)
        done = sum(1 for c in children if c.state == "closed")
        parent = self.world.issue(*issue.parent) if issue.parent else None
        return {
            "__typename": "Issue",
            "id": issue.node_id,
            "number": issue.number,
            "title": issue.title,
            "body": issue.body or "",  # Issue.body is String! in the GraphQL schema: "" when none
            "url": issue.html_url,
            "state": issue.state.upper(),
            "closed": issue.state == "closed",
            "stateReason": lambda info, enableDuplicate=False: self.reason(issue, enableDuplicate),
            "createdAt": iso(issue.created_at),
            "updatedAt": iso(issue.updated_at),
            "closedAt": iso(issue.closed_at),
            "repository": graphql_repository.summary(repo),
            "author": {"__typename": "User", "id": f"U_{issue.author}", "login": issue.author},
            "labels": lambda info, first=None, after=None, before=None, last=None: connection(
                issue.labels,
                lambda n: {"id": repo.labels[n].node_id if n in repo.labels else n, "name": n},
                "labels",
                first,
                after,
                last,
                before,
            ),
            "assignees": lambda info, first=None, after=None, before=None, last=None: connection(
                issue.assignees,
                lambda login: {"id": f"U_{login}", "login": login},
                "assignees",
                first,
                after,
                last,
                before,
            ),
            "milestone": None
            if milestone is None
            else {
                "id": milestone.node_id,
                "number": milestone.number,
                "title": milestone.title,
                "state": milestone.state.upper(),
                "dueOn": iso(milestone.due_on),
            },
            "parent": (lambda info: self.content(parent)) if parent is not None else None,
            "subIssuesSummary": {
                "total": len(children),
                "completed": done,
                "percentCompleted": int(100 * done / len(children)) if children else 0,
            },
        }

    @staticmethod
    def reason(issue: Issue, enable_duplicate: bool) -> str | None:
        if issue.state_reason is None:
            return None
        reason = issue.state_reason.upper()
        return "NOT_PLANNED" if reason == "DUPLICATE" and not enable_duplicate else reason

    # --- mutations -------------------------------------------------------------------------------------
    def _project(self, project_id: str) -> Project:
        p = self.world.project
        if p is None or p.id != project_id:
            raise NotFound(f"Could not resolve to a node with the global id of '{project_id}'")
        return p

    def _item(self, p: Project, item_id: str) -> ProjectItem:
        item = p.item(item_id)
        if item is None:
            raise NotFound(f"Could not resolve to a node with the global id of '{item_id}'")
        return item

    def move(self, data: dict[str, Any]) -> View:
        p = self._project(data["projectId"])
        item = self._item(p, data["itemId"])
        after = self._item(p, data["afterId"]) if data.get("afterId") else None
        if after is item:
            raise GraphQLError("An item cannot be positioned after itself.")
        p.move(item, after)
        self.world.touch_item(item)
        self.on_mutation()
        return {
            "clientMutationId": data.get("clientMutationId"),
            "items": lambda info, first=None, after=None, before=None, last=None: connection(
                p.items, self.item, "items", first, after, last, before
            ),
        }

    def set_value(self, data: dict[str, Any]) -> View:
        p = self._project(data["projectId"])
        item = self._item(p, data["itemId"])
        f = p.field_by_id(data["fieldId"])
        if f is None:
            raise NotFound(f"Could not resolve to a node with the global id of '{data['fieldId']}'")
        given = {k: v for k, v in (data.get("value") or {}).items() if v is not None}
        wanted = VALUE_KEYS.get(f.data_type)
        if wanted is None or set(given) != {wanted}:
            raise GraphQLError(f"The field {f.name} ({f.data_type}) takes exactly one `{wanted}` value.")
        value = given[wanted]
        if f.data_type == "SINGLE_SELECT" and f.option_name(value) is None:
            raise GraphQLError(f"The single select option Id does not belong to the field {f.name}.")
        item.values[f.id] = value
        self.world.touch_item(item)
        self.on_mutation()
        return {"clientMutationId": data.get("clientMutationId"), "projectV2Item": self.item(item)}

    def clear_value(self, data: dict[str, Any]) -> View:
        """``clearProjectV2ItemFieldValue``: the item's value of that field becomes empty (GraphQL docs:
        "This mutation clears the value of a field for an item in a Project")."""
        p = self._project(data["projectId"])
        item = self._item(p, data["itemId"])
        f = p.field_by_id(data["fieldId"])
        if f is None:
            raise NotFound(f"Could not resolve to a node with the global id of '{data['fieldId']}'")
        if item.values.pop(f.id, None) is not None:
            self.world.touch_item(item)
            self.on_mutation()
        return {"clientMutationId": data.get("clientMutationId"), "projectV2Item": self.item(item)}

    def delete_item(self, data: dict[str, Any]) -> View:
        """``deleteProjectV2Item``: the item leaves the project (the issue itself stays)."""
        p = self._project(data["projectId"])
        item = self._item(p, data["itemId"])
        p.remove(item)
        self.on_mutation()
        return {"clientMutationId": data.get("clientMutationId"), "deletedItemId": item.id}

    def add_item(self, data: dict[str, Any]) -> View:
        p = self._project(data["projectId"])
        issue = self.world.by_node.get(data["contentId"])
        if issue is None:
            raise NotFound(f"Could not resolve to a node with the global id of '{data['contentId']}'")
        item = p.item_for(issue.node_id)
        if item is None:
            now = self.world.now()
            item = ProjectItem(
                id=f"PVTI_{issue.node_id}", content_id=issue.node_id, created_at=now, updated_at=now
            )
            p.append(item)
            self.world.touch_item(item)
            self.on_mutation()
        return {"clientMutationId": data.get("clientMutationId"), "item": self.item(item)}
