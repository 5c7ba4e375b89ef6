"""The console's ES modules (static/js): no import cycle, and no module over 400 lines.

An import cycle makes the evaluation order depend on which module a browser happens to load
first (a module may see another's bindings before they are set); a long module is a closure
nobody can review. Both are read from the source, no browser needed.
"""

from __future__ import annotations

import re
from pathlib import Path

JS = Path(__file__).resolve().parents[1] / "static" / "js"
MAX_LINES = 400
# Over the limit before the limit was set: they may shrink, not grow (split them when touched).
KNOWN_LONG = {"basemap.js": 477, "view-map.js": 404}

# `import x from "./a.js"`, `import { x } from "../a.js"`, `export { x } from "./a.js"`,
# `import "./a.js"`, and dynamic `import("./a.js")`; only relative specifiers name our modules.
STATIC = re.compile(r"""^\s*(?:import|export)\b[^;'"]*?(?:\bfrom\s*)?["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)
DYNAMIC = re.compile(r"""\bimport\(\s*["'](\.{1,2}/[^"']+)["']\s*\)""")


def modules() -> list[Path]:
    return sorted(JS.rglob("*.js"))


def imports(path: Path, *, dynamic: bool) -> set[Path]:
    text = path.read_text()
    found = set(STATIC.findall(text))
    if dynamic:
        found |= set(DYNAMIC.findall(text))
    return {(path.parent / spec).resolve() for spec in found}


def find_cycle(graph: dict[Path, set[Path]]) -> list[Path] | None:
    """One cycle of the graph (its modules, the first repeated at the end), or None."""
    state: dict[Path, int] = {}  # 1: on the current path, 2: done
    stack: list[Path] = []

    def visit(node: Path) -> list[Path] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def graph(*, dynamic: bool) -> dict[Path, set[Path]]:
    return {path.resolve(): imports(path, dynamic=dynamic) for path in modules()}


def names(cycle: list[Path]) -> str:
    return " -> ".join(str(p.relative_to(JS)) for p in cycle)


def test_the_module_scan_sees_the_imports():
    g = graph(dynamic=True)
    app = (JS / "app.js").resolve()
    assert (JS / "view-request.js").resolve() in g[app]  # a dynamic import (the router)
    assert (JS / "live.js").resolve() in g[app]  # a static one
    request = (JS / "view-request.js").resolve()
    assert (JS / "request" / "overview.js").resolve() in g[request]


def test_every_import_names_an_existing_module():
    missing = [f"{path.relative_to(JS)} -> {target}" for path, targets in graph(dynamic=True).items() for target in targets if not target.is_file()]
    assert missing == []


def test_no_static_import_cycle():
    cycle = find_cycle(graph(dynamic=False))
    assert cycle is None, f"import cycle: {names(cycle)}"


def test_no_cycle_through_dynamic_imports_either():
    """The router loads the views with import(): a view importing the entry back is a cycle too."""
    cycle = find_cycle(graph(dynamic=True))
    assert cycle is None, f"import cycle: {names(cycle)}"


def test_the_cycle_finder_finds_one():
    a, b, c = Path("/a.js"), Path("/b.js"), Path("/c.js")
    assert find_cycle({a: {b}, b: {c}, c: {a}}) == [a, b, c, a]
    assert find_cycle({a: {b}, b: {c}, c: set()}) is None


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(JS)): len(p.read_text().splitlines()) for p in modules()}
    long = {name: n for name, n in sizes.items() if n > KNOWN_LONG.get(name, MAX_LINES)}
    assert long == {}, f"split these modules (over {MAX_LINES} lines): {long}"


def test_the_console_orders_the_markings_as_the_domain_does():
    """marking.js ranks markings to mark a list with its highest one; its order is Marking's."""
    import json

    from atlas_coord.domain.choices import Marking

    found = re.search(r"export const MARKINGS = (\[[^\]]*\]);", (JS / "marking.js").read_text(encoding="utf-8"))
    assert found is not None
    assert json.loads(found.group(1)) == list(Marking.codes())
