"""The layering rules, read from the imports of every product module (function-level imports included).

* ``connectors/`` and ``rules/`` import nothing from ``sync/`` but the normalised model (and the error root
  the rules' errors derive from); connectors never import the rules and the rules never import connectors.
* ``sandbox/`` imports no product code: the emulators are a second reading of the documentation, not of
  our code.
* ``sync/presentation/`` (what people see) is imported only by ``cli.py`` and by its own modules.
* The sandbox is started only from the edges: ``rankbridge sandbox serve`` and the demo, both presentation,
  reach the emulators through ``sandbox.launcher``; the pipeline never imports it.
* Nothing in the product imports ``cli``, ``tests`` or ``benchmarks``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("connectors", "sync", "rules", "sandbox")
MODEL = {"sync.model", "sync.errors"}  # the records everyone shares, and the error root
PRESENTATION = "sync.presentation"
SANDBOX_USERS = {"cli", "sync.presentation.demo", "sync.presentation.sandbox_command"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules() -> dict[str, Path]:
    modules = {"cli": ROOT / "cli.py"}
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imports_of(path: Path, package: str) -> Iterator[str]:
    """Every module ``path`` imports; ``from pkg import sub`` is ``pkg.sub`` when ``sub`` is a module."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if is_module(candidate) else base


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def graph() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, path in product_modules().items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        out[name] = set(imports_of(path, package))
    return out


IMPORTS = graph()


def violations(importer_prefix: str, rule: str) -> list[str]:
    found = []
    for module, imported in sorted(IMPORTS.items()):
        if not within(module, importer_prefix):
            continue
        for target in sorted(imported):
            if broken(rule, module, target):
                found.append(f"{module} imports {target}")
    return found


def broken(rule: str, module: str, target: str) -> bool:
    if rule == "model only":
        return within(target, "sync") and target not in MODEL
    if rule == "no rules":
        return within(target, "rules")
    if rule == "no connectors":
        return within(target, "connectors")
    if rule == "no product":
        return any(within(target, top) for top in ("connectors", "sync", "rules", "cli", "benchmarks"))
    raise AssertionError(rule)


@pytest.mark.parametrize(
    ("importer", "rule"),
    [
        ("connectors", "model only"),
        ("rules", "model only"),
        ("connectors", "no rules"),
        ("rules", "no connectors"),
        ("sandbox", "no product"),
    ],
)
def test_layer_imports(importer: str, rule: str) -> None:
    assert violations(importer, rule) == []


def test_only_the_cli_imports_presentation() -> None:
    outside = [
        f"{module} imports {target}"
        for module, imported in sorted(IMPORTS.items())
        for target in sorted(imported)
        if within(target, PRESENTATION) and module != "cli" and not within(module, PRESENTATION)
    ]
    assert outside == []


def test_only_the_edges_start_the_sandbox() -> None:
    users = {
        module
        for module, imported in IMPORTS.items()
        if not within(module, "sandbox") and any(within(t, "sandbox") for t in imported)
    }
    assert users <= SANDBOX_USERS, sorted(users - SANDBOX_USERS)


def test_nothing_in_the_product_imports_cli_tests_or_benchmarks() -> None:
    found = [
        f"{module} imports {target}"
        for module, imported in sorted(IMPORTS.items())
        for target in sorted(imported)
        if any(within(target, top) for top in ("cli", "tests", "benchmarks")) and module != "cli"
    ]
    assert found == []


def test_the_reader_sees_the_imports_the_rules_are_about() -> None:
    """The rules above would pass vacuously if the reader missed imports; these are known to exist."""
    assert "sync.presentation.commands.admin" in IMPORTS["cli"]  # ``from sync.presentation.commands import``
    assert "sync.presentation.views" in IMPORTS["sync.presentation.commands.pipeline"]  # inside a function
    assert "sync.model" in IMPORTS["connectors.base"]
    assert "sandbox.launcher" in IMPORTS["sync.presentation.demo"]
    assert any(within(t, "sync.daemon") for t in IMPORTS["sync.presentation.commands.admin"])
    assert broken("model only", "connectors.base", "sync.store")
    assert broken("no product", "sandbox.launcher", "sync.config")
