"""Query complexity as Linear counts it (developers.linear.app "Rate limiting", complexity): 0.1 per property,
1 per object, and a connection multiplies its children by ``first`` (or ``last``; 50 when neither is given).
"""

from __future__ import annotations

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
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.language import DocumentNode

from sandbox.linear.paging import DEFAULT_PAGE


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
                sizes = {
                    a.name.value: value_from_ast_untyped(a.value, variables)
                    for a in node.arguments or ()
                    if a.name.value in ("first", "last")
                }
                size = sizes.get("first") or sizes.get("last")
                inner *= float(size) if size is not None else DEFAULT_PAGE
            total += inner
    return total
