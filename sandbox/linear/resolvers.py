"""The emulator's GraphQL execution: the schema from ``schema.graphql`` with resolvers over
:class:`~sandbox.linear.data.LinearData`, Relay pagination, Linear's filters, and query complexity.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.language import DocumentNode

from sandbox.linear.data import PRIORITY_LABELS, GraphQLFailure, LinearData, parse_iso

Entity = dict[str, Any]
DEFAULT_PAGE = 50
MAX_PAGE = 250


def sdl() -> str:
    return resources.files("sandbox.linear").joinpath("schema.graphql").read_text(encoding="utf-8")


# --- filters ---------------------------------------------------------------------------------------------
def _compare(value: Any, comparator: dict[str, Any]) -> bool:
    for op, wanted in comparator.items():
        if op == "null":
            if (value is None) != bool(wanted):
                return False
            continue
        if value is None:
            return False
        if op in ("gt", "gte", "lt", "lte") or (op in ("eq", "neq") and _is_time(value)):
            left, right = parse_iso(str(value)), parse_iso(str(wanted))
            ok = {
                "gt": left > right,
                "gte": left >= right,
                "lt": left < right,
                "lte": left <= right,
                "eq": left == right,
                "neq": left != right,
            }[op]
        elif op == "eq":
            ok = value == wanted
        elif op == "neq":
            ok = value != wanted
        elif op == "in":
            ok = value in wanted
        elif op == "nin":
            ok = value not in wanted
        else:
            raise GraphQLFailure(f"Unsupported comparator {op}")
        if not ok:
            return False
    return True


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T"


class Filters:
    """Evaluates Linear filter objects: comparators on scalars, nested filters on relations, and/or."""

    def __init__(self, data: LinearData) -> None:
        self.relations: dict[str, Callable[[Entity], Entity | None]] = {
            "team": lambda e: data.teams.get(e.get("_team", "")),
            "state": lambda e: data.states.get(e.get("_state", "")),
        }
        # Collections filtered by ``some`` / ``every`` (AttachmentCollectionFilter)
        self.collections: dict[str, Callable[[Entity], list[Entity]]] = {
            "attachments": lambda e: list(e.get("_attachments") or ()),
        }

    def match(self, entity: Entity, flt: dict[str, Any] | None) -> bool:
        for name, condition in (flt or {}).items():
            if condition is None:
                continue
            if name == "and":
                ok = all(self.match(entity, f) for f in condition)
            elif name == "or":
                ok = any(self.match(entity, f) for f in condition)
            elif name in self.collections:
                members = self.collections[name](entity)
                some, every = condition.get("some"), condition.get("every")
                ok = (some is None or any(self.match(m, some) for m in members)) and (
                    every is None or all(self.match(m, every) for m in members)
                )
            elif name in self.relations:
                related = self.relations[name](entity)
                ok = related is not None and self.match(related, condition)
            else:
                ok = _compare(entity.get(name), condition)
            if not ok:
                return False
        return True


# --- pagination ------------------------------------------------------------------------------------------
def encode_cursor(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        first, second = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise GraphQLFailure(f"Invalid cursor {cursor!r}") from exc
    return str(first), str(second)


def page_size(args: dict[str, Any]) -> int:
    first = args.get("first")
    size = DEFAULT_PAGE if first is None else int(first)
    if not 0 < size <= MAX_PAGE:
        raise GraphQLFailure(f"first must be between 1 and {MAX_PAGE}")
    return size


def connection(
    keyed: Iterable[tuple[tuple[str, str], Entity]], args: dict[str, Any], keep: Callable[[Entity], bool]
) -> Entity:
    """A Relay connection of the entities that pass ``keep``, after ``args["after"]``, ``first`` of them."""
    size = page_size(args)
    after = decode_cursor(args["after"]) if args.get("after") else None
    include_archived = bool(args.get("includeArchived"))
    nodes: list[Entity] = []
    keys: list[tuple[str, str]] = []
    more = False
    for key, entity in keyed:
        if after is not None and key <= after:
            continue
        if (entity.get("archivedAt") is not None and not include_archived) or not keep(entity):
            continue
        if len(nodes) == size:
            more = True
            break
        nodes.append(entity)
        keys.append(key)
    return {
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": more,
            "hasPreviousPage": after is not None,
            "startCursor": encode_cursor(keys[0]) if keys else None,
            "endCursor": encode_cursor(keys[-1]) if keys else None,
        },
    }


def ordered(entities: Iterable[Entity], order_by: str | None) -> list[tuple[tuple[str, str], Entity]]:
    field = order_by or "createdAt"
    return sorted(((str(e[field]), str(e["id"])), e) for e in entities)


def nested(items: list[Entity], args: dict[str, Any]) -> Entity:
    """A small nested connection (labels, attachments, states …): one page, in stored order."""
    keyed = [((f"{index:08d}", str(e["id"])), e) for index, e in enumerate(items)]
    return connection(keyed, args, lambda _: True)


# --- schema ----------------------------------------------------------------------------------------------
class Resolvers:
    def __init__(self, data: LinearData) -> None:
        self.data = data
        self.filters = Filters(data)
        self._sorted: dict[tuple[str, str | None], tuple[Any, list[tuple[tuple[str, str], Entity]]]] = {}

    def issues_keyed(self, args: dict[str, Any]) -> Iterator[tuple[tuple[str, str], Entity]]:
        index = self.data.by_updated if args.get("orderBy") == "updatedAt" else self.data.by_created
        start = 0
        flt = args.get("filter") or {}
        since = flt.get("updatedAt") or _or_updated(flt) or {}
        if index is self.data.by_updated and (since.get("gt") or since.get("gte")):
            start = bisect.bisect_left(index, (str(since.get("gt") or since.get("gte"))[:10], ""))
        if args.get("after"):
            start = max(start, bisect.bisect_right(index, decode_cursor(args["after"])))
        keys: Iterable[tuple[str, str]] = index[start:]
        linked_since = _attachment_branch(args.get("filter") or {})
        if linked_since is not None and index is self.data.by_updated:
            # ``or`` with issues whose attachments changed since: those may have older updatedAt values
            extra = {
                (self.data.issues[i]["updatedAt"], i)
                for i in self.data.attachment_changed_since(linked_since)
            }
            after = decode_cursor(args["after"]) if args.get("after") else None
            keys = sorted(set(index[start:]) | {k for k in extra if after is None or k > after})
        for key in keys:
            yield key, self.data.issues[key[1]]

    def root_connection(self, table: str) -> Callable[..., Entity]:
        def resolve(_root: Any, _info: Any, **args: Any) -> Entity:
            keyed = self._ordered(table, args.get("orderBy"))
            start = 0
            if args.get("after"):
                start = bisect.bisect_right(keyed, decode_cursor(args["after"]), key=lambda pair: pair[0])
            rest = itertools.islice(keyed, start, None)
            return connection(rest, args, lambda e: self.filters.match(e, args.get("filter")))

        return resolve

    def _ordered(self, table: str, order_by: str | None) -> list[tuple[tuple[str, str], Entity]]:
        """``table`` sorted by ``order_by``, kept between requests (a 25,000-row table sorted again for
        every page made a paged read quadratic) until the table grows or shrinks or anything is stamped
        with a new time (every runtime change of a ``createdAt``/``updatedAt`` goes through ``tick``)."""
        source: dict[str, Entity] = getattr(self.data, table)
        stamp = (len(source), self.data.sync_id, self.data.last_tick)
        cached = self._sorted.get((table, order_by))
        if cached is None or cached[0] != stamp:
            cached = (stamp, ordered(source.values(), order_by))
            self._sorted[(table, order_by)] = cached
        return cached[1]

    def issues(self, _root: Any, _info: Any, **args: Any) -> Entity:
        return connection(self.issues_keyed(args), args, lambda e: self.filters.match(e, args.get("filter")))

    def issue_update(self, _root: Any, _info: Any, id: str, input: dict[str, Any]) -> Entity:
        issue = self.data.update_issue(self.data.issue(id), input)
        return {"success": True, "lastSyncId": float(self.data.sync_id), "issue": issue}

    def attachment_create(self, _root: Any, _info: Any, input: dict[str, Any]) -> Entity:
        attachment = self.data.create_attachment(input)
        return {"success": True, "lastSyncId": float(self.data.sync_id), "attachment": attachment}

    def attachment_delete(self, _root: Any, _info: Any, id: str) -> Entity:
        self.data.delete_attachment(id)
        return {"success": True, "lastSyncId": float(self.data.sync_id), "entityId": id}

    def bind(self, schema: GraphQLSchema) -> GraphQLSchema:
        d = self.data
        ref = _ref
        query, mutation = schema.type_map["Query"], schema.type_map["Mutation"]
        assert isinstance(query, GraphQLObjectType) and isinstance(mutation, GraphQLObjectType)
        _set(query, "viewer", lambda *_: d.users[d.viewer_id])
        _set(query, "issue", lambda _r, _i, id: d.issue(id))
        _set(query, "issues", self.issues)
        for name, table in (
            ("teams", "teams"),
            ("projects", "projects"),
            ("cycles", "cycles"),
            ("customers", "customers"),
            ("customerNeeds", "needs"),
            ("users", "users"),
            ("workflowStates", "states"),
            ("issueLabels", "labels"),
        ):
            _set(query, name, self.root_connection(table))
        _set(mutation, "issueUpdate", self.issue_update)
        _set(mutation, "attachmentCreate", self.attachment_create)
        _set(mutation, "attachmentDelete", self.attachment_delete)
        matches = self.filters.match
        _bind_type(
            schema,
            "Issue",
            {
                "state": ref(d, "states", "_state"),
                "team": ref(d, "teams", "_team"),
                "project": ref(d, "projects", "_project"),
                "parent": ref(d, "issues", "_parent"),
                "cycle": ref(d, "cycles", "_cycle"),
                "assignee": ref(d, "users", "_assignee"),
                "creator": ref(d, "users", "_creator"),
                "priorityLabel": lambda e, _i: PRIORITY_LABELS[int(e["priority"])],
                "labels": lambda e, _i, **a: nested([d.labels[x] for x in e["_labels"]], a),
                "attachments": lambda e, _i, **a: nested(
                    [x for x in e["_attachments"] if matches(x, a.get("filter"))], a
                ),
                "needs": lambda e, _i, **a: nested([d.needs[x] for x in e["_needs"]], a),
                "history": lambda e, _i, **a: nested(e.get("_history", []), a),
                "labelIds": lambda e, _i: list(e["_labels"]),
                "previousIdentifiers": lambda e, _i: [],  # the sandbox never moves an issue between teams
                "branchName": lambda e, _i: branch_name(e),
                "children": lambda e, _i, **a: nested(
                    [c for c in d.issues.values() if is_child(c, e, a) and matches(c, a.get("filter"))], a
                ),
                # the sandbox keeps no comments or subscriptions: empty, not an error
                "comments": lambda e, _i, **a: nested([], a),
                "subscribers": lambda e, _i, **a: nested([], a),
            },
        )
        _bind_type(
            schema,
            "Team",
            {
                "states": lambda e, _i, **a: nested(
                    sorted(
                        (s for s in d.states.values() if s["_team"] == e["id"]), key=lambda s: s["position"]
                    ),
                    a,
                )
            },
        )
        _bind_type(schema, "WorkflowState", {"team": ref(d, "teams", "_team")})
        _bind_type(schema, "Cycle", {"team": ref(d, "teams", "_team")})
        _bind_type(
            schema,
            "Project",
            {
                "status": ref(d, "statuses", "_status"),
                "teams": lambda e, _i, **a: nested([d.teams[t] for t in e["_teams"]], a),
            },
        )
        _bind_type(schema, "Customer", {"tier": ref(d, "tiers", "_tier")})
        _bind_type(schema, "Attachment", {"issue": ref(d, "issues", "_issue")})
        _bind_type(
            schema,
            "CustomerNeed",
            {
                "customer": ref(d, "customers", "_customer"),
                "issue": ref(d, "issues", "_issue"),
                "creator": ref(d, "users", "_creator"),
            },
        )
        return schema


def is_child(issue: Entity, parent: Entity, args: dict[str, Any]) -> bool:
    """A sub-issue of ``parent``; archived ones only with ``includeArchived``, as every Linear list."""
    archived_ok = bool(args.get("includeArchived")) or issue.get("archivedAt") is None
    return issue["_parent"] == parent["id"] and archived_ok


def branch_name(issue: Entity) -> str:
    """``Issue.branchName`` as Linear suggests it without a personal prefix: ``eng-4-speed-up-search``."""
    slug = str(issue["url"]).split("/issue/", 1)[1].partition("/")[2]
    return str(issue["identifier"]).lower() + (f"-{slug}" if slug else "")


def _or_updated(flt: dict[str, Any]) -> dict[str, Any] | None:
    """The ``updatedAt`` bound shared by every branch of an ``or`` of the issue itself (an index start)."""
    bounds = [b.get("updatedAt") for b in flt.get("or") or () if "attachments" not in b]
    if not bounds or any(b is None for b in bounds) or len({str(b) for b in bounds}) != 1:
        return None
    return dict(bounds[0])


def _attachment_branch(flt: dict[str, Any]) -> str | None:
    """The ``gt``/``gte`` of an ``or`` branch asking for issues whose attachments changed since then."""
    for branch in flt.get("or") or ():
        some = ((branch.get("attachments") or {}).get("some") or {}).get("updatedAt") or {}
        if some.get("gt") or some.get("gte"):
            return str(some.get("gt") or some.get("gte"))
    return None


def _ref(data: LinearData, table: str, key: str) -> Callable[..., Entity | None]:
    """Resolve the id in ``entity[key]`` through ``data.<table>`` (looked up per call: data may be reset)."""
    return lambda entity, _info: getattr(data, table).get(entity.get(key) or "")


def _set(owner: GraphQLObjectType, field: str, resolver: Callable[..., Any]) -> None:
    owner.fields[field].resolve = resolver


def _bind_type(schema: GraphQLSchema, type_name: str, resolvers: dict[str, Callable[..., Any]]) -> None:
    owner = schema.type_map[type_name]
    assert isinstance(owner, GraphQLObjectType)
    for field, resolver in resolvers.items():
        _set(owner, field, resolver)


def executable_schema(data: LinearData) -> GraphQLSchema:
    return Resolvers(data).bind(build_schema(sdl()))


# --- complexity ------------------------------------------------------------------------------------------
def complexity(schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]) -> float:
    """Linear's rule: 0.1 per property, 1 per object, connections multiply their children by ``first``
    (50 when absent)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    total = 0.0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            if root is not None:
                total += _cost(root, definition.selection_set, fragments, variables)
    return total


def _cost(
    owner: GraphQLObjectType,
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> float:
    total = 0.0
    for node in selections.selections if selections else ():
        if isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            total += _cost(owner, fragments[node.name.value].selection_set, fragments, variables)
        elif isinstance(node, InlineFragmentNode):
            total += _cost(owner, node.selection_set, fragments, variables)
        elif isinstance(node, FieldNode) and node.name.value in owner.fields:
            named = get_named_type(owner.fields[node.name.value].type)
            if is_leaf_type(named) or not isinstance(named, GraphQLObjectType):
                total += 0.1
                continue
            inner = 1.0 + _cost(named, node.selection_set, fragments, variables)
            if named.name.endswith("Connection"):
                first = next(
                    (
                        value_from_ast_untyped(a.value, variables)
                        for a in node.arguments or ()
                        if a.name.value == "first"
                    ),
                    None,
                )
                inner *= float(first) if first is not None else DEFAULT_PAGE
            total += inner
    return total
