"""The Linear emulator's schema is the official one over the types it serves (shared/apispecs/linear/
schema.graphql): every official field, argument, input field and enum value whose type the sandbox declares
is declared with the same type, so a query valid against the official schema that stays within those types
validates against the sandbox; and a query asking for every such field runs with no error (fields without
data null, non-null ones with a real or default value)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_leaf_type,
    is_required_argument,
)

from sandbox.linear import LinearEmulator
from sandbox.linear.not_emulated import names as not_emulated_names
from sandbox.linear.resolvers import sdl
from tests.linear.graphql_client import post as _post
from tests.specs import assert_schema_subset, assert_valid_document, graphql_schema

# Mutation inputs declare only the fields the emulator writes: a write it does not perform fails validation
# instead of being accepted and silently dropped.
WRITES_ONLY = {"IssueUpdateInput", "AttachmentCreateInput"}


def ours() -> GraphQLSchema:
    return build_schema(sdl())


def _official(official: GraphQLSchema, name: str) -> Any:
    roots = {"Query": official.query_type, "Mutation": official.mutation_type}
    return roots.get(name) or official.type_map[name]


def _expressible(schema: GraphQLSchema, type_: Any) -> bool:
    return get_named_type(type_).name in schema.type_map


def _missing(schema: GraphQLSchema, official: GraphQLSchema) -> list[str]:
    problems: list[str] = []
    for name, mine in schema.type_map.items():
        if name.startswith("__") or name in WRITES_ONLY:
            continue
        theirs = _official(official, name)
        if isinstance(mine, GraphQLEnumType):
            problems += [f"{name}: enum value {v}" for v in set(theirs.values) - set(mine.values)]
        if not isinstance(mine, GraphQLObjectType | GraphQLInputObjectType):
            continue
        for field_name, field in theirs.fields.items():
            if name == "Mutation" and field_name not in mine.fields:
                continue  # writes the sandbox does not perform are not declared (see the README)
            if not _expressible(schema, field.type):
                continue
            if field_name not in mine.fields:
                problems.append(f"{name}.{field_name}: {field.type} not declared")
                continue
            if str(mine.fields[field_name].type) != str(field.type):
                problems.append(f"{name}.{field_name}: {mine.fields[field_name].type}, official {field.type}")
            for arg, spec in getattr(field, "args", {}).items():
                if _expressible(schema, spec.type) and arg not in mine.fields[field_name].args:
                    problems.append(f"{name}.{field_name}({arg}: {spec.type}) not declared")
    return problems


def test_every_official_field_of_a_served_type_is_declared() -> None:
    schema = ours()
    assert "Organization" in schema.type_map and "IssueEdge" in schema.type_map
    assert _missing(schema, graphql_schema("linear")) == []


def test_the_schema_is_a_subset_of_the_official_one() -> None:
    assert_schema_subset(sdl(), "linear")


def test_a_narrower_schema_would_be_caught() -> None:
    """The breadth check finds a field dropped from a served type (so it cannot pass vacuously)."""
    narrowed = sdl().replace("  boardOrder: Float!\n", "", 1)
    assert "boardOrder" not in build_schema(narrowed).type_map["Issue"].fields  # type: ignore[union-attr]
    missing = _missing(build_schema(narrowed), graphql_schema("linear"))
    assert missing == ["Issue.boardOrder: Float! not declared"]


# --- a query of every field ---------------------------------------------------------------------------------
def _selection(schema: GraphQLSchema, owner: GraphQLObjectType, depth: int) -> str:
    """Every field of ``owner`` without a required argument: leaves, objects (to ``depth``) and
    connections (two nodes, their edges and page info)."""
    parts: list[str] = []
    for name, field in owner.fields.items():
        if any(is_required_argument(a) for a in field.args.values()):
            continue
        target = get_named_type(field.type)
        if is_leaf_type(target):
            parts.append(name)
        elif depth > 0 and isinstance(target, GraphQLObjectType):
            if target.name.endswith("Connection"):
                node = get_named_type(target.fields["nodes"].type)
                assert isinstance(node, GraphQLObjectType)
                inner = _selection(schema, node, 0)
                parts.append(
                    f"{name}(first: 2) {{ nodes {{ {inner} }} edges {{ cursor node {{ id }} }} "
                    "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }"
                )
            else:
                parts.append(f"{name} {{ {_selection(schema, target, depth - 1)} }}")
    return " ".join(parts)


ROOT_LISTS = (
    "issues",
    "teams",
    "projects",
    "cycles",
    "customers",
    "customerNeeds",
    "users",
    "workflowStates",
    "issueLabels",
)


def test_every_served_field_resolves_on_every_root_list(emulator: LinearEmulator) -> None:
    schema = ours()
    for root in ROOT_LISTS:
        query_type = schema.query_type
        assert query_type is not None
        node = get_named_type(get_named_type(query_type.fields[root].type).fields["nodes"].type)  # type: ignore[union-attr]
        assert isinstance(node, GraphQLObjectType)
        fields = _selection(schema, node, 1)
        query = f"query All {{ {root}(first: 3, includeArchived: true) {{ nodes {{ {fields} }} }} }}"
        assert_valid_document("linear", query)
        nodes = _post(emulator, query)[root]["nodes"]
        assert nodes, root
    single = f"query Org {{ organization {{ {_selection(schema, schema.type_map['Organization'], 1)} }} }}"  # type: ignore[arg-type]
    assert_valid_document("linear", single)
    org = _post(emulator, single)["organization"]
    assert org["urlKey"] == emulator.data.workspace and org["userCount"] == len(emulator.data.users)


# --- what is left out answers 501 ---------------------------------------------------------------------------
def _left_out(schema: GraphQLSchema, official: GraphQLSchema) -> set[str]:
    names: set[str] = set()
    for name, mine in schema.type_map.items():
        if name.startswith("__") or not isinstance(mine, GraphQLObjectType | GraphQLInputObjectType):
            continue
        for field_name, field in _official(official, name).fields.items():
            if field_name not in mine.fields:
                names.add(f"{name}.{field_name}")
            elif isinstance(mine, GraphQLObjectType):
                names |= {
                    f"{name}.{field_name}({a}:)" for a in field.args if a not in mine.fields[field_name].args
                }
    return names


def test_the_not_emulated_list_names_exactly_what_the_official_types_have_beyond_ours() -> None:
    assert not_emulated_names() == _left_out(ours(), graphql_schema("linear"))


@pytest.mark.parametrize(
    ("query", "variables", "name"),
    [
        (
            'mutation { issueCreate(input: {teamId: "t", title: "x"}) { success } }',
            {},
            "Mutation.issueCreate",
        ),
        ("{ projects { nodes { initiatives { nodes { id } } } } }", {}, "Project.initiatives"),
        ("{ issues(sort: []) { nodes { id } } }", {}, "Query.issues(sort:)"),
        (
            "query Q($f: IssueFilter) { issues(filter: $f) { nodes { id } } }",
            {"f": {"searchableContent": {"contains": "login"}}},
            "IssueFilter.searchableContent",
        ),
    ],
)
def test_what_the_sandbox_leaves_out_answers_501_naming_it(
    emulator: LinearEmulator, query: str, variables: dict[str, Any], name: str
) -> None:
    assert_valid_document("linear", query)  # a valid query of Linear's API
    response = httpx.post(
        f"{emulator.base_url}/graphql",
        headers={"Authorization": emulator.token},
        json={"query": query, "variables": variables},
    )
    assert response.status_code == 501, response.text
    error = response.json()["errors"][0]
    assert error["message"] == f"{name} is not emulated by the rankbridge sandbox"
    assert error["extensions"]["code"] == "NOT_EMULATED"


def test_a_typo_stays_a_validation_error(emulator: LinearEmulator) -> None:
    for query, variables in (
        ("{ issues { nodes { titel } } }", {}),
        ("query Q($f: IssueFilter) { issues(filter: $f) { nodes { id } } }", {"f": {"titel": {"eq": "x"}}}),
    ):
        response = httpx.post(
            f"{emulator.base_url}/graphql",
            headers={"Authorization": emulator.token},
            json={"query": query, "variables": variables},
        )
        assert response.status_code == 400, response.text
        assert "titel" in response.json()["errors"][0]["message"]
