"""The emulator's GraphQL execution: the schema (``schema*.graphql``: the official types it serves, each with
every official field whose type it serves) with resolvers over :class:`~sandbox.linear.data.LinearData`,
Relay pagination (:mod:`sandbox.linear.paging`), Linear's filters (:mod:`sandbox.linear.filters`), derived
fields (:mod:`sandbox.linear.fields`), defaults (:mod:`sandbox.linear.defaults`) and query complexity.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from typing import Any

from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from sandbox.linear.data import PRIORITY_LABELS, GraphQLFailure, LinearData
from sandbox.linear.defaults import DEFAULTS
from sandbox.linear.fields import Derived, organization
from sandbox.linear.filter_values import collections, filter_only
from sandbox.linear.filters import Filters, iso_moment
from sandbox.linear.paging import connection, decode_cursor, edges, nested, ordered

Entity = dict[str, Any]
SCHEMA_FILES = ("schema.graphql", "schema_filters.graphql", "schema_issue.graphql", "schema_project.graphql",
                "schema_team.graphql")  # fmt: skip
ISSUE_KEY = re.compile(r"([a-z][a-z0-9]*-\d+)", re.IGNORECASE)


def sdl() -> str:
    folder = resources.files("sandbox.linear")
    return "\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in SCHEMA_FILES)


def not_found(type_name: str, ref: str) -> GraphQLFailure:
    return GraphQLFailure(f"Entity not found: {type_name} - Could not find referenced {type_name} {ref}.")


class Resolvers:
    def __init__(self, data: LinearData) -> None:
        self.data = data
        self._sorted: dict[tuple[str, str | None], tuple[Any, list[tuple[tuple[str, str], Entity]]]] = {}

    def match(self, type_name: str) -> Callable[[Entity, dict[str, Any] | None], bool]:
        return lambda entity, flt: self.filters.match(type_name, entity, flt)

    # --- lists ------------------------------------------------------------------------------------------
    def issues_keyed(self, args: dict[str, Any]) -> Iterator[tuple[tuple[str, str], Entity]]:
        index = self.data.by_updated if args.get("orderBy") == "updatedAt" else self.data.by_created
        start = 0
        flt = args.get("filter") or {}
        since = flt.get("updatedAt") or _or_updated(flt) or {}
        bound = since.get("gt") or since.get("gte")
        if index is self.data.by_updated and bound:
            start = bisect.bisect_left(index, (iso_moment(bound)[:10], ""))
        if args.get("after"):
            start = max(start, bisect.bisect_right(index, decode_cursor(args["after"])))
        keys: Iterable[tuple[str, str]] = index[start:]
        linked_since = _attachment_branch(flt)
        if linked_since is not None and index is self.data.by_updated:
            # ``or`` with issues whose attachments changed since: those may have older updatedAt values
            extra = {
                (self.data.issues[i]["updatedAt"], i)
                for i in self.data.attachment_changed_since(iso_moment(linked_since))
            }
            after = decode_cursor(args["after"]) if args.get("after") else None
            keys = sorted(set(index[start:]) | {k for k in extra if after is None or k > after})
        for key in keys:
            yield key, self.data.issues[key[1]]

    def issues(self, _root: Any, _info: Any, **args: Any) -> Entity:
        match = self.match("Issue")
        return connection(self.issues_keyed(args), args, lambda e: match(e, args.get("filter")))

    def issue_search(self, _root: Any, _info: Any, query: str | None = None, **args: Any) -> Entity:
        """``issueSearch``: issues whose title or description contains ``query`` (any case), filtered."""
        words = (query or "").casefold()
        match = self.match("Issue")

        def keep(issue: Entity) -> bool:
            text = f"{issue['title']}\n{issue.get('description') or ''}".casefold()
            return words in text and match(issue, args.get("filter"))

        return connection(self.issues_keyed({**args, "filter": None}), args, keep)

    def root_connection(self, table: str, type_name: str) -> Callable[..., Entity]:
        match = self.match(type_name)

        def resolve(_root: Any, _info: Any, **args: Any) -> Entity:
            keyed = self._ordered(table, args.get("orderBy"))
            start = 0
            if args.get("after"):
                start = bisect.bisect_right(keyed, decode_cursor(args["after"]), key=lambda pair: pair[0])
            rest = itertools.islice(keyed, start, None)
            return connection(rest, args, lambda e: match(e, args.get("filter")))

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

    def all_attachments(self) -> list[Entity]:
        return [a for issue in self.data.issues.values() for a in issue["_attachments"]]

    def attachments(self, _root: Any, _info: Any, url: str | None = None, **args: Any) -> Entity:
        """``attachments`` (filtered) and ``attachmentsForURL`` (the attachments with that url)."""
        match = self.match("Attachment")
        chosen = [a for a in self.all_attachments() if url is None or a["url"] == url]
        return connection(ordered(chosen, args.get("orderBy")), args, lambda a: match(a, args.get("filter")))

    # --- single entities --------------------------------------------------------------------------------
    def lookup(self, table: str, type_name: str, *alternates: str) -> Callable[..., Entity]:
        """An entity by id, or by one of the ``alternates`` fields (a team's key, a project's slugId)."""

        def resolve(_root: Any, _info: Any, id: str | None = None, **_args: Any) -> Entity:
            rows: dict[str, Entity] = getattr(self.data, table)
            found = rows.get(id or "") or next(
                (r for r in rows.values() for f in alternates if id is not None and r.get(f) == id), None
            )
            if found is None:
                raise not_found(type_name, str(id))
            return found

        return resolve

    def attachment(self, _root: Any, _info: Any, id: str) -> Entity:
        found = next((a for a in self.all_attachments() if a["id"] == id), None)
        if found is None:
            raise not_found("Attachment", id)
        return found

    def attachment_issue(self, root: Any, info: Any, id: str) -> Entity:
        """``attachmentIssue``: the issue of the attachment with this id (or url)."""
        found = next((a for a in self.all_attachments() if id in (a["id"], a["url"])), None)
        if found is None:
            raise not_found("Attachment", id)
        return self.data.issues[found["_issue"]]

    def branch_issue(self, _root: Any, _info: Any, branchName: str) -> Entity | None:
        """``issueVcsBranchSearch``: the issue whose identifier the branch name carries, or null."""
        for key in ISSUE_KEY.findall(branchName):
            issue_id = self.data.by_identifier.get(key.upper())
            if issue_id is not None:
                return self.data.issues[issue_id]
        return None

    # --- mutations --------------------------------------------------------------------------------------
    def issue_update(self, _root: Any, _info: Any, id: str, input: dict[str, Any]) -> Entity:
        issue = self.data.update_issue(self.data.issue(id), input)
        return {"success": True, "lastSyncId": float(self.data.sync_id), "issue": issue}

    def attachment_create(self, _root: Any, _info: Any, input: dict[str, Any]) -> Entity:
        attachment = self.data.create_attachment(input)
        return {"success": True, "lastSyncId": float(self.data.sync_id), "attachment": attachment}

    def attachment_delete(self, _root: Any, _info: Any, id: str) -> Entity:
        self.data.delete_attachment(id)
        return {"success": True, "lastSyncId": float(self.data.sync_id), "entityId": id}

    # --- binding ----------------------------------------------------------------------------------------
    def bind(self, schema: GraphQLSchema) -> GraphQLSchema:
        d = self.data
        self.filters = Filters(schema, filter_only(d), collections(d))
        self._bind_roots(schema)
        _bind_type(schema, "Issue", self._issue_fields())
        ref = _ref
        _bind_type(schema, "Team", {"states": self._team_states})
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
        for type_name, resolvers in Derived(d, self.filters).by_type().items():
            _bind_type(schema, type_name, resolvers)
        _bind_defaults(schema)
        for name, owner in schema.type_map.items():
            if (
                name.endswith("Connection")
                and isinstance(owner, GraphQLObjectType)
                and "edges" in owner.fields
            ):
                _set(owner, "edges", edges)
        return schema

    def _bind_roots(self, schema: GraphQLSchema) -> None:
        d = self.data
        query, mutation = schema.type_map["Query"], schema.type_map["Mutation"]
        assert isinstance(query, GraphQLObjectType) and isinstance(mutation, GraphQLObjectType)
        _set(query, "viewer", lambda *_: d.users[d.viewer_id])
        _set(query, "organization", lambda *_: organization(d))
        _set(query, "_dummy", lambda *_: "")  # a placeholder field of Linear's schema, with no meaning
        _set(query, "notificationsUnreadCount", lambda *_: 0)  # the sandbox sends no notifications
        _set(query, "issue", lambda _r, _i, id: d.issue(id))
        _set(query, "issues", self.issues)
        _set(query, "issueSearch", self.issue_search)
        _set(query, "issueVcsBranchSearch", self.branch_issue)
        _set(query, "issueFigmaFileKeySearch", lambda _r, _i, **a: nested([], a))  # no Figma links here
        _set(query, "attachment", self.attachment)
        _set(query, "attachmentIssue", self.attachment_issue)
        _set(query, "attachments", self.attachments)
        _set(query, "attachmentsForURL", self.attachments)
        _set(query, "comments", lambda _r, _i, **a: nested([], a))  # the sandbox keeps no comments
        _set(
            query, "comment", lambda _r, _i, id=None, hash=None: _raise(not_found("Comment", str(id or hash)))
        )
        _set(query, "archivedTeams", lambda *_: [t for t in d.teams.values() if t.get("archivedAt")])
        for name, table, type_name in (
            ("teams", "teams", "Team"),
            ("administrableTeams", "teams", "Team"),  # the API key's user administers every team
            ("projects", "projects", "Project"),
            ("cycles", "cycles", "Cycle"),
            ("customers", "customers", "Customer"),
            ("customerNeeds", "needs", "CustomerNeed"),
            ("users", "users", "User"),
            ("workflowStates", "states", "WorkflowState"),
            ("issueLabels", "labels", "IssueLabel"),
        ):
            _set(query, name, self.root_connection(table, type_name))
        for name, table, type_name, alternates in (
            ("team", "teams", "Team", ("key",)),
            ("project", "projects", "Project", ("slugId",)),
            ("cycle", "cycles", "Cycle", ()),
            ("customer", "customers", "Customer", ()),
            ("customerNeed", "needs", "CustomerNeed", ()),
            ("customerTier", "tiers", "CustomerTier", ()),
            ("user", "users", "User", ()),
            ("workflowState", "states", "WorkflowState", ()),
            ("issueLabel", "labels", "IssueLabel", ()),
            ("projectStatus", "statuses", "ProjectStatus", ()),
        ):
            _set(query, name, self.lookup(table, type_name, *alternates))
        _set(mutation, "issueUpdate", self.issue_update)
        _set(mutation, "attachmentCreate", self.attachment_create)
        _set(mutation, "attachmentDelete", self.attachment_delete)

    def _team_states(self, team: Entity, _info: Any, **args: Any) -> Entity:
        states = sorted(
            (s for s in self.data.states.values() if s["_team"] == team["id"]), key=lambda s: s["position"]
        )
        flt = args.get("filter")
        return nested([s for s in states if self.filters.match("WorkflowState", s, flt)], args)

    def _issue_fields(self) -> dict[str, Callable[..., Any]]:
        d, ref, matches = self.data, _ref, self.match
        return {
            "state": ref(d, "states", "_state"),
            "team": ref(d, "teams", "_team"),
            "project": ref(d, "projects", "_project"),
            "parent": ref(d, "issues", "_parent"),
            "cycle": ref(d, "cycles", "_cycle"),
            "assignee": ref(d, "users", "_assignee"),
            "creator": ref(d, "users", "_creator"),
            "priorityLabel": lambda e, _i: PRIORITY_LABELS[int(e["priority"])],
            "labels": lambda e, _i, **a: nested(
                [d.labels[x] for x in e["_labels"] if matches("IssueLabel")(d.labels[x], a.get("filter"))], a
            ),
            "attachments": lambda e, _i, **a: nested(
                [x for x in e["_attachments"] if matches("Attachment")(x, a.get("filter"))], a
            ),
            "needs": lambda e, _i, **a: nested(
                [d.needs[x] for x in e["_needs"] if matches("CustomerNeed")(d.needs[x], a.get("filter"))], a
            ),
            "history": lambda e, _i, **a: nested(e.get("_history", []), a),
            "labelIds": lambda e, _i: list(e["_labels"]),
            "previousIdentifiers": lambda e, _i: [],  # the sandbox never moves an issue between teams
            "branchName": lambda e, _i: branch_name(e),
            "children": lambda e, _i, **a: nested(
                [c for c in d.issues.values() if is_child(c, e, a) and matches("Issue")(c, a.get("filter"))],
                a,
            ),
            # the sandbox keeps no comments or subscriptions: empty, not an error
            "comments": lambda e, _i, **a: nested([], a),
            "subscribers": lambda e, _i, **a: nested([], a),
        }


def _raise(error: Exception) -> Any:
    raise error


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


def _bind_defaults(schema: GraphQLSchema) -> None:
    """Fields without a resolver and with a default in :data:`DEFAULTS` resolve to the stored value, else
    the default."""
    for type_name, defaults in DEFAULTS.items():
        owner = schema.type_map[type_name]
        assert isinstance(owner, GraphQLObjectType)
        for field, default in defaults.items():
            if owner.fields[field].resolve is None:
                _set(owner, field, _stored_or(field, default))


def _stored_or(field: str, default: Any) -> Callable[..., Any]:
    return lambda entity, _info: entity.get(field, default)


def _bind_type(schema: GraphQLSchema, type_name: str, resolvers: dict[str, Callable[..., Any]]) -> None:
    owner = schema.type_map[type_name]
    assert isinstance(owner, GraphQLObjectType)
    for field, resolver in resolvers.items():
        _set(owner, field, resolver)


def executable_schema(data: LinearData) -> GraphQLSchema:
    return Resolvers(data).bind(build_schema(sdl()))
