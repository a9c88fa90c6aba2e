"""OpenAPI conformance: the descriptions, response/request validation with jsonschema, and examples.

OpenAPI 3.0 schemas are translated to JSON Schema 2020-12 (``nullable`` -> type union, boolean exclusive
bounds -> numbers) once per file; one registry holds the whole document so every local ``$ref`` resolves.
Part of the spec-conformance helpers; import them from ``tests.specs``.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012

from tests.specs_base import best_template, load_spec, spec_path

OPENAPI_FILES: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "github": {"subset": (("github", "rest-api.issues-subset.openapi.json"),)},
    "jira": {
        "subset": (("jira", "platform.subset.openapi.json"), ("jira", "software-agile.subset.openapi.json")),
        "platform": (("jira", "platform.subset.openapi.json"),),
        "agile": (("jira", "software-agile.subset.openapi.json"),),
        "full": (("jira", "platform-swagger-v3.v3.full.json"), ("jira", "software-agile.full.json")),
        "platform-full": (("jira", "platform-swagger-v3.v3.full.json"),),
        "agile-full": (("jira", "software-agile.full.json"),),
    },
    "zendesk": {
        "subset": (("zendesk", "support.subset.openapi.yaml"),),
        "full": (("zendesk", "support-oas.full.yaml"),),
    },
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def openapi_docs(service: str, which: str) -> list[tuple[Path, dict[str, Any]]]:
    """(file, parsed document) for each file of a description, skipping/failing when one is absent."""
    try:
        files = OPENAPI_FILES[service][which]
    except KeyError:
        choices = {s: sorted(w) for s, w in OPENAPI_FILES.items()}
        raise ValueError(f"no OpenAPI description {service!r}/{which!r}; known: {choices}") from None
    return [(path, load_spec(path)) for path in (spec_path(*parts) for parts in files)]


@functools.cache
def _merged(paths: tuple[Path, ...]) -> dict[str, Any]:
    """Several descriptions as one (paths and components; the first file wins a name clash)."""
    docs = [load_spec(p) for p in paths]
    merged: dict[str, Any] = {k: v for k, v in docs[0].items() if k not in ("paths", "components")}
    merged["paths"], merged["components"] = {}, {}
    for doc in docs:
        for template, item in doc.get("paths", {}).items():
            merged["paths"].setdefault(template, {}).update(
                {k: v for k, v in item.items() if k not in merged["paths"][template]}
            )
        for section, members in doc.get("components", {}).items():
            target = merged["components"].setdefault(section, {})
            target.update({k: v for k, v in members.items() if k not in target})
    return merged


def openapi(service: str, which: str = "subset") -> dict[str, Any]:
    """The OpenAPI document: github/zendesk "subset" or "full" (zendesk); jira "subset" (platform and
    agile merged; on a schema name clash platform wins, so validate through assert_response_matches,
    which uses the file that owns the path), "platform", "agile", "full", "platform-full", "agile-full"."""
    docs = openapi_docs(service, which)
    if len(docs) == 1:
        return docs[0][1]
    return _merged(tuple(path for path, _ in docs))


def deref(doc: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/components/...``) until a node that is not a reference."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        node = _pointer(doc, node["$ref"][1:])
    return node


def _pointer(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _translate(node: Any) -> Any:
    """OpenAPI 3.0 schema dialect -> JSON Schema 2020-12: ``nullable`` becomes a type union (or
    ``anyOf`` with null) and boolean ``exclusiveMinimum``/``exclusiveMaximum`` become numbers."""
    if isinstance(node, list):
        return [_translate(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _translate(v) for k, v in node.items()}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool) and out.pop(bound) and limit in out:
            out[bound] = out.pop(limit)
    if out.get("nullable") is True:
        del out["nullable"]
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif "type" not in out:
            return {"anyOf": [out, {"type": "null"}]}
    elif out.get("nullable") is False:
        del out["nullable"]
    return out


@functools.cache
def _registry(path: Path) -> tuple[str, referencing.Registry[Any]]:
    """A jsonschema registry holding the whole (translated) description, so local $refs resolve."""
    doc = load_spec(path)
    contents = _translate(doc) if str(doc.get("openapi", "3.0")).startswith("3.0") else doc
    uri = f"urn:rankbridge-spec:{path.parent.name}:{path.name}"
    resource: referencing.Resource[Any] = DRAFT202012.create_resource(contents)
    return uri, referencing.Registry().with_resource(uri, resource)


@dataclass(frozen=True)
class Operation:
    """One documented operation: the file it is in, its path template and method, and its object."""

    file: Path
    doc: dict[str, Any]
    template: str
    method: str  # lower case, as in the description
    path_item: dict[str, Any]
    operation: dict[str, Any]

    @property
    def pointer(self) -> str:
        """JSON pointer of the operation object inside its file."""
        return f"/paths/{_escape(self.template)}/{self.method}"

    def query_names(self) -> list[str]:
        """Names of the query parameters (path-level and operation-level, ``$ref``s resolved)."""
        params = [*self.path_item.get("parameters", []), *self.operation.get("parameters", [])]
        return sorted({p["name"] for p in (deref(self.doc, p) for p in params) if p.get("in") == "query"})


def operations(service: str, which: str = "subset") -> list[Operation]:
    """Every operation of the service's description(s), in file order."""
    return [
        Operation(file, doc, template, method, item, item[method])
        for file, doc in openapi_docs(service, which)
        for template, item in doc.get("paths", {}).items()
        for method in HTTP_METHODS
        if method in item
    ]


