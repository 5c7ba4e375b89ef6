"""The layering rules of docs/architecture.md, checked on the source so that a change that breaks
them fails here rather than in a reviewer's head.

Each rule names the offending module and line, so the failure says what to move.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "atlas_coord"
MAX_MODULE_LINES = 600


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, *, top_level_only: bool) -> list[tuple[str, int]]:
    """``(imported module, line)`` for every import in module ``name``.

    ``top_level_only`` keeps the imports that run when the module is imported (module body, not
    functions and not ``if TYPE_CHECKING:`` blocks): those are the ones that can form a cycle.
    """
    tree = ast.parse(MODULES[name].read_text())
    nodes = []
    if top_level_only:
        pending = list(tree.body)
        while pending:
            node = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue  # runs when called, not when imported
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                nodes.append(node)
            pending.extend(ast.iter_child_nodes(node))
    else:
        # Type-only imports (``if TYPE_CHECKING:``) are annotations, not dependencies at run time.
        pending = list(tree.body)
        while pending:
            node = pending.pop()
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                nodes.append(node)
            pending.extend(ast.iter_child_nodes(node))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
            continue
        target = _resolve(name, node)
        found.append((target, node.lineno))
        # ``from atlas_coord.services import audit`` imports the submodule audit.
        found.extend((f"{target}.{alias.name}", node.lineno) for alias in node.names
                     if f"{target}.{alias.name}" in MODULES)
    return found


def _in_layer(name: str, layer: str) -> bool:
    return name == layer or name.startswith(layer + ".")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_600_lines(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{MODULES[name]} has {lines} lines; split it by reason to change"


def test_services_do_not_load_each_other_dynamically():
    offenders = [f"{path}:{n}" for name, path in MODULES.items() if _in_layer(name, "atlas_coord.services")
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if "import_module" in line or "__import__" in line or "importlib" in line
                 and "from importlib import resources" not in line]
    assert not offenders, f"dynamic imports in services: {offenders}"


def test_domain_defines_no_serialisers():
    offenders = [f"{path}:{node.lineno}" for name, path in MODULES.items() if _in_layer(name, "atlas_coord.domain")
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.FunctionDef) and node.name == "to_dict"]
    assert not offenders, f"domain values are serialised at the edge (atlas_coord/serializers): {offenders}"


FORBIDDEN = {
    "atlas_coord.domain": ("flask", "flask_socketio", "sqlalchemy", "atlas_coord.models", "atlas_coord.services",
                           "atlas_coord.api", "atlas_coord.realtime", "atlas_coord.serializers"),
    "atlas_coord.models": ("atlas_coord.services", "atlas_coord.api", "atlas_coord.realtime"),
    "atlas_coord.services": ("atlas_coord.api", "atlas_coord.realtime", "atlas_coord.schemas",
                             "atlas_coord.schemas_requests", "atlas_coord.schemas_trainings", "flask"),
    "atlas_coord.serializers": ("atlas_coord.services", "atlas_coord.api", "atlas_coord.realtime", "flask"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_downwards(layer):
    offenders = []
    for name in MODULES:
        if not _in_layer(name, layer):
            continue
        for target, line in _imports(name, top_level_only=False):
            if any(_in_layer(target, banned) for banned in FORBIDDEN[layer]):
                offenders.append(f"{MODULES[name]}:{line} imports {target}")
    assert not offenders, "\n".join(offenders)


def test_services_import_each_other_at_the_top_only():
    """A function-local import between services hides a dependency (and usually a cycle)."""
    offenders = []
    for name, path in MODULES.items():
        if not _in_layer(name, "atlas_coord.services"):
            continue
        top = {line for _, line in _imports(name, top_level_only=True)}
        for target, line in _imports(name, top_level_only=False):
            if line not in top and _in_layer(target, "atlas_coord.services"):
                offenders.append(f"{path}:{line} imports {target} inside a function")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycles_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for name in MODULES:
        for target, _ in _imports(name, top_level_only=True):
            # A package's __init__ importing its own submodules is how packages are assembled.
            if target in MODULES and target != name and not target.startswith(name + "."):
                graph[name].add(target)
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for name in sorted(MODULES):
        if name not in state:
            visit(name)
    # A package whose __init__ re-exports a submodule that imports the package back is not a cycle
    # Python minds, but it is one a reader minds: report every cycle.
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
