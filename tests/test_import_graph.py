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


# -- files ----------------------------------------------------------------------------------------


def module_files() -> dict[str, Path]:
    """Every module of the project's packages by its dotted name (a package by its __init__)."""
    modules: dict[str, Path] = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return modules


def imported_project_modules(path: Path, module: str, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports: `from a.b import c` names module a.b.c when that is a file, else a.b."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
            base = base if node.level else (node.module or "")
            for alias in node.names:
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {name for name in names if name in modules and name != module}


def file_graph() -> dict[str, dict[str, set[str]]]:
    """module -> imported module -> the edge, in the shape `find_cycle` reads."""
    modules = module_files()
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for module, path in modules.items():
        for target in imported_project_modules(path, module, modules):
            graph[module][target].add(f"{module} → {target}")
    return graph


def find_any_cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    """A cycle among the graph's nodes, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph.get(start, {})))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, {}))))
    return None


# Cycles older than this test, each inside one package, for their owners to take out (then delete the entry):
# reading's lazy import of the dataset list, and the classifier package's re-exports (issue 25, item 4).
KNOWN_CYCLES = [("industry_gap.ingest.reading", "industry_gap.ingest.datasets"), ("classifiers",)]


def is_known(cycle: list[str]) -> bool:
    """Every module of `cycle` is one of an entry's modules or inside one of its packages."""
    return any(
        all(any(module == name or module.startswith(name + ".") for name in known) for module in cycle)
        for known in KNOWN_CYCLES
    )


def test_no_import_cycle_between_files():
    """Not even through a lazy import inside a function (runner ↔ definitions ↔ city was one)."""
    graph = file_graph()
    for _ in range(100):  # each known cycle found is cut at its first edge, then the search goes on
        cycle = find_any_cycle(graph)
        if cycle is None:
            return
        assert is_known(cycle), f"import cycle between files: {' → '.join(cycle)}"
        del graph[cycle[0]][cycle[1]]
    raise AssertionError("too many known cycles")


def test_the_file_checker_sees_a_cycle(tmp_path):
    graph = {"a": {"b": {"a → b"}}, "b": {"c": {"b → c"}}, "c": {"a": {"c → a"}}}
    assert find_any_cycle(graph) == ["a", "b", "c", "a"]
    assert find_any_cycle({"a": {"b": {"a → b"}}, "b": {}}) is None
    init = tmp_path / "__init__.py"
    init.write_text("from .sub import x\nfrom pkg import inner\n", encoding="utf-8")
    modules = {"pkg": init, "pkg.inner": init, "pkg.inner.sub": init}
    assert imported_project_modules(init, "pkg.inner", modules) == {"pkg.inner.sub"}
    assert not is_known(["pipelines.city", "pipelines.runner", "pipelines.definitions", "pipelines.city"])


def test_no_classifier_module_above_600_lines():
    """The classifier package stays readable module by module (issue 25)."""
    long = {
        p.name: n for p in (ROOT / "classifiers").glob("*.py") if (n := len(p.read_text("utf-8").splitlines())) > 600
    }
    assert not long, long
