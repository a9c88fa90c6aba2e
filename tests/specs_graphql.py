"""GraphQL conformance: the official schemas, document validation and our-schema-is-a-subset checks.

Part of the spec-conformance helpers; import them from ``tests.specs``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    parse,
    print_ast,
    validate,
)
from graphql.language import (
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)
from graphql.type import introspection_types, specified_scalar_types

from tests.specs_base import spec_path

GRAPHQL_FILES = {"github": ("github", "graphql-schema.dedup.graphql"), "linear": ("linear", "schema.graphql")}


@functools.cache
def _build_schema(path: Path) -> GraphQLSchema:
    # assume_valid: graphql-core 3.3 rejects GitHub's schema for an upstream deprecation quirk (see README)
    return build_schema(path.read_text(encoding="utf-8"), assume_valid=True)


def graphql_schema(service: str) -> GraphQLSchema:
    """The official GraphQL schema of "github" or "linear", built once per process."""
    if service not in GRAPHQL_FILES:
        raise ValueError(f"no official GraphQL schema for {service!r}; known: {sorted(GRAPHQL_FILES)}")
    return _build_schema(spec_path(*GRAPHQL_FILES[service]))


def _format_error(error: GraphQLError) -> str:
    where = ", ".join(f"{loc.line}:{loc.column}" for loc in error.locations or [])
    return f"  - {error.message}" + (f" (at {where})" if where else "")


def assert_valid_document(service: str, document: str) -> None:
    """The GraphQL document parses and validates against the official schema."""
    schema = graphql_schema(service)
    try:
        ast = parse(document)
    except GraphQLError as exc:
        raise AssertionError(f"GraphQL document does not parse:\n{_format_error(exc)}") from None
    errors = validate(schema, ast)
    if errors:
        raise AssertionError(
            f"GraphQL document is not valid against the official {service} schema "
            f"({len(errors)} error(s)):\n" + "\n".join(_format_error(e) for e in errors)
        )


# A type reduced to what assert_schema_subset compares: "kind"; "fields" {name: (type, {arg: type})};
# "inputs" {name: type}; "values", "members", "interfaces" as sets of names. Types print as ``[Issue!]!``.
TypeShape = dict[str, Any]
_BUILTIN = set(specified_scalar_types) | set(introspection_types)
_AST_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object", ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface", InterfaceTypeExtensionNode: "interface",
    InputObjectTypeDefinitionNode: "input", InputObjectTypeExtensionNode: "input",
    EnumTypeDefinitionNode: "enum", EnumTypeExtensionNode: "enum",
    ScalarTypeDefinitionNode: "scalar", ScalarTypeExtensionNode: "scalar",
    UnionTypeDefinitionNode: "union", UnionTypeExtensionNode: "union",
}  # fmt: skip


def _new_shape(kind: str) -> TypeShape:
    return {"kind": kind, "fields": {}, "inputs": {}, "values": set(), "members": set(), "interfaces": set()}


def _shapes_from_sdl(document: DocumentNode) -> dict[str, TypeShape]:
    shapes: dict[str, TypeShape] = {}
    for node in document.definitions:
        kind = _AST_KINDS.get(type(node))
        if kind is None:
            continue  # schema definitions and directives are not compared
        shape = shapes.setdefault(node.name.value, _new_shape(kind))  # type: ignore[attr-defined]
        for f in getattr(node, "fields", None) or ():
            if kind == "input":
                shape["inputs"][f.name.value] = print_ast(f.type)
            else:
                args = {a.name.value: print_ast(a.type) for a in f.arguments or ()}
                shape["fields"][f.name.value] = (print_ast(f.type), args)
        shape["values"] |= {v.name.value for v in getattr(node, "values", None) or ()}
        shape["members"] |= {t.name.value for t in getattr(node, "types", None) or ()}
        shape["interfaces"] |= {t.name.value for t in getattr(node, "interfaces", None) or ()}
    return {name: shape for name, shape in shapes.items() if name not in _BUILTIN}


def _shape_of(named: GraphQLNamedType) -> TypeShape:
    kinds = [
        (GraphQLObjectType, "object"), (GraphQLInterfaceType, "interface"), (GraphQLInputObjectType, "input"),
        (GraphQLEnumType, "enum"), (GraphQLScalarType, "scalar"), (GraphQLUnionType, "union"),
    ]  # fmt: skip
    shape = _new_shape(next(kind for cls, kind in kinds if isinstance(named, cls)))
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        for name, f in named.fields.items():
            shape["fields"][name] = (str(f.type), {a: str(arg.type) for a, arg in f.args.items()})
        shape["interfaces"] = {i.name for i in named.interfaces}
    elif isinstance(named, GraphQLInputObjectType):
        shape["inputs"] = {name: str(f.type) for name, f in named.fields.items()}
    elif isinstance(named, GraphQLEnumType):
        shape["values"] = set(named.values)
    elif isinstance(named, GraphQLUnionType):
        shape["members"] = {t.name for t in named.types}
    return shape


def _shapes_from_schema(schema: GraphQLSchema) -> dict[str, TypeShape]:
    return {n: _shape_of(t) for n, t in schema.type_map.items() if n not in _BUILTIN}


def _official_type(schema: GraphQLSchema, name: str) -> GraphQLNamedType | None:
    roots = {
        "Query": schema.query_type,
        "Mutation": schema.mutation_type,
        "Subscription": schema.subscription_type,
    }
    return schema.type_map.get(name) or roots.get(name)


def _shape_differences(name: str, ours: TypeShape, theirs: TypeShape) -> Iterator[str]:
    if ours["kind"] != theirs["kind"]:
        yield f"{name}: we declare kind {ours['kind']}, the official schema has kind {theirs['kind']}"
        return
    for field, (type_, args) in ours["fields"].items():
        if field not in theirs["fields"]:
            yield f"{name}.{field}: no such field"
            continue
        their_type, their_args = theirs["fields"][field]
        if type_ != their_type:
            yield f"{name}.{field}: type {type_}, official {their_type}"
        for arg, arg_type in args.items():
            if arg not in their_args:
                yield f"{name}.{field}({arg}:): no such argument"
            elif arg_type != their_args[arg]:
                yield f"{name}.{field}({arg}:): type {arg_type}, official {their_args[arg]}"
    for field, type_ in ours["inputs"].items():
        if field not in theirs["inputs"]:
            yield f"{name}.{field}: no such input field"
        elif type_ != theirs["inputs"][field]:
            yield f"{name}.{field}: input type {type_}, official {theirs['inputs'][field]}"
    for key, label in (("values", "enum value"), ("members", "union member"), ("interfaces", "interface")):
        for missing in sorted(ours[key] - theirs[key]):
            yield f"{name}: {label} {missing} not in the official schema"


def assert_schema_subset(ours: str | GraphQLSchema, service: str) -> None:
    """Every type, field, argument, input field, enum value, union member and interface we declare
    (SDL text, which may leave referenced types undeclared, or a built schema) exists in the official
    schema with the same kind and the same printed type (e.g. ``[Issue!]!``)."""
    official = graphql_schema(service)
    if isinstance(ours, str):
        try:
            shapes = _shapes_from_sdl(parse(ours))
        except GraphQLError as exc:
            raise AssertionError(f"our SDL does not parse:\n{_format_error(exc)}") from None
    else:
        shapes = _shapes_from_schema(ours)
    differences: list[str] = []
    for name, shape in sorted(shapes.items()):
        theirs = _official_type(official, name)
        if theirs is None:
            differences.append(f"{name}: no such type")
        else:
            differences.extend(_shape_differences(name, shape, _shape_of(theirs)))
    if differences:
        raise AssertionError(
            f"our schema is not a subset of the official {service} schema "
            f"({len(differences)} difference(s)):\n" + "\n".join(f"  - {d}" for d in differences)
        )