def find_operation(service: str, method: str, path: str, which: str = "subset") -> Operation:
    """The operation for a path template or a concrete path (most specific template; the Jira and
    Zendesk path aliases apply); AssertionError when the description has none."""
    by_file: dict[Path, dict[str, Operation]] = {}
    for op in operations(service, which):
        if op.method == method.lower():
            by_file.setdefault(op.file, {})[op.template] = op
    for ops in by_file.values():
        template = path if path in ops else best_template(service, ops, path)
        if template is not None:
            return ops[template]
    names = ", ".join(f"{'/'.join(parts)}" for parts in OPENAPI_FILES[service][which])
    raise AssertionError(f"no operation {method.upper()} {path} in the {service} description ({names})")


def _media_schema(pointer: str, holder: dict[str, Any]) -> str | None:
    """Pointer to the JSON media type's schema under a (dereferenced) response or request body."""
    content = holder.get("content") or {}
    media = next((m for m in content if m == "application/json"), None)
    media = media or next((m for m in content if "json" in m), None) or next(iter(content), None)
    if media is None or "schema" not in content[media]:
        return None
    return f"{pointer}/content/{_escape(media)}/schema"


def _follow(doc: dict[str, Any], pointer: str) -> tuple[str, dict[str, Any]]:
    """Dereference the node at ``pointer``, returning the pointer of the node finally reached."""
    node = _pointer(doc, pointer)
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        pointer = node["$ref"][1:]
        node = _pointer(doc, pointer)
    return pointer, node


def _validate(path: Path, schema_pointer: str, instance: Any, what: str) -> None:
    uri, registry = _registry(path)
    schema = {"$ref": f"{uri}#{quote(schema_pointer, safe='/~')}"}
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  - at {e.json_path}: {_shorten(e.message)}" for e in errors[:25]]
        more = f"\n  ... and {len(errors) - 25} more" if len(errors) > 25 else ""
        raise AssertionError(
            f"{what} does not match {path.name}#{schema_pointer} ({len(errors)} error(s)):\n"
            + "\n".join(lines)
            + more
        )


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def assert_response_matches(
    service: str, method: str, path_template: str, status: int, body: Any, which: str = "subset"
) -> None:
    """``body`` validates against the documented response schema for ``status`` (falling back to
    ``2XX``-style ranges and ``default``). ``path_template`` may also be a concrete path."""
    op = find_operation(service, method, path_template, which)
    responses = op.operation.get("responses", {})
    key = next((k for k in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default")
                if k in responses), None)  # fmt: skip
    what = f"{service} {method.upper()} {path_template} {status} response"
    if key is None:
        raise AssertionError(f"{what}: status not documented (documented: {sorted(responses)})")
    response_pointer, response = _follow(op.doc, f"{op.pointer}/responses/{_escape(key)}")
    if not response.get("content"):
        if body not in (None, b"", ""):
            raise AssertionError(f"{what}: the description documents no body, got {_shorten(repr(body))}")
        return
    schema_pointer = _media_schema(response_pointer, response)
    if schema_pointer is not None:  # a media type without a schema documents no shape to check
        _validate(op.file, schema_pointer, body, what)


def assert_schema_matches(service: str, schema: str, body: Any, what: str, which: str = "subset") -> None:
    """``body`` validates against the named component schema (``#/components/schemas/<schema>``) of the
    service's description: for an operation whose own entry the subset leaves out but whose schema it has
    (GitHub's ``GET /repos/{owner}/{repo}`` returns the ``repository`` schema)."""
    for path, doc in openapi_docs(service, which):
        if schema in doc.get("components", {}).get("schemas", {}):
            _validate(path, f"/components/schemas/{_escape(schema)}", body, what)
            return
    raise AssertionError(f"{service}/{which}: no component schema {schema!r}")


def assert_request_matches(
    service: str, method: str, path_template: str, body: Any, which: str = "subset"
) -> None:
    """``body`` validates against the documented request body schema of the operation."""
    op = find_operation(service, method, path_template, which)
    what = f"{service} {method.upper()} {path_template} request body"
    if "requestBody" not in op.operation:
        raise AssertionError(f"{what}: the operation documents no request body")
    body_pointer, request_body = _follow(op.doc, f"{op.pointer}/requestBody")
    schema_pointer = _media_schema(body_pointer, request_body)
    if schema_pointer is not None:
        _validate(op.file, schema_pointer, body, what)


def _inline_examples(doc: dict[str, Any], node: Any, name: str) -> Iterator[Any]:
    """Example objects keyed ``name`` in any ``examples`` map under ``node``."""
    if isinstance(node, dict):
        examples = node.get("examples")
        if isinstance(examples, dict) and isinstance(examples.get(name), dict):
            yield examples[name]
        for value in node.values():
            yield from _inline_examples(doc, value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _inline_examples(doc, value, name)


def _examples_in(doc: dict[str, Any], name: str) -> list[Any]:
    found: list[Any] = []
    component = doc.get("components", {}).get("examples", {}).get(name)
    candidates = ([component] if component is not None else []) + list(
        _inline_examples(doc, doc.get("paths", {}), name)
    )
    for example in candidates:
        resolved = deref(doc, example)
        is_example = isinstance(resolved, dict) and "value" in resolved
        if is_example and not any(resolved["value"] is f for f in found):
            found.append(resolved["value"])
    return found


def spec_examples(service: str, name: str) -> list[Any]:
    """Deep copies of the values of the example called ``name`` (components/examples and inline
    ``examples`` maps under paths); the subset first, the full description when the subset lacks it.
    Raises AssertionError when there is none, so a test cannot pass on no data."""
    for which in ("subset", "full"):
        if which not in OPENAPI_FILES.get(service, {}):
            continue
        found = [v for _, doc in openapi_docs(service, which) for v in _examples_in(doc, name)]
        if found:
            return copy.deepcopy(found)
    raise AssertionError(f"no example named {name!r} in the {service} API description")
