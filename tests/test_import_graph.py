"""The project's packages depend on each other one way:
reference ← classifiers ← industry_gap (domain) ← assets ← pipelines (jobs, runner, CLI).

Every import counts, including the ones inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["reference", "classifiers", "industry_gap", "assets", "pipelines"]  # lower first


def imported_modules(path: Path, module: str) -> set[str]:
    """Absolute names of the modules `path` imports (relative imports resolved against `module`)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                names.add(node.module)
    return names


def package_graph() -> dict[str, dict[str, set[str]]]:
    """package -> imported package -> the module-level edges that make the dependency."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for name in imported_modules(path, module):
                target = name.split(".")[0]
                if target in LAYERS and target != package:
                    graph[package][target].add(f"{module} → {name}")
    return graph


def find_cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, {}):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in LAYERS:
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_packages():
    graph = package_graph()
    cycle = find_cycle(graph)
    if cycle:
        edges = [sorted(graph[a][b])[:3] for a, b in zip(cycle, cycle[1:])]
        raise AssertionError(f"import cycle {' → '.join(cycle)}: {edges}")


def test_packages_import_only_lower_layers():
    graph = package_graph()
    upward = [
        edge
        for package, targets in graph.items()
        for target, edges in targets.items()
        if LAYERS.index(target) > LAYERS.index(package)
        for edge in sorted(edges)
    ]
    assert not upward, f"a lower layer imports a higher one: {upward}"


def test_the_checker_sees_a_cycle():
    graph = {"assets": {"pipelines": {"a → p"}}, "pipelines": {"assets": {"p → a"}}}
    assert find_cycle(graph) in (["assets", "pipelines", "assets"], ["pipelines", "assets", "pipelines"])
    assert find_cycle({"assets": {"industry_gap": {"x"}}}) is None


def test_relative_imports_are_resolved(tmp_path):
    init = tmp_path / "__init__.py"
    init.write_text("from .sub import x\nfrom ..other import y\n", encoding="utf-8")
    assert imported_modules(init, "pkg.inner") == {"pkg.inner.sub", "pkg.other"}
