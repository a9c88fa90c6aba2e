"""Services are listed once, in ``connectors/registry.py``: a fifth service is one connector folder, one
emulator folder and one registry entry.

Everything outside the service folders that needs the list of services (the sandbox, the fixtures and the
contract suite, the benchmarks, the product) derives it. The check: no list, tuple, set or dict literal
outside the registry holds two service names or more and nothing else, and the sandbox finds its
emulators by folder.
"""

from __future__ import annotations

import ast
from pathlib import Path

from connectors.registry import SERVICES, service_types
from sandbox.registry import available, emulator_class, seeding_order

ROOT = Path(__file__).resolve().parents[2]
TYPES = set(service_types())
REGISTRY = ROOT / "connectors" / "registry.py"
# Service-specific code that lives outside a service folder on purpose: the raw fetchers the full-pull
# benchmark measures the pipeline against (a service without one is pulled without a floor to compare),
# and the link benchmark's keys and URLs in each tracker's own shape.
SERVICE_SPECIFIC = {ROOT / "benchmarks" / "floor.py", ROOT / "benchmarks" / "linking.py"}


def shared_code() -> list[Path]:
    """Product modules outside the service folders, the benchmarks, and the tests' shared setup
    (conftests and builders): the places a fifth service must not have to be added to."""
    paths = [ROOT / "cli.py"]
    for top in ("connectors", "sandbox", "sync", "rules", "benchmarks"):
        paths += [p for p in (ROOT / top).rglob("*.py") if p.relative_to(ROOT / top).parts[0] not in TYPES]
    tests = ROOT / "tests"
    paths += [p for p in tests.rglob("*.py") if p.name in ("conftest.py", "builders.py", "worlds.py")]
    return [p for p in paths if p != REGISTRY and p not in SERVICE_SPECIFIC]


def service_names(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Dict):
        elements = [k for k in node.keys if k is not None]
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        elements = list(node.elts)
    else:
        return set()
    texts = [e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    # A list of services holds service names only (the HTTP libraries' logger names "jira" and "github" sit
    # among others, and are not one).
    return set(texts) if texts and all(t in TYPES for t in texts) else set()


def lists_of_services(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = service_names(node)
        if len(names) >= 2:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} names {sorted(names)}")
    return found


def test_no_list_of_services_outside_the_registry() -> None:
    found = [entry for path in shared_code() for entry in lists_of_services(path)]
    assert found == []


def test_the_check_sees_the_shapes_a_copied_list_takes() -> None:
    for source in ('S = ("jira", "zendesk")', 'S = ["github", "linear"]', 'S = {"jira": 1, "linear": 2}'):
        assert any(len(service_names(node)) >= 2 for node in ast.walk(ast.parse(source))), source
    for source in ('S = ("jira", "rice")', 'S = ("jira", "linear", "httpx")'):
        assert not any(len(service_names(node)) >= 2 for node in ast.walk(ast.parse(source))), source


def test_every_service_has_a_connector_and_an_emulator_folder() -> None:
    for entry in SERVICES:
        assert (ROOT / "connectors" / entry.type / "__init__.py").exists(), entry.type
        assert entry.type in available(), entry.type
        assert emulator_class(entry.type).name == entry.type


def test_the_sandbox_seeds_an_emulator_after_those_it_points_at() -> None:
    order = seeding_order(sorted(available()))
    for service in order:
        for read in emulator_class(service).reads_references_of:
            assert order.index(read) < order.index(service), (service, read)
